"""Fiches action: writing them, their status machine, their validation by the Conseil, and
closing the loop with the proposals they come from.

Services flush and never commit; the view, CLI or demo loader commits once.
They raise ``DomainError`` with a message for the person.

The status machine (``MOVES``)::

    draft ──submit──▶ submitted ──(Conseil decision)──▶ validated ──start──▶ in_progress
      │                  │                                  │                   │
      └──────────────────┴────────────abandon (reason)──────┴───────────────────┤
                                                                             complete
                                                                                ▼
                                                                            completed

"Validated" is reached only by ``validate_by_decision``, which the Conseil's
``record_decision`` calls in its own transaction when it records a Conseil
decision naming the fiche in ``validates_action_sheet_id``. The moment is the
recording of the decision, not its publication: the Conseil decided then, and
the directors' collective may act within the fiche from that day (rule 6);
the decision itself shows in the public register once published.
"""

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from participation.accounts.models import User
from participation.actions.models import (
    ACTIVE_STATUSES,
    STATUS_LABELS,
    ActionSheet,
    ActionSheetEvent,
    Actor,
    Agreement,
    Means,
    Milestone,
    Objective,
)
from participation.core.errors import DomainError
from participation.core.http import path_for
from participation.core.text import clean_line, fold
from participation.core.uploads import upload_dir
from participation.extensions import db
from participation.notifications.services import notify
from participation.proposals.models import Proposal, ProposalEvent
from participation.territory.models import Commune, Organisation

TITLE_MIN, TITLE_MAX, TEXT_MAX = 5, 160, 10_000
AGREEMENT_MAX_BYTES = 10 * 1024 * 1024

# Which status each move starts from, and where it leads. "validate" is not here: only a
# Conseil decision validates (``validate_by_decision``).
MOVES = {
    "submit": (("draft",), "submitted"),
    "start": (("validated",), "in_progress"),
    "complete": (("in_progress",), "completed"),
    "abandon": (("draft", "submitted", "validated", "in_progress"), "abandoned"),
}
ACTIONS = (*MOVES, "validate")


@dataclass
class SheetData:
    title: str
    summary: str
    context: str = ""
    communes: list[Commune] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    consultations: list = field(default_factory=list)
    projects: list = field(default_factory=list)


def _text(value: str | None, field_name: str, required: bool = True,
          message=None) -> str | None:
    value = (value or "").replace("\x00", "").strip()
    if not value:
        if required:
            raise DomainError(message or _l("This is required."), field_name)
        return None
    if len(value) > TEXT_MAX:
        raise DomainError(_l("The text is too long (at most %(max)d characters).",
                             max=TEXT_MAX), field_name)
    return value


def _line(value: str | None, field_name: str, maximum: int, message) -> str:
    value = clean_line(value or "")
    if not value:
        raise DomainError(message, field_name)
    if len(value) > maximum:
        raise DomainError(_l("At most %(max)d characters.", max=maximum), field_name)
    return value


def _event(sheet: ActionSheet, actor: User | None, kind: str, now: datetime,
           message: str | None = None) -> ActionSheetEvent:
    event = ActionSheetEvent(actor=actor, kind=kind, status=sheet.status, message=message,
                             created_at=now)
    sheet.events.append(event)
    return event


def sheet_url(sheet: ActionSheet) -> str:
    return path_for("actions.detail", sheet_id=sheet.id)


# --- Writing -------------------------------------------------------------------------------

def _apply(sheet: ActionSheet, data: SheetData) -> None:
    title = clean_line(data.title)
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise DomainError(_l("The title needs between %(min)d and %(max)d characters.",
                             min=TITLE_MIN, max=TITLE_MAX), "title")
    summary = _text(data.summary, "summary",
                    message=_l("Say in a few sentences what the action is."))
    context = _text(data.context, "context", required=False)
    for proposal in data.proposals:
        if proposal.status != "retained" and proposal not in sheet.proposals:
            raise DomainError(_l("“%(title)s” is not a retained proposal: a fiche action "
                                 "comes from retained proposals.", title=proposal.title),
                              "proposals")
    sheet.title, sheet.summary, sheet.context = title, summary, context
    sheet.search_text = fold(f"{title} {summary}")
    sheet.communes = list(dict.fromkeys(data.communes))
    sheet.proposals = list(dict.fromkeys(data.proposals))
    sheet.consultations = list(dict.fromkeys(data.consultations))
    sheet.projects = list(dict.fromkeys(data.projects))


