"""The Conseil in a real browser, at 360 px, checked by axe-core on every page.

The designated president adds an agenda item with a guest, sends the convocation
(refused for a meeting 9 days away, accepted at 12 days), records two decisions and
publishes them; an inhabitant then reads them in the public register.
"""

import re
import uuid
from datetime import timedelta

import sqlalchemy as sa

from participation.accounts.models import Role, User
from participation.accounts.services import pseudonym_key
from participation.core.mail import OutboxMessage
from participation.core.models import utcnow
from participation.council import services
from participation.council.models import COUNCIL, Meeting
from participation.extensions import db
from participation.territory.models import Centre
from tests.e2e.conftest import assert_accessible, assert_fits_the_phone
from tests.e2e.helpers import designate_president, pass_second_step
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


def _person(tag, name, **roles) -> User:
    user = User(email=f"{name.lower()}.{tag}@example.org", pseudonym=f"{name} {tag}",
                pseudonym_key=pseudonym_key(f"{name} {tag}"), password_hash=PASSWORD_HASH,
                email_confirmed_at=utcnow(), locale="fr")
    db.session.add(user)
    for kind, centre in roles.items():
        db.session.add(Role(user=user, kind=kind, organisation=db.session.scalar(
            sa.select(Centre).where(Centre.short_name == centre))))
    db.session.flush()
    return user


def _setup(live_app, tag):
    """A president of Matisse designated this year, a meeting begun a few minutes ago, an
    inhabitant."""
    with live_app.app_context():
        now = utcnow()
        president = _person(tag, "Presidente", president="Matisse")
        _person(tag, "Directeur", director="Marie Jeanne Bassot")
        _person(tag, "Habitante")
        admin = _person(tag, "Admin")
        admin.is_admin = True
        designate_president(admin, president, tag, now)
        council = services.get_body(COUNCIL)
        held = services.plan_meeting(council, president, starts_at=now - timedelta(minutes=5),
                                     place=f"Salle {tag}")
        services.add_agenda_item(held, title="Projets de l'été")
        db.session.commit()
        return held.id


def test_president_convenes_records_decisions_and_an_inhabitant_reads_them(site, live_app):
    page = site
    tag = uuid.uuid4().hex[:6]
    held_id = _setup(live_app, tag)
    today = services.paris_today(utcnow())

    _log_in(page, f"presidente.{tag}@example.org")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Le Conseil").click()
    _check(page)
    page.get_by_role("link", name="Prévoir une réunion").first.click()
    _check(page)
    page.get_by_label("Date").fill((today + timedelta(days=9)).isoformat())
    page.get_by_label("Heure (Paris)").fill("18:00")
    page.get_by_label("Lieu").fill(f"Centre Matisse {tag}, Calais")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.locator(".flash-success").is_visible()
    _check(page)
    meeting_url = page.url

    page.get_by_role("link", name="Ajouter un point à l’ordre du jour").click()
    _check(page)
    page.get_by_label("Titre").fill("Séjour de jeunes en Angleterre")
    page.get_by_label("De quoi il s’agit (facultatif)").fill("Douze jeunes, une semaine.")
    page.get_by_label("Présenté par (facultatif)").fill("Sophie")
    page.get_by_role("button", name="Ajouter à l’ordre du jour").click()
    page.get_by_role("link", name=re.compile("Inviter une personne")).click()
    _check(page)
    page.get_by_label("Nom de la personne invitée").fill("Claire Dumont")
    page.get_by_label("Organisme (facultatif)").fill("CAF")
    page.get_by_label("Pourquoi cette personne est invitée").fill("Aides aux vacances")
    page.get_by_role("button", name="Inviter").click()
    assert page.get_by_text("Claire Dumont (CAF)").is_visible()
    _check(page)

    # Nine days ahead: too late, with the last day it could have gone out.
    page.get_by_role("link", name="Envoyer la convocation").click()
    _check(page)
    page.get_by_role("button", name="Envoyer la convocation maintenant").click()
    alert = page.get_by_role("alert")
    assert "Trop tard" in alert.inner_text() and "au plus tard" in alert.inner_text()
    _check(page)

    # Moved to twelve days ahead: sent.
    page.goto(meeting_url)
    page.get_by_role("link", name="Modifier la réunion").click()
    page.get_by_label("Date").fill((today + timedelta(days=12)).isoformat())
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("link", name="Envoyer la convocation").click()
    page.get_by_role("button", name="Envoyer la convocation maintenant").click()
    assert "La convocation est envoyée" in page.locator(".flash-success").inner_text()
    _check(page)
    with live_app.app_context():
        meeting = db.session.scalars(sa.select(Meeting).where(
            Meeting.place == f"Centre Matisse {tag}, Calais")).one()
        recipients = {r.email for r in meeting.convocation.recipients}
        queued = set(db.session.scalars(sa.select(OutboxMessage.recipient).where(
            OutboxMessage.recipient.in_(recipients))))
    assert {f"presidente.{tag}@example.org", f"directeur.{tag}@example.org"} <= recipients
    assert queued == recipients

    # The meeting under way: two decisions, then published.
    page.goto(f"/conseil/reunions/{held_id}")
    _check(page)
    for title, votes in ((f"Minibus partagé {tag}", "7"), (f"Journée santé {tag}", "6")):
        page.get_by_role("link", name="Enregistrer une décision").click()
        _check(page)
        page.get_by_label("Titre").fill(title)
        page.get_by_label("Ce qui a été décidé, et pourquoi").fill(
            "Les centres partagent ce qu'ils ont, pour que plus d'habitant·es en profitent.")
        page.get_by_label("Voix pour").fill(votes)
        page.get_by_role("button", name="Enregistrer la décision").click()
        assert page.locator(".flash-success").is_visible()
    page.get_by_role("button", name="Publier les décisions au relevé").click()
    _check(page)
    page.get_by_role("button", name="Se déconnecter").click()

    # An inhabitant reads them in the public register.
    _log_in(page, f"habitante.{tag}@example.org")
    page.goto("/conseil")
    page.get_by_role("link", name="Lire le relevé de décisions").click()
    assert page.get_by_text(f"Minibus partagé {tag}").is_visible()
    assert page.get_by_text(f"Journée santé {tag}").is_visible()
    _check(page)
    page.get_by_role("link", name=re.compile("Décision")).first.click()
    _check(page)
    page.goto("/conseil/decisions/imprimer")
    assert page.get_by_text(f"Minibus partagé {tag}").is_visible()
    _check(page)


