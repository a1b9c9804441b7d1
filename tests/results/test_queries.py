"""The dashboard's figures: period boundaries in Calais, and figures on a known data set."""

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from participation.extensions import db
from participation.proposals import services
from participation.results.queries import Period, dashboard, period_bounds
from tests import factories


def test_a_quarter_starts_and_ends_at_midnight_in_calais():
    start, end = period_bounds("quarter", 2026, 1)
    assert start == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # winter time, UTC+1
    assert end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # summer time since 29 March


def test_the_fourth_quarter_ends_on_new_year_and_a_year_spans_the_four():
    assert period_bounds("quarter", 2026, 4) == (datetime(2026, 9, 30, 22, 0, tzinfo=UTC),
                                                 datetime(2026, 12, 31, 23, 0, tzinfo=UTC))
    assert period_bounds("year", 2026, 0) == (period_bounds("quarter", 2026, 1)[0],
                                              period_bounds("quarter", 2026, 4)[1])


@pytest.mark.parametrize("kind, number", [("quarter", 0), ("quarter", 5), ("month", 1)])
def test_unknown_periods_are_refused(kind, number):
    with pytest.raises(ValueError):
        period_bounds(kind, 2026, number)


def test_the_current_quarter_and_the_one_before():
    # 31 March 2026 at 23:30 in Calais is still the first quarter; one hour later it is not.
    assert Period.containing(datetime(2026, 3, 31, 21, 30, tzinfo=UTC)) == Period("quarter",
                                                                                 2026, 1)
    assert Period.containing(datetime(2026, 3, 31, 22, 30, tzinfo=UTC)) == Period("quarter",
                                                                                 2026, 2)
    assert Period("quarter", 2026, 1).previous() == Period("quarter", 2025, 4)
    assert Period("quarter", 2026, 3).previous() == Period("quarter", 2026, 2)
    assert Period("year", 2026).previous() == Period("year", 2025)


def _at(day, hour=10):
    return datetime(2026, *day, hour, tzinfo=UTC)


def test_figures_on_a_small_known_data_set(session, inhabitant, animator, espace_fort, now):
    # Q4 2026: two published at Matisse (Calais), one at Espace Fort for the whole Calaisis.
    first = factories.proposal(inhabitant, now=_at((10, 1)), title="Une idée")
    second = factories.proposal(inhabitant, now=_at((11, 2)), title="Deux idées")
    factories.proposal(inhabitant, now=_at((11, 3)), title="Trois idées", centre=espace_fort,
                       commune=None)
    services.answer(first, animator, "retained", "Retenue.", _at((10, 4)))  # 3 days
    services.answer(second, animator, "under_study", "À l’étude.", _at((11, 3)))  # 1 day
    # Q3: one published; still waiting in moderation: one sent on 20 November.
    factories.proposal(inhabitant, now=_at((8, 1)), title="Avant la rentrée")
    factories.proposal(inhabitant, status="submitted", now=_at((11, 20)), title="En attente")
    # New accounts: the cast was made long ago; three in Calais this quarter (a cell of
    # people: "< 5"), one before.
    inhabitant.created_at = animator.created_at = datetime(2024, 5, 1, tzinfo=UTC)
    for day in ((10, 2), (10, 3), (11, 5)):
        factories.UserFactory(created_at=_at(day))
    factories.UserFactory(created_at=_at((9, 2)))
    services.set_support(animator, first, True, _at((11, 6)))
    services.add_comment(animator, first, "Bonne idée", _at((11, 6)))
    db.session.commit()

    data = dashboard(Period("quarter", 2026, 4), now)
    current, previous = data["current"], data["previous"]
    assert current["proposals"] == 3 and previous["proposals"] == 1
    assert current["proposals_by_status"] == {"retained": 1, "under_study": 1, "published": 1}
    assert current["funnel"] == {"published": 3, "retained": 1, "action_sheet": 0,
                                 "completed": 0}
    assert current["median_answer_days"] == 2.0 and previous["median_answer_days"] is None
    assert (current["supports"], current["comments"]) == (1, 1)
    assert (previous["supports"], previous["comments"]) == (0, 0)
    assert current["new_accounts"] == 3 and previous["new_accounts"] == 1
    assert data["moderation"] == {"count": 1, "oldest_days": 8}
    by_centre = {row["name"]: row for row in data["proposals_by_centre"]}
    assert by_centre["Matisse"] == {"name": "Matisse", "current": 2, "previous": 1}
    assert by_centre["Espace Fort"]["current"] == 1
    by_commune = {row["name"]: row["current"] for row in data["proposals_by_commune"]}
    assert by_commune == {"Calais": 2, "Tout le Calaisis": 1} or by_commune == {
        "Calais": 2, "The whole Calaisis": 1}
    accounts = {row["name"]: row for row in data["accounts_by_commune"]}
    assert accounts["Calais"] == {"name": "Calais", "current": "< 5", "previous": "< 5"}


