"""Account rules, exercised directly on the services."""

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.accounts import services
from participation.accounts.models import Role, User, Verification
from participation.accounts.passwords import password_problem
from participation.core import personal_data
from participation.core.audit import AuditEntry
from participation.core.errors import DomainError
from participation.extensions import db
from tests import factories
from tests.factories import PASSWORD


def _register(now, **overrides):
    data = dict(pseudonym="Samia", email="Samia@Example.org ", password=PASSWORD,
                commune=factories._commune("Marck"), birth_year=1990, locale="fr", now=now)
    data.update(overrides)
    return services.register(**data)


def _link(message):
    return re.search(r"https?://\S+", message.body_text).group(0)


def _token(message):
    return _link(message).rsplit("/", 1)[1]


# --- Passwords -----------------------------------------------------------------------------

@pytest.mark.parametrize("password", [
    "short", "123456789012", "azertyuiop123", "motdepasse2024!", "aaaaaaaaaaaaaaa",
    "Password1234", "x" * 129,
])
def test_weak_or_too_long_passwords_are_refused(password):
    assert password_problem(password) is not None


@pytest.mark.parametrize("password", [
    "la mer à Sangatte est belle", "x7!Kq-2vZp#9", "é" * 6 + "bonsoir!",
    ("Le vent souffle fort sur la digue de Calais ce matin, allons-y !" * 2)[:64],
])
def test_long_uncommon_passwords_are_accepted_without_composition_rules(password):
    assert password_problem(password) is None


def test_password_may_not_repeat_the_pseudonym():
    assert password_problem("Marcel-Calais-62", "marcel-calais-62@example.org") is not None


# --- Registration --------------------------------------------------------------------------

def test_register_creates_an_unconfirmed_account_and_sends_a_confirmation(session, now, outbox):
    user = _register(now)
    assert user.email == "samia@example.org"
    assert user.email_confirmed_at is None
    assert user.privacy_accepted_at == now
    assert user.password_hash != PASSWORD
    [mail] = outbox("samia@example.org")
    assert mail.subject == "Confirmez votre adresse e-mail" or "confirm" in mail.subject.lower()
    confirmed = services.confirm_email(_token(mail), now)
    assert confirmed == user and user.email_confirmed_at == now


def test_register_with_a_known_email_reveals_nothing_and_warns_the_owner(session, now, outbox,
                                                                         inhabitant):
    result = _register(now, email=inhabitant.email.upper(), pseudonym="Quelqu'un")
    assert result is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)
                             .where(User.pseudonym == "Quelqu'un")) == 0
    [mail] = outbox(inhabitant.email)
    assert "/connexion" in mail.body_text and "/mot-de-passe-oublie" in mail.body_text


def test_pseudonyms_are_unique_regardless_of_accents_and_case(session, now, inhabitant):
    with pytest.raises(DomainError) as error:
        _register(now, pseudonym="INES")
    assert error.value.field == "pseudonym"


def test_register_refuses_a_common_password(session, now):
    with pytest.raises(DomainError) as error:
        _register(now, password="azertyuiop1234")
    assert error.value.field == "password"


def test_confirmation_link_cannot_be_forged(session, now, outbox):
    _register(now)
    token = _token(outbox()[-1])
    with pytest.raises(DomainError):
        services.confirm_email(token[:-2] + "xx", now)


# --- Login ---------------------------------------------------------------------------------

def test_authenticate_by_email_or_pseudonym(session, now, inhabitant):
    assert services.authenticate(inhabitant.email.upper(), PASSWORD, now) == inhabitant
    assert services.authenticate("ines", PASSWORD, now) == inhabitant
    assert inhabitant.last_login_at == now


def test_wrong_password_and_unknown_account_get_the_same_message(session, now, inhabitant):
    with pytest.raises(DomainError) as wrong_password:
        services.authenticate(inhabitant.email, "not the right password", now)
    with pytest.raises(DomainError) as unknown:
        services.authenticate("nobody@example.org", PASSWORD, now)
    assert str(wrong_password.value.message) == str(unknown.value.message)


def test_unconfirmed_account_gets_a_new_link_instead_of_a_session(session, now, outbox):
    user = _register(now)
    with pytest.raises(DomainError):
        services.authenticate(user.email, PASSWORD, now)
    assert len(outbox(user.email)) == 2


# --- Password reset ------------------------------------------------------------------------

def test_reset_link_works_once(session, now, outbox, inhabitant):
    old_session_token = inhabitant.session_token
    services.request_password_reset(inhabitant.email)
    token = _token(outbox(inhabitant.email)[-1])
    services.reset_password(token, "une toute nouvelle phrase", now)
    assert services.authenticate(inhabitant.email, "une toute nouvelle phrase", now)
    assert inhabitant.session_token != old_session_token  # other devices logged out
    with pytest.raises(DomainError):
        services.reset_password(token, "encore une autre phrase", now)


def test_reset_link_expires(app, session, outbox, inhabitant):
    services.request_password_reset(inhabitant.email)
    token = _token(outbox(inhabitant.email)[-1])
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        with pytest.raises(DomainError):
            services.user_for_reset(token)
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


def test_reset_for_an_unknown_email_sends_nothing(session, outbox):
    services.request_password_reset("nobody@example.org")
    assert outbox() == []


# --- Changing email and password -----------------------------------------------------------

def test_change_password_needs_the_current_one(session, inhabitant):
    with pytest.raises(DomainError) as error:
        services.change_password(inhabitant, "wrong", "une toute nouvelle phrase")
    assert error.value.field == "current_password"
    services.change_password(inhabitant, PASSWORD, "une toute nouvelle phrase")


