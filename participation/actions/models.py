"""Fiches action: the cooperative actions of the centres, from retained proposals to their
evaluation.

A fiche (``ActionSheet``) says what the action is for (objectives, each with an
indicator and a target, and at the end its result), who does what (actors: a
centre, a partner or a group of inhabitants, one of them leading), with what
(``Means``: pooled between centres, requested from a partner, or the actor's
own; amounts in cents), when (milestones), where (communes), and where it comes
from (retained proposals, consultations). Partner agreements (conventions) are
annexed as PDF files.

Its status moves draft → submitted → validated (only by a Conseil decision, see
``services.validate_by_decision``) → in_progress → completed, or abandoned.
Every move is kept in ``ActionSheetEvent``.
"""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import User
from participation.core.models import TimestampMixin, UTCDateTime, utcnow
from participation.extensions import db
from participation.territory.models import Commune, Organisation

STATUS_LABELS = {
    "draft": _l("draft"),
    "submitted": _l("submitted to the Conseil"),
    "validated": _l("validated by the Conseil"),
    "in_progress": _l("in progress"),
    "completed": _l("completed"),
    "abandoned": _l("abandoned"),
}
STATUSES = tuple(STATUS_LABELS)
# From "validated" on, a fiche is public: partners and everyone follow it.
PUBLIC_STATUSES = ("validated", "in_progress", "completed", "abandoned")
# Statuses in which the directors' collective may decide within the action (rule 6).
ACTIVE_STATUSES = ("validated", "in_progress")

EVENT_LABELS = {
    "created": _l("Fiche written"),
    "edited": _l("Fiche changed"),
    "submitted": _l("Submitted to the Conseil"),
    "validated": _l("Validated by a Conseil decision"),
    "started": _l("Action started"),
    "completed": _l("Action completed and evaluated"),
    "abandoned": _l("Action abandoned"),
    "agreement_added": _l("Agreement annexed"),
    "means_status": _l("Requested means answered"),
}

MEANS_KINDS = {
    "pooled": _l("pooled between centres"),
    "requested": _l("requested from a partner"),
    "own": _l("own means"),
}
REQUEST_STATUSES = {
    "requested": _l("requested"),
    "granted": _l("granted"),
    "refused": _l("refused"),
}