def test_conseil_pages_for_everyone_in_both_languages(site, live_app):
    page = site
    for path in ("/conseil", "/conseil/membres", "/conseil/designations", "/conseil/decisions",
                 "/conseil/collectifs/presidents", "/conseil/collectifs/directeurs"):
        page.goto(path)
        _check(page)
    page.goto("/conseil/decisions")
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", name="Decisions register").is_visible()
    _check(page)
    page.goto("/conseil")
    _check(page)
    page.get_by_role("button", name="Français").click()


def test_runner_forms_and_documents(site, live_app):
    """Attendance, minutes, designations, representatives and print views, as an admin."""
    page = site
    tag = uuid.uuid4().hex[:6]
    with live_app.app_context():
        admin = _person(tag, "Admin")
        admin.is_admin = True
        now = utcnow()
        held = services.plan_meeting(services.get_body(COUNCIL), admin,
                                     starts_at=now - timedelta(days=2), place=f"Salle {tag}")
        services.add_agenda_item(held, title="Point", text="*Texte*")
        db.session.commit()
        held_id = held.id
    _log_in(page, f"admin.{tag}@example.org")
    page.goto(f"/conseil/reunions/{held_id}")
    page.get_by_role("link", name="Enregistrer les présences").click()
    _check(page)
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("link", name="Écrire le compte rendu").click()
    _check(page)
    page.get_by_label("Compte rendu").fill("**Présent·es** : le bureau.\n\n- point un")
    page.get_by_label("Membres seulement : les membres de l’instance et l’administration").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("button", name="Publier le compte rendu").click()
    _check(page)
    page.get_by_role("link", name="Compte rendu, version à imprimer").click()
    _check(page)
    page.goto(f"/conseil/reunions/{held_id}/convocation/imprimer")
    _check(page)
    page.goto("/conseil/designations")
    _check(page)
    page.goto("/conseil/representants/nouveau")
    _check(page)
    page.get_by_role("button", name="Enregistrer").click()  # nothing filled: errors shown
    assert page.get_by_role("alert").is_visible()
    _check(page)
    page.goto("/conseil/membres")
    _check(page)
