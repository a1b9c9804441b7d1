"""Simultaneous taps on "I support": the database keeps exactly one support."""

import threading

import pytest
import sqlalchemy as sa

from participation.core.models import utcnow
from participation.extensions import db
from participation.proposals import services
from participation.proposals.models import Proposal, ProposalEvent, Support
from tests import factories


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
