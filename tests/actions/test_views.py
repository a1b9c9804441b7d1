"""Fiches action pages: each route for each role, the chain page, and fixed query counts."""

import io
from datetime import date

import pytest
import sqlalchemy as sa

from participation.actions.models import ActionSheet
from participation.extensions import db
from participation.territory.models import Organisation
from tests import factories
from tests.actions.conftest import decide, moved
from tests.actions.test_services import MINIMAL_PDF
from tests.queries import queries_for


def test_a_director_writes_a_fiche_from_a_retained_proposal(client, login, director,
                                                            retained, matisse):
    login(director)
    form = client.get(f"/fiches-action/nouvelle?proposition={retained.id}").text
    assert retained.title in form
    response = client.post("/fiches-action/nouvelle", data={
        "title": "Repas partagés", "summary": "Chaque mois.", "proposals": [retained.id]})
    sheet = db.session.scalars(sa.select(ActionSheet)).one()
    assert response.headers["Location"].endswith(f"/fiches-action/{sheet.id}")
    base = f"/fiches-action/{sheet.id}"
    client.post(f"{base}/objectifs", data={"objective-text": "Réunir", "objective-indicator":
                                           "Participant·es", "objective-target": "30"})
    client.post(f"{base}/acteurs", data={"actor-organisation": matisse.id,
                                         "actor-role": "Cuisine", "actor-is_lead": "y"})
    refused = client.post(f"{base}/moyens", data={"means-kind": "requested",
                                                  "means-what": "Subvention",
                                                  "means-organisation": "0",
                                                  "means-amount": "douze"})
    assert refused.status_code == 400 and "1250,50" in refused.text
    assert 'value="Subvention"' in refused.text  # what was typed is kept
    client.post(f"{base}/moyens", data={"means-kind": "requested", "means-what": "Subvention",
                                        "means-organisation": "0", "means-provider": "CAF",
                                        "means-amount": "1 250,50"})
    client.post(f"{base}/jalons", data={"milestone-title": "Lancement",
                                        "milestone-due_on": "2027-02-01"})
    page = client.get(base).text
    assert "Réunir" in page and "Cuisine" in page and "1\u202f250,50\u00a0€" in page
    assert "Lancement" in page
    client.post(f"{base}/soumettre")
    db.session.refresh(sheet)
    assert sheet.status == "submitted"
    assert "attend la prochaine" in client.get(base).text


@pytest.mark.parametrize("who, status", [(None, 302), ("inhabitant", 403), ("animator", 200),
                                         ("director", 200), ("president", 200),
                                         ("admin", 200)])
def test_who_writes_fiches(client, login, request, who, status):
    if who:
        login(request.getfixturevalue(who))
    assert client.get("/fiches-action/nouvelle").status_code == status


def test_drafts_stay_with_their_writers_and_the_conseil(client, login, director, inhabitant,
                                                        other_animator, admin):
    sheet = factories.action_sheet(director, status="draft")
    url = f"/fiches-action/{sheet.id}"
    assert client.get(url).status_code == 302  # anonymous: log in
    login(inhabitant)
    assert client.get(url).status_code == 404
    assert sheet.title not in client.get("/fiches-action").text
    login(other_animator)  # Espace Fort is not an actor
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/soumettre").status_code == 404
    login(admin)
    assert client.get(url).status_code == 200
    login(director)
    assert client.get(url).status_code == 200 and sheet.title in client.get(
        "/fiches-action").text


def test_the_public_follows_the_whole_chain(client, login, director, admin, retained):
    sheet = factories.action_sheet(director, proposals=[retained])
    decision = decide(sheet, admin)
    from participation.council import services as council

    council.publish_decisions(decision.meeting, decision.created_at)
    moved(sheet, director, "start", "complete")
    page = client.get(f"/fiches-action/{sheet.id}").text
    assert retained.title in page and decision.reference in page
    assert "Bilan." in page and "terminée" in page
    assert "Modifier la fiche" not in page and "Abandonner" not in page
    proposal_page = client.get(f"/propositions/{retained.id}").text
    assert "Devenue la fiche action" in proposal_page and "réalisée" in proposal_page
    listing = client.get("/fiches-action?status=completed&q=sejour").text
    assert sheet.title in listing
    assert sheet.title not in client.get("/fiches-action?status=draft").text
    assert client.get(f"/fiches-action/{sheet.id}/imprimer").status_code == 200