def create_sheet(author: User, data: SheetData, now: datetime) -> ActionSheet:
    """A new draft, from retained proposals or from scratch."""
    sheet = ActionSheet(status="draft", created_by=author, summary="", title="")
    _apply(sheet, data)
    db.session.add(sheet)
    _event(sheet, author, "created", now)
    db.session.flush()
    return sheet


def _require_draft(sheet: ActionSheet) -> None:
    if sheet.status != "draft":
        raise DomainError(_l("This fiche is %(status)s: its content no longer changes.",
                             status=sheet.status_label))


def update_sheet(sheet: ActionSheet, editor: User, data: SheetData, now: datetime) -> None:
    _require_draft(sheet)
    _apply(sheet, data)
    _event(sheet, editor, "edited", now)
    db.session.flush()


def add_objective(sheet: ActionSheet, *, text: str, indicator: str, target: str) -> Objective:
    _require_draft(sheet)
    objective = Objective(
        text=_line(text, "text", 300, _l("Say what the action aims at.")),
        indicator=_line(indicator, "indicator", 300,
                        _l("Say how you will measure it (the indicator).")),
        target=_line(target, "target", 200, _l("Give the target to reach.")))
    sheet.objectives.append(objective)
    db.session.flush()
    return objective


def add_actor(sheet: ActionSheet, *, role: str, organisation: Organisation | None = None,
              group: str | None = None, is_lead: bool = False) -> Actor:
    """A centre or partner (``organisation``) or a group of inhabitants (``group``), with
    its role; ``is_lead`` makes it the one lead (the previous lead no longer leads)."""
    _require_draft(sheet)
    group = clean_line(group or "") or None
    if (organisation is None) == (group is None):
        raise DomainError(_l("Choose a centre or partner, or describe a group of inhabitants "
                             "(one of the two)."), "organisation")
    if organisation is not None and organisation.kind not in ("centre", "partner"):
        raise DomainError(_l("An actor is a centre, a partner or a group of inhabitants."),
                          "organisation")
    if organisation is not None and any(a.organisation_id == organisation.id
                                        for a in sheet.actors):
        raise DomainError(_l("%(name)s is already an actor of this fiche.",
                             name=organisation.name), "organisation")
    role = _line(role, "role", 500, _l("Describe this actor's role."))
    if is_lead:
        for actor in sheet.actors:
            actor.is_lead = False
        db.session.flush()
    actor = Actor(organisation=organisation, group_name=group, role=role, is_lead=is_lead)
    sheet.actors.append(actor)
    db.session.flush()
    return actor


def parse_euros(value: str | None) -> int | None:
    """``"1 250,50"`` or ``"1250.5"`` euros → 125050 cents; empty → None."""
    value = re.sub(r"[\s\u00a0\u202f€]", "", value or "")
    if not value:
        return None
    match = re.fullmatch(r"(\d{1,9})(?:[.,](\d{1,2}))?", value)
    if not match:
        raise DomainError(_l("Write an amount in euros, such as 1250 or 1250,50."), "amount")
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def add_means(sheet: ActionSheet, *, kind: str, what: str,
              organisation: Organisation | None = None, provider: str | None = None,
              amount_cents: int | None = None) -> Means:
    """A means: pooled between centres, requested from a partner, or own; from whom (an
    organisation, or named in text); the amount in cents, optional. A requested means
    starts "requested"."""
    _require_draft(sheet)
    if kind not in ("pooled", "requested", "own"):
        raise DomainError(_l("Choose the kind of means."), "kind")
    what = _line(what, "what", 300, _l("Say what the means is."))
    provider = clean_line(provider or "") or None
    if organisation is not None and provider is not None:
        raise DomainError(_l("Choose an organisation or write a name, not both."), "provider")
    if kind == "requested" and organisation is None and provider is None:
        raise DomainError(_l("Say from whom the means is requested."), "organisation")
    if amount_cents is not None and amount_cents < 0:
        raise DomainError(_l("The amount cannot be negative."), "amount")
    means = Means(kind=kind, what=what, organisation=organisation, provider=provider,
                  amount_cents=amount_cents,
                  request_status="requested" if kind == "requested" else None)
    sheet.means.append(means)
    db.session.flush()
    return means


