"""Reads of proposals that several pages share; eager loading is chosen here, once."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from participation.accounts.models import User
from participation.extensions import db
from participation.proposals.models import (
    PUBLIC_STATUSES,
    Comment,
    Proposal,
    ProposalEvent,
    Support,
    Theme,
)
from participation.proposals.services import search_condition

SORTS = {
    "recent": (Proposal.published_at.desc(), Proposal.id.desc()),
    "supported": (Proposal.support_count.desc(), Proposal.id.desc()),
    "discussed": (Proposal.comment_count.desc(), Proposal.id.desc()),
}
PER_PAGE = 20


def list_themes() -> list[Theme]:
    return list(db.session.scalars(sa.select(Theme).order_by(Theme.position, Theme.name_fr)))


def public_proposals(*, q=None, commune_id=None, theme_id=None, centre_id=None, status=None,
                     sort="recent"):
    """The select behind the public list, filtered and sorted (author, theme, place loaded)."""
    query = (sa.select(Proposal)
             .options(joinedload(Proposal.author), joinedload(Proposal.theme),
                      joinedload(Proposal.commune), joinedload(Proposal.centre))
             .where(Proposal.status.in_(PUBLIC_STATUSES)))
    if status in PUBLIC_STATUSES:
        query = query.where(Proposal.status == status)
    if commune_id == "all":
        query = query.where(Proposal.commune_id.is_(None))
    elif commune_id:
        query = query.where(Proposal.commune_id == int(commune_id))
    if theme_id:
        query = query.where(Proposal.theme_id == int(theme_id))
    if centre_id:
        query = query.where(Proposal.centre_id == int(centre_id))
    condition = search_condition(q)
    if condition is not None:
        query = query.where(condition)
    return query.order_by(*SORTS.get(sort, SORTS["recent"]))


def paginate_public(query, page: int):
    """A page of ``public_proposals(...)``: the ids are filtered, sorted and counted alone
    (in the covering index ``ix_proposals_list``, without reading the rows), then only the
    page's rows are loaded with their author, theme and places. Three queries."""
    pagination = db.paginate(query.with_only_columns(Proposal.id), page=page,
                             per_page=PER_PAGE, error_out=False)
    if pagination.items:
        rows = {p.id: p for p in db.session.scalars(
            query.where(Proposal.id.in_(pagination.items)).order_by(None)).unique()}
        pagination.items = [rows[i] for i in pagination.items if i in rows]
    return pagination


def proposals_of(author_id: int):
    return (sa.select(Proposal).options(joinedload(Proposal.theme), joinedload(Proposal.centre))
            .where(Proposal.author_id == author_id).order_by(Proposal.updated_at.desc()))


def get_proposal(proposal_id: int) -> Proposal | None:
    return db.session.scalar(
        sa.select(Proposal).options(joinedload(Proposal.author), joinedload(Proposal.theme),
                                    joinedload(Proposal.commune), joinedload(Proposal.centre))
        .where(Proposal.id == proposal_id))


def timeline(proposal: Proposal, with_private: bool) -> list[ProposalEvent]:
    query = (sa.select(ProposalEvent).options(joinedload(ProposalEvent.actor))
             .where(ProposalEvent.proposal_id == proposal.id).order_by(ProposalEvent.id))
    if not with_private:
        query = query.where(ProposalEvent.public.is_(True))
    return list(db.session.scalars(query))


# A proposal's comments go a page of threads at a time, oldest first (a conversation): a
# thread is a top-level comment and its replies. Under each thread the page shows its first
# replies; a thread with more links to its own pages. Every bound is a number here, so a
# page's size and its SQL statements do not grow with the comments.
THREADS_PER_PAGE = 20
REPLIES_SHOWN = 5
REPLIES_PER_PAGE = 50
# Authors are shown by name only: their roles (loaded with every User otherwise) are not
# read, which also keeps a page's statements the same with or without replies.
_AUTHOR = joinedload(Comment.author).lazyload(User.roles)


@dataclass
class Thread:
    """A top-level comment, the replies shown under it, how many it has in all, and the
    first reply not shown (where the link to the thread's page lands)."""

    comment: Comment
    replies: list[Comment]
    reply_count: int
    next_id: int | None = None

    @property
    def more(self) -> int:
        return self.reply_count - len(self.replies)


