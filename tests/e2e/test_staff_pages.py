"""Front desk and administration pages, at 360 px, checked by axe-core."""

import re
import uuid

import sqlalchemy as sa

from participation.accounts.models import Role, User
from participation.accounts.services import make_admin, pseudonym_key
from participation.core.models import utcnow
from participation.extensions import db
from participation.territory.models import Centre
from tests.e2e.conftest import assert_accessible, assert_fits_the_phone
from tests.e2e.helpers import pass_second_step
from tests.factories import PASSWORD, PASSWORD_HASH


def _check(page):
    assert_accessible(page)
    assert_fits_the_phone(page)


def _log_in(page, login):
    page.goto("/connexion")
    page.get_by_label("E-mail ou pseudonyme").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    pass_second_step(page, login)


def _animator(live_app) -> str:
    tag = uuid.uuid4().hex[:6]
    with live_app.app_context():
        matisse = db.session.scalar(sa.select(Centre).where(Centre.short_name == "Matisse"))
        user = User(email=f"anim.{tag}@example.org", pseudonym=f"Anim {tag}",
                    pseudonym_key=pseudonym_key(f"Anim {tag}"), password_hash=PASSWORD_HASH,
                    email_confirmed_at=utcnow(), locale="fr")
        db.session.add_all([user, Role(user=user, organisation=matisse, kind="animator")])
        db.session.commit()
    return f"anim.{tag}@example.org"


def test_front_desk_assisted_account_and_verification(site, live_app):
    page = site
    _log_in(page, _animator(live_app))
    page.get_by_role("link", name="Accueil des habitant·es").click()
    _check(page)
    page.get_by_role("link", name="Créer un compte accompagné").click()
    _check(page)
    tag = uuid.uuid4().hex[:4]
    page.get_by_label("Pseudonyme").fill(f"Marcelle {tag}")
    page.get_by_label("Commune où vit la personne").select_option(label="Calais (62100)")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Créer le compte").click()
    code = page.locator(".code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    _check(page)
    page.get_by_role("link", name="Retour à l’accueil").click()
    page.get_by_label("Pseudonyme ou e-mail").fill(f"Marcelle {tag}")
    page.get_by_role("button", name="Rechercher").click()
    _check(page)
    page.get_by_role("link", name=re.compile("Vérifier le lieu de résidence")).click()
    _check(page)
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name=re.compile("vérifié")).click()
    assert page.locator(".flash-success").is_visible()
    _check(page)


def test_administration_pages(site, live_app):
    page = site
    email = f"admin.{uuid.uuid4().hex[:6]}@example.org"
    with live_app.app_context():
        make_admin(email, utcnow(), PASSWORD)
        db.session.commit()
    _log_in(page, email)
    page.get_by_role("link", name="Administration").click()
    _check(page)
    for name in ("Rôles", "Territoire", "Journal des actions", "E-mails"):
        page.goto("/admin/")
        page.get_by_role("link", name=name, exact=True).click()
        _check(page)
    page.goto("/admin/territoire")
    page.get_by_role("link", name="Marck").click()
    _check(page)
    page.get_by_label("Population (facultatif)").fill("-3")
    page.get_by_role("button", name="Enregistrer").click()
    _check(page)  # with an error shown
    page.goto("/admin/territoire")
    page.get_by_role("link", name="Centre Social Matisse").click()
    _check(page)
    page.goto("/admin/territoire/organisation/nouvelle")
    _check(page)
    # Error pages, in French then in English.
    page.goto("/nulle-part")
    _check(page)
    page.get_by_role("button", name="English").click()
    page.goto("/nulle-part")
    assert page.get_by_role("heading", name="Page not found").is_visible()
    _check(page)
    page.goto("/admin/roles")
    _check(page)


def test_refused_page_for_an_inhabitant(site, live_app):
    page = site
    tag = uuid.uuid4().hex[:6]
    with live_app.app_context():
        db.session.add(User(email=f"h.{tag}@example.org", pseudonym=f"H {tag}",
                            pseudonym_key=f"h{tag}", password_hash=PASSWORD_HASH,
                            email_confirmed_at=utcnow(), locale="fr"))
        db.session.commit()
    _log_in(page, f"h.{tag}@example.org")
    response = page.goto("/admin/roles")
    assert response.status == 403
    assert page.get_by_role("heading", name="Accès refusé").is_visible()
    _check(page)