def add_milestone(sheet: ActionSheet, *, title: str, due_on: date | None) -> Milestone:
    _require_draft(sheet)
    title = _line(title, "title", 200, _l("Name the milestone."))
    if due_on is None:
        raise DomainError(_l("Give the milestone's date."), "due_on")
    milestone = Milestone(title=title, due_on=due_on)
    sheet.milestones.append(milestone)
    db.session.flush()
    return milestone


def remove_part(sheet: ActionSheet, part) -> None:
    """Remove an objective, actor, means or milestone from a draft."""
    _require_draft(sheet)
    if part is None or part.sheet_id != sheet.id:
        raise DomainError(_l("This is not part of this fiche."))
    db.session.delete(part)
    db.session.flush()
    db.session.expire(sheet)


def set_request_status(means: Means, actor: User, status: str, now: datetime) -> None:
    """Record the partner's answer to a requested means (or put it back to requested)."""
    sheet = means.sheet
    if sheet.status in ("completed", "abandoned"):
        raise DomainError(_l("This fiche is %(status)s: it no longer changes.",
                             status=sheet.status_label))
    if means.kind != "requested":
        raise DomainError(_l("Only a means requested from a partner is granted or refused."))
    if status not in ("requested", "granted", "refused"):
        raise DomainError(_l("Choose an answer."), "status")
    means.request_status = status
    _event(sheet, actor, "means_status", now, f"{means.what} : {means.request_status_label}")
    db.session.flush()


# --- Agreements (PDF annexes) --------------------------------------------------------------

def _looks_like_pdf(data: bytes) -> bool:
    """Enough of the PDF structure to be sure it is one: the header, an end-of-file mark,
    and a ``startxref`` offset pointing at a cross-reference table or stream inside the
    file. No dependency: the file is stored as sent, never opened by the server."""
    if not re.match(rb"%PDF-[12]\.\d", data[:8]):
        return False
    tail = data[-2048:]
    if b"%%EOF" not in tail:
        return False
    match = re.search(rb"startxref\s+(\d+)\s+%%EOF", tail)
    if not match:
        return False
    offset = int(match.group(1))
    if not 8 <= offset < len(data):
        return False
    at = data[offset:offset + 40]
    return at.startswith(b"xref") or re.match(rb"\d+\s+\d+\s+obj", at) is not None


def store_pdf(stream) -> tuple[str, int]:
    """Check and save an uploaded PDF under UPLOAD_FOLDER with a random name."""
    data = stream.read(AGREEMENT_MAX_BYTES + 1)
    if len(data) > AGREEMENT_MAX_BYTES:
        raise DomainError(_l("This file is larger than 10 MB. Send a smaller PDF."), "file")
    if not data or not _looks_like_pdf(data):
        raise DomainError(_l("This file is not a PDF document. Send the signed agreement "
                             "as a PDF of at most 10 MB."), "file")
    name = f"{secrets.token_hex(16)}.pdf"
    (upload_dir() / name).write_bytes(data)
    return name, len(data)


def add_agreement(sheet: ActionSheet, actor: User, *, partner: Organisation | None,
                  title: str, signed_on: date | None, stream, now: datetime) -> Agreement:
    """Annex a convention signed with a partner (a PDF of at most 10 MB)."""
    if sheet.status in ("completed", "abandoned"):
        raise DomainError(_l("This fiche is %(status)s: it no longer changes.",
                             status=sheet.status_label))
    if partner is None or partner.kind != "partner":
        raise DomainError(_l("Choose the partner who signed."), "partner")
    title = _line(title, "title", 200, _l("Give the agreement a title."))
    if signed_on is None:
        raise DomainError(_l("Give the date it was signed."), "signed_on")
    if signed_on > now.date():
        raise DomainError(_l("The signature date cannot be in the future."), "signed_on")
    name, size = store_pdf(stream)
    agreement = Agreement(partner=partner, title=title, signed_on=signed_on, file_name=name,
                          size=size)
    sheet.agreements.append(agreement)
    _event(sheet, actor, "agreement_added", now, f"{title} ({partner.name})")
    db.session.flush()
    return agreement


def agreement_path(agreement: Agreement):
    return upload_dir() / agreement.file_name


# --- The status machine --------------------------------------------------------------------

