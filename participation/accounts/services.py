"""Accounts: registration, login, passwords, email, language, personal data, assisted accounts.

Services flush and never commit; the view (or CLI) commits once. They raise
``DomainError`` with a message for the person.
"""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from participation.accounts.models import (
    ROLES_BY_ORGANISATION_KIND,
    RecoveryCode,
    Role,
    User,
    Verification,
    new_session_token,
)
from participation.accounts.passwords import password_problem
from participation.accounts.tokens import fingerprint, make_token, read_token
from participation.core import audit, personal_data
from participation.core.errors import DomainError
from participation.core.http import external_url
from participation.core.mail import forget_person, queue_email
from participation.core.text import clean_line, fold
from participation.extensions import db
from participation.territory.models import Centre, Commune, Organisation

# Compared against when nobody has the given login, so that a wrong email
# takes as long to refuse as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password, only for timing")
SETUP_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def pseudonym_key(pseudonym: str) -> str:
    return fold(clean_line(pseudonym)).replace(" ", "")


def get_by_login(identifier: str) -> User | None:
    """The active account whose email or pseudonym is ``identifier``."""
    identifier = clean_line(identifier)
    if not identifier:
        return None
    column = User.email if "@" in identifier else User.pseudonym_key
    value = normalise_email(identifier) if "@" in identifier else pseudonym_key(identifier)
    return db.session.scalar(
        sa.select(User).where(column == value, User.deleted_at.is_(None))
    )


def _check_pseudonym_free(pseudonym: str, user: User | None = None) -> str:
    pseudonym = clean_line(pseudonym)
    key = pseudonym_key(pseudonym)
    if len(key) < 2:
        raise DomainError(_l("Choose a pseudonym of at least 2 letters or digits."), "pseudonym")
    taken = db.session.scalar(sa.select(User.id).where(User.pseudonym_key == key))
    if taken is not None and (user is None or taken != user.id):
        raise DomainError(
            _l("This pseudonym is already used by someone else; add a letter or a number."),
            "pseudonym",
        )
    return pseudonym


def _check_password(password: str, *personal) -> None:
    problem = password_problem(password, *personal)
    if problem:
        raise DomainError(problem, "password")


def _set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password)
    # A new password logs every other device out.
    user.session_token = new_session_token()


def register(*, pseudonym: str, email: str, password: str, commune: Commune | None,
             birth_year: int | None, locale: str, now: datetime) -> User | None:
    """Create an inhabitant's account and send the link that confirms the email.

    When the email already has an account, nothing is created and its owner
    gets a warning instead: the page shown is the same either way, so nobody
    learns who is registered. Returns the new user, or None.
    """
    email = normalise_email(email)
    pseudonym = _check_pseudonym_free(pseudonym)
    _check_password(password, email, pseudonym)
    if _warn_existing(email, locale):
        # Hashed all the same, so that the answer takes as long as for a new account.
        generate_password_hash(password)
        return None
    user = User(pseudonym=pseudonym, pseudonym_key=pseudonym_key(pseudonym), email=email,
                commune=commune, birth_year=birth_year, locale=locale,
                privacy_accepted_at=now)
    _set_password(user, password)
    # Two sign-ups with one email or pseudonym at once (a double tap): the unique
    # constraints let one in; the other ends as if it had come second.
    savepoint = db.session.begin_nested()
    db.session.add(user)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        savepoint.rollback()
        if _warn_existing(email, locale):
            return None
        _check_pseudonym_free(pseudonym)
        raise
    savepoint.commit()
    _queue_confirmation(user, email)
    return user


def _warn_existing(email: str, locale: str) -> bool:
    """When ``email`` has an account, warn its owner by email and say so."""
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is None:
        return False
    queue_email(email, "account_exists", existing.locale or locale, user=existing,
                login_url=external_url("accounts.login"),
                reset_url=external_url("accounts.forgot_password"))
    return True


def _queue_confirmation(user: User, email: str) -> None:
    token = make_token("confirm", uid=user.id, email=email)
    queue_email(email, "confirm_email", user.locale, user=user,
                confirm_url=external_url("accounts.confirm_email", token=token))


