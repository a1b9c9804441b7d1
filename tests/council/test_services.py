"""The charter's rules for the Conseil, each tested directly on the services, time passed in."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from participation.core.errors import DomainError
from participation.council import services
from participation.council.models import PARIS, Attendance, Decision, Mandate
from participation.extensions import db
from participation.territory.models import Federation
from tests import factories
from tests.council.conftest import centre, held_meeting, paris

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _decision(meeting, by, now, **fields):
    fields.setdefault("title", "Une décision")
    fields.setdefault("text", "Ce qui est décidé, et pourquoi.")
    decision = services.record_decision(meeting, by, now=now, **fields)
    db.session.commit()
    return decision


# --- Rule 1: who sits in the Conseil ------------------------------------------------------

def test_rule_1_conseil_is_presidents_directors_federation_president_and_delegate(
        council, president, director, federal_delegate, federation_president, animator):
    seats = {(m.user.pseudonym, m.seat, m.organisation.short_name)
             for m in services.members_of(council, date(2027, 3, 1))}
    assert seats == {("Prés", "president", "Espace Fort"),
                     ("Dir", "director", "Jacques Yves Cousteau"),
                     ("Prés Fédé", "president", "Fédération"),
                     ("Délégué", "federal_delegate", "Fédération")}
    assert not services.is_member(animator, council, date(2027, 3, 1))


def test_rule_1_collectives_are_the_centres_presidents_and_directors(
        presidents_body, directors_body, president, director, federation_president):
    today = date(2027, 3, 1)
    assert [m.user.pseudonym for m in services.members_of(presidents_body, today)] == ["Prés"]
    assert [m.user.pseudonym for m in services.members_of(directors_body, today)] == ["Dir"]


def test_rule_1_a_representative_sits_for_the_role_holder_and_is_recorded_as_such(
        council, presidents_body, president, admin):
    deputy = factories.UserFactory(pseudonym="Vice-présidente")
    services.name_representative(admin, council, centre("Espace Fort"), "president", deputy,
                                 date(2027, 1, 1), date(2027, 6, 30))
    db.session.commit()
    [seat] = [m for m in services.members_of(council, date(2027, 3, 1))
              if m.organisation.short_name == "Espace Fort" and m.seat == "president"]
    assert seat.user == deputy and seat.represents == [president]
    assert "représentant" in seat.seat_label
    # Only in the body named, and only between its dates.
    assert [m.user for m in services.members_of(presidents_body, date(2027, 3, 1))] == [
        president]
    [after] = [m for m in services.members_of(council, date(2027, 7, 1))
               if m.organisation.short_name == "Espace Fort" and m.seat == "president"]
    assert after.user == president and after.mandate is None


def test_rule_1_the_federal_delegate_sits_in_person(council, admin, federal_delegate):
    federation = db.session.scalar(sa.select(Federation))
    with pytest.raises(DomainError):
        services.name_representative(admin, council, federation, "federal_delegate",
                                     factories.UserFactory(), date(2027, 1, 1), None)


def test_rule_1_a_mandate_ends_before_it_starts_is_refused(council, admin, president):
    with pytest.raises(DomainError, match="fin"):
        services.name_representative(admin, council, centre("Espace Fort"), "president",
                                     factories.UserFactory(), date(2027, 5, 1),
                                     date(2027, 4, 1))


# --- Rule 2: yearly designations ------------------------------------------------------------

@pytest.fixture
def decision_2027(council, admin):
    meeting = held_meeting(council, admin, paris(2027, 1, 12))
    return _decision(meeting, admin, NOW, title="Désignation des animateurs pour 2027")


def test_rule_2_the_conseil_designates_one_president_and_one_director_each_year(
        council, admin, president, director, other_director, decision_2027):
    services.designate(admin, president, "president", 2027, decision_2027, NOW)
    services.designate(admin, director, "director", 2027, decision_2027, NOW)
    db.session.commit()
    runners = services.runners(2027, date(2027, 3, 1))
    assert {(m.user.pseudonym, m.seat) for m in runners} == {("Prés", "president"),
                                                             ("Dir", "director")}
    assert all(m.decision == decision_2027 for m in runners)
    assert runners[0].starts_on == date(2027, 3, 1) and runners[0].ends_on == date(2027, 12, 31)
    with pytest.raises(DomainError, match="déjà"):
        services.designate(admin, other_director, "director", 2027, decision_2027, NOW)
    assert services.is_runner(director, 2027, date(2027, 3, 1))
    assert not services.is_runner(other_director, 2027, date(2027, 3, 1))


def test_rule_2_a_designation_needs_a_conseil_decision_and_a_seat(
        council, presidents_body, admin, director, animator, decision_2027):
    meeting = held_meeting(presidents_body, admin, paris(2027, 1, 15))
    not_the_conseil = _decision(meeting, admin, NOW)
    with pytest.raises(DomainError, match="décision du Conseil"):
        services.designate(admin, director, "director", 2027, not_the_conseil, NOW)
    with pytest.raises(DomainError, match="ne siège pas"):
        services.designate(admin, animator, "director", 2027, decision_2027, NOW)
    with pytest.raises(DomainError):  # a decision of 2027 does not designate for 2029
        services.designate(admin, director, "director", 2029, decision_2027, NOW)


def test_rule_2_runners_stay_until_the_next_designation_and_can_be_ended_early(
        admin, president, director, decision_2027):
    mandate = services.designate(admin, director, "director", 2027, decision_2027, NOW)
    db.session.commit()
    # A January 2028 meeting is convened in December: 2027's runners are still in charge.
    assert services.is_runner(director, 2028, date(2027, 12, 20))
    services.end_mandate(mandate, date(2027, 6, 30))
    db.session.commit()
    assert services.is_runner(director, 2027, date(2027, 6, 30))
    assert not services.is_runner(director, 2027, date(2027, 7, 1))
    # Once ended, another director may be designated.
    assert services.designate(admin, director, "director", 2027, decision_2027,
                              datetime(2027, 7, 2, tzinfo=UTC))


def test_rule_2_can_run_the_conseil_only_the_years_runners_and_admins(
        council, directors_body, admin, president, director, other_director, animator,
        decision_2027):
    services.designate(admin, director, "director", 2027, decision_2027, NOW)
    db.session.commit()
    today = date(2027, 3, 1)
    assert services.can_run(director, council, 2027, today)
    assert services.can_run(admin, council, 2027, today)
    assert not services.can_run(other_director, council, 2027, today)
    assert not services.can_run(president, council, 2027, today)  # not designated
    assert not services.can_run(animator, council, 2027, today)
    # The collectives are run by their own members.
    assert services.can_run(other_director, directors_body, 2027, today)
    assert not services.can_run(president, directors_body, 2027, today)


# --- Rule 3: a meeting each quarter --------------------------------------------------------

def test_rule_3_warns_when_the_quarter_has_no_conseil_meeting(council, directors_body, admin):
    now = datetime(2027, 5, 10, 8, tzinfo=UTC)
    assert services.quarter_without_council_meeting(now) == (2027, 2)
    held_meeting(directors_body, admin, paris(2027, 5, 20))  # not the Conseil
    assert services.quarter_without_council_meeting(now) == (2027, 2)
    cancelled = held_meeting(council, admin, paris(2027, 6, 20))
    services.cancel_meeting(cancelled, now)
    db.session.commit()
    assert services.quarter_without_council_meeting(now) == (2027, 2)
    held_meeting(council, admin, paris(2027, 4, 2))  # held early in the quarter
    assert services.quarter_without_council_meeting(now) is None
    # 1 July 00:30 in Paris is still 30 June in UTC: the new quarter has nothing yet.
    assert services.quarter_without_council_meeting(
        datetime(2027, 6, 30, 22, 30, tzinfo=UTC)) == (2027, 3)


def test_rule_3_a_meeting_on_the_last_evening_of_the_quarter_counts_for_it(council, admin):
    held_meeting(council, admin, paris(2027, 12, 31, 23, 30))  # 22:30 UTC
    assert services.quarter_without_council_meeting(datetime(2027, 11, 1, tzinfo=UTC)) is None


# --- Rule 4: convocation at least 10 full days ahead ----------------------------------------

@pytest.fixture
def meeting_2_april(council, admin, runners_2027):
    """A Conseil meeting on Friday 2 April 2027 at 00:30, just after the spring change."""
    meeting = held_meeting(council, admin, paris(2027, 4, 2, 0, 30))
    services.add_agenda_item(meeting, title="Bilan du trimestre")
    db.session.commit()
    return meeting


@pytest.fixture
def runners_2027(admin, president, director, decision_2027):
    services.designate(admin, president, "president", 2027, decision_2027, NOW)
    services.designate(admin, director, "director", 2027, decision_2027, NOW)
    db.session.commit()
    return president, director


def test_rule_4_last_day_leaves_ten_full_days(meeting_2_april):
    # Neither 22 March (sending) nor 2 April (meeting) counts: 23 March … 1 April.
    assert services.last_day_to_convene(meeting_2_april) == date(2027, 3, 22)


def test_rule_4_convocation_on_the_last_evening_is_accepted_across_the_spring_change(
        meeting_2_april, president):
    # 22 March 23:30 in Paris (CET, UTC+1) is 22:30 UTC.
    last_minute = datetime(2027, 3, 22, 22, 30, tzinfo=UTC)
    convocation = services.send_convocation(meeting_2_april, president, last_minute)
    assert convocation.sent_at == last_minute


def test_rule_4_convocation_after_midnight_is_refused_with_the_last_day(meeting_2_april,
                                                                          president):
    # 23 March 00:10 in Paris is still 22 March in UTC: Paris days are what count.
    too_late = datetime(2027, 3, 22, 23, 10, tzinfo=UTC)
    with pytest.raises(DomainError) as refused:
        services.send_convocation(meeting_2_april, president, too_late)
    assert "lundi 22 mars 2027" in str(refused.value.message)
    assert "10 jours francs" in str(refused.value.message)
    assert meeting_2_april.convocation is None


def test_rule_4_boundaries_across_the_autumn_change(council, admin, president, runners_2027):
    # Clocks go back on 31 October 2027; a meeting on 2 November at 9:00.
    meeting = held_meeting(council, admin, paris(2027, 11, 2, 9, 0))
    services.add_agenda_item(meeting, title="Budget")
    db.session.commit()
    assert services.last_day_to_convene(meeting) == date(2027, 10, 22)
    # 23 October 00:00 in Paris (CEST, UTC+2) is 22 October 22:00 UTC: refused.
    with pytest.raises(DomainError, match="vendredi 22 octobre 2027"):
        services.send_convocation(meeting, president, datetime(2027, 10, 22, 22, 0, tzinfo=UTC))
    db.session.rollback()
    # 22 October 23:59 in Paris: accepted.
    assert services.send_convocation(meeting, president,
                                     datetime(2027, 10, 22, 21, 59, tzinfo=UTC))


def test_rule_4_nine_days_refused_twelve_accepted(council, admin, president, runners_2027):
    now = datetime(2027, 5, 3, 8, tzinfo=UTC)
    meeting = held_meeting(council, admin, paris(2027, 5, 12))
    services.add_agenda_item(meeting, title="Point unique")
    db.session.commit()
    with pytest.raises(DomainError):
        services.send_convocation(meeting, president, now)
    db.session.rollback()
    services.update_meeting(meeting, starts_at=paris(2027, 5, 15), place=meeting.place,
                            duration_minutes=120, minutes_visibility="public")
    assert services.send_convocation(meeting, president, now)


def test_rule_4_convocation_needs_an_agenda_and_goes_out_once(council, admin, president,
                                                             director, runners_2027, outbox):
    meeting = held_meeting(council, admin, paris(2027, 6, 1))
    with pytest.raises(DomainError, match="ordre du jour"):
        services.send_convocation(meeting, president, NOW)
    services.add_agenda_item(meeting, title="Point")
    convocation = services.send_convocation(meeting, president, NOW)
    db.session.commit()
    assert {r.user for r in convocation.recipients} == {president, director}
    assert {m.recipient for m in outbox()} == {president.email, director.email}
    assert all(r.outbox_message_id for r in convocation.recipients)
    with pytest.raises(DomainError, match="déjà"):
        services.send_convocation(meeting, president, NOW)
    # The agenda and the date no longer change once sent.
    with pytest.raises(DomainError):
        services.add_agenda_item(meeting, title="Ajout tardif")
    with pytest.raises(DomainError):
        services.update_meeting(meeting, starts_at=paris(2027, 6, 2), place=meeting.place,
                                duration_minutes=120, minutes_visibility="public")


def test_a_member_convened_can_still_delete_their_account(council, admin, president,
                                                          director, runners_2027, outbox):
    """The pending convocation email goes with the address; the record of it stays."""
    from participation.accounts.services import delete_account
    from tests.factories import PASSWORD

    meeting = held_meeting(council, admin, paris(2027, 6, 1))
    services.add_agenda_item(meeting, title="Point")
    convocation = services.send_convocation(meeting, president, NOW)
    db.session.commit()
    delete_account(director, PASSWORD, NOW)
    db.session.commit()
    assert director.email not in {m.recipient for m in outbox()}
    db.session.refresh(convocation)
    kept = {r.user_id: r.outbox_message_id for r in convocation.recipients}
    assert kept[director.id] is None and kept[president.id] is not None
    assert {r.user_id: r.email for r in convocation.recipients}[director.id] == ""


def test_rule_4_members_answer_present_excused_or_represented(council, admin, president,
                                                             director, runners_2027,
                                                             animator):
    meeting = held_meeting(council, admin, paris(2027, 6, 1))
    services.add_agenda_item(meeting, title="Point")
    services.send_convocation(meeting, president, NOW)
    db.session.commit()
    with pytest.raises(DomainError, match="qui vous représente"):
        services.answer_convocation(meeting, director, "represented", "", NOW)
    answer = services.answer_convocation(meeting, director, "represented", "Julie, adjointe",
                                         NOW)
    assert answer.answer == "represented" and answer.represented_by == "Julie, adjointe"
    services.answer_convocation(meeting, director, "excused", "Julie", NOW)
    assert answer.represented_by is None
    with pytest.raises(DomainError, match="pas été convoqué"):
        services.answer_convocation(meeting, animator, "present", None, NOW)
    with pytest.raises(DomainError):
        services.answer_convocation(meeting, director, "present", None,
                                    datetime(2027, 6, 2, tzinfo=UTC))


def test_rule_4_cancelling_a_convened_meeting_tells_the_members(council, admin, president,
                                                              director, runners_2027, outbox):
    meeting = held_meeting(council, admin, paris(2027, 6, 1))
    services.add_agenda_item(meeting, title="Point")
    services.send_convocation(meeting, president, NOW)
    services.cancel_meeting(meeting, NOW)
    db.session.commit()
    subjects = [m.subject for m in outbox(director.email)]
    assert subjects[0].startswith("Convocation") and subjects[1].startswith("Annulée")


# --- Rule 5: guests ----------------------------------------------------------------------------

def test_rule_5_a_guest_is_recorded_for_an_item_and_gets_no_vote(council, admin, president,
                                                                 director, runners_2027):
    meeting = held_meeting(council, admin, paris(2027, 6, 1))
    item = services.add_agenda_item(meeting, title="Aides de la CAF")
    guest = services.invite_guest(item, name="Claire Dumont", organisation="CAF",
                                  reason="Présente les aides aux vacances.")
    services.send_convocation(meeting, president, NOW)
    db.session.commit()
    assert item.guests == [guest]
    recipients = {r.user.pseudonym for r in meeting.convocation.recipients}
    assert "Claire Dumont" not in recipients
    attendance = db.session.scalars(sa.select(Attendance)
                                    .where(Attendance.meeting_id == meeting.id)).all()
    assert {a.user for a in attendance} == {president, director}
    with pytest.raises(DomainError, match="pourquoi"):
        services.invite_guest(item, name="Sans raison", organisation=None, reason=" ")


# --- Decisions: numbering, rule 6 and rule 7 --------------------------------------------------

def test_decisions_are_numbered_per_body_and_year(council, directors_body, admin):
    january = held_meeting(council, admin, paris(2027, 1, 12))
    first = _decision(january, admin, NOW)
    second = _decision(january, admin, NOW)
    other_body = held_meeting(directors_body, admin, paris(2027, 1, 13))
    sheet = factories.action_sheet(admin)
    validated = _decision(january, admin, NOW, validates_action_sheet_id=sheet.id)
    in_directors = _decision(other_body, admin, NOW, action_sheet_id=sheet.id)
    next_year = held_meeting(council, admin, paris(2028, 1, 10))
    later = _decision(next_year, admin, datetime(2028, 1, 10, 20, tzinfo=UTC))
    assert [first.reference, second.reference, validated.reference] == [
        "2027-001", "2027-002", "2027-003"]
    assert in_directors.reference == "2027-001"
    assert later.reference == "2028-001"


def test_decision_numbers_are_unique_in_the_database(council, admin):
    meeting = held_meeting(council, admin, paris(2027, 1, 12))
    decision = _decision(meeting, admin, NOW)
    savepoint = db.session.begin_nested()
    db.session.add(Decision(body=council, meeting=meeting, year=2027,
                            number=decision.number, title="Doublon", text="x"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    savepoint.rollback()


def test_decisions_are_recorded_from_the_day_of_the_meeting(council, admin):
    meeting = held_meeting(council, admin, paris(2027, 4, 2, 18))
    with pytest.raises(DomainError, match="jour de la réunion"):
        services.record_decision(meeting, admin, title="Trop tôt", text="x",
                                 now=datetime(2027, 4, 1, 21, tzinfo=UTC))
    # The morning of the meeting day, in Paris, is allowed.
    assert services.record_decision(meeting, admin, title="Le jour même", text="x",
                                    now=datetime(2027, 4, 1, 22, 30, tzinfo=UTC))


def test_rule_6_directors_decision_without_a_validated_fiche_action_is_refused(
        council, directors_body, admin):
    meeting = held_meeting(directors_body, admin, paris(2027, 1, 13))
    with pytest.raises(DomainError, match="validée par le Conseil") as refused:
        services.record_decision(meeting, admin, title="Achat d'un minibus", text="x",
                                 now=NOW)
    assert refused.value.field == "action_sheet_id"
    submitted = factories.action_sheet(admin)  # submitted, not validated
    with pytest.raises(DomainError, match="validée par le Conseil"):
        services.record_decision(meeting, admin, title="Achat", text="x",
                                 action_sheet_id=submitted.id, now=NOW)
    with pytest.raises(DomainError, match="n° 999"):  # no such fiche
        services.record_decision(meeting, admin, title="Achat", text="x",
                                 action_sheet_id=999, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0


def test_rule_6_directors_decision_within_a_fiche_the_conseil_validated_is_accepted(
        council, directors_body, admin):
    conseil = held_meeting(council, admin, paris(2027, 1, 12))
    sheet = factories.action_sheet(admin)
    _decision(conseil, admin, NOW, title="Validation de la fiche action",
              validates_action_sheet_id=sheet.id)
    assert services.validated_action_sheet_ids() == {sheet.id}
    meeting = held_meeting(directors_body, admin, paris(2027, 1, 13))
    decision = _decision(meeting, admin, NOW, action_sheet_id=sheet.id)
    assert decision.action_sheet_id == sheet.id
    services.check_directors_decision(decision)  # passes


def test_rule_7_only_the_conseil_validates_a_fiche_action(presidents_body, directors_body,
                                                          admin):
    meeting = held_meeting(presidents_body, admin, paris(2027, 1, 13))
    sheet = factories.action_sheet(admin)
    with pytest.raises(DomainError, match="Seul le Conseil"):
        services.record_decision(meeting, admin, title="x", text="x",
                                 validates_action_sheet_id=sheet.id, now=NOW)
    assert sheet.id not in services.validated_action_sheet_ids()


def test_decision_links_to_what_it_concerns(council, admin):
    from participation.council.queries import decisions_linking

    meeting = held_meeting(council, admin, paris(2027, 1, 12))
    decision = _decision(meeting, admin, NOW, links={"proposal": [12, 12, 3],
                                                     "consultation": [2]})
    assert [(link.kind, link.target_id) for link in decision.links] == [
        ("proposal", 3), ("proposal", 12), ("consultation", 2)]
    assert decisions_linking("proposal", 12) == []  # not published yet
    services.publish_decisions(meeting, NOW)
    assert decisions_linking("proposal", 12) == [decision]


# --- Minutes -----------------------------------------------------------------------------------

def test_minutes_are_written_published_and_approved_at_the_next_meeting(council, admin):
    first = held_meeting(council, admin, paris(2027, 1, 12))
    second = held_meeting(council, admin, paris(2027, 3, 15))
    with pytest.raises(DomainError, match="publié"):
        services.approve_previous_minutes(second, datetime(2027, 3, 15, 18, tzinfo=UTC))
    minutes = services.save_minutes(first, admin, "Compte rendu.", "members", NOW)
    assert first.minutes_visibility == "members"
    services.publish_minutes(first, NOW)
    with pytest.raises(DomainError, match="jour de la réunion"):
        services.approve_previous_minutes(second, NOW)
    services.approve_previous_minutes(second, datetime(2027, 3, 15, 18, tzinfo=UTC))
    db.session.commit()
    assert minutes.approved_in_meeting == second
    with pytest.raises(DomainError, match="approuvé"):
        services.save_minutes(first, admin, "Réécrit", "public", NOW)


def test_attendance_is_recorded_on_the_day(council, admin, president, director):
    meeting = held_meeting(council, admin, paris(2027, 1, 12))
    with pytest.raises(DomainError):
        services.record_attendance(meeting, {president.id}, datetime(2027, 1, 10, tzinfo=UTC))
    services.record_attendance(meeting, {president.id}, NOW)
    db.session.commit()
    rows = {a.user.pseudonym: a.attended for a in services.list_attendance(meeting, NOW)}
    assert rows == {"Prés": True, "Dir": False}


def test_personal_data_lists_mandates_and_answers(admin, director, decision_2027):
    from participation.core import personal_data

    services.designate(admin, director, "director", 2027, decision_2027, NOW)
    db.session.commit()
    data = personal_data.export(director)["council"]
    assert data["mandates"][0]["kind"] == "designation"
    assert data["mandates"][0]["year"] == 2027


def test_mandate_kinds_are_constrained_in_the_database(council, president, admin):
    savepoint = db.session.begin_nested()
    db.session.add(Mandate(kind="designation", body=council, user=president,
                           organisation=centre("Espace Fort"), seat="president",
                           starts_on=date(2027, 1, 1)))  # no year, no decision
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    savepoint.rollback()


def test_ics_carries_the_paris_time_zone(council, admin):
    from icalendar import Calendar

    meeting = held_meeting(council, admin, paris(2027, 4, 2, 0, 30))
    services.add_agenda_item(meeting, title="Bilan")
    calendar = Calendar.from_ical(services.build_ics(meeting, "uid@test", NOW))
    [event] = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == datetime(2027, 4, 2, 0, 30, tzinfo=PARIS)
    assert str(start.tzinfo) == "Europe/Paris"
    assert start.utcoffset() == timedelta(hours=2)
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Paris"


def test_mandates_are_logged_and_end_when_the_account_is_deleted(council, admin, president):
    from participation.accounts.services import delete_account
    from participation.core.audit import AuditEntry
    from participation.core.models import utcnow
    from tests.factories import PASSWORD

    deputy = factories.UserFactory(pseudonym="Adjoint")
    today = services.paris_today(utcnow())
    mandate = services.name_representative(admin, council, centre("Espace Fort"), "president",
                                           deputy, today - timedelta(days=10), None)
    db.session.commit()
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "council.representative_named" and entry.subject == deputy
    delete_account(deputy, PASSWORD, utcnow())
    db.session.commit()
    assert mandate.ends_on == today
    tomorrow = today + timedelta(days=1)
    assert [m.user for m in services.members_of(council, tomorrow)
            if m.seat == "president" and m.organisation.short_name == "Espace Fort"] == [
        president]
