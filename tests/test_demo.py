"""The demo data: the cast of PRODUCT.md, usable with the published password."""

import sqlalchemy as sa

from participation.accounts.models import User
from participation.accounts.services import authenticate
from participation.demo import DEMO_PASSWORD, load_demo
from participation.extensions import db


def test_demo_cast_and_roles(session, now):
    load_demo(now)
    db.session.commit()
    by_email = {u.email: u for u in db.session.scalars(sa.select(User)) if u.email}
    assert {"habitant@example.org", "nouvelle@example.org", "animateur@example.org",
            "directrice@example.org", "president@example.org", "federation@example.org",
            "admin@example.org"} <= set(by_email)
    assert by_email["habitant@example.org"].is_verified(now)
    assert by_email["habitant@example.org"].commune.name == "Calais"
    assert not by_email["nouvelle@example.org"].is_verified(now)
    assert by_email["nouvelle@example.org"].commune.name == "Sangatte"
    roles = {(r.user.email, r.kind, r.organisation.short_name)
             for u in by_email.values() for r in u.roles}
    assert roles == {
        ("animateur@example.org", "animator", "Matisse"),
        ("directrice@example.org", "director", "Jacques Yves Cousteau"),
        ("president@example.org", "president", "Espace Fort"),
        ("federation@example.org", "federal_delegate", "Fédération"),
    }
    assert by_email["admin@example.org"].is_admin
    assert authenticate("animateur@example.org", DEMO_PASSWORD, now)


def test_demo_load_command_refuses_a_database_with_accounts(app, session, inhabitant):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "already has accounts" in result.output
    quiet = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert quiet.exit_code == 0 and quiet.output == ""