def confirm_email(token: str, now: datetime) -> User:
    """Confirm the address a link was sent to (after registering or changing it)."""
    payload = read_token("confirm", token, current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    user = db.session.get(User, payload["uid"]) if payload else None
    if user is None or not user.is_active:
        raise DomainError(_l("This link is not valid or has expired. Log in to get a new one."))
    email = payload["email"]
    if user.email != email:
        taken = db.session.scalar(sa.select(User.id).where(User.email == email))
        if taken is not None:
            raise DomainError(_l("This address is now used by another account."))
        user.email, user.email_confirmed_at = email, now
    elif user.email_confirmed_at is None:
        user.email_confirmed_at = now
    return user


def authenticate(identifier: str, password: str, now: datetime) -> User:
    """The account matching these credentials, or a DomainError that reveals nothing."""
    user = get_by_login(identifier)
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password)
        raise DomainError(_l("Wrong email, pseudonym or password."))
    if not check_password_hash(user.password_hash, password):
        audit.record(None, "security.login_failed", user)
        raise DomainError(_l("Wrong email, pseudonym or password."))
    if user.email and user.email_confirmed_at is None:
        _queue_confirmation(user, user.email)
        raise DomainError(_l("Please confirm your email first: we have just sent you a new "
                             "link. Check your spam folder too."))
    user.last_login_at = now
    audit.record(user, "security.login", user)
    return user


def request_password_reset(email: str) -> None:
    """Email a reset link if the address has an account; say nothing either way."""
    user = db.session.scalar(
        sa.select(User).where(User.email == normalise_email(email), User.deleted_at.is_(None))
    )
    if user is None:
        return
    token = make_token("reset", uid=user.id, pw=fingerprint(user.password_hash))
    queue_email(user.email, "reset_password", user.locale, user=user,
                reset_url=external_url("accounts.reset_password", token=token),
                minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)


