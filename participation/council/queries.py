"""Reads of the Conseil that several pages share."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from participation.council.models import Body, Decision, Link, Meeting
from participation.extensions import db


def upcoming_meetings(body: Body, now: datetime, limit: int = 10) -> list[Meeting]:
    return list(db.session.scalars(
        sa.select(Meeting).where(Meeting.body_id == body.id, Meeting.starts_at > now)
        .options(selectinload(Meeting.convocation))
        .order_by(Meeting.starts_at).limit(limit)))


def past_meetings(body: Body, now: datetime, page: int, per_page: int = 10):
    return db.paginate(
        sa.select(Meeting).where(Meeting.body_id == body.id, Meeting.starts_at <= now)
        .options(selectinload(Meeting.minutes), selectinload(Meeting.decisions))
        .order_by(Meeting.starts_at.desc()), page=page, per_page=per_page, error_out=False)


def register_years(body: Body | None = None) -> list[int]:
    query = sa.select(Decision.year).where(Decision.published_at.is_not(None)).distinct()
    if body is not None:
        query = query.where(Decision.body_id == body.id)
    return sorted(db.session.scalars(query), reverse=True)


def register_query(body: Body | None, year: int | None):
    """Published decisions, newest first, with what a register line shows loaded at once."""
    query = (sa.select(Decision).where(Decision.published_at.is_not(None))
             .options(selectinload(Decision.links), selectinload(Decision.meeting))
             .order_by(Decision.year.desc(), Decision.body_id, Decision.number.desc()))
    if body is not None:
        query = query.where(Decision.body_id == body.id)
    if year is not None:
        query = query.where(Decision.year == year)
    return query


def decisions_linking(kind: str, target_id: int) -> list[Decision]:
    """Published decisions that concern a proposal, consultation, project or fiche action
    (for their pages: an inhabitant follows an idea to what was decided)."""
    return list(db.session.scalars(
        sa.select(Decision).join(Link, Link.decision_id == Decision.id)
        .where(Link.kind == kind, Link.target_id == target_id,
               Decision.published_at.is_not(None))
        .order_by(Decision.year, Decision.number)))
