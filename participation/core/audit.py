"""The audit log: every act a staff member or admin does for someone else, and the
security events of accounts (logins, failed logins, password changes…).

Written in the same transaction as the act itself; admins read it. Both kinds
are hash-chained (``core/chain.py``), each in its own chain: staff acts are
kept, security events are purged after ``SECURITY_LOG_RETENTION_DAYS``.
"""

import logging
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.chain import ChainedMixin, chained
from participation.core.models import UTCDateTime, utcnow
from participation.extensions import db

logger = logging.getLogger(__name__)

# What each action key means, for the admin's page.
ACTIONS = {
    "account.assisted_created": _l("created an assisted account"),
    "account.setup_code_issued": _l("issued a one-time code"),
    "account.residence_verified": _l("verified the residence"),
    "account.role_granted": _l("granted a role"),
    "account.role_revoked": _l("revoked a role"),
    "account.admin_created": _l("made an administrator"),
    "account.two_factor_enabled": _l("turned on two-step verification"),
    "account.two_factor_disabled": _l("turned off two-step verification"),
    "account.two_factor_reset": _l("removed two-step verification (command line)"),
    "account.recovery_codes_regenerated": _l("made new recovery codes"),
    "account.recovery_code_used": _l("logged in with a recovery code"),
    "proposals.recorded_for": _l("recorded a proposal on their behalf"),
    "territory.commune_changed": _l("changed a commune"),
    "territory.organisation_changed": _l("changed an organisation"),
    "territory.organisation_created": _l("added an organisation"),
    "projects.registered_for": _l("registered them for a shared project"),
    "consultation.ballot_recorded": _l("recorded a ballot at a centre (not its content)"),
    "council.representative_named": _l("recorded a representative in the Conseil"),
    "council.designation_recorded": _l("recorded a designation to run the Conseil"),
    "council.mandate_ended": _l("ended a Conseil mandate"),
    # Security events (kind "security"): kept at most a year.
    "security.login": _l("logged in"),
    "security.login_failed": _l("failed to log in (wrong password)"),
    "security.password_changed": _l("changed their password"),
    "security.password_reset": _l("chose a new password through a reset link"),
    "security.account_deleted": _l("deleted their account"),
}
# Security events: purged after SECURITY_LOG_RETENTION_DAYS, in a chain of their own. The
# two-step verification events (from the staff-accounts work) are security events too.
SECURITY_ACTIONS = frozenset(a for a in ACTIONS if a.startswith("security.")) | {
    "account.two_factor_enabled", "account.two_factor_disabled", "account.two_factor_reset",
    "account.recovery_codes_regenerated", "account.recovery_code_used"}
AUDIT_FIELDS = ("created_at", "actor_id", "subject_id", "action", "kind", "details")


@chained("audit", AUDIT_FIELDS, "audit log (staff acts)", "kind", "act")
@chained("security", AUDIT_FIELDS, "security log", "kind", "security")
class AuditEntry(ChainedMixin, db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('act', 'security')", name="kind_known"),
        sa.Index("uq_audit_entries_kind_chain_seq", "kind", "chain_seq", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    subject_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60))
    kind: Mapped[str] = mapped_column(sa.String(10), default="act", server_default="act")
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    actor = relationship("User", foreign_keys=[actor_id])
    subject = relationship("User", foreign_keys=[subject_id])

    @property
    def label(self) -> str:
        return str(ACTIONS.get(self.action, self.action))


def record(actor, action: str, subject=None, **details) -> AuditEntry:
    """Log that ``actor`` did ``action`` (for ``subject``); flushed, never committed."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        subject_id=subject.id if subject is not None else None,
        action=action,
        kind="security" if action in SECURITY_ACTIONS else "act",
        details=details,
        created_at=utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    # Ids and the action only: the details stay in the database, where admins read them.
    logger.info("audit %s: actor %s, subject %s (entry %s)", action,
                entry.actor_id, entry.subject_id, entry.id)
    return entry