def test_the_funnel_follows_fiches_action(session, inhabitant, animator, now):
    kept = factories.proposal(inhabitant, now=_at((10, 1)), title="Une idée")
    done = factories.proposal(inhabitant, now=_at((10, 1)), title="Deux idées")
    services.answer(kept, animator, "retained", "Retenue.", _at((10, 2)))
    services.answer(done, animator, "retained", "Retenue.", _at((10, 2)))
    running = factories.action_sheet(animator, proposals=[kept])
    finished = factories.action_sheet(animator, proposals=[done], title="Jardin partagé")
    running.status = "in_progress"
    finished.status, finished.evaluation = "completed", "Douze jeunes sont partis."
    # A retained proposal whose fiche is only submitted (not validated by the Conseil).
    waiting = factories.proposal(inhabitant, now=_at((10, 1)), title="Trois idées")
    services.answer(waiting, animator, "retained", "Retenue.", _at((10, 2)))
    factories.action_sheet(animator, proposals=[waiting], title="Brouillon")
    db.session.commit()

    funnel = dashboard(Period("quarter", 2026, 4), now)["current"]["funnel"]
    assert funnel == {"published": 3, "retained": 3, "action_sheet": 2, "completed": 1}


def test_figures_kept_for_their_time_slice_then_counted_again(app, session, inhabitant, now):
    from participation.results.queries import cached_dashboard

    period = Period("quarter", 2026, 4)
    with app.test_request_context("/"):
        before = cached_dashboard(period, now, 60)["current"]["proposals"]
        factories.proposal(inhabitant, now=now - timedelta(days=1), title="Encore une idée")
        db.session.commit()
        # Same minute: the figures counted a moment ago.
        assert cached_dashboard(period, now + timedelta(seconds=1), 60)["current"][
            "proposals"] == before
        # The next minute, and without the cache: counted again.
        assert cached_dashboard(period, now + timedelta(seconds=60), 60)["current"][
            "proposals"] == before + 1
        assert cached_dashboard(period, now, 0)["current"]["proposals"] == before + 1


@pytest.mark.parametrize("period", [Period("quarter", 2026, 4), Period("quarter", 2026, 3),
                                    Period("year", 2026)])
def test_each_query_counts_the_previous_period_as_it_counts_the_current_one(app, session,
                                                                             now, period):
    """Both periods come from the same scans: the previous period's figures beside a period
    are the figures of that previous period shown on its own, month by month too."""
    from participation.demo import load_demo
    from participation.scale import load_scale

    load_demo(now)
    load_scale(now, factor=0.001, echo=lambda line: None, consultations=3)  # three years
    db.session.commit()
    with app.test_request_context("/"):
        shown, alone = dashboard(period, now), dashboard(period.previous(), now)
    assert shown["current"]["proposals"] and shown["previous"]["proposals"]
    assert shown["current"] != shown["previous"]
    assert shown["previous"] == alone["current"]
    assert shown["previous_period"] == alone["period"]
    months, months_alone = shown["tables"]["months"], alone["tables"]["months"]
    half = len(months) // 2
    assert months[:half] == months_alone[half:]
    assert shown["moderation"] == alone["moderation"]


