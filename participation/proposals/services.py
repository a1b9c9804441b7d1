"""Proposals: writing, moderation, supports, comments, reports, public answers and deadlines.

Services flush and never commit; the view (or CLI) commits once. Every
step that matters to people is kept in the proposal's history and told to
those concerned through notifications.
"""

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from participation.accounts.models import Role, User
from participation.core import audit, chain, personal_data
from participation.core.errors import DomainError
from participation.core.http import path_for
from participation.core.text import clean_line, fold
from participation.core.uploads import StoredImage, delete_image
from participation.extensions import db
from participation.notifications.services import notify
from participation.proposals.models import (
    PUBLIC_STATUSES,
    Comment,
    Proposal,
    ProposalEvent,
    Report,
    Support,
    Theme,
)
from participation.proposals.permissions import EDITABLE, WITHDRAWABLE
from participation.territory.models import Centre, Commune

TITLE_MIN, TITLE_MAX, BODY_MAX, COMMENT_MAX = 5, 120, 10_000, 3_000
# Short, frequent French and English words that say nothing about an idea.
STOP_WORDS = frozenset(fold(w) for w in """
    les des une pour dans avec sur par aux est sont que qui quoi plus moins tout tous toute
    toutes cette ces nos vos leur leurs son ses mais donc car pas faire avoir etre entre
    vers chez sans sous the and for with that this from are our your
""".split())


@dataclass
class ProposalData:
    title: str
    body: str
    theme: Theme
    commune: Commune | None
    centre: Centre
    photo: StoredImage | None = None
    remove_photo: bool = False


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", fold(text)) if len(w) >= 3 and w not in STOP_WORDS]


def _check(data: ProposalData) -> None:
    title = clean_line(data.title)
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise DomainError(_l("The title needs between %(min)d and %(max)d characters.",
                             min=TITLE_MIN, max=TITLE_MAX), "title")
    if not data.body.strip():
        raise DomainError(_l("Describe your idea in a few sentences."), "body")
    if len(data.body) > BODY_MAX:
        raise DomainError(_l("The text is too long (at most %(max)d characters).",
                             max=BODY_MAX), "body")


def _apply(proposal: Proposal, data: ProposalData) -> None:
    proposal.title = clean_line(data.title)
    proposal.body = data.body.replace("\x00", "").strip()
    proposal.search_text = " ".join(_words(f"{proposal.title} {proposal.body}"))
    proposal.theme, proposal.commune, proposal.centre = data.theme, data.commune, data.centre
    if data.photo is not None or data.remove_photo:
        delete_image(proposal.photo, proposal.photo_thumb)
        proposal.photo = data.photo.name if data.photo else None
        proposal.photo_thumb = data.photo.thumb_name if data.photo else None


def _event(proposal: Proposal, actor: User | None, kind: str, now: datetime,
           message: str | None = None, public: bool = False) -> ProposalEvent:
    event = ProposalEvent(proposal=proposal, actor=actor, kind=kind, status=proposal.status,
                          message=message, public=public, created_at=now)
    db.session.add(event)
    return event


def _url(proposal: Proposal) -> str:
    return path_for("proposals.detail", proposal_id=proposal.id)


def moderators_of(centre_id: int) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(Role, Role.user_id == User.id)
        .where(Role.organisation_id == centre_id, Role.kind.in_(("animator", "director")),
               User.deleted_at.is_(None)).distinct()))


def create_proposal(author: User, data: ProposalData, now: datetime,
                    recorded_by: User | None = None) -> Proposal:
    """Save a new draft for ``author``; staff typing it for someone are recorded and logged."""
    _check(data)
    proposal = Proposal(author=author, status="draft", recorded_by=recorded_by,
                        support_count=0, comment_count=0, report_count=0)
    _apply(proposal, data)
    db.session.add(proposal)
    db.session.flush()
    _event(proposal, recorded_by or author, "created", now)
    if recorded_by is not None:
        audit.record(recorded_by, "proposals.recorded_for", author, proposal=proposal.id,
                     title=proposal.title)
    return proposal


def update_proposal(proposal: Proposal, editor: User, data: ProposalData,
                    now: datetime) -> None:
    if proposal.status not in EDITABLE:
        raise DomainError(_l("This proposal can no longer be changed."))
    _check(data)
    _apply(proposal, data)
    _event(proposal, editor, "edited", now)