def test_completion_form_keeps_what_was_typed_and_says_what_is_missing(client, login,
                                                                       director, admin):
    sheet = factories.action_sheet(director)
    decide(sheet, admin)
    moved(sheet, director, "start")
    login(director)
    [objective] = sheet.objectives
    response = client.post(f"/fiches-action/{sheet.id}/terminer",
                           data={"evaluation": "Très bien", f"result_{objective.id}": ""})
    assert response.status_code == 400 and "Très bien" in response.text
    assert "résultat de chaque objectif" in response.text
    response = client.post(f"/fiches-action/{sheet.id}/abandonner", data={"reason": ""})
    assert response.status_code == 400


def test_agreements_upload_and_download(client, login, director):
    sheet = factories.action_sheet(director)
    partner = db.session.scalar(sa.select(Organisation).where(Organisation.kind == "partner"))
    login(director)
    data = {"agreement-partner": partner.id, "agreement-title": "Convention CAF",
            "agreement-signed_on": date(2026, 11, 2).isoformat()}
    refused = client.post(f"/fiches-action/{sheet.id}/conventions", data={
        **data, "agreement-file": (io.BytesIO(b"GIF89a"), "x.pdf")},
        content_type="multipart/form-data")
    assert refused.status_code == 400 and "pas un document PDF" in refused.text
    client.post(f"/fiches-action/{sheet.id}/conventions", data={
        **data, "agreement-file": (io.BytesIO(MINIMAL_PDF), "c.pdf")},
        content_type="multipart/form-data")
    [agreement] = sheet.agreements
    response = client.get(f"/fiches-action/{sheet.id}/conventions/{agreement.id}.pdf")
    assert response.data == MINIMAL_PDF and response.mimetype == "application/pdf"


def test_means_requested_from_a_partner(client, login, director, inhabitant):
    sheet = factories.action_sheet(director, status="draft")
    from participation.actions import services

    partner = db.session.scalar(sa.select(Organisation).where(Organisation.kind == "partner"))
    services.add_means(sheet, kind="requested", what="Minibus prêté", organisation=partner)
    db.session.commit()
    login(inhabitant)
    assert client.get("/fiches-action/moyens-demandes").status_code == 403
    login(director)
    page = client.get(f"/fiches-action/moyens-demandes?partenaire={partner.id}").text
    assert "Minibus prêté" in page


def test_query_counts_do_not_grow_with_the_data(app, client, director, admin):
    first = factories.action_sheet(director)
    decide(first, admin)
    small_list = queries_for(client, "/fiches-action")
    small_page = queries_for(client, f"/fiches-action/{first.id}")
    from participation.actions import services

    for n in range(4):
        sheet = factories.action_sheet(director, title=f"Fiche {n} en plus")
        services.add_objective(first, text=f"o{n}", indicator="i", target="t") \
            if first.status == "draft" else None
        decide(sheet, admin)
    assert queries_for(client, "/fiches-action") == small_list
    assert queries_for(client, f"/fiches-action/{first.id}") == small_page


def test_projects_carrying_a_fiche_and_their_accepted_help(client, login, director, animator,
                                                          verified, admin):
    """Accepted offers of help on a project count as means of the fiche it carries out."""
    from datetime import timedelta

    from participation.core.models import utcnow
    from participation.projects import services as projects
    from tests.projects.helpers import make_project

    now = utcnow()
    project = make_project(animator, now - timedelta(days=1))
    offer = projects.offer_help(project, verified, "equipment", "Une remorque pour le matériel",
                                now)
    projects.accept_offer(offer, animator, now)
    sheet = factories.action_sheet(director, status="draft")
    db.session.commit()
    login(director)
    response = client.post(f"/fiches-action/{sheet.id}/modifier", data={
        "title": sheet.title, "summary": sheet.summary, "projects": str(project.id)})
    assert response.status_code == 302
    page = client.get(f"/fiches-action/{sheet.id}").text
    assert f'href="/projets/{project.id}"' in page
    assert "Une remorque pour le matériel" in page
