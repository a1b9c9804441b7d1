"""The rules of the charter for the Conseil and its collectives (rules 1 to 6).

Services flush and never commit; the view, CLI or demo loader commits once.
They raise ``DomainError`` with a message for the person. Dates that rules
depend on are Europe/Paris calendar dates computed from ``now``, which every
rule takes as an argument.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager

from participation.accounts.models import Role, User
from participation.core import audit, personal_data
from participation.core.errors import DomainError
from participation.core.mail import queue_email
from participation.core.text import clean_line
from participation.council.models import (
    ANSWERS,
    COUNCIL,
    DESIGNATION,
    DIRECTORS,
    LINK_KINDS,
    PARIS,
    REPRESENTABLE_ROLES,
    REPRESENTATIVE,
    SEATS,
    AgendaItem,
    Attendance,
    Body,
    Convocation,
    ConvocationRecipient,
    Decision,
    Guest,
    Link,
    Mandate,
    Meeting,
    Minutes,
)
from participation.extensions import db
from participation.territory.models import Organisation

# Rule 4: at least this many full days between the day a convocation is sent and
# the day of the meeting (neither counted), in Paris calendar days.
CONVOCATION_FULL_DAYS = 10


def paris_today(now: datetime) -> date:
    """The calendar date in Calais at ``now``: every date rule counts in these days."""
    return now.astimezone(PARIS).date()


def get_body(kind: str) -> Body:
    return db.session.scalar(sa.select(Body).where(Body.kind == kind))


def list_bodies() -> list[Body]:
    order = sa.case({COUNCIL: 0, "presidents": 1, DIRECTORS: 2}, value=Body.kind)
    return list(db.session.scalars(sa.select(Body).order_by(order)))


# --- Members (rule 1) -----------------------------------------------------------------------

@dataclass
class Member:
    """Someone who sits in a body today, on which seat, and for whom.

    ``represents`` lists the role holders a representative sits for (empty
    when the role holder sits in person); ``mandate`` is the representative's.
    """

    user: User
    organisation: Organisation
    seat: str
    represents: list[User]
    mandate: Mandate | None = None

    @property
    def seat_label(self) -> str:
        from participation.accounts.models import ROLE_KINDS

        label = f"{ROLE_KINDS[self.seat]} · {self.organisation.short_name}"
        if self.mandate is not None:
            label = str(_l("representative of the %(seat)s", seat=label))
        return label


def members_of(body: Body, today: date) -> list[Member]:
    """Who sits in ``body`` on ``today`` (rule 1), in a fixed order.

    For each seat of the body (a role on a centre or on the federation), the
    representatives whose mandate runs today sit in place of the role holder;
    otherwise the role holders sit themselves. A seat nobody holds is left out.
    Three queries, whatever the number of people; kept for the rest of a request.
    """
    if has_request_context():
        cache = g.setdefault("council_members", {})
        key = (body.id, today)
        if key not in cache:
            cache[key] = _members_of(body, today)
        return cache[key]
    return _members_of(body, today)


def _members_of(body: Body, today: date) -> list[Member]:
    seats = SEATS[body.kind]
    organisations = db.session.scalars(
        sa.select(Organisation).where(Organisation.kind.in_({k for k, _ in seats}))
        .order_by(Organisation.kind, Organisation.short_name)).all()
    roles = db.session.scalars(
        sa.select(Role).join(Role.user).options(contains_eager(Role.user))
        .where(Role.kind.in_({r for _, r in seats}), User.deleted_at.is_(None))
        .order_by(Role.id)).all()
    mandates = db.session.scalars(
        sa.select(Mandate).where(Mandate.kind == REPRESENTATIVE, Mandate.body_id == body.id,
                                 Mandate.starts_on <= today,
                                 sa.or_(Mandate.ends_on.is_(None), Mandate.ends_on >= today))
        .order_by(Mandate.starts_on, Mandate.id)).all()
    members = []
    for organisation in organisations:
        for kind, role in seats:
            if organisation.kind != kind:
                continue
            holders = [r.user for r in roles
                       if r.organisation_id == organisation.id and r.kind == role]
            representatives = [m for m in mandates
                               if m.organisation_id == organisation.id and m.seat == role]
            if representatives:
                members.extend(Member(m.user, organisation, role, holders, m)
                               for m in representatives)
            else:
                members.extend(Member(u, organisation, role, []) for u in holders)
    return members


def is_member(user, body: Body, today: date) -> bool:
    return bool(user.is_authenticated) and any(
        m.user.id == user.id for m in members_of(body, today))


def bodies_of(user, today: date) -> list[Body]:
    """The bodies where ``user`` sits today."""
    return [body for body in list_bodies() if is_member(user, body, today)]


def name_representative(recorder: User, body: Body, organisation: Organisation, seat: str,
                        user: User, starts_on: date, ends_on: date | None) -> Mandate:
    """Record that ``user`` sits in ``body`` for the ``seat`` of ``organisation``.

    Rule 1: presidents and directors (of a centre; the federation's president
    too) may be represented, and the representative is recorded as such. The
    federal delegate sits in person.
    """
    if seat not in REPRESENTABLE_ROLES or (organisation.kind, seat) not in SEATS[body.kind]:
        raise DomainError(_l("This seat does not sit in this body, or cannot be represented."),
                          "seat")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_l("The end date must come after the start date."), "ends_on")
    if not user.is_active:
        raise DomainError(_l("Nobody has this email or pseudonym."), "person")
    mandate = Mandate(kind=REPRESENTATIVE, body=body, user=user, organisation=organisation,
                      seat=seat, starts_on=starts_on, ends_on=ends_on, recorded_by=recorder)
    db.session.add(mandate)
    db.session.flush()
    audit.record(recorder, "council.representative_named", user, body=body.kind,
                 organisation=organisation.name, seat=seat, starts_on=starts_on.isoformat())
    return mandate


def end_mandate(mandate: Mandate, ends_on: date, by: User | None = None) -> None:
    """End a representative's mandate or a designation on ``ends_on`` (inclusive)."""
    if ends_on < mandate.starts_on:
        ends_on = mandate.starts_on
    if mandate.ends_on is None or ends_on < mandate.ends_on:
        mandate.ends_on = ends_on
    db.session.flush()
    if by is not None:
        audit.record(by, "council.mandate_ended", mandate.user, kind=mandate.kind,
                     ends_on=mandate.ends_on.isoformat())