def submit(proposal: Proposal, actor: User, now: datetime) -> None:
    """Send a draft to moderation, or publish it at once for verified inhabitants when the
    settings allow it."""
    _lock(proposal)
    if proposal.status not in EDITABLE:
        raise DomainError(_l("This proposal has already been sent."))
    proposal.submitted_at = now
    if current_app.config["VERIFIED_PUBLISH_DIRECTLY"] and proposal.author.is_verified(now):
        _publish(proposal, None, now)
        return
    proposal.status = "submitted"
    _event(proposal, actor, "submitted", now)
    notify(moderators_of(proposal.centre_id), "moderation", "proposal.submitted",
           path_for("moderation.queue"), now, title=proposal.title)


def _publish(proposal: Proposal, moderator: User | None, now: datetime) -> None:
    proposal.status = "published"
    proposal.published_at = now
    _event(proposal, moderator, "published", now, public=True)
    notify([proposal.author], "my_proposals", "proposal.published", _url(proposal), now,
           title=proposal.title)


def _lock(proposal: Proposal) -> None:
    """Lock the proposal's row until the transaction ends and read its status afresh.

    Two moderators deciding at once (or a moderator and the author withdrawing)
    are served one after the other: the second sees the first one's decision
    and is told, instead of both succeeding and the author getting two answers.
    SQLite serialises writers anyway; there the lock is a plain read.
    """
    status = db.session.scalar(sa.select(Proposal.status).where(Proposal.id == proposal.id)
                               .with_for_update())
    set_committed_value(proposal, "status", status)


def _require_status(proposal: Proposal, *statuses: str) -> None:
    _lock(proposal)
    if proposal.status not in statuses:
        raise DomainError(_l("This proposal is %(status)s: this cannot be done now.",
                             status=proposal.status_label))


def publish(proposal: Proposal, moderator: User, now: datetime) -> None:
    _require_status(proposal, "submitted")
    _publish(proposal, moderator, now)


def request_changes(proposal: Proposal, moderator: User, message: str, now: datetime) -> None:
    """Send the proposal back to its author with what to change."""
    _require_status(proposal, "submitted")
    message = _required_message(message)
    proposal.status = "changes_requested"
    _event(proposal, moderator, "changes_requested", now, message)
    notify([proposal.author], "my_proposals", "proposal.changes_requested", _url(proposal),
           now, title=proposal.title, message=message)


def reject(proposal: Proposal, moderator: User, reason: str, now: datetime) -> None:
    """Refuse to publish, with a reason the author reads."""
    _require_status(proposal, "submitted")
    reason = _required_message(reason)
    proposal.status = "rejected"
    _event(proposal, moderator, "rejected", now, reason)
    notify([proposal.author], "my_proposals", "proposal.rejected", _url(proposal), now,
           title=proposal.title, message=reason)


def _required_message(message: str | None) -> str:
    message = (message or "").replace("\x00", "").strip()
    if not message:
        raise DomainError(_l("Write the reason: the author will read it."), "message")
    if len(message) > 2000:
        raise DomainError(_l("At most 2,000 characters."), "message")
    return message


ANSWER_MOVES = {
    "published": ("under_study", "retained", "not_retained"),
    "under_study": ("retained", "not_retained"),
}


def answer(proposal: Proposal, moderator: User, status: str, message: str,
           now: datetime) -> None:
    """Give a public answer: under study, retained or not retained, always with a text."""
    _lock(proposal)
    if status not in ANSWER_MOVES.get(proposal.status, ()):
        raise DomainError(_l("This proposal is %(status)s: this answer is not possible now.",
                             status=proposal.status_label), "status")
    message = _required_message(message)
    proposal.status = status
    proposal.public_answer = message
    proposal.first_answer_at = proposal.first_answer_at or now
    _event(proposal, moderator, "answered", now, message, public=True)
    notify([proposal.author], "my_proposals", "proposal.answered", _url(proposal), now,
           title=proposal.title, status_key=status, message=message)
    notify(supporters_of(proposal, exclude=proposal.author_id), "supported_proposals",
           "proposal.supported_answered", _url(proposal), now, title=proposal.title,
           status_key=status)


def withdraw(proposal: Proposal, author: User, now: datetime) -> None:
    _require_status(proposal, *WITHDRAWABLE)
    was_public = proposal.is_public
    proposal.status = "withdrawn"
    _event(proposal, author, "withdrawn", now, public=was_public)


def supporters_of(proposal: Proposal, exclude: int | None = None) -> list[User]:
    query = (sa.select(User).join(Support, Support.user_id == User.id)
             .where(Support.proposal_id == proposal.id))
    if exclude is not None:
        query = query.where(User.id != exclude)
    return list(db.session.scalars(query))


# --- Supports ------------------------------------------------------------------------------

def has_supported(user: User, proposal: Proposal) -> bool:
    return db.session.scalar(sa.select(Support.id).where(
        Support.user_id == user.id, Support.proposal_id == proposal.id)) is not None


