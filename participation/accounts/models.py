"""People and what they may do: accounts, roles on an organisation, verifications."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.models import TimestampMixin, UTCDateTime, utcnow
from participation.extensions import db
from participation.territory.models import Commune, Organisation


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, TimestampMixin, db.Model):
    """A registered person: an inhabitant, and possibly staff or admin.

    ``email`` is empty for assisted accounts (created at a centre for someone
    without email) and for deleted accounts, whose row stays so that their
    contributions keep an author, signed "ancien·ne participant·e".
    """

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year_plausible"),
        # A deleted account keeps its row but nothing that identifies the person.
        sa.CheckConstraint("deleted_at IS NULL OR (email IS NULL AND pseudonym IS NULL)",
                           name="deleted_is_anonymous"),
        # The dashboard counts accounts created and residences verified in a period.
        sa.Index("ix_users_created_at", "created_at"),
        sa.Index("ix_users_verified_at", "verified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pseudonym: Mapped[str | None] = mapped_column(sa.String(40))
    # Lower-cased, accent-free pseudonym: two people cannot look alike.
    pseudonym_key: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    commune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communes.id"))
    birth_year: Mapped[int | None] = mapped_column(sa.Integer)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Identifies the login session; changing it logs every device out.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )
    assisted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    setup_code_hash: Mapped[str | None] = mapped_column(sa.String(255))
    setup_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Copied from the latest Verification, so eligibility checks need no join.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the retention rule warned that the account will be erased (see accounts/retention.py).
    inactivity_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor authentication (accounts/security.py): the TOTP secret, encrypted with a
    # key derived from SECRET_KEY; set but not yet enabled while the person sets it up.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second time-step whose code was accepted: a code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    commune: Mapped[Commune | None] = relationship()
    assisted_by: Mapped["User | None"] = relationship(remote_side=[id])
    roles: Mapped[list["Role"]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="Role.user_id",
        lazy="selectin",
    )

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def display_name(self) -> str:
        if self.deleted_at is not None or not self.pseudonym:
            return str(_l("former participant"))
        return self.pseudonym

    @property
    def is_assisted(self) -> bool:
        return self.assisted_by_id is not None

    @property
    def is_staff(self) -> bool:
        """Admins and holders of a role: their sessions end when idle, 2FA is offered."""
        return self.is_admin or bool(self.roles)

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    def is_verified(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.verified_until is not None and self.verified_until > now

    def roles_of(self, *kinds: str) -> list["Role"]:
        return [r for r in self.roles if r.kind in kinds]

    def staff_centres(self) -> list[Organisation]:
        """Centres where this person works (animator or director)."""
        return [r.organisation for r in self.roles_of("animator", "director")
                if r.organisation.kind == "centre"]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.pseudonym!r}>"


ROLE_KINDS = {
    "animator": _l("animator"),
    "director": _l("director"),
    "president": _l("president"),
    "federal_delegate": _l("federal delegate"),
}
# Which roles exist on which kind of organisation.
ROLES_BY_ORGANISATION_KIND = {
    "centre": ("animator", "director", "president"),
    "federation": ("president", "federal_delegate"),
}


class Role(TimestampMixin, db.Model):
    """A role held by a person on a centre or on the federation."""

    __tablename__ = "roles"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "organisation_id", "kind"),
        sa.CheckConstraint(
            "kind IN ('animator', 'director', 'president', 'federal_delegate')",
            name="kind_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])

    @property
    def label(self) -> str:
        return str(ROLE_KINDS[self.kind])


class Verification(db.Model):
    """A residence checked in person at a centre: who checked, where, when, until when."""

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    verified_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    commune_id: Mapped[int] = mapped_column(sa.ForeignKey("communes.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    verified_by: Mapped[User] = relationship(foreign_keys=[verified_by_id])
    centre: Mapped[Organisation] = relationship()
    commune: Mapped[Commune] = relationship()


class RecoveryCode(db.Model):
    """A single-use code that replaces the authenticator app once; only its hash is kept."""

    __tablename__ = "recovery_codes"
    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
