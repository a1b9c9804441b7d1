"""Retention: accounts nobody has used for ``ACCOUNT_RETENTION_DAYS`` (two years by default)
are erased, after a warning by email ``ACCOUNT_RETENTION_WARNING_DAYS`` before (a month by
default); security events of the audit log are kept ``SECURITY_LOG_RETENTION_DAYS`` (a year).

``flask accounts purge-inactive`` and ``flask audit purge-security`` run them daily. The last
use of an account is its last login, or its creation if it never logged in. Logging in
again after the warning keeps the account (the warning counts only if it came after the last
login). An account without email cannot be warned: it is erased at the end of the period.
Administrators are never erased by this rule (the site would lose its keys): they are listed
by the command instead.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from participation.accounts.models import User
from participation.core import chain
from participation.core.http import external_url
from participation.core.mail import queue_email
from participation.extensions import db

last_use = sa.func.coalesce(User.last_login_at, User.created_at)


def _days(name: str) -> timedelta:
    return timedelta(days=current_app.config[name])


def erasure_date(user: User, now: datetime) -> datetime:
    """When the account would be erased if nobody logs in (never before a full warning)."""
    used = user.last_login_at or user.created_at
    due = used + _days("ACCOUNT_RETENTION_DAYS")
    if user.email and user.inactivity_warned_at is not None:
        due = max(due, user.inactivity_warned_at + _days("ACCOUNT_RETENTION_WARNING_DAYS"))
    return due


def warn_inactive(now: datetime) -> int:
    """Email every account that will be erased in ``ACCOUNT_RETENTION_WARNING_DAYS`` and was
    not warned since its last use; flushed, not committed. Returns how many."""
    warn_from = now - (_days("ACCOUNT_RETENTION_DAYS") - _days("ACCOUNT_RETENTION_WARNING_DAYS"))
    due = db.session.scalars(sa.select(User).where(
        User.deleted_at.is_(None), User.is_admin.is_(False), User.email.is_not(None),
        last_use <= warn_from,
        sa.or_(User.inactivity_warned_at.is_(None), User.inactivity_warned_at < last_use),
    ).order_by(User.id)).all()
    for user in due:
        user.inactivity_warned_at = now
        queue_email(user.email, "inactive_warning", user.locale, user=user,
                    erase_on=erasure_date(user, now),
                    last_use=user.last_login_at or user.created_at,
                    login_url=external_url("accounts.login"))
    db.session.flush()
    return len(due)


def inactive_to_erase(now: datetime) -> list[int]:
    """Ids of the accounts whose time is up: unused for the whole period and, when they
    have an email, warned at least ``ACCOUNT_RETENTION_WARNING_DAYS`` ago."""
    warned_before = now - _days("ACCOUNT_RETENTION_WARNING_DAYS")
    return list(db.session.scalars(sa.select(User.id).where(
        User.deleted_at.is_(None), User.is_admin.is_(False),
        last_use <= now - _days("ACCOUNT_RETENTION_DAYS"),
        sa.or_(User.email.is_(None),
               sa.and_(User.inactivity_warned_at >= last_use,
                       User.inactivity_warned_at <= warned_before)),
    ).order_by(User.id)))


def erase_inactive(user_id: int, now: datetime) -> bool:
    """Erase one account found by ``inactive_to_erase``, checking again under a row lock (it
    may have logged in since); flushed, not committed."""
    from participation.accounts.services import erase_account

    user = db.session.scalars(sa.select(User).where(User.id == user_id)
                              .with_for_update()).first()
    if user is None or user_id not in inactive_to_erase(now):
        return False
    erase_account(user, now, reason="inactive")
    return True


def inactive_admins(now: datetime) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(
        User.deleted_at.is_(None), User.is_admin.is_(True),
        last_use <= now - _days("ACCOUNT_RETENTION_DAYS")).order_by(User.id)))


def purge_security_log(now: datetime) -> int:
    """Delete security events older than ``SECURITY_LOG_RETENTION_DAYS``; the chain's base
    moves to the last one removed, so ``flask audit verify`` still checks the rest."""
    return chain.purge_before("security", now - _days("SECURITY_LOG_RETENTION_DAYS"))
