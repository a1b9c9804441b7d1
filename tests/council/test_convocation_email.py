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
