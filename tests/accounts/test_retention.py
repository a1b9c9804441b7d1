"""Retention: unused accounts are warned, then erased; security events are kept a year.
Boundaries to the second, with the default periods (730 days, warned 30 days before)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.accounts import retention
from participation.accounts.models import User
from participation.core import chain
from participation.core.audit import AuditEntry
from participation.core.mail import OutboxMessage
from participation.core.models import utcnow
from participation.extensions import db
from tests import factories
from tests.core.test_chain import rechain_leftovers

SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def defaults(app):
    assert app.config["ACCOUNT_RETENTION_DAYS"] == 730
    assert app.config["ACCOUNT_RETENTION_WARNING_DAYS"] == 30
    assert app.config["SECURITY_LOG_RETENTION_DAYS"] == 365


def person(last_login, **fields):
    fields.setdefault("created_at", last_login - 100 * DAY if last_login else None)
    user = factories.UserFactory(last_login_at=last_login, **fields)
    db.session.flush()
    return user


def mails_to(user):
    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == user.email)).all()


def test_warned_a_month_before_to_the_second(session, now):
    due = person(now - 700 * DAY)
    not_yet = person(now - 700 * DAY + SECOND)
    assert retention.warn_inactive(now) == 1
    assert due.inactivity_warned_at == now and not_yet.inactivity_warned_at is None
    [mail] = mails_to(due)
    assert "supprimés le 28 décembre 2026" in mail.body_text
    assert "/connexion" in mail.body_text
    assert retention.warn_inactive(now + DAY) == 1  # not_yet, now; due is not warned twice
    assert len(mails_to(due)) == 1


def test_erased_at_the_end_of_the_period_once_warned(session, now):
    user = person(now - 700 * DAY)
    retention.warn_inactive(now)
    assert retention.inactive_to_erase(now + 30 * DAY - SECOND) == []
    assert retention.inactive_to_erase(now + 30 * DAY) == [user.id]
    assert retention.erase_inactive(user.id, now + 30 * DAY)
    assert user.deleted_at == now + 30 * DAY and user.email is None and user.pseudonym is None
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "security.account_deleted")).one()
    assert entry.details == {"reason": "inactive"} and entry.subject_id == user.id


def test_never_erased_without_a_full_warning(session, now):
    """The daily command did not run for months: the warning still comes a month ahead."""
    user = person(now - 900 * DAY)
    assert retention.inactive_to_erase(now) == []
    retention.warn_inactive(now)
    assert retention.inactive_to_erase(now + 30 * DAY - SECOND) == []
    assert retention.inactive_to_erase(now + 30 * DAY) == [user.id]


def test_logging_in_after_the_warning_keeps_the_account(session, now):
    user = person(now - 700 * DAY)
    retention.warn_inactive(now)
    user.last_login_at = now + 5 * DAY
    db.session.flush()
    assert retention.inactive_to_erase(now + 40 * DAY) == []
    assert not retention.erase_inactive(user.id, now + 40 * DAY)
    # Two years later it starts again, with a new warning.
    later = now + 5 * DAY + 700 * DAY
    assert retention.warn_inactive(later) == 1
    assert user.inactivity_warned_at == later


def test_an_account_that_never_logged_in_counts_from_its_creation(session, now):
    user = person(None, created_at=now - 730 * DAY, email=None)  # assisted: no email
    other = person(None, created_at=now - 730 * DAY + SECOND, email=None)
    assert retention.inactive_to_erase(now) == [user.id]
    assert other.id not in retention.inactive_to_erase(now)


def test_administrators_are_not_erased(session, now):
    admin = person(now - 800 * DAY, is_admin=True)
    assert retention.warn_inactive(now) == 0
    assert retention.inactive_to_erase(now + 100 * DAY) == []
    assert retention.inactive_admins(now) == [admin]


def test_the_daily_command(app, session):
    now = utcnow()
    user = person(now - 731 * DAY, inactivity_warned_at=now - 31 * DAY)
    warned = person(now - 710 * DAY)
    result = app.test_cli_runner().invoke(args=["accounts", "purge-inactive"])
    assert result.exit_code == 0, result.output
    assert "warned 1, erased 1" in result.output
    db.session.expire_all()
    assert db.session.get(User, user.id).deleted_at is not None
    assert db.session.get(User, warned.id).inactivity_warned_at is not None


def _security_event(at):
    entry = AuditEntry(action="security.login", kind="security", created_at=at, details={})
    db.session.add(entry)
    db.session.flush()
    return entry


def test_security_events_are_kept_a_year(app, session):
    rechain_leftovers()
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.kind == "security"))
    db.session.execute(sa.update(chain.ChainHead).where(chain.ChainHead.name == "security")
                       .values(seq=0, hash=chain.GENESIS))
    now = utcnow()
    staff_act = AuditEntry(action="account.role_granted", kind="act",
                           created_at=now - 800 * DAY, details={})
    db.session.add(staff_act)
    old = [_security_event(now - 400 * DAY), _security_event(now - 365 * DAY - SECOND)]
    kept = [_security_event(now - 365 * DAY + 5 * SECOND), _security_event(now)]
    db.session.commit()
    old_ids, kept_ids = {e.id for e in old}, [e.id for e in kept]
    staff_act_id = staff_act.id
    result = app.test_cli_runner().invoke(args=["audit", "purge-security"])
    assert result.exit_code == 0, result.output
    assert "2 security event(s)" in result.output
    remaining = set(db.session.scalars(sa.select(AuditEntry.id)))
    assert not old_ids & remaining
    assert set(kept_ids) <= remaining and staff_act_id in remaining  # staff acts stay
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "security: 2 entries, intact" in result.output
    # The chain after a purge still catches an altered entry.
    db.session.execute(sa.text("UPDATE audit_entries SET action = 'security.password_changed' "
                               "WHERE id = :id"), {"id": kept_ids[0]})
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"audit_entries id {kept_ids[0]} " in result.output
