"""Two-factor authentication (TOTP) and recovery codes, for staff accounts.

Required for admins, offered to anyone holding a role. The authenticator's secret
is stored encrypted (Fernet: AES-128-CBC and HMAC-SHA256) with a key derived from
SECRET_KEY by HMAC-SHA256 under a label of its own, so a copy of the database alone
does not let anyone compute codes. Changing SECRET_KEY makes the stored secrets
unreadable: the people concerned then log in with a recovery code (hashed without
the key, so they survive) and set the app up again, or an admin runs
``flask users reset-2fa``.

A code is accepted for the 30-second time-step before, during and after now, and
only for a step later than the last one accepted, so a code seen over a shoulder
or in a log cannot be used again. Services flush and never commit.
"""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash

from participation.accounts.models import RecoveryCode, User
from participation.core import audit
from participation.core.errors import DomainError
from participation.extensions import db

ISSUER = "Participation Calaisis"
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
# No 0/O, 1/I/L: codes are read from paper and typed by hand.
RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _fernet() -> Fernet:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(),
                   b"participation: two-factor secrets v1", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def read_secret(user: User) -> str:
    """The person's TOTP secret in clear, or a DomainError when it cannot be read."""
    try:
        return _fernet().decrypt((user.totp_secret or "").encode()).decode()
    except InvalidToken as error:
        raise DomainError(_l("Your authenticator app cannot be checked at the moment. "
                             "Use one of your recovery codes."), "code") from error


def _current_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _digits(code: str | None) -> str:
    return "".join((code or "").split())


def _normalise_recovery(code: str | None) -> str:
    return "".join(c for c in (code or "").upper() if c.isalnum())


def _hash_recovery(code: str) -> str:
    # Codes carry about 40 bits of randomness and tries are rate-limited: a plain
    # hash is enough, and does not depend on SECRET_KEY.
    return hashlib.sha256(_normalise_recovery(code).encode()).hexdigest()


# --- Setting up ----------------------------------------------------------------------------


def start_setup(user: User, secret: str | None = None) -> str:
    """The secret the person is setting up, made now or kept from an earlier visit
    (``secret`` is for the demo, whose admin's secret is published)."""
    if user.has_two_factor:
        raise DomainError(_l("Two-step verification is already on for your account."))
    if user.totp_secret and secret is None:
        try:
            return read_secret(user)
        except DomainError:
            pass  # unreadable (SECRET_KEY changed): start over with a new one
    secret = secret or pyotp.random_base32()
    user.totp_secret = _encrypt(secret)
    user.totp_last_step = None
    db.session.flush()
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email or user.pseudonym or "",
                                               issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG, made on the server (no script, no request)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#000",
                                                 light="#fff", omitsize=False)


def group_secret(secret: str) -> str:
    """``ABCD EFGH …``: easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def confirm_setup(user: User, code: str, now: datetime) -> list[str]:
    """Turn two-step verification on once the app shows a right code; returns the
    recovery codes, to show once."""
    if user.has_two_factor:
        raise DomainError(_l("Two-step verification is already on for your account."))
    if not user.totp_secret:
        raise DomainError(_l("Start again: open the set-up page."))
    _check_totp(user, code, now)
    user.totp_enabled_at = now
    codes = _new_recovery_codes(user)
    audit.record(user, "account.two_factor_enabled", user)
    return codes


# --- Checking a code -----------------------------------------------------------------------


def _check_totp(user: User, code: str, now: datetime) -> None:
    code = _digits(code)
    if len(code) != 6 or not code.isdigit():
        raise DomainError(_l("Type the 6 digits shown by your app."), "code")
    totp = pyotp.TOTP(read_secret(user))
    current = _current_step(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                raise DomainError(_l("This code has already been used. Wait for the next "
                                     "one in your app."), "code")
            user.totp_last_step = step
            db.session.flush()
            return
    raise DomainError(_l("This code is not right. Check the time on your phone, then type "
                         "the code your app shows now."), "code")


def _use_recovery_code(user: User, code: str, now: datetime) -> None:
    row = db.session.scalar(sa.select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_recovery(code),
        RecoveryCode.used_at.is_(None)))
    if row is None:
        raise DomainError(_l("This recovery code is not right, or has already been used."),
                          "code")
    row.used_at = now
    db.session.flush()
    audit.record(user, "account.recovery_code_used", user,
                 remaining=remaining_recovery_codes(user))


def check_second_factor(user: User, code: str, now: datetime) -> None:
    """Accept a code from the app (6 digits) or an unused recovery code; DomainError if not."""
    if not user.has_two_factor:
        raise DomainError(_l("Two-step verification is not on for this account."))
    if _digits(code).isdigit():
        _check_totp(user, code, now)
    else:
        _use_recovery_code(user, code, now)


# --- Recovery codes, turning off -----------------------------------------------------------


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(8))
        codes.append(f"{raw[:4]}-{raw[4:]}")
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(c))
                       for c in codes)
    db.session.flush()
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not user.has_two_factor:
        raise DomainError(_l("Two-step verification is not on for this account."))
    codes = _new_recovery_codes(user)
    audit.record(user, "account.recovery_codes_regenerated", user)
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def _clear(user: User) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def disable(user: User, password: str, code: str, now: datetime) -> None:
    """Turn two-step verification off: the password and a code are asked again."""
    if not user.password_hash or not check_password_hash(user.password_hash, password or ""):
        raise DomainError(_l("Your password is incorrect."), "password")
    check_second_factor(user, code, now)
    _clear(user)
    audit.record(user, "account.two_factor_disabled", user)


def reset(user: User) -> None:
    """Remove someone's two-step verification (CLI, when the phone and the codes are lost)."""
    _clear(user)
    audit.record(None, "account.two_factor_reset", user)