def set_support(user: User, proposal: Proposal, wanted: bool, now: datetime) -> bool:
    """Give (``wanted``) or withdraw a support; twice is the same as once, even when two
    taps arrive together (the unique constraint decides). Returns the state."""
    if wanted:
        savepoint = db.session.begin_nested()
        try:
            db.session.add(Support(user_id=user.id, proposal_id=proposal.id, created_at=now))
            db.session.flush()
        except sa.exc.IntegrityError:
            savepoint.rollback()
            return True
        savepoint.commit()
        delta = 1
    else:
        removed = db.session.execute(sa.delete(Support).where(
            Support.user_id == user.id, Support.proposal_id == proposal.id)).rowcount
        if not removed:
            return False
        delta = -1
    db.session.execute(sa.update(Proposal).where(Proposal.id == proposal.id)
                       .values(support_count=Proposal.support_count + delta))
    db.session.expire(proposal, ["support_count"])
    return wanted


# --- Comments ------------------------------------------------------------------------------

def _comment_text(body: str) -> str:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise DomainError(_l("Write your comment."), "body")
    if len(body) > COMMENT_MAX:
        raise DomainError(_l("At most %(max)d characters.", max=COMMENT_MAX), "body")
    return body


def add_comment(author: User, proposal: Proposal, body: str, now: datetime,
                parent: Comment | None = None) -> Comment:
    if parent is not None:
        if parent.proposal_id != proposal.id:
            raise DomainError(_l("This comment is not on this proposal."))
        parent = db.session.get(Comment, parent.parent_id) if parent.parent_id else parent
    comment = Comment(proposal_id=proposal.id, author=author, parent_id=parent.id
                      if parent else None, body=_comment_text(body), created_at=now)
    db.session.add(comment)
    db.session.execute(sa.update(Proposal).where(Proposal.id == proposal.id)
                       .values(comment_count=Proposal.comment_count + 1))
    db.session.flush()
    db.session.expire(proposal, ["comment_count"])
    # Kept in the notification: the lasting link, that finds the comment's page when followed.
    link = path_for("proposals.comment_link", proposal_id=proposal.id, comment_id=comment.id)
    if parent is not None and parent.author_id != author.id:
        notify([parent.author], "comments", "proposal.replied", link, now,
               name=author.display_name, title=proposal.title)
    if proposal.author_id != author.id and (parent is None
                                            or parent.author_id != proposal.author_id):
        notify([proposal.author], "comments", "proposal.commented", link, now,
               name=author.display_name, title=proposal.title)
    return comment


def edit_comment(comment: Comment, body: str, now: datetime) -> None:
    comment.body = _comment_text(body)
    comment.edited_at = now


def delete_comment(comment: Comment, now: datetime) -> None:
    """The text goes; a line says the author deleted it, so replies keep their sense.

    Deleting twice (a double tap, two tabs at once) counts once: only the request whose
    UPDATE still finds the comment undeleted lowers the counter."""
    deleted = db.session.execute(
        sa.update(Comment).where(Comment.id == comment.id, Comment.deleted_at.is_(None))
        .values(deleted_at=now, body="")).rowcount
    db.session.expire(comment, ["deleted_at", "body"])
    if deleted:
        db.session.execute(sa.update(Proposal).where(Proposal.id == comment.proposal_id)
                           .values(comment_count=Proposal.comment_count - 1))


# --- Reports and hiding --------------------------------------------------------------------

def report(reporter: User, proposal: Proposal, reason: str, details: str | None,
           now: datetime, comment: Comment | None = None) -> bool:
    """Record a report; hide the content once enough different people reported it.

    Returns False when this person had already reported it (nothing changes).

    Reports on one content are taken one at a time (its row is locked first): two taps
    of one person make one report, not a unique-constraint error, and reports arriving
    together all count towards hiding it."""
    target = comment or proposal
    db.session.refresh(target, ["report_count", "hidden_at", "hidden_reason"],
                       with_for_update=True)
    exists = sa.select(Report.id).where(Report.reporter_id == reporter.id,
                                        Report.proposal_id == proposal.id)
    exists = exists.where(Report.comment_id == comment.id) if comment else \
        exists.where(Report.comment_id.is_(None))
    if db.session.scalar(exists) is not None:
        return False
    db.session.add(Report(reporter=reporter, proposal=proposal, comment=comment, reason=reason,
                          details=clean_line(details)[:500] or None, created_at=now))
    db.session.flush()
    open_reports = db.session.scalars(sa.select(Report.reason).where(
        Report.proposal_id == proposal.id, Report.resolved_at.is_(None),
        Report.comment_id == comment.id if comment else Report.comment_id.is_(None))).all()
    target.report_count = len(open_reports)
    if target.hidden_at is None and len(open_reports) >= current_app.config["REPORTS_TO_HIDE"]:
        target.hidden_at = now
        target.hidden_reason = Counter(open_reports).most_common(1)[0][0]
        notify([target.author], "my_proposals", "proposal.hidden", _url(proposal), now,
               title=proposal.title)
    notify(moderators_of(proposal.centre_id), "moderation", "proposal.reported",
           path_for("moderation.queue"), now, title=proposal.title)
    return True


