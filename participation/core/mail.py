"""The email outbox.

Messages are rows written in the same transaction as the event that causes
them (``queue_email``), so a crash never loses or invents one. ``deliver_due``
(run by ``flask outbox send`` on a timer) sends them over SMTP, retrying with
a growing delay while the server is unreachable.
"""

import base64
import smtplib
import ssl
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.models import UTCDateTime, utcnow
from participation.extensions import db

PENDING, SENT, FAILED = "pending", "sent", "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_known"),
        sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body_text: Mapped[str] = mapped_column(sa.Text)
    # [{"filename", "content_type", "data" (base64)}], e.g. an .ics invitation.
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(sa.String(200))


def queue_email(recipient: str, template: str, locale: str | None = None,
                attachments: list[dict] | None = None, **context) -> OutboxMessage:
    """Write an email into the outbox, rendered in the recipient's language.

    ``template`` names ``templates/emails/<template>.txt`` whose first line is
    ``Subject: …``. Flushed, not committed: the caller's transaction decides.
    """
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        rendered = render_template(f"emails/{template}.txt", **context)
    first, _, body = rendered.lstrip().partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"email template {template} must start with 'Subject:'")
    message = OutboxMessage(
        recipient=recipient,
        subject=first.removeprefix("Subject:").strip(),
        body_text=body.strip() + "\n",
        attachments=[
            {**a, "data": base64.b64encode(a["data"]).decode()} for a in attachments or []
        ],
    )
    db.session.add(message)
    db.session.flush()
    return message


def retry_delay(attempts: int) -> timedelta:
    """Wait 1, 2, 4 … minutes between tries, at most six hours."""
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def _as_email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email.set_content(message.body_text)
    for attachment in message.attachments:
        maintype, _, subtype = attachment["content_type"].partition("/")
        email.add_attachment(
            base64.b64decode(attachment["data"]),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
        )
    return email


def _open_smtp(config) -> smtplib.SMTP:
    timeout = config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return smtp


def deliver_due(now: datetime | None = None, limit: int = 200,
                deadline: float | None = None) -> dict[str, int]:
    """Send the messages whose time has come (``limit`` at most); commit after each one.

    Each message is locked while it is sent (SKIP LOCKED on PostgreSQL), so
    two senders on a timer never send the same message twice. A failure
    leaves the message pending with a later ``next_attempt_at``; after
    ``OUTBOX_MAX_ATTEMPTS`` it is marked failed, kept, and can be retried.
    Stops between two messages once ``time.monotonic()`` passes ``deadline`` (an
    unreachable server costs MAIL_TIMEOUT a message: a run stays within its time).
    """
    now = now or utcnow()
    config = current_app.config
    counts = {"sent": 0, "retry": 0, "failed": 0}
    due = (
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    ids = list(db.session.scalars(due))
    db.session.rollback()
    smtp = None
    try:
        for message_id in ids:
            if deadline is not None and time.monotonic() > deadline:
                break
            message = db.session.scalars(
                sa.select(OutboxMessage)
                # Checked again under the lock: another sender may have sent it, or tried
                # and put it off, since the ids were read.
                .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING,
                       OutboxMessage.next_attempt_at <= now)
                .with_for_update(skip_locked=True)
            ).first()
            if message is None:
                db.session.rollback()
                continue
            message.message_id = message.message_id or make_msgid(domain="participation-calaisis")
            try:
                if config["MAIL_TRANSPORT"] == "console":
                    # Readable as is in a terminal, links unbroken (development only).
                    print(f"--- email to {message.recipient}: {message.subject}\n"
                          f"{message.body_text}---", flush=True)
                else:
                    smtp = smtp or _open_smtp(config)
                    smtp.send_message(_as_email(message, config["MAIL_DEFAULT_SENDER"]))
            except (OSError, smtplib.SMTPException) as error:
                smtp = None  # the connection is in an unknown state: open a new one
                message.attempts += 1
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                if message.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
                    message.status = FAILED
                    counts["failed"] += 1
                else:
                    message.next_attempt_at = now + retry_delay(message.attempts)
                    counts["retry"] += 1
            else:
                message.attempts += 1
                message.status = SENT
                message.sent_at = now
                message.last_error = None
                counts["sent"] += 1
            db.session.commit()
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return counts


def deliver_for(seconds: float, batch: int = 200) -> dict[str, int]:
    """``deliver_due`` batch after batch for about ``seconds`` (a timer's run): an opening
    notice to every inhabitant goes out at the SMTP server's pace, not 200 a minute. Ends
    early when nothing more is due, or when a batch sent nothing (the server is down)."""
    deadline = time.monotonic() + seconds
    totals = {"sent": 0, "retry": 0, "failed": 0}
    while True:
        counts = deliver_due(limit=batch, deadline=deadline)
        for key, value in counts.items():
            totals[key] += value
        done = sum(counts.values())
        if done < batch or counts["sent"] == 0 or time.monotonic() > deadline:
            return totals


def retry_failed() -> int:
    """Put failed messages back in the queue (after the SMTP settings are fixed)."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=utcnow())
    )
    return result.rowcount


def forget_person(email: str | None, pseudonym: str | None, stand_in: str) -> None:
    """Erase a deleted account from the outbox: every message to its address goes (sent or
    not), every message not yet sent that names it goes (it is about someone who left),
    and messages already sent to others that name it keep their record with the name
    replaced by ``stand_in``. Flushed, not committed."""
    import re

    if email:
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.recipient == email))
    needles = [n for n in (email, pseudonym) if n]
    if not needles:
        return
    columns = (OutboxMessage.subject, OutboxMessage.body_text)
    mentions = sa.or_(*(column.contains(needle, autoescape=True)
                        for column in columns for needle in needles))
    db.session.execute(sa.delete(OutboxMessage).where(mentions, OutboxMessage.status != SENT))
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in needles))
    for message in db.session.scalars(sa.select(OutboxMessage).where(mentions)):
        message.subject = pattern.sub(stand_in, message.subject)[:200]
        message.body_text = pattern.sub(stand_in, message.body_text)
    db.session.flush()
