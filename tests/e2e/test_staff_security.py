"""An admin sets up two-step verification, logs in with a code, then with a recovery code;
at 360 px, every page checked by axe-core."""

import time

import pyotp

from participation.accounts.models import User
from participation.extensions import db
from tests.e2e.conftest import assert_accessible, assert_fits_the_phone
from tests.e2e.helpers import log_out, make_person
from tests.factories import PASSWORD


def _check(page):
    assert_accessible(page)
    assert_fits_the_phone(page)


def _password_step(page, email):
    page.goto("/connexion")
    page.get_by_label("E-mail ou pseudonyme").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_admin_sets_up_two_step_verification_and_logs_in_with_it(site, live_app):
    page = site
    email = make_person(live_app, "Admin2fa")
    with live_app.app_context():
        db.session.query(User).filter(User.email == email).update({"is_admin": True})
        db.session.commit()

    # First login: the password opens nothing but the set-up page.
    _password_step(page, email)
    assert page.url.endswith("/compte/securite/activer")
    page.goto("/admin/roles")
    assert page.url.endswith("/compte/securite/activer")
    assert page.locator("main svg").count() == 1  # the QR code, drawn by the server
    _check(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    step = int(time.time()) // 30
    page.get_by_role("textbox", name="Code").fill(totp.generate_otp(step))
    page.get_by_role("button", name="Activer la validation en deux étapes").click()
    codes = page.locator("ol.recovery-codes .code").all_inner_texts()
    assert len(codes) == 10
    _check(page)
    page.get_by_role("link", name="J’ai gardé mes codes, continuer").click()
    page.goto("/admin/roles")
    assert page.url.endswith("/admin/roles")
    log_out(page)

    # Next login: the password, then the code of the app (the next time-step: the one used
    # for the set-up cannot serve twice).
    _password_step(page, email)
    assert page.url.endswith("/connexion/code")
    assert page.locator("form[action='/deconnexion']").count() == 0
    _check(page)
    page.get_by_role("textbox", name="Code").fill(totp.generate_otp(step + 1))
    page.get_by_role("button", name="Se connecter").click()
    assert page.locator("form[action='/deconnexion']").count() == 1
    log_out(page)

    # Without the phone: a recovery code, once.
    _password_step(page, email)
    page.get_by_role("textbox", name="Code").fill(codes[0])
    page.get_by_role("button", name="Se connecter").click()
    assert page.locator("form[action='/deconnexion']").count() == 1
    page.goto("/compte/securite")
    assert "9 codes de secours restants" in page.locator("main").inner_text()
    _check(page)
    log_out(page)
    _password_step(page, email)
    page.get_by_role("textbox", name="Code").fill(codes[0])
    page.get_by_role("button", name="Se connecter").click()
    assert page.locator("form[action='/deconnexion']").count() == 0
    assert "déjà été utilisé" in page.locator("main").inner_text()