# --- Yearly designations (rule 2) ----------------------------------------------------------

def designations(year: int) -> list[Mandate]:
    return list(db.session.scalars(
        sa.select(Mandate).where(Mandate.kind == DESIGNATION, Mandate.year == year)
        .order_by(Mandate.seat.desc(), Mandate.starts_on, Mandate.id)))


def runners(year: int, today: date) -> list[Mandate]:
    """The designations that run the Conseil's business for meetings of ``year``.

    Rule 2: the president and the director the Conseil designated for that
    year, unless their designation was ended early. Until the Conseil has
    designated anyone for a year (a January meeting is convened in December),
    the previous year's runners stay in charge.
    """
    current = [m for m in designations(year) if not m.ended_early(today)]
    if current:
        return current
    return [m for m in designations(year - 1) if not m.ended_early(today)]


def is_runner(user, year: int, today: date) -> bool:
    return bool(user.is_authenticated) and any(m.user_id == user.id
                                               for m in runners(year, today))


def designate(recorder: User, user: User, seat: str, year: int, decision: Decision,
              now: datetime) -> Mandate:
    """Record that the Conseil designated ``user`` to run it for ``year`` (rule 2).

    The designation is recorded with the Conseil decision that made it, taken
    that year or the year before; the person sits in the Conseil as a
    president (for the president's designation) or director. One president
    and one director per year: a new one is refused until the current one is
    ended.
    """
    today = paris_today(now)
    if seat not in ("president", "director"):
        raise DomainError(_l("Choose president or director."), "seat")
    if decision is None or not decision.body.is_council or decision.year not in (year,
                                                                                  year - 1):
        raise DomainError(_l("Choose the Conseil decision that made this designation, taken "
                             "this year or the year before."), "decision")
    council = get_body(COUNCIL)
    seat_of = next((m for m in members_of(council, today)
                    if m.user.id == user.id and m.seat == seat), None)
    if seat_of is None:
        raise DomainError(_l("This person does not sit in the Conseil as a %(seat)s.",
                             seat=_seat_name(seat)), "person")
    if any(m.seat == seat and not m.ended_early(today) for m in designations(year)):
        raise DomainError(_l("A %(seat)s is already designated for %(year)s: end that "
                             "designation first.", seat=_seat_name(seat), year=year), "seat")
    mandate = Mandate(kind=DESIGNATION, body=council, user=user,
                      organisation=seat_of.organisation, seat=seat, year=year,
                      starts_on=max(date(year, 1, 1), min(today, date(year, 12, 31))),
                      ends_on=date(year, 12, 31), decision=decision, recorded_by=recorder)
    db.session.add(mandate)
    db.session.flush()
    audit.record(recorder, "council.designation_recorded", user, year=year, seat=seat,
                 decision=decision.reference)
    return mandate


