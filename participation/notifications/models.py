"""In-app notifications, and each person's choice of how to be told about each kind."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.models import UTCDateTime, utcnow
from participation.extensions import db

# Kinds a person can tune, with the mode they start with.
KINDS = {
    "my_proposals": (_l("What happens to my proposals"), "email"),
    "comments": (_l("Comments on my proposals"), "digest"),
    "supported_proposals": (_l("News of proposals I support"), "digest"),
    "consultations": (_l("Consultations I can vote in: opening, and the day before closing"),
                      "none"),
    "projects": (_l("Shared projects I joined: a place freed for me, cancellation, help "
                    "accepted"), "email"),
    "project_news": (_l("News of the shared projects I joined"), "digest"),
    "moderation": (_l("For animators: proposals to moderate and answers due"), "email"),
}
MODES = {
    "email": _l("an email each time"),
    "digest": _l("a weekly summary by email"),
    "none": _l("no email (only here)"),
}


class Notification(db.Model):
    """Something a person should know; the text is rendered in their language when read."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.CheckConstraint("email_state IN ('none', 'pending_digest', 'queued', 'sent')",
                           name="email_state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    message: Mapped[str] = mapped_column(sa.String(60))  # a key of notifications.messages
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    url: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_state: Mapped[str] = mapped_column(sa.String(20), default="none")


class NotificationPreference(db.Model):
    __tablename__ = "notification_preferences"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind"),
        sa.CheckConstraint("mode IN ('email', 'digest', 'none')", name="mode_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    mode: Mapped[str] = mapped_column(sa.String(10))