sheet_communes = sa.Table(
    "action_sheet_communes", db.metadata,
    sa.Column("sheet_id", sa.ForeignKey("action_sheets.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("commune_id", sa.ForeignKey("communes.id"), primary_key=True),
)
sheet_proposals = sa.Table(
    "action_sheet_proposals", db.metadata,
    sa.Column("sheet_id", sa.ForeignKey("action_sheets.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("proposal_id", sa.ForeignKey("proposals.id"), primary_key=True, index=True),
)
sheet_consultations = sa.Table(
    "action_sheet_consultations", db.metadata,
    sa.Column("sheet_id", sa.ForeignKey("action_sheets.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("consultation_id", sa.ForeignKey("consultations.id"), primary_key=True),
)

sheet_projects = sa.Table(
    "action_sheet_projects", db.metadata,
    sa.Column("sheet_id", sa.ForeignKey("action_sheets.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("project_id", sa.ForeignKey("shared_projects.id"), primary_key=True),
)


class ActionSheet(TimestampMixin, db.Model):
    """A cooperative action, as the Conseil validates it and everyone follows it."""

    __tablename__ = "action_sheets"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'submitted', 'validated', 'in_progress', "
                           "'completed', 'abandoned')", name="status_known"),
        sa.CheckConstraint("status != 'abandoned' OR abandon_reason IS NOT NULL",
                           name="abandoned_has_reason"),
        sa.CheckConstraint("status != 'completed' OR evaluation IS NOT NULL",
                           name="completed_has_evaluation"),
        sa.Index("ix_action_sheets_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    summary: Mapped[str] = mapped_column(sa.Text)
    context: Mapped[str | None] = mapped_column(sa.Text)
    # Title and summary folded (lower case, no accents) for search.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The agenda item the submission put it on (None while it waits for a meeting).
    agenda_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("council_agenda_items.id", ondelete="SET NULL"))
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evaluation: Mapped[str | None] = mapped_column(sa.Text)
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    abandon_reason: Mapped[str | None] = mapped_column(sa.Text)

    created_by: Mapped[User | None] = relationship()
    objectives: Mapped[list["Objective"]] = relationship(
        back_populates="sheet", order_by="Objective.id", cascade="all, delete-orphan")
    actors: Mapped[list["Actor"]] = relationship(
        back_populates="sheet", order_by="Actor.id", cascade="all, delete-orphan")
    means: Mapped[list["Means"]] = relationship(
        back_populates="sheet", order_by="Means.id", cascade="all, delete-orphan")
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="sheet", order_by="(Milestone.due_on, Milestone.id)",
        cascade="all, delete-orphan")
    agreements: Mapped[list["Agreement"]] = relationship(
        back_populates="sheet", order_by="Agreement.id", cascade="all, delete-orphan")
    events: Mapped[list["ActionSheetEvent"]] = relationship(
        back_populates="sheet", order_by="ActionSheetEvent.id", cascade="all, delete-orphan")
    communes: Mapped[list[Commune]] = relationship(secondary=sheet_communes,
                                                   order_by="Commune.name")
    proposals = relationship("Proposal", secondary=sheet_proposals, order_by="Proposal.id")
    consultations = relationship("Consultation", secondary=sheet_consultations,
                                 order_by="Consultation.id")
    # Shared projects that carry the action out; their accepted offers of help are
    # means given by inhabitants.
    projects = relationship("SharedProject", secondary=sheet_projects,
                            order_by="SharedProject.id")
    agenda_item = relationship("AgendaItem")
    # The Conseil decision that validated it (``Decision.validates_action_sheet_id``).
    validating_decision = relationship(
        "Decision", primaryjoin="Decision.validates_action_sheet_id == ActionSheet.id",
        foreign_keys="Decision.validates_action_sheet_id", viewonly=True, uselist=False)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def lead(self) -> "Actor | None":
        return next((a for a in self.actors if a.is_lead), None)

    def __str__(self) -> str:
        return self.title


class Objective(db.Model):
    """What the action aims at, how it is measured (indicator), the target, and at the
    end the result."""

    __tablename__ = "action_objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_sheets.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.String(300))
    indicator: Mapped[str] = mapped_column(sa.String(300))
    target: Mapped[str] = mapped_column(sa.String(200))
    result: Mapped[str | None] = mapped_column(sa.String(500))

    sheet: Mapped[ActionSheet] = relationship(back_populates="objectives")


class Actor(db.Model):
    """Who takes part: a centre or a partner (``organisation``), or a group of inhabitants
    described in ``group``; with the role they play. One actor leads."""

    __tablename__ = "action_actors"
    __table_args__ = (
        sa.CheckConstraint("(organisation_id IS NULL) != (group_name IS NULL)",
                           name="organisation_or_group"),
        # At most one lead per fiche; submitting requires exactly one.
        sa.Index("uq_action_actors_one_lead", "sheet_id", unique=True,
                 sqlite_where=sa.text("is_lead"), postgresql_where=sa.text("is_lead")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_sheets.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"),
                                                        index=True)
    group_name: Mapped[str | None] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(500))
    is_lead: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    sheet: Mapped[ActionSheet] = relationship(back_populates="actors")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @property
    def name(self) -> str:
        return self.organisation.name if self.organisation else self.group_name


class Means(db.Model):
    """A means the action uses: pooled between centres, requested from a partner, or the
    actor's own; what, from whom, and how much (in cents, optional). A requested means
    is requested, then granted or refused."""

    __tablename__ = "action_means"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('pooled', 'requested', 'own')", name="kind_known"),
        sa.CheckConstraint("amount_cents IS NULL OR amount_cents >= 0",
                           name="amount_not_negative"),
        sa.CheckConstraint(
            "(kind = 'requested' AND request_status IN ('requested', 'granted', 'refused')) OR "
            "(kind != 'requested' AND request_status IS NULL)", name="request_status_known"),
        sa.CheckConstraint("organisation_id IS NULL OR provider IS NULL",
                           name="one_provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_sheets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    what: Mapped[str] = mapped_column(sa.String(300))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"),
                                                        index=True)
    provider: Mapped[str | None] = mapped_column(sa.String(200))
    amount_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    request_status: Mapped[str | None] = mapped_column(sa.String(10))

    sheet: Mapped[ActionSheet] = relationship(back_populates="means")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return str(MEANS_KINDS[self.kind])

    @property
    def request_status_label(self) -> str:
        return str(REQUEST_STATUSES[self.request_status]) if self.request_status else ""

    @property
    def amount_label(self) -> str:
        """The amount in euros, written the reader's way (``1 250,50 €``)."""
        from decimal import Decimal

        from flask_babel import format_currency

        if self.amount_cents is None:
            return ""
        return format_currency(Decimal(self.amount_cents) / 100, "EUR")

    @property
    def from_whom(self) -> str:
        return self.organisation.name if self.organisation else (self.provider or "")


class Milestone(db.Model):
    """A step of the action, with its date."""

    __tablename__ = "action_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_sheets.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date] = mapped_column(sa.Date)

    sheet: Mapped[ActionSheet] = relationship(back_populates="milestones")


class Agreement(TimestampMixin, db.Model):
    """A convention signed with a partner, annexed as a PDF stored under UPLOAD_FOLDER
    with a random name."""

    __tablename__ = "action_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_sheets.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    signed_on: Mapped[date] = mapped_column(sa.Date)
    file_name: Mapped[str] = mapped_column(sa.String(80))
    size: Mapped[int] = mapped_column(sa.Integer)

    sheet: Mapped[ActionSheet] = relationship(back_populates="agreements")
    partner: Mapped[Organisation] = relationship(lazy="joined")


class ActionSheetEvent(db.Model):
    """One step in a fiche's history: who, when, what (and the status it led to)."""

    __tablename__ = "action_sheet_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_sheets.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    status: Mapped[str] = mapped_column(sa.String(20))
    message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sheet: Mapped[ActionSheet] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))