def _seat_name(seat: str) -> str:
    from participation.accounts.models import ROLE_KINDS

    return str(ROLE_KINDS[seat])


def can_run(user, body: Body, year: int, today: date) -> bool:
    """Whether ``user`` runs ``body``'s business for meetings of ``year`` on ``today``.

    The Conseil: its runners for that year (rule 2) and administrators. A
    collective: its own members and administrators.
    """
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    if body.is_council:
        return is_runner(user, year, today)
    return is_member(user, body, today)


# --- Meetings, agenda, guests (rules 3 and 5) ----------------------------------------------

def _check_meeting_fields(starts_at: datetime, place: str) -> str:
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    place = clean_line(place)
    if not place:
        raise DomainError(_l("Say where the meeting takes place."), "place")
    return place


def plan_meeting(body: Body, creator: User, *, starts_at: datetime, place: str,
                 duration_minutes: int = 120, minutes_visibility: str = "public") -> Meeting:
    """Plan a meeting of ``body``. There is no fixed place: each meeting names its own."""
    place = _check_meeting_fields(starts_at, place)
    meeting = Meeting(body=body, starts_at=starts_at, place=place,
                      duration_minutes=duration_minutes, minutes_visibility=minutes_visibility,
                      created_by=creator)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def update_meeting(meeting: Meeting, *, starts_at: datetime, place: str, duration_minutes: int,
                   minutes_visibility: str) -> None:
    """Change a meeting. Once convened, its date, time and place stay as sent."""
    place = _check_meeting_fields(starts_at, place)
    if meeting.convened and (starts_at != meeting.starts_at or place != meeting.place
                             or duration_minutes != meeting.duration_minutes):
        raise DomainError(_l("The convocation has gone out: the date, time and place can no "
                             "longer change. Cancel this meeting and plan a new one."),
                          "starts_at")
    meeting.starts_at, meeting.place = starts_at, place
    meeting.duration_minutes = duration_minutes
    meeting.minutes_visibility = minutes_visibility
    db.session.flush()


def cancel_meeting(meeting: Meeting, now: datetime) -> None:
    """Cancel a meeting that has not taken place; its members are told if it was convened."""
    if meeting.is_past(now):
        raise DomainError(_l("This meeting has already taken place."))
    if meeting.cancelled_at is None:
        meeting.cancelled_at = now
        if meeting.convocation is not None:
            for recipient in meeting.convocation.recipients:
                queue_email(recipient.email, "council_cancelled", recipient.user.locale,
                            meeting=meeting, user=recipient.user)
    db.session.flush()


def _links(owner: dict, links: dict[str, list[int]] | None) -> list[Link]:
    result = []
    for kind, ids in (links or {}).items():
        if kind not in LINK_KINDS:
            raise ValueError(f"unknown link kind {kind!r}")
        result.extend(Link(kind=kind, target_id=target, **owner) for target in sorted(set(ids)))
    return result


def _check_agenda_open(meeting: Meeting) -> None:
    if meeting.cancelled_at is not None:
        raise DomainError(_l("This meeting is cancelled."))
    if meeting.convened:
        raise DomainError(_l("The convocation has gone out with this agenda: it can no longer "
                             "change. Add the item to the next meeting."))


