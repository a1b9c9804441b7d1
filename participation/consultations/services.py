"""Consultations: preparing them, voting online and at a desk, receipts, publishing results.

Services flush and never commit; the view (or the demo loader, or a test)
commits once. Rules about time take ``now``. They raise ``DomainError`` with
a message for the person.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from participation.accounts.models import User
from participation.consultations import tally
from participation.consultations.models import (
    APPROVAL,
    CHANNELS,
    CLOSED,
    DEFAULT_GRADES,
    DRAFT,
    JUDGMENT,
    ONLINE,
    OPEN,
    SCHEDULED,
    SINGLE,
    TRACKER_ALPHABET,
    Ballot,
    Consultation,
    Option,
    Participation,
    Question,
    new_tracker,
)
from participation.core import audit, personal_data
from participation.core.errors import DomainError
from participation.core.models import utcnow
from participation.core.text import clean_line
from participation.council.models import Body
from participation.extensions import db
from participation.territory.models import Centre, Commune

PARIS = ZoneInfo("Europe/Paris")
EDITABLE_PHASES = (DRAFT, SCHEDULED)


def local_day(now: datetime) -> date:
    """The day in the Calaisis: all a ballot knows of when it was cast."""
    return now.astimezone(PARIS).date()


def may_organise(user: User, organiser, now: datetime | None = None) -> bool:
    """Animators and directors organise for their own centre; the Conseil's runners of the
    year for the Conseil (charter rule 2); admins for any."""
    if user.is_admin:
        return True
    if isinstance(organiser, Body):
        from participation.council.services import is_runner

        today = local_day(now or utcnow())
        return organiser.is_council and is_runner(user, today.year, today)
    return organiser in user.staff_centres()


# --- Preparing a consultation --------------------------------------------------------------

def _check_dates(opens_at: datetime, closes_at: datetime) -> None:
    if closes_at <= opens_at:
        raise DomainError(_l("The closing must come after the opening."), "closes_at")


def _check_editable(consultation: Consultation, now: datetime) -> None:
    if consultation.phase(now) not in EDITABLE_PHASES:
        raise DomainError(_l("This consultation has opened: its questions, dates and "
                             "eligibility can no longer change."))


def create_consultation(staff: User, *, organisation, title: str,
                        description: str, opens_at: datetime, closes_at: datetime,
                        communes: list[Commune], verified_only: bool, min_age: int | None,
                        paired_listing: bool = False) -> Consultation:
    """A draft consultation for ``organisation`` (a centre, or the Conseil's Body), by one
    of its animators or directors, or by the Conseil's runners."""
    if not may_organise(staff, organisation):
        raise DomainError(_l("You can only organise consultations for a centre where you "
                             "work, or for the Conseil when you run it this year."),
                          "organisation")
    consultation = Consultation(created_by_id=staff.id, opens_at=opens_at, closes_at=closes_at)
    if isinstance(organisation, Body):
        consultation.council_body = organisation
    else:
        consultation.organisation = organisation
    _set_details(consultation, title=title, description=description, opens_at=opens_at,
                 closes_at=closes_at, communes=communes, verified_only=verified_only,
                 min_age=min_age, paired_listing=paired_listing)
    db.session.add(consultation)
    db.session.flush()
    return consultation


def _set_details(consultation: Consultation, *, title, description, opens_at, closes_at,
                 communes, verified_only, min_age, paired_listing) -> None:
    title = clean_line(title)
    if not title:
        raise DomainError(_l("Give the consultation a title."), "title")
    if not communes:
        raise DomainError(_l("Choose at least one commune."), "communes")
    _check_dates(opens_at, closes_at)
    consultation.title, consultation.description = title, (description or "").strip()
    consultation.opens_at, consultation.closes_at = opens_at, closes_at
    consultation.communes = list(communes)
    consultation.verified_only, consultation.min_age = bool(verified_only), min_age
    consultation.paired_listing = bool(paired_listing)


def update_consultation(consultation: Consultation, now: datetime, **details) -> None:
    """Change the details until the consultation opens; never after."""
    _check_editable(consultation, now)
    _set_details(consultation, **details)
    _after_change(consultation, now)


def _after_change(consultation: Consultation, now: datetime) -> None:
    db.session.flush()
    if consultation.scheduled_at is not None:
        if consultation.opens_at <= now:
            raise DomainError(_l("The opening must be in the future."), "opens_at")
        consultation.fingerprint = compute_fingerprint(consultation)


def _clean_lines(text: str) -> list[str]:
    return [line for line in (clean_line(x) for x in (text or "").splitlines()) if line]


def _set_question(question: Question, *, kind: str, text: str, options: str,
                  max_choices: int | None, grades: str) -> None:
    text = clean_line(text)
    if not text:
        raise DomainError(_l("Write the question."), "text")
    if kind not in (SINGLE, APPROVAL, JUDGMENT):
        raise DomainError(_l("Choose the kind of question."), "kind")
    labels = _clean_lines(options)
    if len(labels) < 2:
        raise DomainError(_l("Give at least two options, one per line."), "options")
    if len({label.casefold() for label in labels}) != len(labels):
        raise DomainError(_l("Two options are the same."), "options")
    if any(len(label) > 200 for label in labels):
        raise DomainError(_l("Each option must fit in 200 characters."), "options")
    question.kind, question.text = kind, text
    question.max_choices = None
    question.grades = None
    if kind == APPROVAL:
        if not max_choices or not 1 <= max_choices <= len(labels):
            raise DomainError(_l("The maximum must be between 1 and the number of options "
                                 "(%(count)d).", count=len(labels)), "max_choices")
        question.max_choices = max_choices
    if kind == JUDGMENT:
        names = _clean_lines(grades) or list(DEFAULT_GRADES)
        if not 5 <= len(names) <= 7:
            raise DomainError(_l("A majority judgment uses 5 to 7 grades, best first, one "
                                 "per line."), "grades")
        question.grades = names
    question.options.clear()
    db.session.flush()
    question.options.extend(Option(label=label, position=i) for i, label in enumerate(labels))


def add_question(consultation: Consultation, now: datetime, **fields) -> Question:
    """Add a question at the end, while the consultation is a draft or coming."""
    _check_editable(consultation, now)
    position = max((q.position for q in consultation.questions), default=-1) + 1
    question = Question(position=position)
    _set_question(question, **fields)
    consultation.questions.append(question)
    _after_change(consultation, now)
    return question


def update_question(question: Question, now: datetime, **fields) -> None:
    _check_editable(question.consultation, now)
    _set_question(question, **fields)
    _after_change(question.consultation, now)


def delete_question(question: Question, now: datetime) -> None:
    consultation = question.consultation
    _check_editable(consultation, now)
    consultation.questions.remove(question)
    if consultation.scheduled_at is not None and not consultation.questions:
        raise DomainError(_l("A coming consultation needs at least one question."))
    _after_change(consultation, now)


def schedule_consultation(consultation: Consultation, now: datetime) -> None:
    """Announce a draft: it becomes public, and opens by itself at its opening date."""
    if consultation.phase(now) != DRAFT:
        raise DomainError(_l("This consultation is already announced."))
    if not consultation.questions:
        raise DomainError(_l("Add at least one question first."))
    if consultation.opens_at <= now:
        raise DomainError(_l("The opening must be in the future: change the dates first."))
    consultation.scheduled_at = now
    _after_change(consultation, now)


def canonical_text(consultation: Consultation) -> str:
    """What the fingerprint is computed from: anyone can rebuild it from the public page."""
    content = {
        "consultation": consultation.id,
        "title": consultation.title,
        "description": consultation.description,
        "opens_at": consultation.opens_at.astimezone(PARIS).isoformat(),
        "closes_at": consultation.closes_at.astimezone(PARIS).isoformat(),
        "communes": sorted(c.name for c in consultation.communes),
        "verified_only": consultation.verified_only,
        "min_age": consultation.min_age,
        "questions": [
            {"id": q.id, "kind": q.kind, "text": q.text, "max_choices": q.max_choices,
             "grades": q.grades,
             "options": [{"id": o.id, "label": o.label} for o in q.options]}
            for q in consultation.questions
        ],
    }
    return json.dumps(content, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def compute_fingerprint(consultation: Consultation) -> str:
    """SHA-256 of the canonical text (UTF-8)."""
    return hashlib.sha256(canonical_text(consultation).encode()).hexdigest()


# --- The ballot's shape ------------------------------------------------------------------

@dataclass(frozen=True)
class OptionShape:
    id: int
    label: str


@dataclass(frozen=True)
class QuestionShape:
    id: int
    kind: str
    text: str
    max_choices: int | None
    grades: tuple[str, ...] | None
    options: tuple[OptionShape, ...]


@dataclass(frozen=True)
class CommuneShape:
    id: int
    name: str


@dataclass(frozen=True)
class BallotShape:
    """What reading and checking a ballot needs: the questions with their options, and the
    communes whose residents may vote. Plain frozen values, shared between requests."""

    questions: tuple[QuestionShape, ...]
    communes: tuple[CommuneShape, ...]


_SHAPES: dict[tuple[int, str], BallotShape] = {}
_SHAPES_KEPT = 256


def ballot_shape(consultation: Consultation) -> BallotShape:
    """The questions, options and communes of ``consultation``, kept in this process once
    it is announced.

    Kept under its fingerprint, which is computed from exactly these (and the dates and
    eligibility) when it is announced and again at each change until it opens, after
    which they cannot change: a kept shape is never stale, and each vote reads them
    without loading five kinds of rows (about 3 ms of CPU a ballot). Drafts (no
    fingerprint yet) are read from the database each time.
    """
    key = (consultation.id, consultation.fingerprint)
    if consultation.fingerprint is not None:
        kept = _SHAPES.get(key)
        if kept is not None:
            return kept
    shape = BallotShape(
        questions=tuple(
            QuestionShape(id=q.id, kind=q.kind, text=q.text, max_choices=q.max_choices,
                          grades=tuple(q.grades) if q.grades else None,
                          options=tuple(OptionShape(id=o.id, label=o.label)
                                        for o in q.options))
            for q in consultation.questions),
        communes=tuple(CommuneShape(id=c.id, name=c.name) for c in consultation.communes))
    if consultation.fingerprint is not None:
        if len(_SHAPES) >= _SHAPES_KEPT:
            _SHAPES.clear()
        _SHAPES[key] = shape
    return shape


# --- Who may vote ---------------------------------------------------------------------------

def _names(communes: list[Commune]) -> str:
    names = [c.name for c in communes]
    if len(names) == 1:
        return names[0]
    return str(_l("%(first)s and %(last)s", first=", ".join(names[:-1]), last=names[-1]))


def eligibility_problem(consultation: Consultation, person: User, now: datetime) -> str | None:
    """Why ``person`` may not vote here, in plain words with what to do; None if they may."""
    communes = ballot_shape(consultation).communes
    if consultation.verified_only and not person.is_verified(now):
        return str(_l("This consultation is reserved to verified residents of %(places)s. "
                      "Have your address verified at a social centre (bring a proof of "
                      "address less than three months old), then come back to vote.",
                      places=_names(communes)))
    if person.commune_id not in {c.id for c in communes}:
        return str(_l("This consultation is reserved to residents of %(places)s, and your "
                      "account does not say you live there. If you have moved, change your "
                      "commune in your account, or ask at a social centre.",
                      places=_names(communes)))
    if consultation.min_age:
        if person.birth_year is None:
            return str(_l("This consultation is open from the age of %(age)d. Add your year "
                          "of birth in your account to vote.", age=consultation.min_age))
        if local_day(now).year - person.birth_year < consultation.min_age:
            return str(_l("This consultation is open to people who turn %(age)d or more "
                          "this year.", age=consultation.min_age))
    return None


def has_voted(consultation: Consultation, person: User) -> Participation | None:
    return db.session.scalar(sa.select(Participation).where(
        Participation.consultation_id == consultation.id, Participation.person_id == person.id))


NOT_OPEN, ALREADY_VOTED, NOT_ELIGIBLE = "not_open", "already_voted", "not_eligible"


class VoteRefused(DomainError):
    """The person may not vote here now, whatever the ballot says: ``reason`` is NOT_OPEN,
    ALREADY_VOTED or NOT_ELIGIBLE (the pages say it in their own words)."""

    def __init__(self, reason: str, message):
        super().__init__(message)
        self.reason = reason


_ALREADY_RECORDED = _l("A vote has already been recorded for this person in this "
                       "consultation: one vote per person.")


def vote_refusal(consultation: Consultation, person: User, now: datetime) -> VoteRefused | None:
    """Why ``person`` may not vote here now, checked in the order a voter is told: the
    consultation is not open, they have voted, they are not eligible. None if they may.

    For the pages shown before the ballot is confirmed; ``cast_ballot`` applies the same
    rules in the same order when it records the ballot.
    """
    if consultation.phase(now) != OPEN:
        return VoteRefused(NOT_OPEN, _l("This consultation is not open for votes."))
    if has_voted(consultation, person) is not None:
        return VoteRefused(ALREADY_VOTED, _ALREADY_RECORDED)
    problem = eligibility_problem(consultation, person, now)
    if problem:
        return VoteRefused(NOT_ELIGIBLE, problem)
    return None


# --- Voting --------------------------------------------------------------------------------

def check_answers(consultation: Consultation, answers: dict) -> dict:
    """The answers in canonical form, or a DomainError, whatever was posted.

    Every question may be left blank; a majority judgment grades every option
    or none.
    """
    if not isinstance(answers, dict):
        raise DomainError(_l("This ballot cannot be read."))
    clean: dict = {}
    questions = ballot_shape(consultation).questions
    known = {str(q.id) for q in questions}
    if set(answers) - known:
        raise DomainError(_l("This ballot answers a question this consultation does not ask."))
    for question in questions:
        key = str(question.id)
        answer = answers.get(key)
        options = {o.id for o in question.options}
        if not answer:
            clean[key] = {} if question.kind == JUDGMENT else []
            continue
        field = f"q{question.id}"
        if question.kind == JUDGMENT:
            if not isinstance(answer, dict):
                raise DomainError(_l("This ballot cannot be read."), field)
            try:
                grades = {int(o): int(g) for o, g in answer.items()}
            except (TypeError, ValueError):
                raise DomainError(_l("This ballot cannot be read."), field) from None
            if set(grades) != options:
                raise DomainError(_l("Give a grade to every option, or to none to leave "
                                     "the question blank."), field)
            if any(not 0 <= g < len(question.grades) for g in grades.values()):
                raise DomainError(_l("This grade does not exist."), field)
            clean[key] = {str(o): g for o, g in sorted(grades.items())}
        else:
            try:
                chosen = sorted({int(o) for o in answer})
            except (TypeError, ValueError):
                raise DomainError(_l("This ballot cannot be read."), field) from None
            if not set(chosen) <= options:
                raise DomainError(_l("This option does not exist."), field)
            limit = 1 if question.kind == SINGLE else question.max_choices
            if len(chosen) > limit:
                raise DomainError(_l("Choose at most %(count)d.", count=limit), field)
            clean[key] = chosen
    return clean


def encode_answers(answers: dict) -> str:
    return json.dumps(answers, sort_keys=True, separators=(",", ":"))


_PARTICIPATION_COLUMNS = ("consultation_id", "person_id", "channel", "day", "centre_id",
                          "commune_id", "recorded_by_id")
_BALLOT_COLUMNS = ("id", "consultation_id", "answers", "day", "channel", "centre_id")


def _record_vote(values: dict) -> bool:
    """Insert the participation and the ballot, unless this person already has a
    participation here: then nothing, and False. The unique (person, consultation)
    constraint decides (INSERT ... ON CONFLICT DO NOTHING), so two requests racing cannot
    both get True (on PostgreSQL the second waits for the first to commit or roll back).
    On PostgreSQL one statement: the ballot is inserted from what the participation's
    insert returned (none, no ballot); on SQLite two."""
    dialect = db.session.get_bind().dialect.name
    statement = _VOTE_INSERTS.get(dialect)
    if statement is None:
        statement = _VOTE_INSERTS[dialect] = _vote_insert(dialect)
    if dialect == "postgresql":
        return db.session.execute(statement, values).scalar() is not None
    # (A key named like a column, the ballot's id here, would be inserted too.)
    if db.session.execute(statement, {k: values[k] for k in _PARTICIPATION_COLUMNS}
                          ).scalar() is None:
        return False
    db.session.execute(sa.insert(Ballot.__table__), {k: values[k] for k in _BALLOT_COLUMNS})
    return True


def _vote_insert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the project runs on these two
        raise RuntimeError(f"no INSERT ... ON CONFLICT for {dialect}")
    participations, ballots = Participation.__table__, Ballot.__table__
    participation = (
        insert(participations)
        .values({c: sa.bindparam(c, type_=participations.c[c].type)
                 for c in _PARTICIPATION_COLUMNS})
        .on_conflict_do_nothing(index_elements=["person_id", "consultation_id"])
        .returning(participations.c.id))
    if dialect != "postgresql":
        return participation
    # The values hold the ballot's id too: the participation's own comes from its sequence.
    recorded = participation.values(id=sa.literal_column("DEFAULT")).cte("recorded")
    return (sa.insert(ballots).from_select(_BALLOT_COLUMNS, sa.select(
        *(sa.bindparam(c, type_=ballots.c[c].type) for c in _BALLOT_COLUMNS))
        .select_from(recorded)).returning(ballots.c.id))


# Built once per database kind (a vote is the busiest write of the site).
_VOTE_INSERTS: dict[str, sa.Insert] = {}


def cast_ballot(consultation: Consultation, person: User, answers: dict, now: datetime, *,
                channel: str = ONLINE, centre: Centre | None = None,
                staff: User | None = None) -> Ballot:
    """Record that ``person`` voted and, separately, what they voted; once per person.

    Online, ``person`` votes for themselves. At a desk (``channel`` paper or
    assisted), ``staff`` of ``centre`` enters the ballot; the audit log keeps
    the act, never the content. The unique (person, consultation) constraint
    keeps a second vote out even when two requests race.

    Raises ``VoteRefused`` when the person may not vote here now (the same rules and order
    as ``vote_refusal``), ``DomainError`` when the ballot itself is wrong. A valid ballot
    costs no SELECT for "already voted?": the insert of the participation answers it, and
    the question is asked of the database only on the way to another refusal (having
    voted is then what the person is told).
    """
    if consultation.phase(now) != OPEN:
        raise VoteRefused(NOT_OPEN, _l("This consultation is not open for votes."))
    if channel not in CHANNELS:
        raise DomainError(_l("Unknown way of voting."))
    if channel != ONLINE:
        if staff is None or centre is None or not (staff.is_admin
                                                   or centre in staff.staff_centres()):
            raise DomainError(_l("Ballots at a desk are entered by the staff of that centre."))
    if not person.is_active:
        raise DomainError(_l("This account has been deleted."))
    try:
        problem = eligibility_problem(consultation, person, now)
        if problem:
            raise VoteRefused(NOT_ELIGIBLE, problem)
        clean = check_answers(consultation, answers)
    except DomainError:
        # Having voted comes first: it is what the person is told.
        if has_voted(consultation, person) is not None:
            raise VoteRefused(ALREADY_VOTED, _ALREADY_RECORDED) from None
        raise
    day = local_day(now)
    values = {"id": new_tracker(), "consultation_id": consultation.id,
              "answers": encode_answers(clean), "day": day, "channel": channel,
              "centre_id": centre.id if centre else None, "person_id": person.id,
              "commune_id": person.commune_id, "recorded_by_id": staff.id if staff else None}
    if not _record_vote(values):
        raise VoteRefused(ALREADY_VOTED, _ALREADY_RECORDED)
    # Not in the session (inserted without the unit of work's bookkeeping, a fifth of a
    # vote's CPU): nothing changes it afterwards.
    ballot = Ballot(**{k: values[k] for k in _BALLOT_COLUMNS})
    if channel != ONLINE:
        audit.record(staff, "consultation.ballot_recorded", person,
                     consultation=consultation.id, centre=centre.name, channel=channel)
    return ballot


# --- Receipts ------------------------------------------------------------------------------

def _receipt_key() -> bytes:
    # Derived from the server's secret with its own salt: only the server can sign.
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"participation.consultations.receipt", hashlib.sha256).digest()


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_TRACKER = str.maketrans(_B32, TRACKER_ALPHABET + "X")


def _signature(consultation_id: int, tracker: str) -> str:
    digest = hmac.new(_receipt_key(), f"{consultation_id}:{tracker}".encode(),
                      hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:8].translate(_TO_TRACKER)


def receipt(ballot: Ballot) -> str:
    """The tracker and its signature, in groups of four: what the voter keeps."""
    text = ballot.id + _signature(ballot.consultation_id, ballot.id)
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def format_tracker(tracker: str) -> str:
    return "-".join(tracker[i:i + 4] for i in range(0, len(tracker), 4))


RECEIPT_INVALID, RECEIPT_MISSING, RECEIPT_COUNTED = "invalid", "missing", "counted"


def check_receipt(consultation: Consultation, text: str) -> tuple[str, str | None]:
    """Whether a receipt was signed by this server and its ballot is in the count.

    Returns (status, tracker): invalid (forged or mistyped), missing (signed but
    not among the ballots: report it), or counted.
    """
    raw = "".join(c for c in (text or "").upper() if c.isalnum())
    if len(raw) != 24:
        return RECEIPT_INVALID, None
    tracker, signature = raw[:16], raw[16:]
    if not hmac.compare_digest(signature, _signature(consultation.id, tracker)):
        return RECEIPT_INVALID, None
    found = db.session.scalar(sa.select(Ballot.id).where(
        Ballot.consultation_id == consultation.id, Ballot.id == tracker))
    return (RECEIPT_COUNTED if found else RECEIPT_MISSING), tracker


# --- Results -------------------------------------------------------------------------------

def question_specs(consultation: Consultation) -> list[tally.QuestionSpec]:
    return [tally.QuestionSpec(id=q.id, kind=q.kind, option_ids=tuple(o.id for o in q.options),
                               grade_count=len(q.grades or ()))
            for q in consultation.questions]


def publish_results(consultation: Consultation, now: datetime) -> dict:
    """Count every ballot once, after closing, and keep the tally for the results pages."""
    if consultation.phase(now) != CLOSED:
        raise DomainError(_l("Results can be published only once the consultation has "
                             "closed, and only once."))
    specs = question_specs(consultation)
    result = tally.empty_tally(specs)
    rows = db.session.execute(
        sa.select(Ballot.answers, Ballot.channel, Ballot.centre_id)
        .where(Ballot.consultation_id == consultation.id)
        .execution_options(yield_per=2000))
    by_channel: dict[str, int] = {}
    by_centre: dict[str, int] = {}
    for answers, channel, centre_id in rows:
        tally.add_ballot(result, specs, json.loads(answers))
        by_channel[channel] = by_channel.get(channel, 0) + 1
        if centre_id is not None:
            by_centre[str(centre_id)] = by_centre.get(str(centre_id), 0) + 1
    result["ballots_by_channel"] = by_channel
    result["ballots_by_centre"] = by_centre
    # Kept with the tally: the results pages then read the turnout without counting.
    from participation.consultations.queries import count_turnout

    result["turnout"] = count_turnout(consultation)
    consultation.results = result
    consultation.results_published_at = now
    db.session.flush()
    return result


# --- Personal data -------------------------------------------------------------------------

@personal_data.exporter("consultations")
def _export_participations(user: User) -> list:
    """That the person voted, where and how; never what (ballots have no owner)."""
    rows = db.session.execute(
        sa.select(Participation, Consultation.title)
        .join(Consultation, Consultation.id == Participation.consultation_id)
        .where(Participation.person_id == user.id).order_by(Participation.day))
    return [{"consultation": title, "day": p.day.isoformat(), "channel": p.channel}
            for p, title in rows]




# --- Notices -------------------------------------------------------------------------------

def eligible_people(consultation: Consultation, now: datetime, not_voted: bool = False):
    """The select of active people who may vote here (and, if asked, have not yet)."""
    query = sa.select(User).where(
        User.deleted_at.is_(None),
        User.commune_id.in_([c.id for c in consultation.communes]))
    if consultation.verified_only:
        query = query.where(User.verified_until > now)
    if consultation.min_age:
        query = query.where(User.birth_year <= local_day(now).year - consultation.min_age)
    if not_voted:
        query = query.where(~sa.exists().where(
            Participation.consultation_id == consultation.id,
            Participation.person_id == User.id))
    return query


NOTICE_BATCH = 2000  # people told per transaction


def send_notices(now: datetime, batch: int = NOTICE_BATCH) -> dict[str, int]:
    """Tell eligible inhabitants that a consultation opened, and remind those who have not
    voted the day before it closes (each only once). Run by a timer, e.g. hourly.

    Commits every ``batch`` people: the whole territory is 85,000 people, too many for one
    transaction. A run stopped half-way (a restart) is taken up by the next one: whoever
    already has the notice is skipped (every person told gets a notification row, whatever
    their email settings), and the consultation is marked done only once all are told."""
    counts = {"opened": 0, "reminded": 0}
    current = db.session.scalars(sa.select(Consultation).where(
        Consultation.scheduled_at.is_not(None), Consultation.opens_at <= now,
        Consultation.closes_at > now)).all()
    for consultation in current:
        if consultation.opening_notice_sent_at is None:
            counts["opened"] += _notice_in_batches(consultation, "consultation.opened", now,
                                                   batch)
            consultation.opening_notice_sent_at = now
            db.session.commit()
        if (consultation.closing_reminder_sent_at is None
                and consultation.closes_at - now <= timedelta(days=1)):
            counts["reminded"] += _notice_in_batches(consultation, "consultation.closing",
                                                     now, batch, not_voted=True)
            consultation.closing_reminder_sent_at = now
            db.session.commit()
    return counts


def _notice_in_batches(consultation: Consultation, key: str, now: datetime, batch: int,
                       not_voted: bool = False) -> int:
    """Notify everyone eligible who has not had this notice yet, ``batch`` at a time."""
    from participation.core.http import path_for
    from participation.notifications.models import Notification
    from participation.notifications.services import notify

    link = path_for("consultations.detail", consultation_id=consultation.id)
    # Numeric, Paris time: reads the same in French and English.
    closes = consultation.closes_at.astimezone(ZoneInfo("Europe/Paris")).strftime(
        "%d/%m/%Y %H:%M")
    already = sa.exists().where(Notification.user_id == User.id,
                                Notification.message == key, Notification.url == link)
    told = 0
    while True:
        people = db.session.scalars(eligible_people(consultation, now, not_voted)
                                    .where(~already).order_by(User.id).limit(batch)).all()
        told += notify(people, "consultations", key, link, now, title=consultation.title,
                       date=closes)
        # Committed: the session holds its objects weakly, so a batch's people and emails
        # leave memory with the next batch.
        db.session.commit()
        if len(people) < batch:
            return told
