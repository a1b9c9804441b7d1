"""The outbox against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from participation.core import mail
from participation.core.mail import OutboxMessage, deliver_due, queue_email, retry_failed
from participation.core.models import utcnow
from participation.extensions import db


@pytest.fixture
def now():
    """Just after the messages are queued (they are due from the moment they are written)."""
    return utcnow() + timedelta(seconds=1)


class Recorder:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture
def smtp_server(app):
    handler = Recorder()
    handler.port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    old = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", handler.port
    yield handler
    controller.stop()
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = old


@pytest.fixture
def closed_port(app):
    """An SMTP address where nothing listens: the server is down."""
    port = _free_port()
    old = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", port
    yield port
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = old


def _queue(inhabitant, **kwargs):
    """Queue an email and commit, as the request that causes it would."""
    message = queue_email(inhabitant.email, "reset_password", "fr", user=inhabitant,
                          reset_url="http://localhost/mot-de-passe/abc", minutes=60, **kwargs)
    db.session.commit()
    return message


def test_queued_email_is_delivered_over_smtp(session, smtp_server, inhabitant, now):
    message = _queue(inhabitant, attachments=[{"filename": "reunion.ics",
                                               "content_type": "text/calendar",
                                               "data": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}])
    counts = deliver_due(now)
    assert counts == {"sent": 1, "retry": 0, "failed": 0}
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == [inhabitant.email]
    content = envelope.content.decode()
    assert "mot-de-passe/abc" in content
    assert "reunion.ics" in content and "text/calendar" in content
    db.session.refresh(message)
    assert message.status == "sent" and message.sent_at == now
    assert deliver_due(now)["sent"] == 0  # never sent twice


def test_email_is_rendered_in_the_recipients_language(session, inhabitant):
    french = _queue(inhabitant)
    english = queue_email(inhabitant.email, "reset_password", "en", user=inhabitant,
                          reset_url="http://x", minutes=60)
    assert french.subject != english.subject
    assert english.subject == "Choose a new password"


def test_a_rolled_back_event_leaves_no_email(session, inhabitant):
    queue_email(inhabitant.email, "reset_password", "fr", user=inhabitant, reset_url="x",
                minutes=60)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_smtp_down_keeps_the_message_and_retries_later(session, smtp_server, closed_port,
                                                       inhabitant, now, app):
    message = _queue(inhabitant)
    assert deliver_due(now) == {"sent": 0, "retry": 1, "failed": 0}
    db.session.refresh(message)
    assert message.status == "pending" and message.attempts == 1
    assert message.next_attempt_at == now + timedelta(minutes=1)
    assert "ConnectionRefused" in message.last_error
    # Not due yet: nothing is tried.
    assert deliver_due(now + timedelta(seconds=30)) == {"sent": 0, "retry": 0, "failed": 0}
    assert deliver_due(now + timedelta(minutes=1))["retry"] == 1
    db.session.refresh(message)
    assert message.next_attempt_at == now + timedelta(minutes=1) + timedelta(minutes=2)
    # The server comes back: the message goes out.
    app.config["MAIL_PORT"] = smtp_server.port
    assert deliver_due(now + timedelta(hours=1))["sent"] == 1
    assert len(smtp_server.envelopes) == 1


def test_after_max_attempts_the_message_is_failed_but_kept(session, closed_port, inhabitant,
                                                           now, app):
    message = _queue(inhabitant)
    message.attempts = app.config["OUTBOX_MAX_ATTEMPTS"] - 1
    db.session.commit()
    assert deliver_due(now)["failed"] == 1
    db.session.refresh(message)
    assert message.status == "failed"
    assert retry_failed() == 1
    db.session.refresh(message)
    assert message.status == "pending" and message.attempts == 0


def test_retry_delay_grows_and_is_capped():
    assert mail.retry_delay(1) == timedelta(minutes=1)
    assert mail.retry_delay(4) == timedelta(minutes=8)
    assert mail.retry_delay(30) == timedelta(hours=6)


def test_a_run_sends_batch_after_batch_until_none_is_due(session, smtp_server, inhabitant):
    """An opening notice to every inhabitant is not held to 200 emails a minute."""
    from participation.core.mail import deliver_for

    for _ in range(450):
        queue_email(inhabitant.email, "reset_password", "fr", user=inhabitant,
                    reset_url="http://localhost/mot-de-passe/abc", minutes=60)
    db.session.commit()
    assert deliver_for(60, batch=200) == {"sent": 450, "retry": 0, "failed": 0}
    assert len(smtp_server.envelopes) == 450
    assert deliver_for(60) == {"sent": 0, "retry": 0, "failed": 0}


def test_a_run_stops_at_its_deadline(session, smtp_server, inhabitant, now):
    import time

    _queue(inhabitant)
    assert deliver_due(now, deadline=time.monotonic() - 1) == {"sent": 0, "retry": 0,
                                                                "failed": 0}
    assert deliver_due(now)["sent"] == 1
