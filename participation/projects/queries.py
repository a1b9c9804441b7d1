"""Reads of shared projects that several pages share; eager loading is chosen here, once."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from participation.extensions import db
from participation.projects.models import (
    LEFT,
    REGISTERED,
    WAITING,
    Attendance,
    HelpOffer,
    NewsPost,
    ProjectCentre,
    ProjectSession,
    Registration,
    SharedProject,
    project_communes,
)

PER_PAGE = 20


def _loaded():
    return sa.select(SharedProject).options(
        joinedload(SharedProject.theme), selectinload(SharedProject.communes),
        selectinload(SharedProject.centres))


def public_projects(now: datetime, *, commune_id=None, centre_id=None, theme_id=None,
                    open_only=False):
    """The select behind the public list: published projects, coming first, then past."""
    query = _loaded().where(SharedProject.published_at.is_not(None))
    if commune_id:
        query = query.where(SharedProject.id.in_(
            sa.select(project_communes.c.project_id)
            .where(project_communes.c.commune_id == int(commune_id))))
    if centre_id:
        query = query.where(SharedProject.id.in_(
            sa.select(ProjectCentre.project_id).where(ProjectCentre.centre_id == int(centre_id))))
    if theme_id:
        query = query.where(SharedProject.theme_id == int(theme_id))
    if open_only:
        # The same rule as SharedProject.status(now) in (OPEN, FULL), in SQL.
        query = query.where(SharedProject.cancelled_at.is_(None),
                            SharedProject.registration_opens_at <= now,
                            SharedProject.registration_closes_at > now,
                            SharedProject.starts_at > now)
    over = sa.case((sa.or_(SharedProject.ends_at <= now,
                           SharedProject.cancelled_at.is_not(None)), 1), else_=0)
    return query.order_by(over, SharedProject.starts_at, SharedProject.id)


def managed_projects(user):
    """Projects of the centres where ``user`` works (all of them for admins), drafts too."""
    query = _loaded()
    if not user.is_admin:
        query = query.where(SharedProject.id.in_(
            sa.select(ProjectCentre.project_id).where(
                ProjectCentre.centre_id.in_([c.id for c in user.staff_centres()]))))
    return query.order_by(SharedProject.starts_at.desc(), SharedProject.id.desc())


def get_project(project_id: int) -> SharedProject | None:
    return db.session.scalar(_loaded().where(SharedProject.id == project_id))


def my_registrations(user_id: int):
    """The select behind "Mes projets": what the person joined or waits for."""
    return (sa.select(Registration)
            .options(joinedload(Registration.project).joinedload(SharedProject.theme),
                     joinedload(Registration.project).selectinload(SharedProject.centres))
            .join(SharedProject, SharedProject.id == Registration.project_id)
            .where(Registration.person_id == user_id, Registration.status != LEFT)
            .order_by(SharedProject.starts_at.desc(), Registration.id.desc()))


def sessions_of(project: SharedProject) -> list[ProjectSession]:
    return list(db.session.scalars(sa.select(ProjectSession)
                                   .where(ProjectSession.project_id == project.id)
                                   .order_by(ProjectSession.starts_at)))


def news_of(project: SharedProject, limit: int = 20) -> list[NewsPost]:
    return list(db.session.scalars(sa.select(NewsPost).options(joinedload(NewsPost.author))
                                   .where(NewsPost.project_id == project.id)
                                   .order_by(NewsPost.id.desc()).limit(limit)))


def counts(project: SharedProject) -> dict[str, int]:
    """How many people are registered and waiting (one query)."""
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count())
        .where(Registration.project_id == project.id, Registration.status != LEFT)
        .group_by(Registration.status)).all()
    found = dict(rows)
    return {REGISTERED: found.get(REGISTERED, 0), WAITING: found.get(WAITING, 0)}


def participants(project: SharedProject) -> tuple[list[Registration], list[Registration]]:
    """Registered people (by date) and the waiting list (in order), in one query."""
    rows = db.session.scalars(
        sa.select(Registration)
        .options(joinedload(Registration.person), joinedload(Registration.registered_by))
        .where(Registration.project_id == project.id, Registration.status != LEFT)
        .order_by(Registration.id)).all()
    registered = [r for r in rows if r.status == REGISTERED]
    waiting = sorted((r for r in rows if r.status == WAITING), key=lambda r: r.position)
    return registered, waiting


def attendance_of(session: ProjectSession) -> dict[int, bool]:
    return dict(db.session.execute(
        sa.select(Attendance.registration_id, Attendance.present)
        .where(Attendance.session_id == session.id)).all())


def attendance_table(project: SharedProject) -> dict[tuple[int, int], bool]:
    """(registration, session) → present, for the whole project (CSV export)."""
    rows = db.session.execute(
        sa.select(Attendance.registration_id, Attendance.session_id, Attendance.present)
        .join(ProjectSession, ProjectSession.id == Attendance.session_id)
        .where(ProjectSession.project_id == project.id)).all()
    return {(r, s): p for r, s, p in rows}


def help_offers(project: SharedProject) -> list[HelpOffer]:
    return list(db.session.scalars(sa.select(HelpOffer).options(joinedload(HelpOffer.person))
                                   .where(HelpOffer.project_id == project.id)
                                   .order_by(HelpOffer.status.desc(), HelpOffer.id)))


def coming_sessions(now: datetime):
    """Sessions still to come of published projects not cancelled, soonest first."""
    return (sa.select(ProjectSession)
            .options(joinedload(ProjectSession.project))
            .join(SharedProject, SharedProject.id == ProjectSession.project_id)
            .where(ProjectSession.ends_at > now, SharedProject.published_at.is_not(None),
                   SharedProject.cancelled_at.is_(None))
            .order_by(ProjectSession.starts_at, ProjectSession.id))