def refuse_move(sheet: ActionSheet, action: str) -> DomainError:
    """The message for a move that is not possible from the fiche's status."""
    if action == "validate":
        return DomainError(_l("Only a recorded Conseil decision naming this fiche validates "
                              "it."))
    starts, _ = MOVES[action]
    allowed = ", ".join(str(STATUS_LABELS[s]) for s in starts)
    return DomainError(_l("This fiche is %(status)s: it cannot be %(move)s now (only when "
                          "%(allowed)s).", status=sheet.status_label,
                          move=str(MOVE_LABELS[action]), allowed=allowed))


MOVE_LABELS = {
    "submit": _l("submitted to the Conseil"),
    "start": _l("started"),
    "complete": _l("completed"),
    "abandon": _l("abandoned"),
    "validate": _l("validated"),
}


def _move(sheet: ActionSheet, action: str) -> None:
    starts, target = MOVES[action]
    if sheet.status not in starts:
        raise refuse_move(sheet, action)
    sheet.status = target


def next_open_meeting(now: datetime):
    """The next Conseil meeting not yet held whose agenda is still open (not cancelled,
    not convened), or None."""
    from participation.council.models import COUNCIL, Body, Convocation, Meeting

    return db.session.scalars(
        sa.select(Meeting).join(Meeting.body)
        .outerjoin(Convocation, Convocation.meeting_id == Meeting.id)
        .where(Body.kind == COUNCIL, Meeting.starts_at > now, Meeting.cancelled_at.is_(None),
               Convocation.id.is_(None))
        .order_by(Meeting.starts_at).limit(1)).first()


def _put_on_agenda(sheet: ActionSheet, now: datetime):
    from participation.council import services as council

    meeting = next_open_meeting(now)
    if meeting is None:
        return None
    links = {"action_sheet": [sheet.id]}
    if sheet.proposals:
        links["proposal"] = [p.id for p in sheet.proposals]
    item = council.add_agenda_item(
        meeting, title=str(_l("Fiche action: %(title)s", title=sheet.title))[:200],
        text=sheet.summary, presenter=sheet.lead.name[:120] if sheet.lead else None,
        links=links)
    sheet.agenda_item_id = item.id
    return meeting


def submit(sheet: ActionSheet, actor: User, now: datetime):
    """Submit to the Conseil: the fiche goes on the agenda of the next Conseil meeting not
    yet held whose agenda is open. Returns that meeting, or None when no meeting is
    planned yet: the fiche then waits (``schedule`` puts it on a later one).

    A fiche needs at least one objective and one actor, exactly one of them leading."""
    if sheet.status == "draft":
        if not sheet.objectives:
            raise DomainError(_l("Give the fiche at least one objective before submitting "
                                 "it."))
        if sum(1 for a in sheet.actors if a.is_lead) != 1:
            raise DomainError(_l("Name the actors and exactly one lead before submitting "
                                 "it."))
    _move(sheet, "submit")
    sheet.submitted_at = now
    db.session.flush()
    meeting = _put_on_agenda(sheet, now)
    _event(sheet, actor, "submitted", now)
    db.session.flush()
    return meeting


def schedule(sheet: ActionSheet, now: datetime):
    """Put a submitted fiche that waits on the agenda of the next open Conseil meeting."""
    if sheet.status != "submitted" or sheet.agenda_item_id is not None:
        raise DomainError(_l("This fiche is not waiting for a Conseil meeting."))
    meeting = _put_on_agenda(sheet, now)
    if meeting is None:
        raise DomainError(_l("No Conseil meeting with an open agenda is planned yet."))
    db.session.flush()
    return meeting


def _related_people(sheet: ActionSheet) -> tuple[list[tuple[Proposal, User]],
                                                 list[tuple[Proposal, list[User]]]]:
    from participation.proposals.services import supporters_of

    authors = [(p, p.author) for p in sheet.proposals]
    supporters = [(p, supporters_of(p, exclude=p.author_id)) for p in sheet.proposals]
    return authors, supporters


def _tell(sheet: ActionSheet, key: str, now: datetime) -> None:
    """Tell the authors and supporters of the proposals the fiche comes from."""
    url = sheet_url(sheet)
    authors, supporters = _related_people(sheet)
    for proposal, author in authors:
        notify([author], "my_proposals", key, url, now, title=proposal.title,
               sheet=sheet.title)
    for proposal, users in supporters:
        notify(users, "supported_proposals", key, url, now, title=proposal.title,
               sheet=sheet.title)


