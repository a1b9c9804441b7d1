"""The named rules of the Conseil: a matrix of roles × moments, with the clock passed in."""

from datetime import UTC, datetime

import pytest

from participation.core.permissions import has_perm
from participation.council import permissions, services
from participation.extensions import db
from tests.council.conftest import held_meeting, paris

DESIGNATED = datetime(2027, 1, 20, 9, tzinfo=UTC)


@pytest.fixture
def cast(council, admin, president, director, other_director, animator, inhabitant):
    meeting = held_meeting(council, admin, paris(2027, 1, 12))
    decision = services.record_decision(meeting, admin, title="Désignation", text="x",
                                        now=DESIGNATED)
    services.designate(admin, president, "president", 2027, decision, DESIGNATED)
    services.designate(admin, director, "director", 2027, decision, DESIGNATED)
    db.session.commit()
    return {"president": president, "director": director, "other_director": other_director,
            "animator": animator, "inhabitant": inhabitant, "admin": admin}


def _at(monkeypatch, moment):
    monkeypatch.setattr(permissions, "utcnow", lambda: moment)


RUNNERS = {"president", "director", "admin"}


@pytest.mark.parametrize("moment, meeting_day, allowed", [
    # During the year they were designated for.
    (datetime(2027, 6, 1, tzinfo=UTC), (2027, 7, 10), RUNNERS),
    # December: next January's meeting is theirs until the Conseil designates again.
    (datetime(2027, 12, 15, tzinfo=UTC), (2028, 1, 10), RUNNERS),
    # A meeting two years on: nobody designated for it, nor the year before: admins only.
    (datetime(2027, 12, 15, tzinfo=UTC), (2029, 1, 10), {"admin"}),
])
@pytest.mark.parametrize("rule", ["council.plan", "council.convene", "council.record",
                                  "council.publish"])
def test_who_runs_a_conseil_meeting(monkeypatch, cast, council, rule, moment, meeting_day,
                                    allowed):
    _at(monkeypatch, moment)
    meeting = held_meeting(council, cast["admin"], paris(*meeting_day))
    for who, user in cast.items():
        assert has_perm(user, rule, meeting) == (who in allowed), (who, rule)


def test_an_ended_designation_no_longer_runs(monkeypatch, cast, council):
    [mandate] = [m for m in services.designations(2027) if m.seat == "director"]
    services.end_mandate(mandate, datetime(2027, 5, 31).date())
    db.session.commit()
    meeting = held_meeting(council, cast["admin"], paris(2027, 7, 10))
    _at(monkeypatch, datetime(2027, 5, 31, 12, tzinfo=UTC))
    assert has_perm(cast["director"], "council.convene", meeting)
    _at(monkeypatch, datetime(2027, 6, 1, 12, tzinfo=UTC))
    assert not has_perm(cast["director"], "council.convene", meeting)
    assert has_perm(cast["president"], "council.convene", meeting)


def test_collectives_are_run_by_their_members(monkeypatch, cast, directors_body):
    _at(monkeypatch, datetime(2027, 6, 1, tzinfo=UTC))
    meeting = held_meeting(directors_body, cast["admin"], paris(2027, 7, 10))
    runs = {who for who, user in cast.items() if has_perm(user, "council.publish", meeting)}
    assert runs == {"director", "other_director", "admin"}


def test_designations_recorded_by_admins_and_the_years_runners(monkeypatch, cast):
    _at(monkeypatch, datetime(2027, 6, 1, tzinfo=UTC))
    may = {who for who, user in cast.items() if has_perm(user, "council.designate")}
    assert may == {"president", "director", "admin"}
