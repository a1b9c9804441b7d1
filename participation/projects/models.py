"""Shared projects: centres publish them together, inhabitants join them.

A project's status is derived from its dates and its places through one
function, ``SharedProject.status(now)``; only what cannot be derived is stored
(published or still a draft, cancelled). ``places_taken`` counts the places of
confirmed registrations (each person plus the people coming with them); it is
kept in the same transaction as the registrations, and the database refuses a
value above the capacity.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import User
from participation.core.models import TimestampMixin, UTCDateTime, utcnow
from participation.extensions import db
from participation.proposals.models import Proposal, Theme
from participation.territory.models import Centre, Commune

DRAFT, SOON, OPEN, FULL, CLOSED = "draft", "soon", "open", "full", "closed"
IN_PROGRESS, FINISHED, CANCELLED = "in_progress", "finished", "cancelled"
STATUSES = {
    DRAFT: _l("draft"),
    SOON: _l("registration opens soon"),
    OPEN: _l("open for registration"),
    FULL: _l("full (waiting list)"),
    CLOSED: _l("registration closed"),
    IN_PROGRESS: _l("in progress"),
    FINISHED: _l("finished"),
    CANCELLED: _l("cancelled"),
}
# While registration is possible (on the list when places remain, else waiting).
JOINABLE = (OPEN, FULL)

REGISTERED, WAITING, LEFT = "registered", "waiting", "left"
REGISTRATION_STATUSES = {
    REGISTERED: _l("registered"),
    WAITING: _l("on the waiting list"),
    LEFT: _l("left"),
}

HELP_KINDS = {
    "time": _l("some of my time"),
    "skill": _l("a skill"),
    "equipment": _l("equipment"),
}
OFFERED, ACCEPTED = "offered", "accepted"
HELP_STATUSES = {OFFERED: _l("offered"), ACCEPTED: _l("accepted")}

project_communes = sa.Table(
    "project_communes",
    db.metadata,
    sa.Column("project_id", sa.ForeignKey("shared_projects.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("commune_id", sa.ForeignKey("communes.id"), primary_key=True),
)

project_proposals = sa.Table(
    "project_proposals",
    db.metadata,
    sa.Column("project_id", sa.ForeignKey("shared_projects.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("proposal_id", sa.ForeignKey("proposals.id", ondelete="CASCADE"),
              primary_key=True),
)


class SharedProject(TimestampMixin, db.Model):
    """A project several centres run together, which inhabitants join.

    The animators and directors of a participating centre (and admins) prepare,
    publish and run it; anyone reads it once published; logged-in people join.
    """

    __tablename__ = "shared_projects"
    __table_args__ = (
        sa.CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        sa.CheckConstraint("registration_closes_at > registration_opens_at",
                           name="registration_closes_after_opening"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("places_taken >= 0 AND (capacity IS NULL OR places_taken <= capacity)",
                           name="never_overbooked"),
        sa.CheckConstraint("min_age IS NULL OR (min_age BETWEEN 0 AND 120)",
                           name="min_age_plausible"),
        sa.CheckConstraint("max_age IS NULL OR (max_age BETWEEN 0 AND 120)",
                           name="max_age_plausible"),
        sa.CheckConstraint("min_age IS NULL OR max_age IS NULL OR max_age >= min_age",
                           name="age_range_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    theme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("themes.id"))
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    min_age: Mapped[int | None] = mapped_column(sa.Integer)
    max_age: Mapped[int | None] = mapped_column(sa.Integer)
    contact: Mapped[str] = mapped_column(sa.String(200), default="")
    picture: Mapped[str | None] = mapped_column(sa.String(80))
    picture_thumb: Mapped[str | None] = mapped_column(sa.String(80))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    places_taken: Mapped[int] = mapped_column(sa.Integer, default=0)

    theme: Mapped[Theme | None] = relationship()
    communes: Mapped[list[Commune]] = relationship(secondary=project_communes,
                                                   order_by=Commune.name, lazy="selectin")
    centres: Mapped[list["ProjectCentre"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", lazy="selectin",
        order_by="ProjectCentre.id")
    sessions: Mapped[list["ProjectSession"]] = relationship(
        back_populates="project", cascade="all, delete-orphan",
        order_by="ProjectSession.starts_at")
    proposals: Mapped[list[Proposal]] = relationship(secondary=project_proposals,
                                                     order_by=Proposal.id)

    def status(self, now: datetime) -> str:
        """Where the project stands at ``now``: the one place statuses are decided."""
        if self.cancelled_at is not None:
            return CANCELLED
        if self.published_at is None:
            return DRAFT
        if now >= self.ends_at:
            return FINISHED
        if now >= self.starts_at:
            return IN_PROGRESS
        if now < self.registration_opens_at:
            return SOON
        if now >= self.registration_closes_at:
            return CLOSED
        return FULL if self.capacity is not None and self.places_taken >= self.capacity \
            else OPEN

    def status_label(self, now: datetime) -> str:
        return str(STATUSES[self.status(now)])

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.places_taken)

    @property
    def centre_ids(self) -> set[int]:
        return {c.centre_id for c in self.centres}

    def __str__(self) -> str:
        return self.title


class ProjectCentre(db.Model):
    """A centre taking part in a project, with what it does there."""

    __tablename__ = "project_centres"
    __table_args__ = (sa.UniqueConstraint("project_id", "centre_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shared_projects.id", ondelete="CASCADE"), index=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(300), default="")

    project: Mapped[SharedProject] = relationship(back_populates="centres")
    centre: Mapped[Centre] = relationship(lazy="joined")


class ProjectSession(db.Model):
    """One meeting of a project: a day, an hour, a place."""

    __tablename__ = "project_sessions"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shared_projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(160), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(200), default="")

    project: Mapped[SharedProject] = relationship(back_populates="sessions")


class Registration(TimestampMixin, db.Model):
    """A person on a project: registered, waiting (in ``position`` order) or gone.

    One row per person and project; leaving keeps the row (status ``left``) so
    that coming back is a change of status, never a second registration.
    ``registered_by`` is the animator who registered the person at a desk.
    """

    __tablename__ = "project_registrations"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "person_id"),
        sa.CheckConstraint("status IN ('registered', 'waiting', 'left')",
                           name="status_known"),
        sa.CheckConstraint("companions BETWEEN 0 AND 20", name="companions_plausible"),
        sa.CheckConstraint("status != 'waiting' OR position IS NOT NULL",
                           name="waiting_has_position"),
        sa.Index("ix_project_registrations_project_status", "project_id", "status"),
        sa.Index("ix_project_registrations_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shared_projects.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    message: Mapped[str | None] = mapped_column(sa.Text)
    companions: Mapped[int] = mapped_column(sa.Integer, default=0)
    status: Mapped[str] = mapped_column(sa.String(12))
    # Order on the waiting list (smaller first); kept after promotion for the record.
    position: Mapped[int | None] = mapped_column(sa.Integer)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[SharedProject] = relationship()
    person: Mapped[User] = relationship(foreign_keys=[person_id])
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])

    @property
    def places(self) -> int:
        """The places this registration takes: the person and those coming with them."""
        return 1 + self.companions

    @property
    def status_label(self) -> str:
        return str(REGISTRATION_STATUSES[self.status])


class Attendance(db.Model):
    """Whether a registered person came to a session, as marked by an organiser."""

    __tablename__ = "project_attendances"
    __table_args__ = (sa.UniqueConstraint("registration_id", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project_registrations.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project_sessions.id", ondelete="CASCADE"), index=True)
    present: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NewsPost(db.Model):
    """News of a project, written by an organiser; participants are told."""

    __tablename__ = "project_news"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shared_projects.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(160))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()


class HelpOffer(db.Model):
    """"Je peux aider": an inhabitant offers time, a skill or equipment to a project."""

    __tablename__ = "project_help_offers"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('time', 'skill', 'equipment')", name="kind_known"),
        sa.CheckConstraint("status IN ('offered', 'accepted')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shared_projects.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default=OFFERED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    person: Mapped[User] = relationship(foreign_keys=[person_id])
    project: Mapped[SharedProject] = relationship()

    @property
    def kind_label(self) -> str:
        return str(HELP_KINDS[self.kind])

    @property
    def status_label(self) -> str:
        return str(HELP_STATUSES[self.status])