def add_agenda_item(meeting: Meeting, *, title: str, text: str | None = None,
                    presenter: str | None = None,
                    links: dict[str, list[int]] | None = None) -> AgendaItem:
    """Add an item at the end of the agenda, before the convocation goes out."""
    _check_agenda_open(meeting)
    title = clean_line(title)
    if not title:
        raise DomainError(_l("Give the item a title."), "title")
    position = (db.session.scalar(sa.select(sa.func.max(AgendaItem.position))
                                  .where(AgendaItem.meeting_id == meeting.id)) or 0) + 1
    item = AgendaItem(meeting=meeting, position=position, title=title,
                      text=(text or "").strip() or None,
                      presenter=clean_line(presenter) or None)
    db.session.add(item)
    db.session.flush()
    item.links.extend(_links({"agenda_item_id": item.id}, links))
    db.session.flush()
    return item


def remove_agenda_item(item: AgendaItem) -> None:
    _check_agenda_open(item.meeting)
    if db.session.scalar(sa.select(sa.func.count()).select_from(Decision)
                         .where(Decision.agenda_item_id == item.id)):
        raise DomainError(_l("A decision was recorded on this item: it stays on the agenda."))
    db.session.delete(item)
    db.session.flush()


def invite_guest(item: AgendaItem, *, name: str, organisation: str | None,
                 reason: str) -> Guest:
    """Rule 5: the Conseil may invite anyone for an agenda item; a guest has no vote."""
    if item.meeting.cancelled_at is not None:
        raise DomainError(_l("This meeting is cancelled."))
    name, reason = clean_line(name), clean_line(reason)
    if not name:
        raise DomainError(_l("Give the guest's name."), "name")
    if not reason:
        raise DomainError(_l("Say why this person is invited."), "reason")
    guest = Guest(item=item, name=name, organisation=clean_line(organisation) or None,
                  reason=reason)
    db.session.add(guest)
    db.session.flush()
    return guest


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    """The first instant of a quarter and of the next one, in Paris, as aware datetimes."""
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=PARIS)
    end = (datetime(year + 1, 1, 1, tzinfo=PARIS) if quarter == 4
           else datetime(year, 3 * quarter + 1, 1, tzinfo=PARIS))
    return start, end


def quarter_without_council_meeting(now: datetime) -> tuple[int, int] | None:
    """Rule 3: the current quarter (year, number) when it has no Conseil meeting held or
    planned (cancelled ones do not count); None when it has one."""
    year, quarter = quarter_of(paris_today(now))
    start, end = quarter_bounds(year, quarter)
    council = sa.select(Body.id).where(Body.kind == COUNCIL).scalar_subquery()
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Meeting)
        .where(Meeting.body_id == council, Meeting.cancelled_at.is_(None),
               Meeting.starts_at >= start, Meeting.starts_at < end))
    return None if count else (year, quarter)


# --- Convocations (rule 4) -----------------------------------------------------------------

def last_day_to_convene(meeting: Meeting) -> date:
    """The last Paris calendar day on which the convocation may go out.

    Rule 4 asks for 10 full days between sending and meeting: neither the day
    it is sent nor the day of the meeting counts. A meeting on Friday 2 April
    is convened on 22 March at the latest.
    """
    return meeting.local_start.date() - timedelta(days=CONVOCATION_FULL_DAYS + 1)


