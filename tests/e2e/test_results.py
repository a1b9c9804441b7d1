"""The participation dashboard at 360 px, checked by axe-core, as a director opens it."""

import uuid

import sqlalchemy as sa

from participation.accounts.models import Role, User
from participation.accounts.services import pseudonym_key
from participation.core.models import utcnow
from participation.extensions import db
from participation.proposals.models import Proposal
from participation.territory.models import Centre
from tests import factories
from tests.e2e.conftest import assert_accessible, assert_fits_the_phone
from tests.factories import PASSWORD, PASSWORD_HASH


def _director_with_a_proposal(live_app) -> str:
    tag = uuid.uuid4().hex[:6]
    with live_app.app_context():
        matisse = db.session.scalar(sa.select(Centre).where(Centre.short_name == "Matisse"))
        user = User(email=f"dir.{tag}@example.org", pseudonym=f"Dir {tag}",
                    pseudonym_key=pseudonym_key(f"Dir {tag}"), password_hash=PASSWORD_HASH,
                    email_confirmed_at=utcnow(), locale="fr")
        db.session.add_all([user, Role(user=user, organisation=matisse, kind="director")])
        db.session.commit()
        factories.proposal(user, title=f"Un banc au parc {tag}", now=utcnow())
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) >= 1
    return f"dir.{tag}@example.org"


def test_a_director_reads_the_results_on_a_phone(site, live_app):
    page = site
    page.goto("/connexion")
    page.get_by_label("E-mail ou pseudonyme").fill(_director_with_a_proposal(live_app))
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Résultats").click()
    page.get_by_role("heading", name="Résultats de la participation").wait_for()
    assert page.locator("svg[role=img]").count() == 3  # months, statuses and the funnel
    assert_accessible(page)
    assert_fits_the_phone(page)
    page.get_by_label("Période", exact=True).select_option(label="une année entière")
    page.get_by_role("button", name="Afficher les résultats").click()
    page.get_by_text("Période affichée").wait_for()
    assert "année" in page.locator("h1 + p").inner_text()
    assert_accessible(page)
    assert_fits_the_phone(page)


def test_a_director_exports_a_table_and_opens_the_quarterly_report(site, live_app):
    page = site
    page.goto("/connexion")
    page.get_by_label("E-mail ou pseudonyme").fill(_director_with_a_proposal(live_app))
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto("/resultats")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger «\u00a0Propositions publiées, par centre"
                                       "\u00a0» (CSV)").click()
    content = open(download.value.path(), encoding="utf-8-sig").read()
    assert content.splitlines()[0].startswith("Centre,")
    assert "Matisse," in content
    page.get_by_role("link", name="Rapport trimestriel pour le Conseil").click()
    page.get_by_role("heading", name="Rapport de participation", exact=False).first.wait_for()
    assert page.locator("svg[role=img]").count() >= 1
    assert_accessible(page)
    assert_fits_the_phone(page)
    page.get_by_role("link", name="Retour au site").click()
    page.get_by_role("heading", name="Résultats de la participation").wait_for()
