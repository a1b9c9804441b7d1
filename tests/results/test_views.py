"""The dashboard through HTTP: who sees it, the period form, and a fixed number of queries."""


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
