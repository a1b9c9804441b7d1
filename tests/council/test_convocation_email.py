"""Rule 4 end to end through the outbox: each member gets the convocation over a real SMTP
server on 127.0.0.1, with an .ics invitation that icalendar reads back."""

import email
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from participation.core.mail import deliver_due
from participation.council import services
from participation.extensions import db
from tests import factories
from tests.core.test_mail import smtp_server  # noqa: F401 (the aiosmtpd fixture)
from tests.council.conftest import centre, held_meeting, paris


def test_rule_4_each_member_receives_the_convocation_with_its_ics(
        session, smtp_server, council, admin, president, director,  # noqa: F811
        federal_delegate):
    english = factories.staff("director", centre("Matisse"), pseudonym="Dir English",
                              locale="en")
    sent_at = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    meeting = held_meeting(council, admin, paris(2027, 4, 2, 18, 30),
                           place="Centre Matisse, 12 rue Matisse, Calais")
    item = services.add_agenda_item(meeting, title="Séjour des jeunes", presenter="Sophie")
    services.invite_guest(item, name="Claire", organisation="CAF", reason="Aides")
    services.add_agenda_item(meeting, title="Budget commun")
    convocation = services.send_convocation(meeting, admin, sent_at)
    db.session.commit()

    counts = deliver_due(datetime.now(UTC) + timedelta(minutes=1))
    members = {president.email, director.email, federal_delegate.email, english.email}
    assert counts["sent"] == 4 and counts["retry"] == 0
    assert {tuple(e.rcpt_tos) for e in smtp_server.envelopes} == {(m,) for m in members}
    assert {r.email for r in convocation.recipients} == members

    for envelope in smtp_server.envelopes:
        message = email.message_from_bytes(envelope.content)
        body = next(p for p in message.walk() if p.get_content_type() == "text/plain"
                    and not p.get_filename()).get_payload(decode=True).decode()
        assert "1. Séjour des jeunes (Sophie)" in body and "2. Budget commun" in body
        assert f"/conseil/reunions/{meeting.id}" in body
        [attachment] = [p for p in message.walk() if p.get_filename() == "convocation.ics"]
        assert attachment.get_content_type() == "text/calendar"
        calendar = Calendar.from_ical(attachment.get_payload(decode=True))
        [event] = calendar.walk("VEVENT")
        start = event.decoded("dtstart")
        assert start.date() == datetime(2027, 4, 2).date()
        assert (start.hour, start.minute) == (18, 30)
        assert str(start.tzinfo) == "Europe/Paris"
        assert start.utcoffset() == timedelta(hours=2)  # summer time on 2 April
        assert event.decoded("dtend") - start == timedelta(minutes=120)
        assert str(event["location"]) == "Centre Matisse, 12 rue Matisse, Calais"
        assert str(event["uid"]) == convocation.ics_uid
        assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Paris"
        if envelope.rcpt_tos == [english.email]:
            assert message["Subject"].startswith("Convocation: ")
            assert "You are convened" in body
        else:
            assert "Vous êtes convoqué·e" in body


class FailingAfter:
    """An SMTP handler that accepts ``good`` messages, then answers a temporary failure."""

    def __init__(self, good):
        self.good, self.envelopes = good, []

    async def handle_DATA(self, server, session, envelope):
        if len(self.envelopes) >= self.good:
            return "451 Requested action aborted: local error in processing"
        self.envelopes.append(envelope)
        return "250 OK"


def _convene(council, admin):
    meeting = held_meeting(council, admin, paris(2027, 4, 2, 18, 30))
    services.add_agenda_item(meeting, title="Budget commun")
    convocation = services.send_convocation(meeting, admin, datetime(2027, 3, 10, 9, 0,
                                                                     tzinfo=UTC))
    db.session.commit()
    return convocation


def _messages(convocation):
    from participation.core.mail import OutboxMessage

    ids = [r.outbox_message_id for r in convocation.recipients]
    db.session.expire_all()
    return [db.session.get(OutboxMessage, i) for i in ids]


def test_smtp_down_during_a_convocation_loses_nothing_and_delivers_when_back(
        session, app, council, admin, president, director, federal_delegate):
    """The server is stopped when the convocation goes out: every email waits in the
    outbox, retried with a growing delay; the server is started again on the same port
    and each member gets the convocation exactly once."""
    from aiosmtpd.controller import Controller

    from tests.core.test_mail import Recorder, _free_port

    handler, port = Recorder(), _free_port()
    old = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", port
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    server.stop()  # down
    try:
        convocation = _convene(council, admin)
        members = {president.email, director.email, federal_delegate.email}
        assert len(convocation.recipients) == len(members)

        # The timer's `flask outbox send` finds the server down.
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
        assert result.exit_code == 0, result.output
        assert "sent 0, to retry 3, failed 0" in result.output
        first = _messages(convocation)
        assert {m.status for m in first} == {"pending"}
        assert all(m.attempts == 1 and "Connection" in m.last_error for m in first)
        later = max(m.next_attempt_at for m in first)
        assert deliver_due(later - timedelta(seconds=1))["sent"] == 0  # backoff: not yet
        assert deliver_due(later) == {"sent": 0, "retry": 3, "failed": 0}  # still down

        server = Controller(handler, hostname="127.0.0.1", port=port)
        server.start()  # back, same address
        again = max(m.next_attempt_at for m in _messages(convocation))
        assert again - later == timedelta(minutes=2)
        assert deliver_due(again) == {"sent": 3, "retry": 0, "failed": 0}
        assert deliver_due(again + timedelta(hours=7))["sent"] == 0  # never twice
        assert sorted(e.rcpt_tos[0] for e in handler.envelopes) == sorted(members)
        assert {m.status for m in _messages(convocation)} == {"sent"}
    finally:
        server.stop()
        app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = old


def test_smtp_failing_in_the_middle_of_a_convocation_sends_the_rest_later(
        session, app, council, admin, president, director, federal_delegate):
    from aiosmtpd.controller import Controller

    from tests.core.test_mail import _free_port

    handler, port = FailingAfter(good=1), _free_port()
    old = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", port
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        convocation = _convene(council, admin)
        now = datetime.now(UTC) + timedelta(minutes=1)
        assert deliver_due(now) == {"sent": 1, "retry": 2, "failed": 0}
        waiting = [m for m in _messages(convocation) if m.status == "pending"]
        assert len(waiting) == 2 and all("451" in m.last_error for m in waiting)
        handler.good = 3  # the server recovers
        assert deliver_due(now + timedelta(minutes=1)) == {"sent": 2, "retry": 0,
                                                           "failed": 0}
        members = {president.email, director.email, federal_delegate.email}
        assert sorted(e.rcpt_tos[0] for e in handler.envelopes) == sorted(members)
    finally:
        server.stop()
        app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = old
