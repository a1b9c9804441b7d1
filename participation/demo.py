"""Demo data: the cast of PRODUCT.md, so every page has something true to show.

Built with the same services as the site. Each domain adds its own part here.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from participation.accounts import services as accounts
from participation.accounts.models import User
from participation.extensions import db
from participation.territory.models import Centre, Commune, Federation

# Published in the README on purpose: demo accounts only, never in production data.
DEMO_PASSWORD = "demo-calaisis-2026"  # noqa: S105  # nosec B105 — public demo password
# The demo admin's authenticator secret, published in the README too, so that `make run`
# works without a phone: `python -c "import pyotp; print(pyotp.TOTP('…').now())"`.
DEMO_TOTP_SECRET = "CALAISISDEMOADMINPARTICIPATIONXY"  # noqa: S105  # nosec B105 — public demo secret


def _commune(name: str) -> Commune:
    return db.session.scalar(sa.select(Commune).where(Commune.name == name))


def _centre(short_name: str) -> Centre:
    return db.session.scalar(sa.select(Centre).where(Centre.short_name == short_name))


def _person(email: str, pseudonym: str, commune: str | None, birth_year: int | None,
            now: datetime) -> User:
    user = User(email=email, email_confirmed_at=now, pseudonym=pseudonym,
                pseudonym_key=accounts.pseudonym_key(pseudonym),
                commune=_commune(commune) if commune else None, birth_year=birth_year,
                locale="fr", privacy_accepted_at=now,
                password_hash=accounts.generate_password_hash(DEMO_PASSWORD))
    db.session.add(user)
    db.session.flush()
    return user


def _demo_two_factor(admin: User, now: datetime) -> None:
    """Admins must use two-step verification: the demo's is on, with the published secret
    (set up the day before, so that the codes of today are all unused)."""
    import pyotp

    from participation.accounts import security

    day_before = now - timedelta(days=1)
    security.start_setup(admin, DEMO_TOTP_SECRET)
    security.confirm_setup(admin, pyotp.TOTP(DEMO_TOTP_SECRET).at(day_before), day_before)


def load_demo(now: datetime) -> dict[str, User]:
    """Create the demo accounts and their roles; flushed, the caller commits."""
    cast = {
        "habitant": _person("habitant@example.org", "Karima", "Calais", 1984, now),
        "nouvelle": _person("nouvelle@example.org", "Léa", "Sangatte", 2001, now),
        "animateur": _person("animateur@example.org", "Yanis (Matisse)", "Calais", 1990, now),
        "directrice": _person("directrice@example.org", "Sophie (Cousteau)", "Marck", 1975, now),
        "president": _person("president@example.org", "Jean-Pierre (Espace Fort)", "Calais",
                             1958, now),
        "federation": _person("federation@example.org", "Nadia (Fédération)", None, 1970, now),
        "admin": _person("admin@example.org", "Administration", None, None, now),
    }
    admin = cast["admin"]
    admin.is_admin = True
    _demo_two_factor(admin, now)
    federation = db.session.scalar(sa.select(Federation))
    accounts.grant_role(admin, cast["animateur"], _centre("Matisse"), "animator")
    accounts.grant_role(admin, cast["directrice"], _centre("Jacques Yves Cousteau"), "director")
    accounts.grant_role(admin, cast["president"], _centre("Espace Fort"), "president")
    accounts.grant_role(admin, cast["federation"], federation, "federal_delegate")
    accounts.verify_residence(cast["animateur"], cast["habitant"], _centre("Matisse"),
                              _commune("Calais"), now)
    # An assisted account, as made at Matisse's front desk for someone without email.
    accounts.create_assisted_account(cast["animateur"], pseudonym="Marcel",
                                     commune=_commune("Calais"), birth_year=1948,
                                     centre=_centre("Matisse"), now=now)
    from participation.proposals.demo import load_proposals_demo

    load_proposals_demo(cast, now)
    from participation.consultations.demo import load_consultations_demo

    load_consultations_demo(cast, now)
    from participation.actions.demo import load_actions_demo, load_first_action_demo

    load_first_action_demo(cast, now)  # fiche n° 1, which the Conseil's demo validates
    from participation.council.demo import load_council_demo

    load_council_demo(cast, now)
    load_actions_demo(cast, now)
    from participation.projects.demo import load_projects_demo

    load_projects_demo(cast, now)
    return cast

