"""Shared steps of the browser tests: people made in the database, logging in through the form."""

import time
import uuid
from urllib.parse import urlsplit

import pyotp
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


# Authenticator secrets of the accounts that set up two-step verification in these tests,
# and the last time-step used for each (the site accepts a step only once).
TOTP_SECRETS: dict[str, str] = {}
_LAST_STEP: dict[str, int] = {}


def next_code(email: str) -> str:
    """The code an authenticator app would show, for a time-step not used yet (the site
    accepts the step after the current one too)."""
    step = max(int(time.time()) // 30, _LAST_STEP.get(email, -1) + 1)
    # Several logins of one person in a minute: wait until the step is within the one
    # the site accepts ahead of now, as a person would wait for the next code.
    while step > int(time.time()) // 30 + 1:
        time.sleep(1)
    _LAST_STEP[email] = step
    return pyotp.TOTP(TOTP_SECRETS[email]).generate_otp(step)


def pass_second_step(page, email: str) -> None:
    """After the password: type the code, or (an admin's first login) set the app up."""
    path = urlsplit(page.url).path
    if path == "/compte/securite/activer":
        TOTP_SECRETS[email] = page.locator("#totp-secret").inner_text().replace(" ", "")
        _LAST_STEP.pop(email, None)
        page.fill("#code", next_code(email))
        page.locator("main button[type=submit]").click()
        page.locator("main a.button").click()  # "I have kept my codes, continue"
    elif path == "/connexion/code":
        page.fill("#code", next_code(email))
        page.locator("main button[type=submit]").click()


def log_in(page, email: str) -> None:
    page.goto("/connexion")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    pass_second_step(page, email)
    assert page.locator("form[action='/deconnexion']").count() == 1, "login failed"


def log_out(page) -> None:
    page.locator("form[action='/deconnexion'] button").click()


def designate_president(admin, president, tag: str, now):
    """Designate ``president`` to run the Conseil this year (inside an app context).

    Browser tests share one database and commit for real: a designation left by an
    earlier test is moved to the day before, as if it had ended then.
    """
    from datetime import timedelta

    from participation.council import services
    from participation.council.models import COUNCIL

    today = services.paris_today(now)
    for mandate in services.designations(today.year):
        if mandate.seat == "president" and not mandate.ended_early(today):
            mandate.starts_on = mandate.ends_on = today - timedelta(days=1)
    earlier = services.plan_meeting(services.get_body(COUNCIL), admin,
                                    starts_at=now - timedelta(days=100), place="Espace Fort")
    decision = services.record_decision(earlier, admin, title=f"Désignation {tag}",
                                        text="Désignation.", now=now)
    services.designate(admin, president, "president", today.year, decision, now)
