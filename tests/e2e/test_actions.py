"""Fiches action in a real browser, at 360 px, checked by axe-core on every page.

An animator turns a retained proposal into a fiche with two actors and a pooled and a
requested means, submits it; the designated president records the Conseil decision that
validates it; the animator starts it and completes it with its evaluation; the
proposal's author follows the whole chain from the notification.
"""

import uuid
from datetime import timedelta

import sqlalchemy as sa

from participation.accounts.models import User
from participation.core.models import utcnow
from participation.council import services
from participation.council.models import COUNCIL
from participation.extensions import db
from tests import factories
from tests.e2e.conftest import assert_accessible, assert_fits_the_phone
from tests.e2e.helpers import designate_president
from tests.e2e.test_council_flow import _log_in, _person


def _check(page):
    assert_accessible(page)
    assert_fits_the_phone(page)


def _setup(tag):
    now = utcnow()
    president = _person(tag, "Presidente", president="Matisse")
    animator = _person(tag, "Animatrice", animator="Matisse")
    author = _person(tag, "Habitante")
    admin = _person(tag, "Admin")
    admin.is_admin = True
    designate_president(admin, president, tag, now)
    council = services.get_body(COUNCIL)
    held = services.plan_meeting(council, president, starts_at=now - timedelta(minutes=5),
                                 place=f"Salle {tag}")
    db.session.commit()
    proposal = factories.proposal(author, status="retained", moderator=animator,
                                  title=f"Repas partagés {tag}", now=now)
    return held.id, proposal.id


def test_from_a_retained_proposal_to_an_evaluated_action(site, live_app):
    page = site
    tag = uuid.uuid4().hex[:6]
    with live_app.app_context():
        held_id, proposal_id = _setup(tag)
        db.session.commit()

    _log_in(page, f"animatrice.{tag}@example.org")
    page.goto(f"/propositions/{proposal_id}")
    page.get_by_role("link", name="Rédiger une fiche action à partir de cette proposition").click()
    _check(page)
    page.get_by_label("Titre").fill(f"Fiche repas {tag}")
    page.get_by_role("button", name="Enregistrer la fiche").click()
    assert page.locator(".flash-success").is_visible()
    _check(page)
    sheet_url = page.url
    page.get_by_label("Objectif", exact=True).fill("Réunir les générations")
    page.get_by_label("Indicateur").fill("Participant·es par repas")
    page.get_by_label("Cible").fill("30 personnes")
    page.get_by_role("button", name="Ajouter l’objectif").click()
    page.get_by_label("Centre ou partenaire").select_option(label="Centre Social Matisse")
    page.get_by_label("Rôle").fill("Coordonne les repas")
    page.get_by_label("Pilote l’action").check()
    page.get_by_role("button", name="Ajouter l’acteur").click()
    page.get_by_label("Ou un groupe d’habitant·es").fill("Les seniors du quartier")
    page.get_by_label("Rôle").fill("Cuisinent avec les familles")
    page.get_by_role("button", name="Ajouter l’acteur").click()
    page.get_by_label("Type de moyen").select_option("pooled")
    page.get_by_label("Quoi", exact=True).fill("Cuisine du centre Matisse")
    page.get_by_role("button", name="Ajouter le moyen").click()
    page.get_by_label("Type de moyen").select_option("requested")
    page.get_by_label("Quoi", exact=True).fill("Subvention alimentaire")
    page.get_by_label("Ou de qui, en toutes lettres").fill("CAF du Pas-de-Calais")
    page.get_by_label("Montant en euros (facultatif)").fill("1 200")
    page.get_by_role("button", name="Ajouter le moyen").click()
    _check(page)
    page.get_by_role("button", name="Soumettre au Conseil").click()
    _check(page)
    sheet_id = int(sheet_url.rstrip("/").rsplit("/", 1)[1])
    page.get_by_role("button", name="Se déconnecter").click()

    _log_in(page, f"presidente.{tag}@example.org")
    page.goto(f"/conseil/reunions/{held_id}/decisions/nouvelle")
    _check(page)
    page.get_by_label("Titre").fill(f"Validation de la fiche repas {tag}")
    page.get_by_label("Ce qui a été décidé, et pourquoi").fill("Le Conseil valide la fiche.")
    page.get_by_label("Fiche action (numéro)").fill(str(sheet_id))
    page.get_by_label("Cette décision valide la fiche action").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    assert page.locator(".flash-success").is_visible()
    page.get_by_role("button", name="Publier les décisions au relevé").click()
    page.get_by_role("button", name="Se déconnecter").click()

    _log_in(page, f"animatrice.{tag}@example.org")
    page.goto(sheet_url)
    assert page.get_by_text("validée par le Conseil").first.is_visible()
    page.get_by_role("button", name="Démarrer l’action").click()
    _check(page)
    page.get_by_label("Évaluation : ce qui a été fait, ce que cela a donné").fill(
        "Six repas, 28 personnes en moyenne.")
    page.get_by_label("Résultat pour « Réunir les générations » (cible : 30 personnes)").fill(
        "28 personnes")
    page.get_by_role("button", name="Terminer l’action").click()
    assert page.locator(".flash-success").is_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    _log_in(page, f"habitante.{tag}@example.org")
    page.goto("/notifications")
    _check(page)
    page.get_by_role("link", name=f"La fiche action « Fiche repas {tag} » est terminée",
                     exact=False).first.click()
    _check(page)
    assert page.get_by_text("Six repas, 28 personnes en moyenne.").is_visible()
    assert page.get_by_role("link", name=f"Validation de la fiche repas {tag}",
                            exact=False).is_visible()
    page.get_by_role("link", name=f"Proposition n° {proposal_id}", exact=False).click()
    _check(page)
    assert page.get_by_text("réalisée").first.is_visible()
    assert page.get_by_text("Devenue la fiche action").is_visible()
    with live_app.app_context():
        assert db.session.scalar(sa.select(User).where(User.pseudonym == f"Habitante {tag}"))
