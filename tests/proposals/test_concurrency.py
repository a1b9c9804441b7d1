"""Simultaneous taps on "I support": the database keeps exactly one support."""

import threading

import pytest
import sqlalchemy as sa

from participation.core.models import utcnow
from participation.extensions import db
from participation.proposals import services
from participation.proposals.models import Comment, Proposal, ProposalEvent, Report, Support
from tests import factories
from tests.concurrency import at_once, client_of, delete_people, skip_unless_postgresql


@pytest.fixture
def committed(app):
    """A real author, supporter and proposal, committed for other connections to see."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises every writer)")
    with app.app_context():
        author = factories.UserFactory(pseudonym="Auteur concurrent")
        supporter = factories.UserFactory(pseudonym="Soutien concurrent")
        proposal = factories.proposal(author)
        ids = author.id, supporter.id, proposal.id
        db.session.remove()
    yield ids
    with app.app_context():
        db.session.execute(sa.delete(Support).where(Support.proposal_id == ids[2]))
        db.session.execute(sa.delete(ProposalEvent).where(ProposalEvent.proposal_id == ids[2]))
        db.session.execute(sa.text("DELETE FROM notifications WHERE user_id IN (:a, :b)"),
                           {"a": ids[0], "b": ids[1]})
        db.session.execute(sa.text("DELETE FROM outbox_messages WHERE recipient LIKE "
                                   "'%concurrent@example.org'"))
        db.session.execute(sa.delete(Proposal).where(Proposal.id == ids[2]))
        db.session.execute(sa.text("DELETE FROM users WHERE id IN (:a, :b)"),
                           {"a": ids[0], "b": ids[1]})
        db.session.commit()


def test_parallel_supports_by_one_person_make_one(app, committed):
    _, supporter_id, proposal_id = committed
    barrier = threading.Barrier(8)
    errors = []

    def tap():
        with app.app_context():
            try:
                from participation.accounts.models import User

                user = db.session.get(User, supporter_id)
                proposal = db.session.get(Proposal, proposal_id)
                barrier.wait()
                services.set_support(user, proposal, True, utcnow())
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tap) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        supports = db.session.scalar(sa.select(sa.func.count()).select_from(Support)
                                     .where(Support.proposal_id == proposal_id))
        counter = db.session.scalar(sa.select(Proposal.support_count)
                                    .where(Proposal.id == proposal_id))
    assert supports == counter == 1


# --- Through HTTP, as phones and moderators' browsers send them ----------------------------

@pytest.fixture
def people(app):
    """Make committed people and submitted proposals on demand; all removed afterwards."""
    skip_unless_postgresql(app)
    made = {"users": [], "proposals": []}

    def person(role=None):
        from participation.accounts.models import Role
        from participation.territory.models import Centre

        user = factories.UserFactory()
        if role:
            matisse = db.session.scalar(sa.select(Centre).where(Centre.short_name == "Matisse"))
            db.session.add(Role(user=user, organisation=matisse, kind=role))
        db.session.commit()
        made["users"].append(user.id)
        return user

    def proposal(author, status="submitted"):
        made_proposal = factories.proposal(author, status=status)
        db.session.commit()
        made["proposals"].append(made_proposal.id)
        return made_proposal

    with app.app_context():
        yield person, proposal
        db.session.rollback()
        ids = made["proposals"]
        db.session.execute(sa.delete(Support).where(Support.proposal_id.in_(ids)))
        db.session.execute(sa.delete(ProposalEvent).where(ProposalEvent.proposal_id.in_(ids)))
        db.session.execute(sa.delete(Report).where(Report.proposal_id.in_(ids)))
        db.session.execute(sa.delete(Comment).where(Comment.proposal_id.in_(ids)))
        db.session.execute(sa.delete(Proposal).where(Proposal.id.in_(ids)))
        delete_people(made["users"])
        db.session.commit()


def _decision(client, proposal_id, decision):
    return client.post(f"/moderation/propositions/{proposal_id}",
                       data={"decision": decision, "message": "Merci de préciser le lieu."})


@pytest.mark.parametrize("decisions", [("publish",) * 4, ("publish", "reject", "changes",
                                                          "reject")])
def test_one_moderation_decision_wins_the_others_are_told(app, people, decisions):
    person, proposal = people
    moderators = [person("animator") for _ in decisions]
    for _ in range(3):
        author = person()
        item = proposal(author)
        clients = [client_of(app, m) for m in moderators]
        responses = at_once([
            lambda c=c, d=d, i=item.id: _decision(c, i, d) for c, d in zip(clients, decisions,
                                                                            strict=True)])
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [302] + [400] * (len(decisions) - 1), responses
        for refused in (r for r in responses if r.status_code == 400):
            assert "ce n’est pas possible" in refused.get_data(as_text=True)
        db.session.expire_all()
        winner = decisions[[r.status_code for r in responses].index(302)]
        expected = {"publish": "published", "reject": "rejected",
                    "changes": "changes_requested"}[winner]
        assert db.session.get(Proposal, item.id).status == expected
        decided = db.session.scalar(sa.select(sa.func.count()).select_from(ProposalEvent).where(
            ProposalEvent.proposal_id == item.id, ProposalEvent.kind == expected))
        assert decided == 1
        told = db.session.scalar(sa.text(
            "SELECT count(*) FROM notifications WHERE user_id = :a AND message LIKE :m"),
            {"a": author.id, "m": f"proposal.{expected}%"})
        assert told == 1


def _supports(url):
    proposal_id = int(url.split("/")[2])
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Support)
                              .where(Support.proposal_id == proposal_id)),
            db.session.scalar(sa.select(Proposal.support_count).where(Proposal.id == proposal_id)))


def test_taps_through_http_keep_one_support_each_and_a_true_counter(app, people):
    person, proposal = people
    author = person()
    url = f"/propositions/{proposal(author, status='published').id}/soutien"
    one = person()
    others = [person() for _ in range(6)]
    clients = [client_of(app, one) for _ in range(6)] + [client_of(app, p) for p in others]
    responses = at_once([lambda c=c: c.post(url, data={"support": "1"}) for c in clients])
    assert [getattr(r, "status_code", r) for r in responses] == [302] * 12
    supports, counter = _supports(url)
    assert supports == counter == 7
    # Withdrawing and giving again at once: the counter still equals the rows.
    responses = at_once([lambda c=c, w=w: c.post(url, data={"support": w})
                         for c, w in zip(clients, ["0", "1"] * 6, strict=True)])
    assert all(r.status_code == 302 for r in responses)
    supports, counter = _supports(url)
    assert supports == counter


def test_deleting_a_comment_from_four_tabs_at_once_counts_once(app, people):
    person, proposal = people
    author = person()
    item = proposal(author, status="published")
    kept = services.add_comment(author, item, "Je reste.", utcnow())
    gone = services.add_comment(author, item, "Je pars.", utcnow())
    db.session.commit()
    url = f"/propositions/{item.id}/commentaires/{gone.id}/supprimer"
    clients = [client_of(app, author) for _ in range(4)]
    responses = at_once([lambda c=c: c.post(url) for c in clients])
    statuses = [getattr(r, "status_code", r) for r in responses]
    assert 302 in statuses and set(statuses) <= {302, 403}, statuses
    db.session.expire_all()
    counter = db.session.scalar(sa.select(Proposal.comment_count)
                                .where(Proposal.id == item.id))
    visible = db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(
        Comment.proposal_id == item.id, Comment.deleted_at.is_(None)))
    assert counter == visible == 1
    assert db.session.get(Comment, kept.id).deleted_at is None


def test_reports_arriving_together_hide_at_the_threshold_and_count_each_person_once(app,
                                                                                   people):
    """Three people report at once (three hide the content) and one of them taps three
    times: three reports, the proposal hidden, nobody sees an error page."""
    person, proposal = people
    item = proposal(person(), status="published")
    reporters = [person() for _ in range(app.config["REPORTS_TO_HIDE"])]
    clients = [client_of(app, r) for r in reporters]
    clients += [client_of(app, reporters[0]) for _ in range(2)]
    url = f"/propositions/{item.id}/signaler"
    responses = at_once([lambda c=c: c.post(url, data={"reason": "insult"}) for c in clients])
    assert [getattr(r, "status_code", r) for r in responses] == [302] * len(clients)
    db.session.expire_all()
    reported = db.session.get(Proposal, item.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)
                             .where(Report.proposal_id == item.id)) == len(reporters)
    assert reported.report_count == len(reporters)
    assert reported.hidden_at is not None
