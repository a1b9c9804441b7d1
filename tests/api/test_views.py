"""The open data API through HTTP: public data only, pagination, ETags, JSON errors,
a fixed number of queries, and an OpenAPI document that covers every route."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from participation.consultations import services as consultations
from participation.core.models import utcnow
from participation.council import services as council
from participation.extensions import db
from participation.proposals.models import Proposal
from tests import factories
from tests.actions.conftest import decide
from tests.consultations.helpers import answers, make_consultation
from tests.projects.helpers import make_project
from tests.queries import queries_for


def _dump(response) -> str:
    return json.dumps(response.json, ensure_ascii=False)


def _no_personal_data(text: str, *people):
    assert "@" not in text
    assert "birth" not in text and "1985" not in text
    for key in ("email", "birth_year", "verification", "verified_at", "tracker"):
        assert f'"{key}"' not in text
    for person in people:
        assert person.email not in text


@pytest.fixture
def world(inhabitant, verified, animator, admin):
    """Public and non-public things of every kind, made through the services."""
    t0 = utcnow() - timedelta(days=30)
    things = {
        "published": factories.proposal(inhabitant, title="Idée publiée"),
        "retained": factories.proposal(inhabitant, status="retained", moderator=animator,
                                       title="Idée retenue"),
        "draft": factories.proposal(inhabitant, status="draft", title="Brouillon secret"),
        "submitted": factories.proposal(inhabitant, status="submitted",
                                        title="En attente secrète"),
        "project": make_project(animator, t0, title="Projet public"),
        "draft_project": make_project(animator, t0, publish=False, title="Projet brouillon"),
        "unannounced": make_consultation(animator, t0, schedule=False,
                                         title="Consultation cachée"),
        "sheet_draft": factories.action_sheet(animator, status="draft", title="Fiche brouillon"),
    }
    sheet = factories.action_sheet(animator, title="Fiche validée")
    decision = decide(sheet, admin, when=utcnow() - timedelta(days=1))
    council.publish_decisions(decision.meeting, utcnow())
    # Another decision, recorded but not published: out of the register.
    decide(factories.action_sheet(animator, title="Fiche en attente"), admin,
           when=utcnow() - timedelta(days=3))
    things["sheet"] = sheet
    # A consultation closed, counted and published: one ballot by the verified resident.
    voted = make_consultation(animator, t0, title="Consultation publiée")
    consultations.cast_ballot(voted, verified, answers(voted), voted.opens_at
                              + timedelta(hours=1))
    consultations.publish_results(voted, voted.closes_at + timedelta(hours=1))
    db.session.commit()
    things["voted"] = voted
    return things


def test_each_endpoint_lists_only_public_data(client, world, inhabitant, verified):
    proposals = _dump(client.get("/api/proposals"))
    assert "Idée publiée" in proposals and "Idée retenue" in proposals
    assert "Brouillon secret" not in proposals and "En attente secrète" not in proposals
    assert "Inès" in proposals  # the public pseudonym, nothing more
    projects = _dump(client.get("/api/projects"))
    assert "Projet public" in projects and "Projet brouillon" not in projects
    listed = _dump(client.get("/api/consultations"))
    assert "Consultation publiée" in listed and "Consultation cachée" not in listed
    sheets = _dump(client.get("/api/action-sheets"))
    assert "Fiche validée" in sheets and "Fiche brouillon" not in sheets
    decisions = client.get("/api/decisions").json
    assert [d["validates_action_sheet_id"] for d in decisions["items"]] == [world["sheet"].id]
    for text in (proposals, projects, listed, sheets, json.dumps(decisions)):
        _no_personal_data(text, inhabitant, verified)


def test_details_of_non_public_things_are_404_in_json(client, world):
    for url in (f"/api/proposals/{world['draft'].id}", f"/api/proposals/{world['submitted'].id}",
                f"/api/projects/{world['draft_project'].id}",
                f"/api/consultations/{world['unannounced'].id}",
                f"/api/action-sheets/{world['sheet_draft'].id}", "/api/nothing-here"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.is_json and response.json["error"]
    # Elsewhere, errors stay HTML pages.
    assert client.get("/nothing-here").mimetype == "text/html"


def test_details_of_public_things(client, world, inhabitant, verified):
    for key, url in (("published", "/api/proposals/{}"), ("project", "/api/projects/{}"),
                     ("sheet", "/api/action-sheets/{}")):
        response = client.get(url.format(world[key].id))
        assert response.status_code == 200
        _no_personal_data(_dump(response), inhabitant, verified)
    sheet = client.get(f"/api/action-sheets/{world['sheet'].id}").json
    assert sheet["objectives"][0]["target"] == "12 jeunes"
    assert sheet["actors"][0]["is_lead"] is True
    assert sheet["validating_decision"]["reference"]


def test_published_results_with_small_breakdowns_and_ballot_lists(client, world, verified):
    voted = world["voted"]
    detail = client.get(f"/api/consultations/{voted.id}").json
    assert detail["results"]["ballots"] == 1
    # One participant: the total is exact, each breakdown cell reads "< 5".
    assert detail["turnout"]["total"] == 1
    assert detail["turnout"]["by_channel"] == {"online": "< 5"}
    assert {row["participants"] for row in detail["turnout"]["by_centre"]
            + detail["turnout"]["by_commune"]} == {"< 5"}
    ballots = client.get(f"/api/consultations/{voted.id}/ballots").json
    assert ballots["total"] == 1 and ballots["items"][0]["ballots"] == 1
    assert ballots["items"][0]["content"][0]["choices"] == ["Mardi"]
    trackers = client.get(f"/api/consultations/{voted.id}/trackers").json
    assert len(trackers["items"]) == 1
    # The contents never carry a tracker.
    assert trackers["items"][0] not in _dump(client.get(f"/api/consultations/{voted.id}/ballots"))
    _no_personal_data(json.dumps(detail), verified)


def test_results_and_ballots_wait_for_publication(client, animator):
    t0 = utcnow() - timedelta(days=2)
    open_now = make_consultation(animator, t0)
    detail = client.get(f"/api/consultations/{open_now.id}").json
    assert detail["phase"] == "open"
    assert detail["results"] is None and detail["turnout"] is None
    assert client.get(f"/api/consultations/{open_now.id}/ballots").status_code == 404
    assert client.get(f"/api/consultations/{open_now.id}/trackers").status_code == 404


def _add_proposals(author, n, start=0):
    when = datetime(2026, 10, 1, tzinfo=UTC)
    centre_id = db.session.scalar(sa.text("SELECT id FROM organisations "
                                          "WHERE short_name = 'Matisse'"))
    db.session.execute(sa.insert(Proposal), [
        {"author_id": author.id, "title": f"Idée {i}", "body": "Texte",
         "search_text": f"idee {i}", "theme_id": factories.theme().id,
         "commune_id": None, "centre_id": centre_id, "status": "published",
         "published_at": when + timedelta(minutes=i), "created_at": when,
         "updated_at": when, "support_count": 0, "comment_count": 0, "report_count": 0}
        for i in range(start, start + n)])
    db.session.commit()


def test_pagination_with_links_and_a_maximum(client, inhabitant):
    _add_proposals(inhabitant, 25)
    first = client.get("/api/proposals?per_page=10").json
    assert first["total"] == 25 and first["pages"] == 3 and len(first["items"]) == 10
    assert first["links"]["prev"] is None
    assert [p["title"] for p in first["items"]][:2] == ["Idée 24", "Idée 23"]
    second = client.get(first["links"]["next"]).json
    assert second["page"] == 2 and second["links"]["prev"]
    assert {p["id"] for p in first["items"]}.isdisjoint(p["id"] for p in second["items"])
    last = client.get("/api/proposals?per_page=10&page=3").json
    assert len(last["items"]) == 5 and last["links"]["next"] is None
    assert client.get("/api/proposals?page=9").json["items"] == []
    for bad in ("per_page=101", "per_page=0", "page=0", "page=x"):
        response = client.get(f"/api/proposals?{bad}")
        assert response.status_code == 400 and response.is_json


def test_etag_gives_304_and_changes_with_the_data(client, inhabitant):
    factories.proposal(inhabitant)
    first = client.get("/api/proposals")
    etag = first.headers["ETag"]
    assert etag and "public" in first.headers["Cache-Control"]
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get("/api/proposals", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    factories.proposal(inhabitant, title="Une autre idée")
    changed = client.get("/api/proposals", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


@pytest.mark.parametrize("url", ["/api/proposals", "/api/projects", "/api/consultations",
                                 "/api/decisions", "/api/action-sheets"])
def test_lists_run_the_same_queries_with_little_or_more_data(client, world, inhabitant,
                                                            animator, admin, url):
    few = queries_for(client, url)
    _add_proposals(inhabitant, 30, start=100)
    t0 = utcnow() - timedelta(days=30)
    for i in range(3):
        make_project(animator, t0, title=f"Projet {i}")
        make_consultation(animator, t0, title=f"Consultation {i}")
        decision = decide(factories.action_sheet(animator, title=f"Fiche {i}"), admin,
                          when=utcnow() - timedelta(days=2, hours=i))
        council.publish_decisions(decision.meeting, utcnow())
    many = queries_for(client, url)
    assert few == many


def test_details_run_the_same_queries_with_little_or_more_data(client, world, animator,
                                                               inhabitant):
    from participation.actions.models import Objective
    from participation.consultations.models import Ballot

    sheet, voted = world["sheet"], world["voted"]
    urls = (f"/api/action-sheets/{sheet.id}", f"/api/consultations/{voted.id}",
            f"/api/consultations/{voted.id}/ballots", f"/api/proposals/{world['published'].id}")
    few = [queries_for(client, url) for url in urls]
    # More of what the pages list (written directly: the fiche is validated, the vote closed).
    db.session.add_all([Objective(sheet_id=sheet.id, text=f"Objectif {i}", indicator="Jeunes",
                                  target="12") for i in range(5)])
    db.session.add_all([Ballot(consultation_id=voted.id, channel="online",
                               day=voted.opens_at.date(),
                               answers=json.dumps(answers(voted, single=i % 3)))
                        for i in range(4)])
    db.session.commit()
    assert few == [queries_for(client, url) for url in urls]


def test_openapi_documents_every_route(app, client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["license"]["name"] == "Licence Ouverte / Etalab 2.0"
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
              for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("api.") and rule.rule.startswith("/api/")}
    assert len(routes) >= 10
    assert routes == set(spec["paths"])
    schemas = spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        operation = item["get"]
        assert operation["summary"] and "200" in operation["responses"], path
        for name in re.findall(r"{(\w+)}", path):
            assert any(p["name"] == name and p["in"] == "path"
                       for p in operation["parameters"]), path
    # Every reference points at a schema that exists.
    for target in re.findall(r'"#/components/schemas/(\w+)"', json.dumps(spec)):
        assert target in schemas


def test_the_explanation_page_in_french_and_english(client):
    page = client.get("/api").text
    assert "Licence Ouverte / Etalab 2.0" in page
    assert "/api/openapi.json" in page and "/api/proposals" in page
    assert 'href="/api"' in client.get("/").text
    with client.session_transaction() as flask_session:
        flask_session["locale"] = "en"
    assert "What is never there" in client.get("/api").text
