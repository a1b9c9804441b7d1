"""Two-step verification services: set-up, codes, replay, recovery codes, turning off."""

from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from participation.accounts import security, services
from participation.accounts.models import RecoveryCode
from participation.core.audit import AuditEntry
from participation.core.errors import DomainError
from participation.extensions import db
from tests import factories
from tests.factories import PASSWORD


def _actions(user):
    return list(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.subject_id == user.id).order_by(AuditEntry.id)))


def test_set_up_stores_the_secret_encrypted_and_gives_ten_recovery_codes(animator, now):
    secret = security.start_setup(animator)
    assert len(secret) == 32 and secret not in animator.totp_secret
    assert security.start_setup(animator) == secret  # a second visit shows the same one
    codes = security.confirm_setup(animator, pyotp.TOTP(secret).at(now), now)
    assert animator.has_two_factor and animator.totp_enabled_at == now
    assert len(set(codes)) == 10
    stored = set(db.session.scalars(sa.select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == animator.id)))
    assert len(stored) == 10 and not stored & set(codes)
    assert _actions(animator) == ["account.two_factor_enabled"]


def test_set_up_refuses_a_wrong_code(animator, now):
    secret = security.start_setup(animator)
    wrong = pyotp.TOTP(secret).at(now - timedelta(minutes=5))
    with pytest.raises(DomainError) as error:
        security.confirm_setup(animator, wrong, now)
    assert error.value.field == "code" and not animator.has_two_factor
    with pytest.raises(DomainError):
        security.confirm_setup(animator, "12ab", now)


def test_a_code_works_once_and_codes_of_next_steps_still_work(animator, now):
    secret, _ = factories.with_two_factor(animator, now)
    totp = pyotp.TOTP(secret)
    security.check_second_factor(animator, totp.at(now), now)
    with pytest.raises(DomainError, match="déjà été utilisé|already been used"):
        security.check_second_factor(animator, totp.at(now), now)
    # The code of the step before is older than the one used: refused as well.
    with pytest.raises(DomainError):
        security.check_second_factor(animator, totp.at(now - timedelta(seconds=30)), now)
    later = now + timedelta(seconds=30)
    security.check_second_factor(animator, totp.at(later), later)
    # A phone whose clock is one step off is accepted.
    later = now + timedelta(minutes=2)
    security.check_second_factor(animator, totp.at(later + timedelta(seconds=30)), later)
    with pytest.raises(DomainError):
        security.check_second_factor(animator, totp.at(later + timedelta(minutes=2)), later)


def test_a_recovery_code_works_once_however_it_is_typed(animator, now):
    _, codes = factories.with_two_factor(animator, now)
    security.check_second_factor(animator, f" {codes[0].lower().replace('-', ' ')} ", now)
    with pytest.raises(DomainError):
        security.check_second_factor(animator, codes[0], now)
    assert security.remaining_recovery_codes(animator) == 9
    assert _actions(animator)[-1] == "account.recovery_code_used"
    with pytest.raises(DomainError):
        security.check_second_factor(animator, "AAAA-BBBB", now)


def test_new_recovery_codes_replace_the_old_ones(animator, now):
    _, old = factories.with_two_factor(animator, now)
    new = security.regenerate_recovery_codes(animator)
    assert not set(old) & set(new)
    with pytest.raises(DomainError):
        security.check_second_factor(animator, old[1], now)
    security.check_second_factor(animator, new[1], now)
    assert "account.recovery_codes_regenerated" in _actions(animator)


def test_turning_off_asks_for_the_password_and_a_code(animator, now):
    secret, codes = factories.with_two_factor(animator, now)
    with pytest.raises(DomainError) as error:
        security.disable(animator, "pas le bon", pyotp.TOTP(secret).at(now), now)
    assert error.value.field == "password"
    with pytest.raises(DomainError) as error:
        security.disable(animator, PASSWORD, "000000", now)
    assert error.value.field == "code" and animator.has_two_factor
    security.disable(animator, PASSWORD, codes[0], now)
    assert not animator.has_two_factor and animator.totp_secret is None
    assert security.remaining_recovery_codes(animator) == 0
    assert _actions(animator)[-1] == "account.two_factor_disabled"


def test_a_changed_secret_key_leaves_the_recovery_codes(app, animator, now):
    secret, codes = factories.with_two_factor(animator, now)
    original = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-key-after-a-rotation"
    try:
        with pytest.raises(DomainError, match="secours|recovery"):
            security.check_second_factor(animator, pyotp.TOTP(secret).at(now), now)
        security.check_second_factor(animator, codes[0], now)
    finally:
        app.config["SECRET_KEY"] = original


def test_deleting_the_account_erases_two_factor_data(inhabitant, now):
    factories.with_two_factor(inhabitant, now)
    services.delete_account(inhabitant, PASSWORD, now)
    assert inhabitant.totp_secret is None and inhabitant.totp_enabled_at is None
    assert security.remaining_recovery_codes(inhabitant) == 0


def test_the_data_export_says_since_when_but_never_the_secret(animator, now):
    from participation.core import personal_data

    secret, codes = factories.with_two_factor(animator, now)
    exported = repr(personal_data.export(animator))
    assert "two_step_verification_since" in exported
    assert secret not in exported and animator.totp_secret not in exported
    assert not any(code in exported for code in codes)


def test_qr_code_is_inline_svg_of_the_provisioning_uri(animator):
    secret = security.start_setup(animator)
    uri = security.provisioning_uri(animator, secret)
    assert uri.startswith("otpauth://totp/Participation%20Calaisis:") and secret in uri
    svg = security.qr_svg(uri)
    assert svg.startswith("<svg") and "<script" not in svg
    assert security.group_secret("ABCDEFGH") == "ABCD EFGH"