def test_the_median_delay_reads_as_a_number_of_the_language(app):
    from flask_babel import force_locale

    from participation.results.queries import _median

    with app.test_request_context():
        assert (_median(2.0), _median(15.5)) == ("2", "15,5")
        with force_locale("en"):
            assert (_median(2.0), _median(15.5), _median(None)) == ("2", "15.5", "no answer yet")


def test_a_page_shows_last_minute_figures_at_once_and_counts_again_after(app, session,
                                                                        inhabitant, now):
    """Nobody waits for the count but the very first visitor: the minute after, the page
    shows the figures it has and they are counted again once it is sent."""
    from participation.results import queries

    period = Period("quarter", 2026, 3)
    jobs = []
    with app.test_request_context("/"):
        before = queries.cached_dashboard(period, now, 60, recount_later=jobs.append)
        assert jobs == []  # none kept yet: counted for this page
        factories.proposal(inhabitant, now=datetime(2026, 8, 3, 9, tzinfo=UTC),
                           title="Une idée de l'été")
        db.session.commit()
        later = now + timedelta(seconds=60)
        shown = queries.cached_dashboard(period, later, 60, recount_later=jobs.append)
        assert shown is before and len(jobs) == 1
        # Asked again while the count is pending: not counted twice.
        assert queries.cached_dashboard(period, later, 60, recount_later=jobs.append) is before
        assert len(jobs) == 1
        jobs.pop()()
        counted = queries.cached_dashboard(period, later, 60, recount_later=jobs.append)
        assert counted["current"]["proposals"] == before["current"]["proposals"] + 1
        # Figures older than the slice before are never shown: counted first.
        much_later = now + timedelta(minutes=10)
        fresh = queries.cached_dashboard(period, much_later, 60, recount_later=jobs.append)
        assert fresh is not counted and jobs == []


def test_the_dashboard_page_counts_again_beside_the_requests(app, client, login, director,
                                                             monkeypatch):
    from participation.results import queries, views

    monkeypatch.setitem(app.config, "DASHBOARD_CACHE_SECONDS", 60)
    counted, threads = [], []
    real = queries.dashboard
    monkeypatch.setattr(queries, "dashboard", lambda *a: counted.append(1) or real(*a))
    # The thread's work run here, when the test says (its database session is the test's).
    monkeypatch.setattr(views.threading, "Thread", lambda target, **kwargs: SimpleNamespace(
        start=lambda: threads.append(target)))
    login(director)
    url = "/resultats?kind=quarter&year=2026&quarter=1"
    assert client.get(url).status_code == 200 and len(counted) == 1
    key = next(k for k in queries._cache if k[0] == Period("quarter", 2026, 1))
    slot, figures = queries._cache[key]
    queries._cache[key] = (slot - 1, figures)  # a minute has passed
    response = client.get(url)
    assert response.status_code == 200 and len(counted) == 1  # shown without counting
    assert len(threads) == 1
    threads.pop()()  # the count, beside the requests
    assert len(counted) == 2 and queries._cache[key][0] == slot


def test_a_count_beside_the_requests_runs_in_its_thread_with_the_language(app):
    from flask import current_app
    from flask_babel import get_locale

    from participation.results.views import _count_beside_requests

    seen, done = [], threading.Event()

    def job():
        seen.append((current_app.name, str(get_locale()), threading.current_thread().name))
        done.set()

    with app.test_request_context("/"), force_locale("en"):
        _count_beside_requests(job)
    assert done.wait(5)
    assert seen == [(app.name, "en", "dashboard-count")]
