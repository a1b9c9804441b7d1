"""Telling people: in-app notifications, emails now or in a weekly summary, as each chooses.

``notify`` writes every notification in a fixed number of statements, whatever
the number of recipients, in the caller's transaction.
"""

import json
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale

from participation.accounts.models import User
from participation.accounts.person_cache import load_with_person
from participation.core import personal_data
from participation.core.http import external_url
from participation.core.mail import queue_email
from participation.core.models import utcnow
from participation.extensions import db
from participation.notifications.messages import render
from participation.notifications.models import KINDS, Notification, NotificationPreference


def modes_for(user_ids, kind: str) -> dict[int, str]:
    """Each person's chosen mode for ``kind`` (the kind's default when never chosen)."""
    chosen = dict(db.session.execute(
        sa.select(NotificationPreference.user_id, NotificationPreference.mode)
        .where(NotificationPreference.kind == kind,
               NotificationPreference.user_id.in_(list(user_ids)))).all())
    default = KINDS[kind][1]
    return {uid: chosen.get(uid, default) for uid in user_ids}


def preferences_of(user) -> dict[str, str]:
    """The person's mode for every kind, defaults filled in."""
    chosen = dict(db.session.execute(
        sa.select(NotificationPreference.kind, NotificationPreference.mode)
        .where(NotificationPreference.user_id == user.id)).all())
    return {kind: chosen.get(kind, default) for kind, (_, default) in KINDS.items()}


def notify(users, kind: str, key: str, url: str, now: datetime | None = None,
           **params) -> int:
    """Notify each of ``users`` (deleted accounts skipped); returns how many were told."""
    recipients = {u.id: u for u in users if u is not None and u.deleted_at is None}
    if not recipients:
        return 0
    now = now or utcnow()
    modes = modes_for(recipients, kind)
    rows = []
    for uid, user in recipients.items():
        mode = modes[uid] if user.email else "none"
        state = {"email": "queued", "digest": "pending_digest"}.get(mode, "none")
        rows.append({"user_id": uid, "kind": kind, "message": key, "params": params,
                     "url": url, "created_at": now, "email_state": state})
        if state == "queued":
            probe = Notification(message=key, params=params)
            with force_locale(user.locale or "fr"):
                text = render(probe)
            queue_email(user.email, "notification", user.locale, user=user, text=text,
                        link=_absolute(url), settings_url=external_url(
                            "notifications.preferences"))
    db.session.execute(sa.insert(Notification), rows)
    return len(rows)


def _absolute(url: str) -> str:
    from flask import current_app

    return current_app.config["SITE_URL"].rstrip("/") + url


def _unread(person_id):
    return (sa.select(sa.func.count()).select_from(Notification)
            .where(Notification.user_id == person_id, Notification.read_at.is_(None))
            .scalar_subquery())


def unread_count(user) -> int:
    return db.session.scalar(sa.select(_unread(user.id))) or 0


# Shown in the menu of every page: loaded with the person.
load_with_person("unread", lambda now: "unread", lambda _key: _unread(User.id))


def mark_read(user, notification_id: int | None = None, now: datetime | None = None) -> None:
    """Mark one notification (or all of them) read."""
    query = sa.update(Notification).where(Notification.user_id == user.id,
                                          Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=now or utcnow()))


def set_preferences(user, modes: dict[str, str]) -> None:
    existing = {p.kind: p for p in db.session.scalars(
        sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for kind, mode in modes.items():
        if kind not in KINDS:
            continue
        if kind in existing:
            existing[kind].mode = mode
        else:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, mode=mode))
    db.session.flush()


def send_digests(now: datetime | None = None) -> int:
    """One email per person gathering what waits for their weekly summary; returns emails."""
    from participation.accounts.models import User

    now = now or utcnow()
    pending = db.session.execute(
        sa.select(Notification, User).join(User, User.id == Notification.user_id)
        .where(Notification.email_state == "pending_digest")
        .order_by(Notification.user_id, Notification.id)).all()
    by_user = defaultdict(list)
    for notification, user in pending:
        by_user[user].append(notification)
    for user, notifications in by_user.items():
        if user.email and user.deleted_at is None:
            with force_locale(user.locale or "fr"):
                items = [(render(n), _absolute(n.url)) for n in notifications]
            queue_email(user.email, "digest", user.locale, user=user, items=items,
                        settings_url=external_url("notifications.preferences"))
        for notification in notifications:
            notification.email_state = "sent"
    db.session.flush()
    return len(by_user)


@personal_data.exporter("notifications")
def _export(user) -> list:
    rows = db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id))
    return [{"when": n.created_at.isoformat(), "text": render(n), "link": n.url,
             "read": n.read_at is not None} for n in rows]


@personal_data.eraser
def _erase(user) -> None:
    db.session.execute(sa.delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(sa.delete(NotificationPreference)
                       .where(NotificationPreference.user_id == user.id))
    # Other people's notifications name them ("X commented on your proposal"): the name
    # goes, the notification stays and reads "former participant commented…".
    if not user.pseudonym:
        return
    forms = {user.pseudonym, json.dumps(user.pseudonym)[1:-1]}  # as stored, or JSON-escaped
    as_text = sa.cast(Notification.params, sa.Text)
    for notification in db.session.scalars(sa.select(Notification).where(
            sa.or_(*(as_text.contains(form, autoescape=True) for form in forms)))):
        params = dict(notification.params or {})
        if params.get("name") == user.pseudonym:
            params["name"] = None
            notification.params = params
