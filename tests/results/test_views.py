"""The dashboard through HTTP: who sees it, the period form, and a fixed number of queries."""


from types import SimpleNamespace

import pytest

from participation.extensions import db
from tests import factories
from tests.queries import queries_for


@pytest.mark.parametrize("who, status", [
    ("inhabitant", 403), ("verified", 403), ("animator", 403), ("director", 200),
    ("president", 200), ("federal_delegate", 200), ("admin", 200)])
def test_who_sees_the_results(client, login, request, who, status):
    user = request.getfixturevalue(who)
    login(user)
    assert client.get("/resultats").status_code == status
    assert ('href="/resultats"' in client.get("/").text) == (status == 200)


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/resultats")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_a_year_chosen_in_the_form_and_a_wrong_year_explained(client, login, director):
    login(director)
    page = client.get("/resultats?kind=year&year=2025&quarter=1").text
    assert "année 2025" in page and "année 2024" in page
    page = client.get("/resultats?kind=quarter&year=1850&quarter=2").text
    assert "Indiquez une année de 2020 à 2100." in page


def test_the_dashboard_runs_the_same_queries_with_little_or_much_data(client, login, admin,
                                                                       inhabitant, animator,
                                                                       now):
    from participation.proposals import services

    login(admin)
    url = "/resultats?kind=year&year=2026"
    few = queries_for(client, url)
    for i in range(12):
        made = factories.proposal(inhabitant, title=f"Idée numéro {i}")
        services.set_support(animator, made, True, now)
        services.add_comment(animator, made, "Un avis", now)
    factories.proposal(inhabitant, status="submitted", title="Une idée en attente")
    db.session.commit()
    many = queries_for(client, url)
    assert few == many


NON_PUBLIC = ["/resultats", "/resultats/figures.csv", "/resultats/people.csv?kind=year&year=2026",
              "/resultats/rapport", "/resultats/rapport?kind=quarter&year=2026&quarter=3",
              "/resultats/rapport.pdf"]


@pytest.mark.parametrize("url", NON_PUBLIC)
def test_anonymous_visitors_get_none_of_the_figures(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("url", NON_PUBLIC)
@pytest.mark.parametrize("who", ["inhabitant", "verified", "animator"])
def test_inhabitants_and_animators_get_none_of_the_figures(client, login, request, url, who):
    login(request.getfixturevalue(who))
    response = client.get(url)
    assert response.status_code == 403
    assert "text/csv" not in response.content_type
    assert "application/pdf" not in response.content_type


@pytest.mark.parametrize("who, sees", [("president", True), ("verified", False)])
def test_a_meeting_page_links_to_the_report_of_the_quarter_before(client, login, request,
                                                                   president, who, sees):
    from datetime import UTC, datetime

    from participation.council import services as council
    from participation.council.models import COUNCIL

    meeting = council.plan_meeting(council.get_body(COUNCIL), president, place="Espace Fort",
                                   starts_at=datetime(2027, 1, 14, 17, tzinfo=UTC))
    db.session.commit()
    login(request.getfixturevalue(who))
    page = client.get(f"/conseil/reunions/{meeting.id}").text
    link = 'href="/resultats/rapport?kind=quarter&amp;year=2026&amp;quarter=4"'
    assert (link in page) == sees
    if sees:
        assert "trimestre 4 de 2026" in page


def test_the_dashboard_body_is_kept_for_every_member_of_staff(app, client, login, director,
                                                              president, monkeypatch):
    """Rendered once a minute (with its figures), the same for all; each page keeps its own
    header (who is logged in) and a member of staff's language."""
    url = "/resultats?kind=year&year=2026"
    login(president)
    counted_each_time = queries_for(client, url)
    monkeypatch.setitem(app.config, "DASHBOARD_CACHE_SECONDS", 60)
    # A count due at a minute's turn is not run: its thread would share the test's
    # database connection.
    monkeypatch.setattr("participation.results.views.threading.Thread",
                        lambda **kwargs: SimpleNamespace(start=lambda: None))
    login(director)
    first = client.get(url).text
    login(president)
    assert queries_for(client, url) < counted_each_time
    second = client.get(url).text
    body = first[first.index('<main id="main"'):first.index("</main>")]
    assert body in second
    client.post("/langue", data={"language": "en"})
    assert "Participation results" in client.get(url).text
