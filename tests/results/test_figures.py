"""The dashboard's second slice on a known data set: channels, people who took part,
attendance, consultation turnout (eligible people and population) and months."""

from datetime import UTC, date, datetime, timedelta

import pytest

from participation.consultations import services as consultations
from participation.extensions import db
from participation.projects import services as projects
from participation.proposals import services as proposals
from participation.results.queries import Period, consultations_closed, dashboard, monthly
from tests import factories
from tests.consultations.helpers import answers, commune, make_consultation
from tests.projects.helpers import make_project, opened


def _at(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=UTC)


LONG_AGO = datetime(2026, 9, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 28, 10, tzinfo=UTC)


@pytest.fixture
def quarter(session, inhabitant, animator, matisse):
    """Q4 2026: one consultation closed (six online voters and one paper ballot among twelve
    eligible people), a project session with one present of two, a proposal typed at a desk,
    and an assisted account."""
    for name, population in (("Calais", 1000), ("Marck", 600), ("Sangatte", 400)):
        commune(name).population = population
    consultation = make_consultation(animator, _at(10, 5))  # closes on 13 October
    voters = [factories.UserFactory(created_at=LONG_AGO) for _ in range(7)]
    for person in voters[:6]:
        consultations.cast_ballot(consultation, person, answers(consultation), _at(10, 7))
    consultations.cast_ballot(consultation, voters[6], answers(consultation), _at(10, 8),
                              channel="paper", centre=matisse, staff=animator)
    # Three more could have voted (with the inhabitant and the animator, registered long
    # ago in Calais); one came too late, one lives elsewhere.
    for _ in range(3):
        factories.UserFactory(created_at=LONG_AGO, commune=commune("Marck"))
    factories.UserFactory(created_at=_at(10, 20))
    factories.UserFactory(created_at=LONG_AGO, commune=None)

    project = make_project(animator, _at(10, 1))
    first, second = voters[0], voters[1]
    projects.join(project, first, opened(_at(10, 1)))
    registered = projects.register_for(animator, project, second, opened(_at(10, 1)))
    meeting = projects.add_session(project, starts_at=_at(11, 2), ends_at=_at(11, 2, 12),
                                   place="Centre Matisse")
    projects.mark_attendance(meeting, animator, {registered.id}, _at(11, 2, 12))

    typed = factories.proposal(inhabitant, now=_at(11, 3), title="Une idée au guichet")
    typed.recorded_by = animator
    factories.proposal(inhabitant, now=_at(11, 4), title="Une idée en ligne")
    proposals.set_support(voters[2], typed, True, _at(11, 5))
    factories.UserFactory(created_at=_at(11, 6), assisted_by=animator, email=None)
    inhabitant.created_at = animator.created_at = LONG_AGO
    db.session.commit()
    return consultation


def test_turnout_among_eligible_people_and_against_the_population(quarter):
    [row] = consultations_closed(Period("quarter", 2026, 4), NOW)
    assert (row["voters"], row["eligible"]) == (7, 12)
    assert row["turnout"] == 58.3
    assert row["population"] == 2000 and row["population_turnout"] == 0.35
    assert consultations_closed(Period("quarter", 2026, 3), NOW) == []


def test_without_every_population_there_is_no_share_of_the_population(quarter):
    commune("Sangatte").population = None
    db.session.flush()
    [row] = consultations_closed(Period("quarter", 2026, 4), NOW)
    assert row["population"] is None and row["population_turnout"] is None


def test_channels_people_and_attendance(quarter, now):
    data = dashboard(Period("quarter", 2026, 4), now)
    current = data["current"]
    assert current["participations_by_channel"] == {"online": 6, "paper": 1}
    assert current["proposals_by_channel"] == {"online": 1, "assisted": 1}
    assert current["registrations_by_channel"] == {"online": 1, "assisted": 1}
    assert current["accounts_by_channel"] == {"online": 1, "assisted": 1}
    # Seven voters (two of whom joined the project, one supported), and the author.
    assert current["people"] == 8
    assert (current["attendance_present"], current["attendance_marked"]) == (1, 2)
    channels = {row["name"]: row for row in data["tables"]["participation_channels"]}
    assert [row["current"] for row in channels.values()] == [6, "< 5", "< 5"]
    figures = {row["name"]: row["current"] for row in data["tables"]["figures"]}
    assert "58,3 %" in figures.values() and "50,0 %" in figures.values()
    [consultation] = data["tables"]["consultations"]
    assert consultation["voters"] == 7 and consultation["population_turnout"] == "0,35 %"
    population = {row["name"]: row["current"] for row in data["tables"]["population"]}
    assert population == {"Calais": "0,7 %", "Marck": "—", "Sangatte": "—"}


def test_months_cover_the_previous_period_and_this_one(quarter):
    months = monthly(Period("quarter", 2026, 4))
    assert [m["month"] for m in months] == [date(2026, m, 1) for m in range(7, 13)]
    by_month = {m["month"].month: m for m in months}
    assert by_month[11]["proposals"] == 2 and by_month[10]["proposals"] == 0
    assert by_month[10]["participations"] == 7
    assert by_month[11]["accounts"] == 1 and by_month[10]["accounts"] == 1
    assert by_month[9]["accounts"] == 13  # the ones made "long ago", on 1 September
    assert len(monthly(Period("year", 2026))) == 24


def test_a_month_ends_at_midnight_in_calais(session, inhabitant):
    # 31 October 2026 at 23:30 in Calais is 22:30 UTC: still October.
    factories.proposal(inhabitant, now=datetime(2026, 10, 31, 22, 30, tzinfo=UTC))
    factories.proposal(inhabitant, now=datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
                       title="Le premier novembre")
    by_month = {m["month"].month: m["proposals"] for m in monthly(Period("quarter", 2026, 4))}
    assert (by_month[10], by_month[11]) == (1, 1)


def test_deleted_and_unverified_people_are_not_counted_as_eligible(session, animator):
    make_consultation(animator, _at(10, 5), verified_only=True, min_age=18)
    checked = factories.UserFactory(created_at=LONG_AGO, birth_year=1990)
    checked.verified_at = LONG_AGO
    checked.verified_until = LONG_AGO + timedelta(days=365)
    too_young = factories.UserFactory(created_at=LONG_AGO, birth_year=2015)
    too_young.verified_at, too_young.verified_until = checked.verified_at, checked.verified_until
    factories.UserFactory(created_at=LONG_AGO)  # not verified
    gone = factories.UserFactory(created_at=LONG_AGO, deleted_at=_at(10, 1), email=None,
                                 pseudonym=None, pseudonym_key=None)
    gone.verified_at, gone.verified_until = checked.verified_at, checked.verified_until
    db.session.commit()
    [row] = consultations_closed(Period("quarter", 2026, 4), NOW)
    assert (row["voters"], row["eligible"]) == (0, 1)
    assert row["turnout"] == 0.0


def test_a_consultation_still_open_is_not_counted_as_closed(session, animator):
    make_consultation(animator, _at(11, 25))  # closes on 3 December
    assert consultations_closed(Period("quarter", 2026, 4), NOW) == []
    assert len(consultations_closed(Period("quarter", 2026, 4), _at(12, 4))) == 1
