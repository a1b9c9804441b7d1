"""An inhabitant's whole journey with an account, on a phone, in a real browser."""

import json
import re
import uuid

import sqlalchemy as sa

from participation.accounts.models import User
from participation.core.mail import OutboxMessage
from participation.extensions import db
from tests.e2e.conftest import assert_accessible, assert_fits_the_phone
from tests.e2e.helpers import pass_second_step

PASSWORD = "la digue de Sangatte au matin"


def _check(page):
    assert_accessible(page)
    assert_fits_the_phone(page)


def _confirmation_link(live_app, email):
    with live_app.app_context():
        body = db.session.scalars(sa.select(OutboxMessage.body_text)
                                  .where(OutboxMessage.recipient == email)
                                  .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"http://127\.0\.0\.1:\d+/confirmer/\S+", body).group(0)


def test_register_login_languages_data_and_deletion(site, live_app):
    page = site
    tag = uuid.uuid4().hex[:6]
    pseudonym, email = f"Yasmine {tag}", f"yasmine.{tag}@example.org"

    page.goto("/")
    _check(page)
    page.get_by_role("link", name="Créer un compte").first.click()
    _check(page)
    # A first try with a weak password: the error is shown, the rest is kept.
    page.get_by_label("Pseudonyme").fill(pseudonym)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill("azertyuiop123")
    page.get_by_label("Commune où vous vivez").select_option(label="Marck (62730)")
    page.get_by_label("Année de naissance (facultatif)").fill("1996")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Créer mon compte").click()
    assert page.get_by_label("Pseudonyme").input_value() == pseudonym
    assert page.locator(".error").count() == 1
    _check(page)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    assert "/inscription/verifiez-vos-emails" in page.url
    _check(page)

    page.goto(_confirmation_link(live_app, email))
    assert page.url.endswith("/compte")
    assert pseudonym in page.content()
    _check(page)

    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("link", name="Se connecter").first.click()
    _check(page)
    page.get_by_label("E-mail ou pseudonyme").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_role("link", name="Mon compte").is_visible()

    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="My account").click()
    assert page.get_by_role("heading", name="My account").is_visible()
    _check(page)
    page.get_by_role("button", name="Français").click()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Mon compte").is_visible()
    with live_app.app_context():
        assert db.session.scalar(sa.select(User.locale).where(User.email == email)) == "fr"

    page.get_by_role("link", name=re.compile("Mes données")).click()
    _check(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mes données").click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert data["account"]["email"] == email and data["account"]["commune"] == "Marck"

    page.get_by_label("Votre mot de passe, pour confirmer").fill(PASSWORD)
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Supprimer mon compte").click()
    assert page.get_by_role("link", name="Se connecter").first.is_visible()
    _check(page)
    with live_app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == email)) is None


def test_login_works_without_javascript(live_app, browser):
    from participation.accounts.services import make_admin
    from participation.core.models import utcnow

    email = f"sansjs.{uuid.uuid4().hex[:6]}@example.org"
    with live_app.app_context():
        make_admin(email, utcnow(), PASSWORD)
        db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 740},
                                  java_script_enabled=False,
                                  base_url=live_app.config["SITE_URL"])
    page = context.new_page()
    page.goto("/connexion")
    page.get_by_label("E-mail ou pseudonyme").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    pass_second_step(page, email)  # an admin's first login: the set-up, without JavaScript
    page.get_by_role("link", name="Administration").click()
    assert page.get_by_role("heading", name="Administration").is_visible()
    context.close()