def build_ics(meeting: Meeting, uid: str, now: datetime) -> bytes:
    """The meeting as an iCalendar invitation, in Europe/Paris time with its VTIMEZONE."""
    from icalendar import Calendar, Event

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        summary = f"{meeting.body.name} – {format_date(meeting.local_start, 'long')}"
        description = "\n".join(f"{item.position}. {item.title}" for item in meeting.items)
    calendar = Calendar()
    calendar.add("prodid", "-//Participation Calaisis//Conseil//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", meeting.local_start)
    event.add("dtend", meeting.local_start + timedelta(minutes=meeting.duration_minutes))
    event.add("summary", summary)
    event.add("location", meeting.place)
    event.add("description", description)
    event.add("sequence", 0)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def send_convocation(meeting: Meeting, sender: User, now: datetime) -> Convocation:
    """Send the convocation, with the agenda and an .ics invitation, to every member.

    Rule 4: refused when the meeting is less than 10 full days away (Paris
    calendar days), with the last day it could have gone out. Also refused
    for a cancelled meeting, one already convened, or one without an agenda.
    Each email goes through the outbox in this transaction; the convocation
    records when it went, by whom and to whom (members without an email are
    listed by the caller from ``members_of``).
    """
    # Two runners sending at once: the meeting's row is locked, then read afresh, so the
    # second one is told it has gone out (instead of a unique-constraint error).
    db.session.execute(sa.select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
    db.session.refresh(meeting, ["cancelled_at", "convocation"])
    if meeting.cancelled_at is not None:
        raise DomainError(_l("This meeting is cancelled."))
    if meeting.convened:
        raise DomainError(_l("The convocation to this meeting has already gone out."))
    last_day = last_day_to_convene(meeting)
    if paris_today(now) > last_day:
        raise DomainError(_l(
            "Too late: the charter asks for the convocation at least 10 full days before the "
            "meeting. For this meeting it had to go out by %(date)s at the latest. Move the "
            "meeting to a later date, then send the convocation.",
            date=format_date(last_day, "full")))
    if not meeting.items:
        raise DomainError(_l("Add at least one item to the agenda: the convocation carries "
                             "it."))
    members = [m for m in members_of(meeting.body, paris_today(now)) if m.user.email]
    if not members:
        raise DomainError(_l("Nobody with an email sits in this body yet."))
    uid = f"{uuid.uuid4()}@participation-calaisis"
    convocation = Convocation(meeting=meeting, sent_at=now, sent_by=sender, ics_uid=uid)
    db.session.add(convocation)
    ics = build_ics(meeting, uid, now)
    from participation.core.http import external_url

    url = external_url("council.meeting", meeting_id=meeting.id)
    seen = set()
    for member in members:
        if member.user.id in seen:  # one person on two seats gets one email
            continue
        seen.add(member.user.id)
        locale = member.user.locale
        with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            seat = member.seat_label
            when = format_datetime(meeting.starts_at, "full")
        message = queue_email(
            member.user.email, "council_convocation", locale,
            attachments=[{"filename": "convocation.ics", "content_type": "text/calendar",
                          "data": ics}],
            meeting=meeting, user=member.user, seat=seat, when=when, url=url)
        convocation.recipients.append(ConvocationRecipient(
            user=member.user, email=member.user.email, seat=seat,
            outbox_message_id=message.id))
        db.session.add(Attendance(meeting=meeting, user=member.user))
    db.session.flush()
    return convocation


def answer_convocation(meeting: Meeting, user: User, answer: str,
                       represented_by: str | None, now: datetime) -> Attendance:
    """A convened member answers: present, excused, or represented by someone named."""
    attendance = db.session.scalar(sa.select(Attendance).where(
        Attendance.meeting_id == meeting.id, Attendance.user_id == user.id))
    if attendance is None:
        raise DomainError(_l("You were not convened to this meeting."))
    if meeting.is_past(now) or meeting.cancelled_at is not None:
        raise DomainError(_l("This meeting can no longer be answered."))
    if answer not in ANSWERS:
        raise DomainError(_l("Choose an answer."), "answer")
    represented_by = clean_line(represented_by) or None
    if answer == "represented" and not represented_by:
        raise DomainError(_l("Say who represents you."), "represented_by")
    attendance.answer = answer
    attendance.represented_by = represented_by if answer == "represented" else None
    attendance.answered_at = now
    db.session.flush()
    return attendance


def list_attendance(meeting: Meeting, now: datetime) -> list[Attendance]:
    """Who was convened (or, for a meeting never convened, who sits on its day)."""
    rows = list(db.session.scalars(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id)
        .order_by(Attendance.id)))
    if rows or meeting.convened:
        return rows
    day = min(paris_today(now), meeting.local_start.date())
    seen, result = set(), []
    for member in members_of(meeting.body, day):
        if member.user.id not in seen:
            seen.add(member.user.id)
            result.append(Attendance(meeting_id=meeting.id, user=member.user))
    return result


def record_attendance(meeting: Meeting, present_ids: set[int], now: datetime) -> None:
    """Record who attended, once the meeting's day has come."""
    if paris_today(now) < meeting.local_start.date():
        raise DomainError(_l("Attendance is recorded on the day of the meeting or after."))
    for attendance in list_attendance(meeting, now):
        if attendance.id is None:
            db.session.add(attendance)
        attendance.attended = attendance.user.id in present_ids
    db.session.flush()


# --- Decisions (rules 6 and 7) -------------------------------------------------------------

