"""Every route of the Conseil through HTTP, for each role, including the refusals."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core.models import utcnow
from participation.council import services
from participation.council.models import Decision, Meeting, Minutes
from participation.extensions import db
from tests import factories
from tests.council.conftest import days_ahead, held_meeting


@pytest.fixture
def coming(council, runners, admin):
    """A Conseil meeting 20 days ahead with one agenda item, not convened."""
    meeting = held_meeting(council, admin, days_ahead(20))
    item = services.add_agenda_item(meeting, title="Bilan du trimestre")
    services.invite_guest(item, name="Claire Invitée", organisation="CAF", reason="Aides")
    db.session.commit()
    return meeting


@pytest.fixture
def past(council, runners, admin):
    """A Conseil meeting that began five minutes ago."""
    return held_meeting(council, admin, utcnow() - timedelta(minutes=5))


@pytest.fixture
def people(client, inhabitant, animator, other_director, runners, admin):
    president, director = runners
    return {"inhabitant": inhabitant, "animator": animator, "other_director": other_director,
            "president": president, "director": director, "admin": admin}


def _as(login, people, who):
    if who != "anonymous":
        login(people[who])


@pytest.mark.parametrize("path", ["/conseil", "/conseil/membres", "/conseil/designations",
                                  "/conseil/decisions", "/conseil/collectifs/presidents",
                                  "/conseil/collectifs/directeurs", "/conseil/decisions/imprimer"])
def test_public_pages_in_french_and_english(client, council, path):
    page = client.get(path)
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    client.post("/langue", data={"language": "en"})
    english = client.get(path)
    assert '<html lang="en">' in english.text and english.text != page.text


def test_unknown_body_and_meeting_are_404(client, council):
    assert client.get("/conseil/collectifs/inconnu").status_code == 404
    assert client.get("/conseil/reunions/999999").status_code == 404
    assert client.get("/conseil/decisions/999999").status_code == 404


def test_members_page_shows_who_sits_and_for_whom(client, council, runners, admin,
                                                   other_director):
    deputy = factories.UserFactory(pseudonym="Adjointe Cousteau")
    services.name_representative(admin, council, other_director.roles[0].organisation,
                                 "director", deputy, services.paris_today(utcnow()), None)
    db.session.commit()
    page = client.get("/conseil/membres").text
    assert "Prés" in page and "Adjointe Cousteau" in page
    assert "représentant·e du siège" in page and "Dir Matisse" in page
    assert "anime le Conseil en" in page


@pytest.mark.parametrize("who, status", [
    ("anonymous", 302), ("inhabitant", 403), ("animator", 403), ("other_director", 403),
    ("president", 200), ("director", 200), ("admin", 200)])
def test_only_this_years_runners_plan_a_conseil_meeting(client, login, people, who, status):
    _as(login, people, who)
    assert client.get("/conseil/reunions/nouvelle/conseil").status_code == status


def test_a_runner_plans_a_meeting_and_its_agenda(client, login, people, council):
    login(people["president"])
    day = days_ahead(30)
    response = client.post("/conseil/reunions/nouvelle/conseil", data={
        "day": day.date().isoformat(), "time": "18:30", "duration_minutes": "90",
        "place": "Salle des fêtes, Marck", "minutes_visibility": "members"})
    meeting = db.session.scalars(sa.select(Meeting).order_by(Meeting.id.desc())).first()
    assert response.status_code == 302 and meeting.place == "Salle des fêtes, Marck"
    assert meeting.local_start.hour == 18 and meeting.local_start.minute == 30
    client.post(f"/conseil/reunions/{meeting.id}/ordre-du-jour", data={
        "title": "Séjour en Angleterre", "text": "<script>x</script> *Douze* jeunes",
        "presenter": "Sophie", "proposals": "4, 7", "action_sheets": "2"})
    db.session.refresh(meeting)
    [item] = meeting.items
    assert sorted((link.kind, link.target_id) for link in item.links) == [
        ("action_sheet", 2), ("proposal", 4), ("proposal", 7)]
    client.post(f"/conseil/reunions/{meeting.id}/points/{item.id}/invites", data={
        "name": "Marc Invité", "organisation": "CAP Calaisis", "reason": "Subventions"})
    page = client.get(f"/conseil/reunions/{meeting.id}").text
    assert "Marc Invité" in page and "<em>Douze</em>" in page and "<script>x" not in page


def test_meeting_form_errors_are_shown_and_input_kept(client, login, people):
    login(people["president"])
    response = client.post("/conseil/reunions/nouvelle/conseil", data={
        "day": "", "time": "18:00", "duration_minutes": "5", "place": "Salle Bassot"})
    assert response.status_code == 200
    assert "Indiquez la date" in response.text and "Salle Bassot" in response.text


@pytest.mark.parametrize("who, status", [
    ("anonymous", 302), ("inhabitant", 404), ("animator", 404), ("other_director", 403),
    ("president", 200), ("admin", 200)])
def test_an_animator_cannot_convene(client, login, people, coming, who, status):
    _as(login, people, who)
    assert client.get(f"/conseil/reunions/{coming.id}/convoquer").status_code == status
    response = client.post(f"/conseil/reunions/{coming.id}/convoquer")
    assert response.status_code in {302, 403, 404}
    db.session.refresh(coming)
    assert coming.convened == (who in {"president", "admin"})


def test_convocation_refused_9_days_ahead_then_sent_12_days_ahead(client, login, people,
                                                                  council, admin, outbox):
    meeting = held_meeting(council, admin, days_ahead(9))
    services.add_agenda_item(meeting, title="Point unique")
    db.session.commit()
    login(people["president"])
    refused = client.post(f"/conseil/reunions/{meeting.id}/convoquer")
    assert refused.status_code == 400
    last_day = services.last_day_to_convene(meeting)
    assert "Trop tard" in refused.text and str(last_day.year) in refused.text
    assert outbox() == []
    day = days_ahead(12)
    client.post(f"/conseil/reunions/{meeting.id}/modifier", data={
        "day": day.date().isoformat(), "time": "18:00", "duration_minutes": "120",
        "place": meeting.place, "minutes_visibility": "public"})
    sent = client.post(f"/conseil/reunions/{meeting.id}/convoquer")
    assert sent.status_code == 302
    assert {m.recipient for m in outbox()} == {people["president"].email,
                                               people["director"].email,
                                               people["other_director"].email}
    page = client.get(f"/conseil/reunions/{meeting.id}").text
    assert "Envoyée le" in page


def test_members_answer_the_convocation(client, login, people, coming):
    services.send_convocation(coming, people["president"], utcnow())
    db.session.commit()
    login(people["animator"])
    assert client.post(f"/conseil/reunions/{coming.id}/reponse",
                       data={"answer": "present"}).status_code == 403
    login(people["other_director"])
    page = client.get(f"/conseil/reunions/{coming.id}").text
    assert "Votre réponse" in page
    client.post(f"/conseil/reunions/{coming.id}/reponse",
                data={"answer": "represented", "represented_by": "Julie"})
    page = client.get(f"/conseil/reunions/{coming.id}").text
    assert "Représenté·e par Julie" in page


def test_guests_are_shown_to_members_not_to_the_public(client, login, people, coming):
    services.send_convocation(coming, people["president"], utcnow())
    db.session.commit()
    public = client.get(f"/conseil/reunions/{coming.id}")
    assert public.status_code == 200 and "Bilan du trimestre" in public.text
    assert "Claire Invitée" not in public.text and "1 personne invitée" in public.text
    login(people["other_director"])
    assert "Claire Invitée" in client.get(f"/conseil/reunions/{coming.id}").text


def test_a_meeting_being_prepared_is_hidden_from_the_public(client, login, people, coming):
    assert client.get(f"/conseil/reunions/{coming.id}").status_code == 302  # log in
    login(people["inhabitant"])
    assert client.get(f"/conseil/reunions/{coming.id}").status_code == 404
    login(people["other_director"])  # a member of the Conseil
    assert client.get(f"/conseil/reunions/{coming.id}").status_code == 200


def _record(client, meeting, **fields):
    data = {"title": "Une décision", "text": "Ce qui est décidé.", "agenda_item": "0",
            "votes_for": "5", "votes_against": "1", "votes_abstaining": "0", **fields}
    return client.post(f"/conseil/reunions/{meeting.id}/decisions/nouvelle", data=data)


@pytest.mark.parametrize("who, status", [
    ("anonymous", 302), ("inhabitant", 403), ("animator", 403), ("other_director", 403),
    ("director", 200), ("admin", 200)])
def test_only_runners_record_conseil_decisions(client, login, people, past, who, status):
    _as(login, people, who)
    assert client.get(f"/conseil/reunions/{past.id}/decisions/nouvelle").status_code == status


def test_decisions_are_recorded_published_and_read_in_the_register(client, login, people,
                                                                   past):
    year = past.year
    earlier = db.session.scalar(sa.select(sa.func.count()).select_from(Decision)
                                .where(Decision.year == year))  # the designating decision
    login(people["director"])
    _record(client, past, title="Minibus mutualisé", proposals="12")
    sheet = factories.action_sheet(people["director"])
    _record(client, past, title="Fiche validée", action_sheet_id=str(sheet.id),
            validates_action_sheet="y")
    decisions = db.session.scalars(sa.select(Decision).where(Decision.meeting_id == past.id)
                                   .order_by(Decision.number)).all()
    first = earlier + 1
    assert [d.reference for d in decisions] == [f"{year}-{first:03d}", f"{year}-{first + 1:03d}"]
    assert decisions[1].validates_action_sheet_id == sheet.id
    client.post("/deconnexion")
    assert "Minibus mutualisé" not in client.get("/conseil/decisions").text
    assert client.get(f"/conseil/decisions/{decisions[0].id}").status_code == 302
    login(people["other_director"])  # not this year's runner
    assert client.post(f"/conseil/reunions/{past.id}/decisions/publier").status_code == 403
    login(people["director"])
    client.post(f"/conseil/reunions/{past.id}/decisions/publier")
    client.post("/deconnexion")
    register = client.get("/conseil/decisions").text
    assert "Minibus mutualisé" in register and f"Décision {decisions[0].reference}" in register
    assert "proposition n° 12" in register and f"Valide la fiche action n° {sheet.id}" in register
    assert client.get(f"/conseil/decisions/{decisions[0].id}").status_code == 200
    filtered = client.get("/conseil/decisions?body=directeurs").text
    assert "Minibus mutualisé" not in filtered


def test_directors_collective_decision_is_refused_without_a_validated_fiche(
        client, login, people, directors_body, admin, past):
    meeting = held_meeting(directors_body, admin, utcnow() - timedelta(minutes=5))
    login(people["other_director"])  # collectives are run by their members
    sheet = factories.action_sheet(admin)
    number = str(sheet.id)
    refused = _record(client, meeting, action_sheet_id=number)
    assert refused.status_code == 200 and "validée par le Conseil" in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Decision)
                             .where(Decision.meeting_id == meeting.id)) == 0
    services.record_decision(past, admin, title="Valide la fiche", text="x",
                             validates_action_sheet_id=sheet.id, now=utcnow())
    db.session.commit()
    assert _record(client, meeting, action_sheet_id=number).status_code == 302
    login(people["president"])  # a president does not sit in the directors' collective
    assert _record(client, meeting, action_sheet_id=number).status_code == 403


@pytest.mark.parametrize("who, status", [
    ("anonymous", 302), ("inhabitant", 403), ("animator", 403), ("other_director", 403),
    ("president", 302), ("admin", 302)])
def test_a_director_who_is_not_this_years_runner_cannot_publish_the_minutes(
        client, login, people, past, who, status):
    services.save_minutes(past, people["admin"], "Compte rendu.", "public", utcnow())
    db.session.commit()
    _as(login, people, who)
    response = client.post(f"/conseil/reunions/{past.id}/compte-rendu/publier")
    assert response.status_code == status
    minutes = db.session.scalar(sa.select(Minutes).where(Minutes.meeting_id == past.id))
    db.session.refresh(minutes)
    assert (minutes.published_at is not None) == (who in {"president", "admin"})


def test_minutes_are_sanitised_and_public_or_for_members(client, login, people, past):
    login(people["president"])
    client.post(f"/conseil/reunions/{past.id}/compte-rendu", data={
        "text": "**Présent·es** : tous. <img src=x onerror=alert(1)>", "visibility": "members"})
    client.post(f"/conseil/reunions/{past.id}/compte-rendu/publier")
    page = client.get(f"/conseil/reunions/{past.id}").text
    assert "<strong>Présent·es</strong>" in page and "<img" not in page
    login(people["inhabitant"])
    page = client.get(f"/conseil/reunions/{past.id}").text
    assert "Présent·es</strong>" not in page and "réservé aux membres" in page
    assert client.get(f"/conseil/reunions/{past.id}/compte-rendu/imprimer").status_code == 404
    login(people["other_director"])
    assert "<strong>Présent·es</strong>" in client.get(f"/conseil/reunions/{past.id}").text


def test_attendance_and_approval_of_the_previous_minutes(client, login, people, council,
                                                        admin, past):
    earlier = held_meeting(council, admin, utcnow() - timedelta(days=40))
    services.save_minutes(earlier, admin, "Ancien compte rendu.", "public", utcnow())
    services.publish_minutes(earlier, utcnow())
    db.session.commit()
    login(people["president"])
    assert client.get(f"/conseil/reunions/{past.id}/presences").status_code == 200
    client.post(f"/conseil/reunions/{past.id}/presences",
                data={"present": [str(people["president"].id), str(people["director"].id)]})
    attended = {a.user.pseudonym for a in services.list_attendance(past, utcnow())
                if a.attended}
    assert attended == {"Prés", "Dir"}
    client.post(f"/conseil/reunions/{past.id}/approuver-compte-rendu-precedent")
    db.session.refresh(earlier.minutes)
    assert earlier.minutes.approved_in_meeting_id == past.id


def test_designations_are_recorded_by_admins_and_runners(client, login, people,
                                                         designating_decision):
    year = services.paris_today(utcnow()).year
    login(people["other_director"])
    assert client.post("/conseil/designations", data={}).status_code == 403
    login(people["admin"])
    page = client.get("/conseil/designations").text
    assert "Enregistrer la désignation" in page
    response = client.post("/conseil/designations", data={
        "year": str(year + 1), "seat": "director", "person": str(people["other_director"].id),
        "decision": str(designating_decision.id)})
    assert response.status_code == 302
    assert services.is_runner(people["other_director"], year + 1,
                              services.paris_today(utcnow()))


def test_a_president_names_a_representative_for_their_own_seat(client, login, people,
                                                              council):
    deputy = factories.UserFactory(pseudonym="Vice Fort")
    login(people["animator"])
    assert client.get("/conseil/representants/nouveau").status_code == 403
    login(people["president"])
    page = client.get("/conseil/representants/nouveau").text
    assert "Espace Fort" in page and "Matisse" not in page.split("<select")[2]
    today = services.paris_today(utcnow())
    seat = f"{people['president'].roles[0].organisation_id}:president"
    response = client.post("/conseil/representants/nouveau", data={
        "body": "conseil", "seat": seat, "person": "vicefort@example.org",
        "starts_on": today.isoformat()})
    assert response.status_code == 302
    members = services.members_of(council, today)
    assert any(m.user == deputy and m.represents == [people["president"]] for m in members)


def test_quarter_warning_on_the_conseil_page_and_members_home(client, login, people, council,
                                                             admin):
    login(people["other_director"])
    assert "Aucune réunion du Conseil au trimestre" in client.get("/").text
    assert "Aucune réunion du Conseil au trimestre" in client.get("/conseil").text
    login(people["inhabitant"])
    assert "Aucune réunion du Conseil au trimestre" not in client.get("/").text
    held_meeting(council, admin, utcnow() - timedelta(minutes=1))
    login(people["other_director"])
    assert "Aucune réunion du Conseil au trimestre" not in client.get("/").text
    assert "Aucune réunion du Conseil au trimestre" not in client.get("/conseil").text


def test_print_views_and_pdf_links(client, login, people, past, coming):
    from participation.core.pdf import pdf_available

    services.save_minutes(past, people["admin"], "Compte rendu.", "public", utcnow())
    services.publish_minutes(past, utcnow())
    db.session.commit()
    login(people["president"])
    page = client.get(f"/conseil/reunions/{past.id}").text
    assert f'href="/conseil/reunions/{past.id}/convocation/imprimer"' in page
    assert f'href="/conseil/reunions/{past.id}/compte-rendu/imprimer"' in page
    assert 'href="/conseil/decisions/imprimer"' in client.get("/conseil/decisions").text
    for path in (f"/conseil/reunions/{coming.id}/convocation/imprimer",
                 f"/conseil/reunions/{past.id}/compte-rendu/imprimer",
                 "/conseil/decisions/imprimer?year=2027"):
        page = client.get(path)
        assert page.status_code == 200 and 'lang="fr"' in page.text
        available, _ = pdf_available()
        assert ("Télécharger en PDF" in page.text) == available
        assert ("Le PDF n’est pas disponible" in page.text) == (not available)


def test_pdf_says_unavailable_where_weasyprint_cannot_load(client, past, monkeypatch):
    from participation.core import pdf

    monkeypatch.setattr(pdf, "_weasyprint", lambda: (None, "no Pango here"))
    page = client.get("/conseil/decisions/imprimer").text
    assert "Le PDF n’est pas disponible sur ce serveur" in page
    assert client.get("/conseil/decisions.pdf").status_code == 404
    assert "Le PDF n’est pas disponible" in client.get("/conseil/decisions").text


def test_cancelling_a_meeting(client, login, people, coming):
    login(people["other_director"])
    assert client.post(f"/conseil/reunions/{coming.id}/annuler").status_code == 403
    login(people["president"])
    client.post(f"/conseil/reunions/{coming.id}/annuler")
    db.session.refresh(coming)
    assert coming.cancelled_at is not None


def test_removing_an_agenda_item_before_the_convocation(client, login, people, coming):
    item = coming.items[0]
    login(people["animator"])
    assert client.post(f"/conseil/reunions/{coming.id}/points/{item.id}/retirer"
                       ).status_code == 404
    login(people["president"])
    client.post(f"/conseil/reunions/{coming.id}/points/{item.id}/retirer")
    db.session.refresh(coming)
    assert coming.items == []


def test_the_public_register_links_to_the_proposal_it_answers(client, past, admin, inhabitant):
    from tests import factories

    proposal = factories.proposal(inhabitant, status="retained")
    services.record_decision(past, admin, title="Des bancs sur la digue", text="Adopté.",
                             links={"proposal": [proposal.id]}, now=utcnow())
    services.publish_decisions(past, utcnow())
    db.session.commit()
    page = client.get("/conseil/decisions").text
    assert f'href="/propositions/{proposal.id}"' in page
    # …and the proposal's page leads to the decision (charter rule 8).
    idea = client.get(f"/propositions/{proposal.id}").text
    assert "Des bancs sur la digue" in idea and "/conseil/decisions/" in idea
