"""The quarterly report to the Conseil (issue 8, item 3): the dashboard of one quarter,
the consultations closed in it with their results, the decisions the Conseil took in it,
and where each fiche action stands. Print view and PDF share one template.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload, lazyload

from participation.actions.models import STATUS_LABELS as SHEET_STATUSES
from participation.actions.models import ActionSheet, Milestone
from participation.consultations.models import Consultation, Question
from participation.consultations.queries import results_by_question
from participation.council.models import COUNCIL, Body, Decision, Meeting
from participation.extensions import db
from participation.results.queries import PARIS, Period, _within, dashboard

# What a fiche did during the quarter, from its own dates.
STEPS = (("validated_at", _l("validated")), ("started_at", _l("started")),
         ("completed_at", _l("completed")), ("abandoned_at", _l("abandoned")))


def default_period(now: datetime) -> Period:
    """The last complete quarter: the one a Conseil meeting reviews."""
    return Period.containing(now).previous()


def quarter_before(moment: datetime) -> Period:
    """The quarter before the one ``moment`` falls in (for a meeting's report link)."""
    return Period.containing(moment).previous()


def decisions(period: Period) -> list[Decision]:
    """Published decisions of the Conseil taken at its meetings in ``period``."""
    start, end = period.bounds
    return list(db.session.scalars(
        sa.select(Decision).join(Meeting, Meeting.id == Decision.meeting_id)
        .join(Body, Body.id == Decision.body_id)
        .where(Body.kind == COUNCIL, Decision.published_at.is_not(None),
               _within(Meeting.starts_at, start, end))
        .options(contains_eager(Decision.meeting))
        .order_by(Decision.year, Decision.number)))


def closed_consultations(period: Period, now: datetime) -> list[dict]:
    """Consultations closed in ``period`` (by ``now``), with their results where published.
    One query: questions and options come joined (the report shows no communes)."""
    start, end = period.bounds
    end = min(end, now)
    found = db.session.scalars(
        sa.select(Consultation).where(Consultation.scheduled_at.is_not(None),
                                      _within(Consultation.closes_at, start, end))
        .options(lazyload(Consultation.communes),
                 joinedload(Consultation.questions).joinedload(Question.options))
        .order_by(Consultation.closes_at, Consultation.id)).unique().all()
    return [{"consultation": c,
             "questions": results_by_question(c) if c.results and c.results_published_at
             else None} for c in found]


def sheets_progress(period: Period) -> list[dict]:
    """Every fiche action past the draft: its status, what it did in the quarter, and its
    milestones due by the end of the quarter among all of them. One query."""
    start, end = period.bounds
    day_after = period.days[1]
    milestones = (sa.select(sa.func.count(Milestone.id))
                  .where(Milestone.sheet_id == ActionSheet.id)
                  .correlate(ActionSheet).scalar_subquery())
    due = (sa.select(sa.func.count(Milestone.id))
           .where(Milestone.sheet_id == ActionSheet.id, Milestone.due_on < day_after)
           .correlate(ActionSheet).scalar_subquery())
    rows = db.session.execute(
        sa.select(ActionSheet, milestones, due)
        .where(ActionSheet.status != "draft")
        .order_by(ActionSheet.status, ActionSheet.id)).all()
    order = list(SHEET_STATUSES)
    result = []
    for sheet, total, passed in sorted(rows, key=lambda r: (order.index(r[0].status),
                                                            r[0].id)):
        done = [str(label) for attr, label in STEPS
                if (moment := getattr(sheet, attr)) is not None and start <= moment < end]
        result.append({"sheet": sheet, "status": str(SHEET_STATUSES[sheet.status]),
                       "in_period": ", ".join(done), "milestones": total, "due": passed})
    return result


def gather(period: Period, now: datetime) -> dict:
    """Everything the report shows for ``period``."""
    return {**dashboard(period, now),
            "consultations": closed_consultations(period, now),
            "decisions": decisions(period),
            "sheets": sheets_progress(period),
            "made_on": now.astimezone(PARIS)}
