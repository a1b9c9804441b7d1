"""Shared steps of the browser tests: people made in the database, logging in through the form."""

import uuid

import sqlalchemy as sa

from participation.accounts.models import Role, User
from participation.accounts.services import pseudonym_key
from participation.core.models import utcnow
from participation.extensions import db
from participation.territory.models import Centre, Commune
from tests.factories import PASSWORD, PASSWORD_HASH


def make_person(live_app, name: str, role: str | None = None, centre: str = "Matisse",
                commune: str = "Calais") -> str:
    """Create a confirmed account (and a role on ``centre``); returns its email."""
    tag = uuid.uuid4().hex[:6]
    pseudonym = f"{name} {tag}"
    email = f"{pseudonym_key(pseudonym)}@example.org"
    with live_app.app_context():
        user = User(email=email, pseudonym=pseudonym, pseudonym_key=pseudonym_key(pseudonym),
                    password_hash=PASSWORD_HASH, email_confirmed_at=utcnow(), locale="fr",
                    commune=db.session.scalar(sa.select(Commune).where(Commune.name == commune)))
        db.session.add(user)
        if role:
            db.session.add(Role(user=user, kind=role, organisation=db.session.scalar(
                sa.select(Centre).where(Centre.short_name == centre))))
        db.session.commit()
    return email


def log_in(page, email: str) -> None:
    page.goto("/connexion")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    assert page.locator("form[action='/deconnexion']").count() == 1, "login failed"


def log_out(page) -> None:
    page.locator("form[action='/deconnexion'] button").click()
