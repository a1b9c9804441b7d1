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
    # The README's secret gives the admin's codes (two-step verification is required).
    import pyotp

    from participation.accounts.security import check_second_factor
    from participation.demo import DEMO_TOTP_SECRET

    check_second_factor(by_email["admin@example.org"], pyotp.TOTP(DEMO_TOTP_SECRET).at(now), now)
    assert authenticate("animateur@example.org", DEMO_PASSWORD, now)


def test_demo_load_command_refuses_a_database_with_accounts(app, session, inhabitant):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "already has accounts" in result.output
    quiet = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert quiet.exit_code == 0 and quiet.output == ""


def test_demo_conseil_designations_meetings_and_coming_meeting(session, now):
    from participation.council import services
    from participation.council.models import Decision, Meeting

    cast = load_demo(now)
    db.session.commit()
    today = services.paris_today(now)
    runners = {(m.user.email, m.seat) for m in services.runners(today.year, today)}
    assert runners == {("president@example.org", "president"),
                       ("directrice@example.org", "director")}
    assert cast["president"] is not None and set(cast) == {
        "habitant", "nouvelle", "animateur", "directrice", "president", "federation", "admin"}
    meetings = db.session.scalars(sa.select(Meeting)).all()
    past = [m for m in meetings if m.is_past(now)]
    assert {m.body.kind for m in past} == {"council", "presidents", "directors"}
    for meeting in past:
        assert meeting.minutes.published_at and all(d.published_at for d in meeting.decisions)
        assert meeting.decisions
    [coming] = [m for m in meetings if not m.is_past(now)]
    assert coming.body.kind == "council" and coming.items and not coming.convened
    assert services.last_day_to_convene(coming) >= today  # still in time to convene
    directors = db.session.scalars(sa.select(Decision)
                                   .where(Decision.body.has(kind="directors"))).all()
    for decision in directors:
        services.check_directors_decision(decision)  # rule 6 holds in the demo
