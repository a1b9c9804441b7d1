"""The Conseil's cast: this year's runners, members of each body, and meetings."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from participation.core.models import utcnow
from participation.council import services
from participation.council.models import COUNCIL, DIRECTORS, PARIS, PRESIDENTS
from participation.extensions import db
from participation.territory.models import Centre, Federation
from tests import factories


def centre(name):
    return db.session.scalar(sa.select(Centre).where(Centre.short_name == name))


@pytest.fixture
def council(session):
    return services.get_body(COUNCIL)


@pytest.fixture
def presidents_body(session):
    return services.get_body(PRESIDENTS)


@pytest.fixture
def directors_body(session):
    return services.get_body(DIRECTORS)


@pytest.fixture
def other_director(session):
    """A director who sits in the Conseil but was not designated to run it."""
    return factories.staff("director", centre("Matisse"), pseudonym="Dir Matisse")


@pytest.fixture
def federation_president(session):
    return factories.staff("president", db.session.scalar(sa.select(Federation)),
                           pseudonym="Prés Fédé")


def paris(year, month, day, hour=18, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def held_meeting(body, by, starts_at, **fields):
    meeting = services.plan_meeting(body, by, starts_at=starts_at,
                                    place=fields.pop("place", "Salle Matisse, Calais"), **fields)
    db.session.commit()
    return meeting


@pytest.fixture
def designating_decision(council, admin):
    """A Conseil decision of about three months ago (a quarter before this one), to
    designate runners with."""
    now = utcnow()
    meeting = held_meeting(council, admin, now - timedelta(days=100))
    decision = services.record_decision(meeting, admin, title="Désignation",
                                        text="Le Conseil désigne ses animateurs.", now=now)
    db.session.commit()
    return decision


@pytest.fixture
def runners(president, director, designating_decision, admin):
    """``president`` (Espace Fort) and ``director`` (Cousteau) run the Conseil this year."""
    now = utcnow()
    year = services.paris_today(now).year
    services.designate(admin, president, "president", year, designating_decision, now)
    services.designate(admin, director, "director", year, designating_decision, now)
    db.session.commit()
    return president, director


def days_ahead(days, hour=18):
    """A Paris time ``days`` calendar days from today."""
    today = services.paris_today(datetime.now(UTC))
    day = today + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)