def validated_action_sheet_ids() -> set[int]:
    """The fiches action a recorded Conseil decision validated and that are not over
    (validated or in progress): the fiche's own status, kept by
    ``participation.actions.services.validate_by_decision``."""
    from participation.actions.services import active_sheet_ids

    return active_sheet_ids()


def check_directors_decision(decision: Decision) -> None:
    """Rule 6: the directors' collective decides only inside a cooperative action the
    Conseil validated; its decision must name that fiche action, else it is refused."""
    if decision.body.kind != DIRECTORS:
        return
    if decision.action_sheet_id is None or (
            decision.action_sheet_id not in validated_action_sheet_ids()):
        raise DomainError(_l(
            "The charter lets the directors' collective decide only within a cooperative "
            "action the Conseil has validated. Name the fiche action, validated by a Conseil "
            "decision, that this decision carries out."), "action_sheet_id")


def _next_number(body: Body, year: int) -> int:
    return (db.session.scalar(sa.select(sa.func.max(Decision.number))
                              .where(Decision.body_id == body.id, Decision.year == year))
            or 0) + 1


def record_decision(meeting: Meeting, recorder: User, *, title: str, text: str,
                    votes_for: int = 0, votes_against: int = 0, votes_abstaining: int = 0,
                    agenda_item: AgendaItem | None = None, action_sheet_id: int | None = None,
                    validates_action_sheet_id: int | None = None,
                    links: dict[str, list[int]] | None = None, now: datetime) -> Decision:
    """Record a decision taken in ``meeting``, numbered next in its body and year.

    Recorded from the day of the meeting. Rule 6 is checked for the directors'
    collective; only the Conseil validates a fiche action (rule 7), and a Conseil
    decision naming it in ``validates_action_sheet_id`` makes the submitted fiche
    validated in the same transaction (refused if it was not submitted). The number
    is unique per body and year in the database too: two people recording at
    once get consecutive numbers.
    """
    if meeting.cancelled_at is not None:
        raise DomainError(_l("This meeting is cancelled."))
    if paris_today(now) < meeting.local_start.date():
        raise DomainError(_l("Decisions are recorded on the day of the meeting or after."))
    title = clean_line(title)
    if not title:
        raise DomainError(_l("Give the decision a title."), "title")
    if not (text or "").strip():
        raise DomainError(_l("Write what was decided and why."), "text")
    if validates_action_sheet_id is not None and not meeting.body.is_council:
        raise DomainError(_l("Only the Conseil validates a fiche action."),
                          "validates_action_sheet_id")
    if agenda_item is not None and agenda_item.meeting_id != meeting.id:
        raise DomainError(_l("This item is not on this meeting's agenda."), "agenda_item")
    from participation.actions import services as actions

    actions.check_sheet_exists(action_sheet_id)
    actions.check_sheet_exists(validates_action_sheet_id)
    # Tied to the meeting by id: the meeting's list of decisions is reloaded once this one
    # has its number, so an unnumbered decision is never flushed through it.
    decision = Decision(body=meeting.body, meeting_id=meeting.id,
                        agenda_item_id=agenda_item.id if agenda_item else None,
                        year=meeting.year, title=title, text=text.strip(),
                        votes_for=votes_for, votes_against=votes_against,
                        votes_abstaining=votes_abstaining, action_sheet_id=action_sheet_id,
                        validates_action_sheet_id=validates_action_sheet_id,
                        recorded_by=recorder)
    check_directors_decision(decision)
    for attempt in range(5):
        decision.number = _next_number(meeting.body, meeting.year)
        savepoint = db.session.begin_nested()
        try:
            db.session.add(decision)
            db.session.flush()
        except sa.exc.IntegrityError:
            savepoint.rollback()
            if attempt == 4:
                raise
            continue
        savepoint.commit()
        break
    decision.links.extend(_links({"decision_id": decision.id}, links))
    db.session.flush()
    if validates_action_sheet_id is not None:
        # Rule 7: the fiche becomes validated by this decision, in this transaction.
        actions.validate_by_decision(decision, now)
    db.session.expire(meeting, ["decisions"])
    return decision


def publish_decisions(meeting: Meeting, now: datetime) -> int:
    """Put the meeting's recorded decisions in the public register; returns how many."""
    count = 0
    for decision in meeting.decisions:
        if decision.published_at is None:
            decision.published_at = now
            count += 1
    if not count:
        raise DomainError(_l("There is no decision waiting to be published."))
    db.session.flush()
    return count