def decide_reports(moderator: User, proposal: Proposal, comment: Comment | None,
                   decision: str, now: datetime) -> None:
    """Close the open reports on a content: keep it visible, or keep it hidden (one
    decision or report at a time on a content: its row is locked, as in ``report``)."""
    target = comment or proposal
    db.session.refresh(target, ["report_count", "hidden_at", "hidden_reason"],
                       with_for_update=True)
    query = sa.update(Report).where(Report.proposal_id == proposal.id,
                                    Report.resolved_at.is_(None))
    query = query.where(Report.comment_id == comment.id) if comment else \
        query.where(Report.comment_id.is_(None))
    db.session.execute(query.values(resolved_at=now, resolved_by_id=moderator.id,
                                    decision=decision))
    if decision == "kept":
        target.hidden_at = target.hidden_reason = None
    else:
        target.hidden_at = target.hidden_at or now
        target.hidden_reason = target.hidden_reason or "other"
    target.report_count = 0
    _event(proposal, moderator, f"reports_{decision}", now,
           message=f"comment {comment.id}" if comment else None)


# --- Similar proposals and search ----------------------------------------------------------

def similar_proposals(text: str, exclude_id: int | None = None, limit: int = 5) -> list:
    """Public proposals sharing the most words with ``text`` (accents and case ignored)."""
    words = list(dict.fromkeys(_words(text)))[:8]
    if not words:
        return []
    query = (sa.select(Proposal).where(Proposal.status.in_(PUBLIC_STATUSES),
                                       Proposal.hidden_at.is_(None),
                                       sa.or_(*[Proposal.search_text.contains(w)
                                                for w in words]))
             .order_by(Proposal.support_count.desc()).limit(60))
    if exclude_id is not None:
        query = query.where(Proposal.id != exclude_id)
    candidates = db.session.scalars(query).all()
    scored = sorted(candidates, key=lambda p: (-sum(w in p.search_text.split() for w in words),
                                               -p.support_count))
    return [p for p in scored if any(w in p.search_text.split() for w in words)][:limit]


def search_condition(query_text: str):
    """Every word must appear in the title or text, accents and case ignored."""
    words = re.findall(r"\w+", fold(query_text or ""))[:8]
    return sa.and_(*[Proposal.search_text.contains(w) for w in words]) if words else None


# --- Answer deadline -----------------------------------------------------------------------

def answer_deadline(proposal: Proposal) -> datetime | None:
    if proposal.published_at is None:
        return None
    return proposal.published_at + timedelta(days=current_app.config["ANSWER_DEADLINE_DAYS"])


def waiting_days(proposal: Proposal, now: datetime) -> int | None:
    """Days a published proposal has waited for its first answer (None once answered)."""
    if proposal.published_at is None or proposal.first_answer_at is not None \
            or proposal.status != "published":
        return None
    return (now - proposal.published_at).days


def send_answer_reminders(now: datetime) -> dict[str, int]:
    """Remind animators before the deadline; tell the director once it has passed."""
    days = current_app.config["ANSWER_DEADLINE_DAYS"]
    before = current_app.config["ANSWER_REMINDER_DAYS"]
    waiting = (sa.select(Proposal).options(joinedload(Proposal.centre))
               .where(Proposal.status == "published", Proposal.first_answer_at.is_(None)))
    counts = {"reminded": 0, "overdue": 0}
    staff: dict[int, list[User]] = {}  # one query per centre, not per proposal

    def staff_of(proposal, kind):
        if proposal.centre_id not in staff:
            staff[proposal.centre_id] = moderators_of(proposal.centre_id)
        return [u for u in staff[proposal.centre_id]
                if any(r.kind == kind and r.organisation_id == proposal.centre_id
                       for r in u.roles)]

    soon = db.session.scalars(waiting.where(
        Proposal.answer_reminder_sent_at.is_(None),
        Proposal.published_at <= now - timedelta(days=days - before))).all()
    for proposal in soon:
        notify(staff_of(proposal, "animator"), "moderation", "proposal.answer_due",
               _url(proposal), now, title=proposal.title,
               date=answer_deadline(proposal).date().isoformat())
        proposal.answer_reminder_sent_at = now
        counts["reminded"] += 1
    late = db.session.scalars(waiting.where(
        Proposal.answer_overdue_sent_at.is_(None),
        Proposal.published_at <= now - timedelta(days=days))).all()
    for proposal in late:
        notify(staff_of(proposal, "director"), "moderation", "proposal.answer_overdue",
               _url(proposal), now, title=proposal.title, days=days)
        proposal.answer_overdue_sent_at = now
        counts["overdue"] += 1
    db.session.flush()
    return counts