def test_email_changes_only_when_the_new_address_confirms(session, now, outbox, inhabitant):
    old = inhabitant.email
    services.request_email_change(inhabitant, "nouvelle.adresse@example.org", PASSWORD)
    assert inhabitant.email == old
    assert outbox(old), "the old address is told"
    services.confirm_email(_token(outbox("nouvelle.adresse@example.org")[-1]), now)
    assert inhabitant.email == "nouvelle.adresse@example.org"


def test_email_change_to_a_taken_address_reveals_nothing(session, outbox, inhabitant, admin):
    services.request_email_change(inhabitant, admin.email, PASSWORD)
    [mail] = outbox(admin.email)
    assert "/connexion" in mail.body_text
    assert inhabitant.email != admin.email


# --- Personal data -------------------------------------------------------------------------

def test_export_holds_everything_about_the_person(session, verified):
    data = personal_data.export(verified)
    json.dumps(data)  # serialisable as is
    assert data["account"]["email"] == verified.email
    assert data["residence_verifications"][0]["centre"] == "Centre Social Matisse"
    assert data["actions_taken_for_me"][0]["what"] == "account.residence_verified"


def test_export_holds_the_security_log_apart(session, inhabitant, now):
    services.authenticate(inhabitant.email, PASSWORD, now)
    data = personal_data.export(inhabitant)
    assert [e["what"] for e in data["security_log"]] == ["security.login"]
    assert data["actions_taken_for_me"] == []


def test_delete_account_erases_personal_data_in_place(session, now, outbox, animator):
    user = animator
    services.request_password_reset(user.email)
    services.delete_account(user, PASSWORD, now)
    db.session.expire_all()
    assert user.email is None and user.pseudonym is None and user.password_hash is None
    assert user.birth_year is None and user.deleted_at == now
    assert user.display_name in ("ancien·ne participant·e", "former participant")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Role)
                             .where(Role.user_id == user.id)) == 0
    assert outbox() == []  # the pending reset email went with the address
    assert not user.is_active


def test_delete_account_needs_the_password(session, now, inhabitant):
    with pytest.raises(DomainError):
        services.delete_account(inhabitant, "wrong", now)
    assert inhabitant.deleted_at is None


# --- Front desk ----------------------------------------------------------------------------

def test_assisted_account_and_its_one_time_code(session, now, animator, matisse):
    user, code = services.create_assisted_account(
        animator, pseudonym="Marcel", commune=factories._commune(), birth_year=1948,
        centre=matisse, now=now)
    assert user.email is None and user.assisted_by == animator
    assert code not in (user.setup_code_hash or "")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject_id == user.id,
                                                          AuditEntry.action
                                                          == "account.assisted_created"))
    assert entry.actor_id == animator.id
    with pytest.raises(DomainError):
        services.redeem_setup_code("Marcel", "AAAA-BBBB-CCCC", "une phrase pour marcel", now)
    services.redeem_setup_code("marcel", code.lower(), "une phrase pour marcel", now)
    assert services.authenticate("Marcel", "une phrase pour marcel", now) == user
    with pytest.raises(DomainError):  # single use
        services.redeem_setup_code("Marcel", code, "une autre phrase encore", now)


def test_setup_code_expires(session, now, animator, matisse):
    user, code = services.create_assisted_account(
        animator, pseudonym="Lucienne", commune=None, birth_year=None, centre=matisse, now=now)
    with pytest.raises(DomainError):
        services.redeem_setup_code("Lucienne", code, "une phrase pour lucienne",
                                   now + timedelta(days=31))


def test_verify_residence_records_who_where_when(session, now, animator, matisse, inhabitant):
    verification = services.verify_residence(animator, inhabitant, matisse,
                                             factories._commune("Sangatte"), now)
    assert inhabitant.is_verified(now)
    assert not inhabitant.is_verified(now + timedelta(days=3 * 365 + 1))
    assert inhabitant.commune.name == "Sangatte"
    assert verification.verified_by == animator and verification.centre == matisse
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Verification)) >= 1
    # The kept copy agrees with the history.
    latest = db.session.scalar(sa.select(sa.func.max(Verification.valid_until))
                               .where(Verification.user_id == inhabitant.id))
    assert latest == inhabitant.verified_until


def test_verify_only_for_ones_own_centre(session, now, animator, espace_fort, inhabitant):
    with pytest.raises(DomainError):
        services.verify_residence(animator, inhabitant, espace_fort, inhabitant.commune, now)


def test_search_people_finds_by_pseudonym_without_accents(session, inhabitant):
    assert inhabitant in services.search_people("ines")
    assert services.search_people("i") == []


# --- Roles ---------------------------------------------------------------------------------

def test_grant_and_revoke_roles_are_logged(session, admin, inhabitant, matisse):
    role = services.grant_role(admin, inhabitant, matisse, "animator")
    assert inhabitant.staff_centres() == [matisse]
    with pytest.raises(DomainError):
        services.grant_role(admin, inhabitant, matisse, "animator")
    services.revoke_role(admin, role)
    assert inhabitant.staff_centres() == []
    actions = db.session.scalars(sa.select(AuditEntry.action)
                                 .where(AuditEntry.subject_id == inhabitant.id)).all()
    assert actions == ["account.role_granted", "account.role_revoked"]


def test_roles_exist_only_where_the_charter_puts_them(session, admin, inhabitant, matisse):
    with pytest.raises(DomainError):
        services.grant_role(admin, inhabitant, matisse, "federal_delegate")


def test_make_admin_creates_or_promotes(session, now, inhabitant):
    user, created = services.make_admin(inhabitant.email, now)
    assert user == inhabitant and not created and user.is_admin
    user, created = services.make_admin("chef@example.org", now, "une phrase pour la chef")
    assert created and user.is_admin and user.email_confirmed_at == now
