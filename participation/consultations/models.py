"""Consultations: questions, the fact that someone voted, and the secret content of votes.

``Participation`` (who voted, when, how) and ``Ballot`` (what was voted) are
written in the same transaction and never linked: no foreign key between
them, no shared timestamp (a ballot only knows the day), and a random
primary key so that neither insertion order nor listing order tells who
voted what.
"""

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.models import TimestampMixin, UTCDateTime
from participation.council.models import Body
from participation.extensions import db
from participation.territory.models import Commune, Organisation

SINGLE, APPROVAL, JUDGMENT = "single", "approval", "judgment"
QUESTION_KINDS = {
    SINGLE: _l("Single choice"),
    APPROVAL: _l("Several choices, with a maximum"),
    JUDGMENT: _l("Majority judgment (a grade for each option)"),
}
DEFAULT_GRADES = ["Excellent", "Très bien", "Bien", "Assez bien", "Passable", "Insuffisant",
                  "À rejeter"]

ONLINE, PAPER, ASSISTED = "online", "paper", "assisted"
CHANNELS = {
    ONLINE: _l("online"),
    PAPER: _l("paper ballot at a centre"),
    ASSISTED: _l("assisted at a centre"),
}

DRAFT, SCHEDULED, OPEN, CLOSED, PUBLISHED = "draft", "scheduled", "open", "closed", "published"
PHASES = {
    DRAFT: _l("draft"),
    SCHEDULED: _l("coming"),
    OPEN: _l("open"),
    CLOSED: _l("closed, results coming"),
    PUBLISHED: _l("results published"),
}

# Trackers: unambiguous letters and digits, 80 random bits.
TRACKER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_tracker() -> str:
    return "".join(secrets.choice(TRACKER_ALPHABET) for _ in range(16))


consultation_communes = sa.Table(
    "consultation_communes",
    db.metadata,
    sa.Column("consultation_id", sa.ForeignKey("consultations.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("commune_id", sa.ForeignKey("communes.id"), primary_key=True),
)


class Consultation(TimestampMixin, db.Model):
    """A vote with one or more questions, run by a centre's animators and directors.

    Its phase (draft → scheduled → open → closed → results published) is data:
    ``scheduled_at``, the two dates and ``results_published_at``, read through
    ``phase(now)``. The fingerprint is computed when it is scheduled, again at
    each change until it opens, and nothing entering it can change after that.
    """

    __tablename__ = "consultations"
    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        sa.CheckConstraint("(organisation_id IS NULL) <> (council_body_id IS NULL)",
                           name="one_organiser"),
        sa.CheckConstraint("min_age IS NULL OR (min_age BETWEEN 0 AND 120)",
                           name="min_age_plausible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Organised by a centre, or by the Conseil itself (through its runners of the year).
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    council_body_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council_bodies.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_only: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    min_age: Mapped[int | None] = mapped_column(sa.Integer)
    # List trackers beside their ballot's content (full per-ballot checking, but a
    # receipt then shows how its holder voted).
    paired_listing: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    results_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When eligible inhabitants were told it opened, and reminded it closes soon.
    opening_notice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The tally, counted once when results are published (see tally.py).
    results: Mapped[dict | None] = mapped_column(sa.JSON)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    council_body: Mapped["Body | None"] = relationship(lazy="joined")
    communes: Mapped[list[Commune]] = relationship(secondary=consultation_communes,
                                                   order_by=Commune.name, lazy="selectin")
    questions: Mapped[list["Question"]] = relationship(
        back_populates="consultation", order_by="Question.position",
        cascade="all, delete-orphan", lazy="selectin")

    @property
    def organiser(self):
        """The centre, or the Conseil, in whose name it is held (both have a ``name``)."""
        return self.organisation or self.council_body

    @property
    def organiser_short_name(self) -> str:
        return self.organisation.short_name if self.organisation else self.council_body.name

    def phase(self, now: datetime) -> str:
        """Where the consultation stands at ``now``: the one place phases are decided."""
        if self.scheduled_at is None:
            return DRAFT
        if now < self.opens_at:
            return SCHEDULED
        if now < self.closes_at:
            return OPEN
        return PUBLISHED if self.results_published_at is not None else CLOSED

    def phase_label(self, now: datetime) -> str:
        return str(PHASES[self.phase(now)])

    def __str__(self) -> str:
        return self.title


class Question(db.Model):
    __tablename__ = "consultation_questions"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('single', 'approval', 'judgment')", name="kind_known"),
        sa.CheckConstraint("max_choices IS NULL OR max_choices >= 1", name="max_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    kind: Mapped[str] = mapped_column(sa.String(10))
    text: Mapped[str] = mapped_column(sa.String(300))
    max_choices: Mapped[int | None] = mapped_column(sa.Integer)
    # Majority judgment: the named grades, best first.
    grades: Mapped[list | None] = mapped_column(sa.JSON)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")
    options: Mapped[list["Option"]] = relationship(
        back_populates="question", order_by="Option.position", cascade="all, delete-orphan",
        lazy="selectin")

    @property
    def kind_label(self) -> str:
        return str(QUESTION_KINDS[self.kind])


class Option(db.Model):
    __tablename__ = "consultation_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation_questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    label: Mapped[str] = mapped_column(sa.String(200))

    question: Mapped[Question] = relationship(back_populates="options")


class Participation(db.Model):
    """The fact that a person voted (émargement): never what they voted.

    The person's row stays when the account is deleted (anonymised), so the
    number of participations keeps matching the number of ballots.
    """

    __tablename__ = "consultation_participations"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "consultation_id"),
        sa.Index("ix_consultation_participations_day", "day"),
        sa.CheckConstraint("channel IN ('online', 'paper', 'assisted')", name="channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(10))
    day: Mapped[date] = mapped_column(sa.Date)
    # Where the person was when they voted at a desk; their commune when they voted.
    centre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    commune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communes.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    consultation: Mapped[Consultation] = relationship()


class Ballot(db.Model):
    """The content of one vote. No person, no time of day: the day only, the channel,
    and the centre for ballots entered at a desk. Its random id is the tracker."""

    __tablename__ = "consultation_ballots"
    __table_args__ = (
        sa.CheckConstraint("channel IN ('online', 'paper', 'assisted')", name="channel_known"),
    )

    id: Mapped[str] = mapped_column(sa.String(16), primary_key=True, default=new_tracker)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    # Canonical JSON (sorted keys), so identical contents compare equal in SQL.
    answers: Mapped[str] = mapped_column(sa.Text)
    day: Mapped[date] = mapped_column(sa.Date)
    channel: Mapped[str] = mapped_column(sa.String(10))
    centre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