def validate_by_decision(decision, now: datetime) -> ActionSheet:
    """The Conseil validated the fiche named by ``decision.validates_action_sheet_id``.

    Called by ``council.services.record_decision`` in the same transaction; refused
    unless the decision is the Conseil's and the fiche exists and was submitted."""
    if not decision.body.is_council:
        raise DomainError(_l("Only the Conseil validates a fiche action."),
                          "validates_action_sheet_id")
    sheet = db.session.get(ActionSheet, decision.validates_action_sheet_id)
    if sheet is None:
        raise DomainError(_l("There is no fiche action n° %(number)d.",
                             number=decision.validates_action_sheet_id), "action_sheet_id")
    if sheet.status != "submitted":
        raise DomainError(_l("Fiche action n° %(number)d is %(status)s: the Conseil validates "
                             "a fiche submitted to it.", number=sheet.id,
                             status=sheet.status_label), "action_sheet_id")
    sheet.status = "validated"
    sheet.validated_at = now
    _event(sheet, decision.recorded_by, "validated", now,
           f"{decision.body.name} {decision.reference} : {decision.title}")
    _tell(sheet, "action.validated", now)
    db.session.flush()
    return sheet


def check_sheet_exists(sheet_id: int | None) -> None:
    if sheet_id is not None and db.session.get(ActionSheet, sheet_id) is None:
        raise DomainError(_l("There is no fiche action n° %(number)d.", number=sheet_id),
                          "action_sheet_id")


def active_sheet_ids() -> set[int]:
    """Fiches a Conseil decision validated and that are not over: the directors' collective
    decides within them (rule 6)."""
    return set(db.session.scalars(sa.select(ActionSheet.id)
                                  .where(ActionSheet.status.in_(ACTIVE_STATUSES))))


def start(sheet: ActionSheet, actor: User, now: datetime) -> None:
    _move(sheet, "start")
    sheet.started_at = now
    _event(sheet, actor, "started", now)
    _tell(sheet, "action.started", now)
    db.session.flush()


RESULT_MAX = 500  # an objective's result (the column's length)


def complete(sheet: ActionSheet, actor: User, evaluation: str, results: dict[int, str],
             now: datetime) -> None:
    """Complete with an evaluation and each objective's result against its target; the
    proposals it comes from become "réalisée"."""
    if sheet.status != "in_progress":
        raise refuse_move(sheet, "complete")
    evaluation = _text(evaluation, "evaluation",
                       message=_l("Write the evaluation: what was done, what it gave."))
    for objective in sheet.objectives:
        result = clean_line(results.get(objective.id) or "")
        if not result:
            raise DomainError(_l("Give the result of each objective against its target."),
                              f"result_{objective.id}")
        if len(result) > RESULT_MAX:
            raise DomainError(_l("Write each result in at most %(max)d characters.",
                                 max=RESULT_MAX), f"result_{objective.id}")
        objective.result = result
    _move(sheet, "complete")
    sheet.evaluation, sheet.completed_at = evaluation, now
    _event(sheet, actor, "completed", now)
    for proposal in sheet.proposals:
        if proposal.status == "retained":
            proposal.status = "realised"
            db.session.add(ProposalEvent(
                proposal=proposal, actor=actor, kind="realised", status="realised",
                message=str(_l("Through the fiche action “%(title)s”.", title=sheet.title)),
                public=True, created_at=now))
    _tell(sheet, "action.completed", now)
    db.session.flush()


def abandon(sheet: ActionSheet, actor: User, reason: str, now: datetime) -> None:
    if sheet.status not in MOVES["abandon"][0]:
        raise refuse_move(sheet, "abandon")
    reason = _text(reason, "reason", message=_l("Say why the action is abandoned."))
    _move(sheet, "abandon")
    sheet.abandon_reason, sheet.abandoned_at = reason, now
    _event(sheet, actor, "abandoned", now, reason)
    db.session.flush()


def perform(sheet: ActionSheet, action: str, actor: User, now: datetime, **kwargs) -> None:
    """Run ``action`` on the fiche (used by the views and the exhaustive tests)."""
    if action == "validate":
        raise refuse_move(sheet, "validate")
    if action == "submit":
        submit(sheet, actor, now)
    elif action == "start":
        start(sheet, actor, now)
    elif action == "complete":
        complete(sheet, actor, kwargs.get("evaluation", ""), kwargs.get("results", {}), now)
    elif action == "abandon":
        abandon(sheet, actor, kwargs.get("reason", ""), now)
    else:
        raise ValueError(f"unknown move {action!r}")