def answer_days(published: datetime, answered: datetime) -> float:
    """Days from a proposal's publication to its first public answer."""
    return (answered - published).total_seconds() / 86400


def median_answer_days(days: list[float]) -> float | None:
    """The median of ``answer_days`` values, to a tenth of a day (None when none)."""
    return round(statistics.median(days), 1) if days else None


def answer_times_by_centre(now: datetime) -> list[dict]:
    """For each centre: median days from publication to first answer, and what still waits."""
    rows = db.session.execute(
        sa.select(Proposal.centre_id, Proposal.published_at, Proposal.first_answer_at)
        .where(Proposal.published_at.is_not(None),
               Proposal.status.in_(PUBLIC_STATUSES))).all()
    by_centre: dict[int, dict] = {}
    for centre_id, published, answered in rows:
        entry = by_centre.setdefault(centre_id, {"answered": [], "waiting": 0})
        if answered is not None:
            entry["answered"].append(answer_days(published, answered))
        else:
            entry["waiting"] += 1
    centres = db.session.scalars(sa.select(Centre).order_by(Centre.short_name)).all()
    return [{"centre": c,
             "median_days": median_answer_days(by_centre.get(c.id, {}).get("answered", [])),
             "answered": len(by_centre.get(c.id, {}).get("answered", [])),
             "waiting": by_centre.get(c.id, {}).get("waiting", 0)} for c in centres]


# --- Personal data -------------------------------------------------------------------------

@personal_data.exporter("proposals")
def _export_proposals(user: User) -> list:
    rows = db.session.scalars(sa.select(Proposal).where(Proposal.author_id == user.id)
                              .order_by(Proposal.id))
    return [{"title": p.title, "text": p.body, "status": p.status,
             "created_at": p.created_at.isoformat(),
             "public_answer": p.public_answer} for p in rows]


@personal_data.exporter("supports")
def _export_supports(user: User) -> list:
    rows = db.session.execute(sa.select(Proposal.title, Support.created_at)
                              .join(Support, Support.proposal_id == Proposal.id)
                              .where(Support.user_id == user.id))
    return [{"proposal": title, "when": when.isoformat()} for title, when in rows]


@personal_data.exporter("comments")
def _export_comments(user: User) -> list:
    rows = db.session.scalars(sa.select(Comment).where(Comment.author_id == user.id,
                                                       Comment.deleted_at.is_(None)))
    return [{"proposal_id": c.proposal_id, "text": c.body, "when": c.created_at.isoformat()}
            for c in rows]


@personal_data.eraser
def _erase_drafts(user: User) -> None:
    """Unpublished drafts are private work: they go with the account; published ideas stay."""
    drafts = db.session.scalars(sa.select(Proposal).where(
        Proposal.author_id == user.id,
        Proposal.status.in_(("draft", "changes_requested", "submitted", "rejected")))).all()
    for proposal in drafts:
        delete_image(proposal.photo, proposal.photo_thumb)
        # Their history leaves the moderation log, with a tombstone per entry so the
        # hash chain still verifies.
        chain.erase_entries(ProposalEvent, ProposalEvent.proposal_id == proposal.id)
        db.session.delete(proposal)
    # Their reports stay for the moderation record, without the words they typed.
    db.session.execute(sa.update(Report).where(Report.reporter_id == user.id)
                       .values(details=None))


def save_theme(admin: User, theme: Theme | None, *, name_fr: str, name_en: str,
               position: int) -> Theme:
    """Create (``theme`` None) or rename a theme; names are unique."""
    clash = sa.select(Theme.id).where(Theme.name_fr == name_fr)
    if theme is not None:
        clash = clash.where(Theme.id != theme.id)
    if db.session.scalar(clash):
        raise DomainError(_l("Another theme already has this name."), "name_fr")
    theme = theme or Theme()
    theme.name_fr, theme.name_en, theme.position = name_fr, name_en, position
    db.session.add(theme)
    db.session.flush()
    return theme