def user_for_reset(token: str) -> User:
    """The person a reset link belongs to; the link dies once the password changed."""
    payload = read_token("reset", token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    user = db.session.get(User, payload["uid"]) if payload else None
    if user is None or not user.is_active or payload["pw"] != fingerprint(user.password_hash):
        raise DomainError(_l("This link is not valid any more: it has expired or has already "
                             "been used. Ask for a new one."))
    return user


def reset_password(token: str, password: str, now: datetime) -> User:
    user = user_for_reset(token)
    _check_password(password, user.email, user.pseudonym)
    _set_password(user, password)
    audit.record(user, "security.password_reset", user)
    # Receiving the link proves the address.
    user.email_confirmed_at = user.email_confirmed_at or now
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise DomainError(_l("Your current password is incorrect."), "current_password")
    _check_password(new, user.email, user.pseudonym)
    _set_password(user, new)
    audit.record(user, "security.password_changed", user)


def request_email_change(user: User, new_email: str, password: str) -> None:
    """Send a confirmation link to the new address; the change happens when it is followed."""
    if not user.password_hash or not check_password_hash(user.password_hash, password):
        raise DomainError(_l("Your current password is incorrect."), "password")
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise DomainError(_l("This is already your email."), "email")
    owner = db.session.scalar(sa.select(User).where(User.email == new_email))
    if owner is not None:
        queue_email(new_email, "account_exists", owner.locale, user=owner,
                    login_url=external_url("accounts.login"),
                    reset_url=external_url("accounts.forgot_password"))
        return
    _queue_confirmation(user, new_email)
    if user.email:
        queue_email(user.email, "email_change_requested", user.locale, user=user,
                    new_email=new_email)


def update_profile(user: User, *, pseudonym: str, commune: Commune | None,
                   birth_year: int | None) -> None:
    pseudonym = _check_pseudonym_free(pseudonym, user)
    user.pseudonym, user.pseudonym_key = pseudonym, pseudonym_key(pseudonym)
    user.commune, user.birth_year = commune, birth_year


def set_locale(user: User, locale: str) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Unknown language."))
    user.locale = locale


def delete_account(user: User, password: str | None, now: datetime) -> None:
    """Erase the person's data; their public contributions stay, signed "former participant"."""
    if user.password_hash and not check_password_hash(user.password_hash, password or ""):
        raise DomainError(_l("Your password is incorrect."), "password")
    erase_account(user, now)


def erase_account(user: User, now: datetime, reason: str = "asked") -> None:
    """Run every eraser and blank the account (asked by the person, or ``reason``
    "inactive" from the retention rule); flushed, not committed."""
    personal_data.erase(user)
    forget_person(user.email, user.pseudonym, str(_l("former participant")))
    user.email = user.pseudonym = user.pseudonym_key = user.password_hash = None
    user.email_confirmed_at = user.birth_year = user.locale = user.privacy_accepted_at = None
    user.setup_code_hash = user.setup_code_expires_at = user.last_login_at = None
    user.verified_at = user.verified_until = user.inactivity_warned_at = None
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.is_admin = False
    user.session_token = new_session_token()
    user.deleted_at = now
    audit.record(None, "security.account_deleted", user, reason=reason)
    db.session.flush()


@personal_data.exporter("account")
def _export_account(user: User) -> dict:
    return {
        "pseudonym": user.pseudonym,
        "email": user.email,
        "email_confirmed_at": _iso(user.email_confirmed_at),
        "commune": user.commune.name if user.commune else None,
        "birth_year": user.birth_year,
        "language": user.locale,
        "created_at": _iso(user.created_at),
        "last_login_at": _iso(user.last_login_at),
        "privacy_notice_accepted_at": _iso(user.privacy_accepted_at),
        "assisted_account": user.is_assisted,
        "administrator": user.is_admin,
        # When two-step verification was turned on; never the secret nor the codes.
        "two_step_verification_since": _iso(user.totp_enabled_at),
        "roles": [{"role": r.kind, "organisation": r.organisation.name,
                   "since": _iso(r.created_at)} for r in user.roles],
    }


@personal_data.exporter("residence_verifications")
def _export_verifications(user: User) -> list:
    rows = db.session.scalars(sa.select(Verification).where(Verification.user_id == user.id)
                              .order_by(Verification.verified_at))
    return [{"centre": v.centre.name, "commune": v.commune.name,
             "verified_at": _iso(v.verified_at), "valid_until": _iso(v.valid_until)}
            for v in rows]


@personal_data.exporter("actions_taken_for_me")
def _export_audit(user: User) -> list:
    rows = db.session.scalars(sa.select(audit.AuditEntry)
                              .where(audit.AuditEntry.subject_id == user.id,
                                     audit.AuditEntry.kind == "act")
                              .order_by(audit.AuditEntry.created_at))
    return [{"when": _iso(e.created_at), "what": e.action,
             "by": e.actor.display_name if e.actor else None} for e in rows]


@personal_data.exporter("security_log")
def _export_security_log(user: User) -> list:
    """Logins, failed logins, password changes of the account (kept a year)."""
    rows = db.session.scalars(sa.select(audit.AuditEntry)
                              .where(audit.AuditEntry.subject_id == user.id,
                                     audit.AuditEntry.kind == "security")
                              .order_by(audit.AuditEntry.created_at))
    return [{"when": _iso(e.created_at), "what": e.action} for e in rows]


@personal_data.eraser
def _erase_roles_and_verifications(user: User) -> None:
    user.roles.clear()
    db.session.execute(sa.delete(Verification).where(Verification.user_id == user.id))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- At the centre: assisted accounts, verification ----------------------------------------

def new_setup_code() -> str:
    raw = "".join(secrets.choice(SETUP_CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


def _normalise_code(code: str) -> str:
    return "".join(c for c in (code or "").upper() if c.isalnum())


def issue_setup_code(staff: User, user: User, now: datetime) -> str:
    """Give a person without email a printed one-time code to choose a password later."""
    code = new_setup_code()
    user.setup_code_hash = generate_password_hash(_normalise_code(code))
    user.setup_code_expires_at = now + timedelta(days=current_app.config["SETUP_CODE_VALID_DAYS"])
    audit.record(staff, "account.setup_code_issued", user)
    return code


def create_assisted_account(staff: User, *, pseudonym: str, commune: Commune | None,
                            birth_year: int | None, centre: Centre,
                            now: datetime) -> tuple[User, str]:
    """An account for someone without email, made at a centre's desk; logged."""
    pseudonym = _check_pseudonym_free(pseudonym)
    user = User(pseudonym=pseudonym, pseudonym_key=pseudonym_key(pseudonym), commune=commune,
                birth_year=birth_year, locale="fr", assisted_by=staff, privacy_accepted_at=now)
    db.session.add(user)
    db.session.flush()
    audit.record(staff, "account.assisted_created", user, centre=centre.name)
    return user, issue_setup_code(staff, user, now)


def redeem_setup_code(pseudonym: str, code: str, password: str, now: datetime) -> User:
    """Let the holder of a printed code choose their password; the code then dies."""
    user = get_by_login(pseudonym)
    wrong = DomainError(_l("This pseudonym and code do not match, or the code has expired. "
                           "Ask the animators of your centre for a new one."))
    if user is None or not user.setup_code_hash:
        check_password_hash(_DUMMY_HASH, _normalise_code(code))  # the same time either way
        raise wrong
    if not check_password_hash(user.setup_code_hash, _normalise_code(code)):
        raise wrong
    if user.setup_code_expires_at is None or user.setup_code_expires_at <= now:
        raise wrong
    _check_password(password, user.email, user.pseudonym)
    _set_password(user, password)
    user.setup_code_hash = user.setup_code_expires_at = None
    return user


def verify_residence(staff: User, user: User, centre: Centre, commune: Commune,
                     now: datetime) -> Verification:
    """Record that ``staff`` saw proof that ``user`` lives in ``commune``; logged."""
    if centre not in staff.staff_centres() and not staff.is_admin:
        raise DomainError(_l("You can only verify for a centre where you work."), "centre")
    if not user.is_active:
        raise DomainError(_l("This account has been deleted."))
    until = now + timedelta(days=current_app.config["VERIFICATION_VALID_DAYS"])
    verification = Verification(user=user, centre=centre, verified_by=staff, verified_at=now,
                                valid_until=until, commune=commune)
    db.session.add(verification)
    user.commune = commune
    user.verified_at, user.verified_until = now, until
    db.session.flush()
    audit.record(staff, "account.residence_verified", user, centre=centre.name,
                 commune=commune.name)
    return verification


def search_people(query: str, limit: int = 20) -> list[User]:
    """Active accounts whose pseudonym or email contains ``query`` (for staff)."""
    text = clean_line(query)
    if len(text) < 2:
        return []
    key = f"%{pseudonym_key(text)}%"
    mail = f"%{normalise_email(text)}%"
    return list(db.session.scalars(
        sa.select(User)
        .where(User.deleted_at.is_(None),
               sa.or_(User.pseudonym_key.like(key), User.email.like(mail)))
        .order_by(User.pseudonym_key)
        .limit(limit)
    ))


# --- Administration: roles ----------------------------------------------------------------

def grant_role(admin: User, user: User, organisation: Organisation, kind: str) -> Role:
    allowed = ROLES_BY_ORGANISATION_KIND.get(organisation.kind, ())
    if kind not in allowed:
        raise DomainError(_l("This role does not exist for this organisation."), "kind")
    if not user.is_active:
        raise DomainError(_l("This account has been deleted."))
    if any(r.organisation_id == organisation.id and r.kind == kind for r in user.roles):
        raise DomainError(_l("This person already has this role."), "kind")
    role = Role(user=user, organisation=organisation, kind=kind, granted_by=admin)
    db.session.add(role)
    db.session.flush()
    audit.record(admin, "account.role_granted", user, role=kind, organisation=organisation.name)
    return role


def revoke_role(admin: User, role: Role) -> None:
    audit.record(admin, "account.role_revoked", role.user, role=role.kind,
                 organisation=role.organisation.name)
    role.user.roles.remove(role)
    db.session.flush()


def make_admin(email: str, now: datetime, password: str | None = None) -> tuple[User, bool]:
    """Make the account with this email an administrator, creating it if needed (CLI)."""
    email = normalise_email(email)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    created = user is None
    if created:
        if password:
            _check_password(password, email)
        base = pseudonym_key(email.split("@")[0]) or "admin"
        pseudonym = base
        while db.session.scalar(sa.select(User.id).where(User.pseudonym_key == pseudonym)):
            pseudonym = f"{base}{secrets.randbelow(1000)}"
        user = User(email=email, pseudonym=pseudonym, pseudonym_key=pseudonym,
                    email_confirmed_at=now, locale="fr")
        db.session.add(user)
        if password:
            _set_password(user, password)
    user.is_admin = True
    db.session.flush()
    audit.record(None, "account.admin_created", user)
    return user, created
