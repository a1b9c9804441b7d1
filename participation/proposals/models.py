"""Proposals (ideas), their supports, comments, reports and public timeline."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import User
from participation.core.chain import ChainedMixin, chained
from participation.core.models import TimestampMixin, UTCDateTime, utcnow
from participation.extensions import db
from participation.territory.models import Centre, Commune

# The life of a proposal. Before "published" only its author and the
# moderators see it; from "published" on, everyone does.
STATUS_LABELS = {
    "draft": _l("draft"),
    "submitted": _l("waiting for moderation"),
    "changes_requested": _l("changes requested"),
    "rejected": _l("not published"),
    "published": _l("published"),
    "under_study": _l("under study"),
    "retained": _l("retained"),
    "not_retained": _l("not retained"),
    "withdrawn": _l("withdrawn by its author"),
    "realised": _l("realised"),
}
# The steps shown in a proposal's history.
EVENT_LABELS = {
    "created": _l("Draft written"),
    "edited": _l("Changed by its author"),
    "submitted": _l("Sent for moderation"),
    "published": _l("Published"),
    "changes_requested": _l("Sent back to its author for changes"),
    "rejected": _l("Not published"),
    "answered": _l("Public answer"),
    "withdrawn": _l("Withdrawn by its author"),
    "reports_kept": _l("Reports examined: the content stays visible"),
    "reports_hidden": _l("Reports examined: the content stays hidden"),
    "realised": _l("Realised"),
}
PUBLIC_STATUSES = ("published", "under_study", "retained", "not_retained", "withdrawn",
                   "realised")
# Statuses that are a public answer to the idea (the deadline clock stops).
ANSWER_STATUSES = ("under_study", "retained", "not_retained", "realised")


class Theme(db.Model):
    """A theme of proposals; administrators edit the list (names in both languages)."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_fr: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(60))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)

    @property
    def name(self) -> str:
        return self.name_en if str(get_locale()) == "en" else self.name_fr

    def __str__(self) -> str:
        return self.name


class Proposal(TimestampMixin, db.Model):
    """An inhabitant's idea, followed by one centre, answered in public.

    ``support_count`` and ``comment_count`` are kept in the same transaction as
    what they count, so that lists sort on them without counting.
    """

    __tablename__ = "proposals"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'changes_requested', 'rejected', 'published', "
            "'under_study', 'retained', 'not_retained', 'withdrawn', 'realised')",
            name="status_known"),
        sa.CheckConstraint("support_count >= 0 AND comment_count >= 0", name="counts_positive"),
        sa.Index("ix_proposals_public_list", "status", "published_at"),
        # Every filter and sort of the public list: pages are sorted and counted in the
        # index alone (see queries.paginate_public).
        sa.Index("ix_proposals_list", "status", "theme_id", "commune_id", "centre_id",
                 "published_at", "support_count", "comment_count"),
        sa.Index("ix_proposals_published_at", "published_at"),  # the dashboard's periods
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # The staff member who typed it in for the author at a front desk, if any.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)
    # Title and body folded (lower case, no accents) for search and similarity.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("themes.id"))
    commune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communes.id"))  # None: all
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    photo: Mapped[str | None] = mapped_column(sa.String(80))
    photo_thumb: Mapped[str | None] = mapped_column(sa.String(80))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_overdue_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public_answer: Mapped[str | None] = mapped_column(sa.Text)
    support_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    comment_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    report_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(sa.String(20))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    theme: Mapped[Theme] = relationship()
    commune: Mapped[Commune | None] = relationship()
    centre: Mapped[Centre] = relationship()

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES


@chained("moderation", ("proposal_id", "actor_id", "kind", "status", "message", "public",
                        "created_at"), "moderation log (proposal histories)")
class ProposalEvent(ChainedMixin, db.Model):
    """One step in a proposal's history: who did what, when, and why.

    Public events make the timeline everyone reads; the others (moderation
    before publication) are shown to the author and the moderators only.
    """

    __tablename__ = "proposal_events"
    __table_args__ = (sa.Index("uq_proposal_events_chain_seq", "chain_seq", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    status: Mapped[str | None] = mapped_column(sa.String(20))  # the status it led to
    message: Mapped[str | None] = mapped_column(sa.Text)
    public: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
    proposal: Mapped[Proposal] = relationship()


class Support(db.Model):
    """One person's support for one proposal; the unique constraint makes a second impossible."""

    __tablename__ = "supports"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "user_id"),
                      sa.Index("ix_supports_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(db.Model):
    """A comment on a published proposal, or a reply to one (one level only)."""

    __tablename__ = "comments"
    __table_args__ = (
        sa.Index("ix_comments_created_at", "created_at"),
        # A proposal's page of threads, the replies of those threads, and the place of one
        # comment (queries.comment_place) all read this index, not the proposal's rows.
        sa.Index("ix_comments_thread", "proposal_id", "parent_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(sa.String(20))

    author: Mapped[User] = relationship()
    proposal: Mapped[Proposal] = relationship()


REPORT_REASONS = {
    "insult": _l("insult or harassment"),
    "personal_data": _l("personal data about someone"),
    "spam": _l("spam or advertising"),
    "off_topic": _l("off topic"),
    "other": _l("other"),
}


class Report(db.Model):
    """A flag raised by a logged-in person on a proposal or a comment."""

    __tablename__ = "reports"
    __table_args__ = (
        # One report per person and content (comment_id is NULL for the proposal itself).
        sa.Index("uq_reports_on_proposal", "reporter_id", "proposal_id", unique=True,
                 sqlite_where=sa.text("comment_id IS NULL"),
                 postgresql_where=sa.text("comment_id IS NULL")),
        sa.Index("uq_reports_on_comment", "reporter_id", "comment_id", unique=True,
                 sqlite_where=sa.text("comment_id IS NOT NULL"),
                 postgresql_where=sa.text("comment_id IS NOT NULL")),
        sa.CheckConstraint(
            "reason IN ('insult', 'personal_data', 'spam', 'off_topic', 'other')",
            name="reason_known"),
        sa.CheckConstraint("decision IS NULL OR decision IN ('kept', 'hidden')",
                           name="decision_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    # Set when the report is about a comment of that proposal.
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(20))
    details: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision: Mapped[str | None] = mapped_column(sa.String(10))

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    proposal: Mapped[Proposal] = relationship()
    comment: Mapped[Comment | None] = relationship()

    @property
    def reason_label(self) -> str:
        return str(REPORT_REASONS[self.reason])
