"""A verified inhabitant votes, keeps the receipt, the vote closes, the ballot is found in
the public list and the results show it; at 360 px, axe-core on every page."""

import uuid
from datetime import timedelta

import sqlalchemy as sa

from participation.accounts.models import Role, User
from participation.accounts.services import pseudonym_key, verify_residence
from participation.consultations import services
from participation.consultations.models import Consultation
from participation.core.models import utcnow
from participation.extensions import db
from participation.territory.models import Centre
from tests.consultations.helpers import make_consultation
from tests.e2e.conftest import assert_accessible, assert_fits_the_phone
from tests.factories import PASSWORD, PASSWORD_HASH


def _check(page):
    assert_accessible(page)
    assert_fits_the_phone(page)


def _person(tag, matisse, role=None):
    user = User(email=f"{tag}@example.org", pseudonym=tag, pseudonym_key=pseudonym_key(tag),
                password_hash=PASSWORD_HASH, email_confirmed_at=utcnow(), locale="fr",
                commune=matisse.commune, birth_year=1980)
    db.session.add(user)
    if role:
        db.session.add(Role(user=user, organisation=matisse, kind=role))
    db.session.flush()
    return user


def test_vote_receipt_close_check_and_results(site, live_app):
    page = site
    tag = uuid.uuid4().hex[:6]
    with live_app.app_context():
        matisse = db.session.scalar(sa.select(Centre).where(Centre.short_name == "Matisse"))
        organiser = _person(f"org{tag}", matisse, "animator")
        voter = _person(f"votante{tag}", matisse)
        db.session.commit()
        verify_residence(organiser, voter, matisse, matisse.commune, utcnow())
        consultation = make_consultation(organiser, utcnow() - timedelta(days=2),
                                         title=f"Marché {tag}", verified_only=True)
        consultation_id = consultation.id
        db.session.commit()

    page.goto("/connexion")
    page.get_by_label("E-mail ou pseudonyme").fill(f"votante{tag}@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Consultations").first.click()
    _check(page)
    page.get_by_role("link", name=f"Marché {tag}").click()
    _check(page)
    page.get_by_role("link", name="Voter", exact=True).click()
    _check(page)
    page.get_by_label("Samedi").check()
    page.get_by_label("Fruits").check()
    page.get_by_label("Plantes").check()
    for option in ("La Ruche", "Le Phare", "L’Escale"):
        group = page.get_by_role("group", name=option)
        group.get_by_label("Très bien" if option == "Le Phare" else "Passable").check()
    page.get_by_role("button", name="Relire mes réponses").click()
    _check(page)
    page.get_by_role("button", name="Confirmer mon vote").click()
    receipt = page.locator(".receipt").inner_text()
    _check(page)

    # The consultation closes (time moved, not slept on) and its results are published.
    with live_app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        consultation.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        services.publish_results(consultation, utcnow())
        db.session.commit()

    page.goto(f"/consultations/{consultation_id}")
    page.get_by_role("link", name="Vérifier mon reçu").click()
    _check(page)
    page.get_by_label("Votre reçu").fill(receipt)
    page.get_by_role("button", name="Vérifier", exact=True).click()
    assert "est dans le décompte" in page.locator(".flash-success").inner_text()
    _check(page)
    page.get_by_role("link", name="Tous les bulletins").click()
    tracker = receipt.replace("-", "")[:16]
    assert services.format_tracker(tracker) in page.locator(".trackers").inner_text()
    _check(page)
    page.get_by_role("link", name="Contenus, avec le nombre de bulletins identiques").click()
    assert "Samedi" in page.content()
    _check(page)
    page.goto(f"/consultations/{consultation_id}/resultats")
    text = page.locator("main").inner_text()
    assert "Bulletins comptés : 1." in text.replace("\u00a0", " ")
    assert "Classé en tête : Le Phare" in text.replace("\u00a0", " ")
    _check(page)
