"""A proposal's comments read a page of threads at a time, and a comment's place is found
from its position (queries.comment_threads, thread_replies, comment_place)."""

from participation.extensions import db
from participation.proposals import queries
from participation.proposals.models import Comment
from tests import factories

PER_PAGE, SHOWN, REPLIES = (queries.THREADS_PER_PAGE, queries.REPLIES_SHOWN,
                            queries.REPLIES_PER_PAGE)


def test_threads_go_a_page_at_a_time_oldest_first(inhabitant, verified):
    proposal = factories.proposal(inhabitant)
    tops = factories.comments(proposal, verified, 2 * PER_PAGE + 5)
    first = queries.comment_threads(proposal, 1)
    assert [t.comment.id for t in first.items] == tops[:PER_PAGE]
    assert (first.page, first.pages, first.total) == (1, 3, 2 * PER_PAGE + 5)
    last = queries.comment_threads(proposal, 3)
    assert [t.comment.id for t in last.items] == tops[2 * PER_PAGE:]
    # Past the end (typed, or an old link): the last page, not an empty one.
    beyond = queries.comment_threads(proposal, 99)
    assert beyond.page == 3 and [t.comment.id for t in beyond.items] == tops[2 * PER_PAGE:]


def test_each_thread_shows_its_first_replies_and_counts_the_others(inhabitant, verified):
    proposal = factories.proposal(inhabitant)
    quiet, busy, alone = factories.comments(proposal, verified, 3)
    factories.comments(proposal, inhabitant, 2, parent_id=quiet)
    busy_replies = factories.comments(proposal, inhabitant, SHOWN + 7, parent_id=busy)
    threads = {t.comment.id: t for t in queries.comment_threads(proposal, 1).items}
    assert len(threads[quiet].replies) == 2 and threads[quiet].more == 0
    assert threads[quiet].next_id is None
    assert [r.id for r in threads[busy].replies] == busy_replies[:SHOWN]
    assert threads[busy].reply_count == SHOWN + 7 and threads[busy].more == 7
    assert threads[busy].next_id == busy_replies[SHOWN]  # where "see the others" lands
    assert threads[alone].replies == [] and threads[alone].more == 0


def test_a_thread_pages_its_replies(inhabitant, verified):
    proposal = factories.proposal(inhabitant)
    [top] = factories.comments(proposal, verified, 1)
    replies = factories.comments(proposal, inhabitant, REPLIES + 3, parent_id=top)
    comment = db.session.get(Comment, top)
    assert [r.id for r in queries.thread_replies(comment, 1).items] == replies[:REPLIES]
    second = queries.thread_replies(comment, 2)
    assert [r.id for r in second.items] == replies[REPLIES:] and second.pages == 2
    assert queries.thread_replies(comment, 50).page == 2


def test_the_place_of_a_comment(inhabitant, verified):
    # Another proposal's comments, written before, do not count.
    other = factories.proposal(inhabitant, title="Un composteur au Virval")
    factories.comments(other, verified, PER_PAGE)
    proposal = factories.proposal(inhabitant)
    tops = factories.comments(proposal, verified, PER_PAGE + 2)
    replies = factories.comments(proposal, inhabitant, REPLIES + 10, parent_id=tops[PER_PAGE])
    place = lambda comment_id: queries.comment_place(db.session.get(Comment, comment_id))  # noqa: E731
    assert place(tops[0]) == ("proposal", 1)
    assert place(tops[PER_PAGE - 1]) == ("proposal", 1)
    assert place(tops[PER_PAGE]) == ("proposal", 2)
    # The first replies are shown under their thread, on its page of threads...
    assert place(replies[0]) == ("proposal", 2)
    assert place(replies[SHOWN - 1]) == ("proposal", 2)
    # ...the others on the thread's own pages.
    assert place(replies[SHOWN]) == ("thread", 1)
    assert place(replies[REPLIES]) == ("thread", 2)