def _paginate_within(query, page: int, per_page: int):
    """``db.paginate`` of ``query``; a page past the end shows the last one (two more
    statements, only for such a page, typed or kept from an old link)."""
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    if pagination.page > pagination.pages > 0:
        pagination = db.paginate(query, page=pagination.pages, per_page=per_page,
                                 error_out=False)
    return pagination


def _top_level(proposal_id: int):
    return sa.select(Comment).where(Comment.proposal_id == proposal_id,
                                    Comment.parent_id.is_(None))


def comment_threads(proposal: Proposal, page: int):
    """A page of the proposal's threads: a pagination whose items are ``Thread``s, each with
    its first ``REPLIES_SHOWN`` replies. Three statements (two without any comment); the
    replies are ranked in their thread by the database, so a thread of thousands still
    sends only its first ones."""
    pagination = _paginate_within(
        _top_level(proposal.id).options(_AUTHOR).order_by(Comment.id),
        page, THREADS_PER_PAGE)
    tops = pagination.items
    replies: dict[int, list[Comment]] = {c.id: [] for c in tops}
    totals: dict[int, int] = {}
    next_ids: dict[int, int] = {}
    if tops:
        ranked = (sa.select(
            Comment.id,
            sa.func.row_number().over(partition_by=Comment.parent_id,
                                      order_by=Comment.id).label("rank"),
            sa.func.count().over(partition_by=Comment.parent_id).label("total"))
            .where(Comment.proposal_id == proposal.id,
                   Comment.parent_id.in_([c.id for c in tops]))
            .subquery())
        rows = db.session.execute(
            sa.select(Comment, ranked.c.total).join(ranked, ranked.c.id == Comment.id)
            .options(_AUTHOR)
            .where(ranked.c.rank <= REPLIES_SHOWN + 1).order_by(Comment.id))
        for reply, total in rows:
            totals[reply.parent_id] = total
            if len(replies[reply.parent_id]) < REPLIES_SHOWN:
                replies[reply.parent_id].append(reply)
            else:
                next_ids[reply.parent_id] = reply.id
    pagination.items = [Thread(c, replies[c.id], totals.get(c.id, 0), next_ids.get(c.id))
                        for c in tops]
    return pagination


def get_comment(comment_id: int) -> Comment | None:
    """A comment with its author (shown by name wherever a comment is)."""
    return db.session.scalar(sa.select(Comment).options(_AUTHOR).where(Comment.id == comment_id))


def thread_replies(comment: Comment, page: int):
    """A page of the replies to a top-level comment, oldest first (two statements)."""
    return _paginate_within(
        sa.select(Comment).options(_AUTHOR)
        .where(Comment.proposal_id == comment.proposal_id, Comment.parent_id == comment.id)
        .order_by(Comment.id),
        page, REPLIES_PER_PAGE)


def comment_place(comment: Comment) -> tuple[str, int]:
    """Where a comment is shown: ``("proposal", page)`` on the proposal's pages, or
    ``("thread", page)`` on its thread's pages for a reply past the first ones shown under
    the thread. Counted in the thread index, one or two statements."""
    def page_of(position: int, per_page: int) -> int:
        return (position - 1) // per_page + 1

    if comment.parent_id is not None:
        rank = db.session.scalar(sa.select(sa.func.count()).where(
            Comment.proposal_id == comment.proposal_id,
            Comment.parent_id == comment.parent_id, Comment.id <= comment.id))
        if rank > REPLIES_SHOWN:
            return "thread", page_of(rank, REPLIES_PER_PAGE)
    top_id = comment.parent_id or comment.id
    position = db.session.scalar(_top_level(comment.proposal_id).with_only_columns(
        sa.func.count()).where(Comment.id <= top_id))
    return "proposal", page_of(position, THREADS_PER_PAGE)


def supported_ids(user, proposal_ids) -> set[int]:
    if not user.is_authenticated or not proposal_ids:
        return set()
    return set(db.session.scalars(sa.select(Support.proposal_id).where(
        Support.user_id == user.id, Support.proposal_id.in_(list(proposal_ids)))))


