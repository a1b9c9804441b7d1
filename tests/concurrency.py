"""Firing requests at the same instant, each on its own connection, against data committed
for real (threads cannot see a test's open transaction). PostgreSQL only: SQLite serialises
every writer, so nothing races there."""

import threading

import pytest
import sqlalchemy as sa

from participation.extensions import db
from tests.factories import sign_in

NEEDS_POSTGRESQL = "needs PostgreSQL: SQLite serialises all writers, so nothing races"


def skip_unless_postgresql(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip(NEEDS_POSTGRESQL)


def client_of(app, user):
    """A test client of its own, logged in as ``user`` (no shared cookie jar, no shared
    app context: as two phones would be)."""
    client = app.test_client()
    with client.session_transaction() as flask_session:
        sign_in(flask_session, user)
    return client


def at_once(calls, timeout=60):
    """Run each of ``calls`` in its own thread, all released together by a barrier; return
    their results in order. An exception in a call is returned as its result."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - handed back to the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


def delete_people(user_ids):
    """Remove test people and what points at them (notifications, emails, roles)."""
    from participation.accounts.models import Role, User
    from participation.core.mail import OutboxMessage
    from participation.notifications.models import Notification

    if not user_ids:
        return
    emails = list(db.session.scalars(sa.select(User.email).where(User.id.in_(user_ids))))
    db.session.execute(sa.delete(Notification).where(Notification.user_id.in_(user_ids)))
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.recipient.in_(emails)))
    db.session.execute(sa.delete(Role).where(Role.user_id.in_(user_ids)))
    db.session.execute(sa.delete(User).where(User.id.in_(user_ids)))