# --- Minutes -------------------------------------------------------------------------------

def save_minutes(meeting: Meeting, writer: User, text: str, visibility: str,
                 now: datetime) -> Minutes:
    """Write or correct the minutes (Markdown) and choose who reads them.

    Written from the day of the meeting; once approved by a later meeting they
    no longer change.
    """
    if paris_today(now) < meeting.local_start.date():
        raise DomainError(_l("Minutes are written on the day of the meeting or after."))
    if not (text or "").strip():
        raise DomainError(_l("Write the minutes."), "text")
    if visibility not in ("public", "members"):
        raise DomainError(_l("Choose who reads the minutes."), "visibility")
    minutes = meeting.minutes
    if minutes is not None and minutes.approved_in_meeting_id is not None:
        raise DomainError(_l("These minutes were approved: they no longer change."))
    if minutes is None:
        minutes = Minutes(meeting=meeting, text="")
        db.session.add(minutes)
    minutes.text, minutes.written_by = text.strip(), writer
    meeting.minutes_visibility = visibility
    db.session.flush()
    return minutes


def publish_minutes(meeting: Meeting, now: datetime) -> Minutes:
    minutes = meeting.minutes
    if minutes is None:
        raise DomainError(_l("Write the minutes before publishing them."))
    if minutes.published_at is None:
        minutes.published_at = now
    db.session.flush()
    return minutes


def previous_meeting(meeting: Meeting) -> Meeting | None:
    return db.session.scalars(
        sa.select(Meeting).where(Meeting.body_id == meeting.body_id,
                                 Meeting.starts_at < meeting.starts_at,
                                 Meeting.cancelled_at.is_(None))
        .order_by(Meeting.starts_at.desc()).limit(1)).first()


def approve_previous_minutes(meeting: Meeting, now: datetime) -> Minutes:
    """Record that ``meeting`` approved the published minutes of the body's previous
    meeting (from the day of the meeting)."""
    if paris_today(now) < meeting.local_start.date():
        raise DomainError(_l("The previous minutes are approved on the day of the meeting or "
                             "after."))
    previous = previous_meeting(meeting)
    minutes = previous.minutes if previous is not None else None
    if minutes is None or minutes.published_at is None:
        raise DomainError(_l("The previous meeting has no published minutes to approve."))
    if minutes.approved_in_meeting_id is not None:
        raise DomainError(_l("The previous minutes are already approved."))
    minutes.approved_in_meeting = meeting
    db.session.flush()
    return minutes


# --- Personal data -------------------------------------------------------------------------

@personal_data.eraser
def _end_mandates(user: User) -> None:
    """A deleted account no longer sits anywhere: its running mandates end today (the
    records stay, signed "former participant", since the decisions cite them)."""
    from participation.core.models import utcnow

    today = paris_today(utcnow())
    for mandate in db.session.scalars(sa.select(Mandate).where(
            Mandate.user_id == user.id,
            sa.or_(Mandate.ends_on.is_(None), Mandate.ends_on >= today))).all():
        end_mandate(mandate, today)
    # The address a convocation went to is personal data; the fact it was sent is not.
    db.session.execute(sa.update(ConvocationRecipient)
                       .where(ConvocationRecipient.user_id == user.id).values(email=""))


@personal_data.exporter("council")
def _export_council(user: User) -> dict:
    mandates = db.session.scalars(sa.select(Mandate).where(Mandate.user_id == user.id)
                                  .order_by(Mandate.starts_on))
    answers = db.session.scalars(sa.select(Attendance).where(Attendance.user_id == user.id)
                                 .order_by(Attendance.id))
    return {
        "mandates": [{"kind": m.kind, "body": m.body.kind, "seat": m.seat,
                      "organisation": m.organisation.name, "year": m.year,
                      "starts_on": m.starts_on.isoformat(),
                      "ends_on": m.ends_on.isoformat() if m.ends_on else None}
                     for m in mandates],
        "meetings": [{"meeting": a.meeting.local_start.isoformat(), "body": a.meeting.body.kind,
                      "answer": a.answer, "represented_by": a.represented_by,
                      "attended": a.attended} for a in answers],
    }
