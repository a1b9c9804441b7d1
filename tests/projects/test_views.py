"""Shared project pages through HTTP: each route, the refusals, and the query counts."""

import csv
import io
from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa
from PIL import Image

from participation.core.models import utcnow
from participation.extensions import db
from participation.projects import services
from participation.projects.models import Registration, SharedProject
from tests import factories
from tests.projects.helpers import centre, commune, make_project
from tests.queries import queries_for


def _t0():
    """Projects made in the tests open for registration now (the views use the clock)."""
    return utcnow() - timedelta(days=2)


def _form(**overrides):
    data = {"title": "Séjour citoyen à Bruxelles", "description": "Trois jours.",
            "theme": "", "centres": [str(centre("Matisse").id), str(centre("Espace Fort").id)],
            f"role_{centre('Matisse').id}": "organise",
            f"role_{centre('Espace Fort').id}": "accompagne",
            "communes": [str(commune("Calais").id)], "place": "Bruxelles",
            "starts_at": "2030-05-01T09:00", "ends_at": "2030-05-03T18:00",
            "registration_opens_at": "2030-01-01T09:00",
            "registration_closes_at": "2030-04-01T18:00", "capacity": "2", "min_age": "",
            "max_age": "", "contact": "Yanis", "proposals": ""}
    data.update(overrides)
    return data


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "teal").save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def test_an_animator_writes_publishes_and_the_public_reads(client, login, animator,
                                                           inhabitant):
    proposal = factories.proposal(inhabitant, title="Partir en voyage ensemble")
    login(animator)
    assert client.get("/projets/nouveau").status_code == 200
    response = client.post("/projets/nouveau", data={
        **_form(proposals=f"#{proposal.id}"), "photo": (_png(), "p.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    project = db.session.scalar(sa.select(SharedProject))
    assert project.published_at is None and project.picture.endswith(".jpg")
    assert {c.role for c in project.centres} == {"organise", "accompagne"}
    assert project.proposals == [proposal]
    assert project.starts_at.hour == 7  # 9:00 in Paris, summer time
    client.post(f"/projets/{project.id}/publier")
    db.session.refresh(project)
    assert project.published_at is not None
    client.post("/deconnexion")
    page = client.get(f"/projets/{project.id}").text
    assert "Séjour citoyen à Bruxelles" in page and "Partir en voyage ensemble" in page
    assert "organise" in page
    assert client.get(f"/media/{project.picture_thumb}").status_code == 200


def test_errors_keep_what_was_typed(client, login, animator, inhabitant):
    login(animator)
    response = client.post("/projets/nouveau", data=_form(ends_at="2030-04-01T09:00",
                                                          proposals="99999"))
    assert response.status_code == 200
    assert 'value="Séjour citoyen à Bruxelles"' in response.text
    assert "99999" in response.text and 'aria-invalid="true"' in response.text
    response = client.post("/projets/nouveau", data=_form(capacity="-3", title=""))
    assert response.status_code == 200 and 'aria-invalid="true"' in response.text
    assert db.session.scalar(sa.select(SharedProject)) is None


def test_join_wait_leave_and_promotion_through_the_pages(client, login, animator):
    project = make_project(animator, _t0(), capacity=1)
    first, second = factories.UserFactory(), factories.UserFactory()
    login(first)
    assert client.get(f"/projets/{project.id}/inscription").status_code == 200
    client.post(f"/projets/{project.id}/inscription", data={"companions": "0",
                                                             "message": "Merci"})
    login(second)
    response = client.post(f"/projets/{project.id}/inscription", data={"companions": "0"},
                           follow_redirects=True)
    assert "liste d’attente" in response.text or "waiting list" in response.text
    login(first)
    client.post(f"/projets/{project.id}/desinscription")
    registration = db.session.scalar(sa.select(Registration).where(
        Registration.person_id == second.id))
    assert registration.status == "registered"
    login(second)
    assert project.title in client.get("/mes-projets").text
    assert "Voyage des jeunes" in client.get("/notifications").text


def test_refusals_say_why(client, login, animator, inhabitant):
    project = make_project(animator, utcnow() + timedelta(days=5), min_age=12, max_age=17)
    login(inhabitant)
    response = client.get(f"/projets/{project.id}/inscription")
    assert response.status_code == 409 and "role=\"alert\"" in response.text
    open_project = make_project(animator, _t0(), min_age=12, max_age=17,
                                title="Séjour ados")
    response = client.post(f"/projets/{open_project.id}/inscription", data={"companions": "0"})
    assert response.status_code == 409 and "12" in response.text
    assert db.session.scalar(sa.select(Registration)) is None
    too_many = make_project(animator, _t0(), capacity=2, title="Petit groupe")
    response = client.post(f"/projets/{too_many.id}/inscription", data={"companions": "5"})
    assert response.status_code == 400 and 'aria-invalid="true"' in response.text


def test_list_filters(client, animator, other_animator):
    make_project(animator, _t0(), title="Voyage en Angleterre",
                 centres=[(centre("Matisse"), "")])
    make_project(other_animator, utcnow() + timedelta(days=3), title="Journée prévention",
                 centres=[(centre("Espace Fort"), "")], communes=[commune("Marck")])
    make_project(animator, _t0(), title="Brouillon caché", publish=False)
    page = client.get("/projets").text
    assert "Voyage en Angleterre" in page and "Journée prévention" in page
    assert "Brouillon caché" not in page
    assert "Journée prévention" not in client.get("/projets?open=y").text
    marck = client.get(f"/projets?commune={commune('Marck').id}").text
    assert "Journée prévention" in marck and "Voyage en Angleterre" not in marck
    fort = client.get(f"/projets?centre={centre('Espace Fort').id}").text
    assert "Journée prévention" in fort and "Voyage en Angleterre" not in fort
    theme = factories.theme()
    assert "Voyage" not in client.get(f"/projets?theme={theme.id}").text
    assert client.get("/projets?commune=abc&page=99").status_code == 200


def test_organisers_tools(client, login, animator, inhabitant, outbox):
    project = make_project(animator, _t0(), capacity=1)
    other = factories.UserFactory(pseudonym="Attente")
    services.join(project, inhabitant, utcnow(), message="Je viens, avec plaisir")
    services.join(project, other, utcnow(), message="=HYPERLINK(\"http://x\")")
    session = services.add_session(project, starts_at=utcnow() + timedelta(days=30),
                                   ends_at=utcnow() + timedelta(days=30, hours=2), place="")
    db.session.commit()
    login(animator)
    page = client.get(f"/projets/{project.id}/participants").text
    assert inhabitant.display_name in page and "Attente" in page
    # Attendance
    registration = services.registration_of(project, inhabitant)
    url = f"/projets/{project.id}/seances/{session.id}/presences"
    assert client.get(url).status_code == 200
    client.post(url, data={"present": [str(registration.id)]})
    # CSV
    response = client.get(f"/projets/{project.id}/participants.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))
    assert [r["status"] for r in rows] == ["registered", "waiting"]
    assert rows[0]["message"] == "Je viens, avec plaisir" and rows[1]["waiting_position"] == "1"
    assert rows[1]["message"].startswith("'=")  # no formula for the spreadsheet
    assert rows[0][next(k for k in rows[0] if k.startswith("session_"))] == "present"
    assert len(rows[0]["registered_on"]) == 10  # ISO date
    # Message through the outbox
    client.post(f"/projets/{project.id}/message", data={"subject": "Départ",
                                                         "body": "À 7 h au port."})
    assert [m.subject for m in outbox(inhabitant.email)] == [f"{project.title} · Départ"]
    assert outbox(other.email) == []
    # News
    client.post(f"/projets/{project.id}/actualites/nouvelle",
                data={"title": "Billets réservés", "body": "C'est *fait*."})
    assert "Billets réservés" in client.get(f"/projets/{project.id}").text
    # Sessions
    assert client.get(f"/projets/{project.id}/seances").status_code == 200
    client.post(f"/projets/{project.id}/seances", data={
        "starts_at": "2030-06-01T14:00", "ends_at": "2030-06-01T16:00", "place": "Matisse"})
    assert len(project.sessions) == 2


def test_register_an_inhabitant_on_their_behalf(client, login, animator, inhabitant):
    from participation.core.audit import AuditEntry

    project = make_project(animator, _t0())
    login(animator)
    found = client.get(f"/projets/{project.id}/inscrire?q={inhabitant.pseudonym}").text
    assert inhabitant.display_name in found
    url = f"/projets/{project.id}/inscrire/{inhabitant.id}"
    assert client.get(url).status_code == 200
    client.post(url, data={"companions": "2"})
    registration = services.registration_of(project, inhabitant)
    assert registration.registered_by_id == animator.id and registration.companions == 2
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.subject_id == inhabitant.id)) == "projects.registered_for"
    assert client.get(url).status_code == 409  # already registered


def test_offers_of_help(client, login, animator, inhabitant):
    project = make_project(animator, _t0())
    login(inhabitant)
    assert client.get(f"/projets/{project.id}/aider").status_code == 200
    client.post(f"/projets/{project.id}/aider", data={"kind": "skill",
                                                       "text": "Je parle anglais"})
    login(animator)
    page = client.get(f"/projets/{project.id}/aides").text
    assert "Je parle anglais" in page
    from participation.projects.models import HelpOffer

    offer = db.session.scalar(sa.select(HelpOffer))
    client.post(f"/projets/{project.id}/aides/{offer.id}/accepter")
    db.session.refresh(offer)
    assert offer.status == "accepted"


def test_calendars(client, animator):
    project = make_project(animator, _t0())
    session = services.add_session(project, starts_at=utcnow() + timedelta(days=40),
                                   ends_at=utcnow() + timedelta(days=40, hours=2),
                                   place="Salle Matisse", title="Réunion des familles")
    db.session.commit()
    response = client.get(f"/projets/{project.id}/calendrier.ics")
    assert response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 2
    assert str(events[1]["dtstart"].dt.tzinfo) == "Europe/Paris"
    assert "Europe/Paris" in response.data.decode()
    one = client.get(f"/projets/{project.id}/seances/{session.id}.ics")
    assert b"Salle Matisse" in one.data
    agenda = client.get("/projets/agenda").text
    assert "Réunion des familles" in agenda


# --- Who may do what ------------------------------------------------------------------------

ORGANISER_GETS = ["/modifier", "/seances", "/participants", "/participants.csv",
                  "/message", "/actualites/nouvelle", "/inscrire", "/aides", "/annuler"]


@pytest.mark.parametrize("who,expected", [
    ("anonymous", 302), ("inhabitant", 403), ("other_animator", 403),
    ("director", 403), ("president", 403), ("federal_delegate", 403),
    ("animator", 200), ("admin", 200)])
def test_organiser_pages_by_role(request, client, login, animator, who, expected):
    project = make_project(animator, _t0(), centres=[(centre("Matisse"), "")])
    if who != "anonymous":
        login(request.getfixturevalue(who))
    for suffix in ORGANISER_GETS:
        assert client.get(f"/projets/{project.id}{suffix}").status_code == expected, suffix
    assert client.post(f"/projets/{project.id}/publier").status_code == \
        (302 if expected != 403 else 403)


def test_an_animator_of_a_centre_taking_part_may_organise(client, login, animator,
                                                           other_animator):
    project = make_project(animator, _t0())  # Matisse and Espace Fort take part
    login(other_animator)
    assert client.get(f"/projets/{project.id}/modifier").status_code == 200
    alone = make_project(animator, _t0(), centres=[(centre("Matisse"), "")])
    assert client.get(f"/projets/{alone.id}/modifier").status_code == 403
    assert client.post(f"/projets/{alone.id}/annuler", data={"reason": "x"}).status_code == 403


def test_a_draft_is_hidden_from_others(client, login, animator, other_animator, inhabitant):
    draft = make_project(animator, _t0(), publish=False, centres=[(centre("Matisse"), "")])
    assert client.get(f"/projets/{draft.id}").status_code == 302
    login(inhabitant)
    assert client.get(f"/projets/{draft.id}").status_code == 404
    assert client.get(f"/projets/{draft.id}/calendrier.ics").status_code == 404
    assert client.get(f"/projets/{draft.id}/inscription").status_code == 404
    login(other_animator)
    assert client.get(f"/projets/{draft.id}").status_code == 404
    login(animator)
    assert client.get(f"/projets/{draft.id}").status_code == 200


def test_creation_is_for_staff(client, login, inhabitant, president, director):
    assert client.get("/projets/nouveau").status_code == 302
    login(inhabitant)
    assert client.get("/projets/nouveau").status_code == 403
    assert client.get("/projets/gestion").status_code == 403
    login(president)  # presidents sit in the Conseil; animators and directors run projects
    assert client.get("/projets/nouveau").status_code == 403
    login(director)
    assert client.get("/projets/nouveau").status_code == 200


def test_joining_needs_an_account_and_a_published_project(client, login, animator,
                                                          inhabitant):
    project = make_project(animator, _t0())
    assert client.get(f"/projets/{project.id}/inscription").status_code == 302
    assert client.post(f"/projets/{project.id}/desinscription").status_code == 302
    assert client.get("/mes-projets").status_code == 302
    assert client.get(f"/projets/{project.id}/aider").status_code == 302
    assert client.get("/projets/99999").status_code == 404


# --- A fixed number of queries, whatever the amount of data --------------------------------

def _fill(animator, projects, people_each):
    for i in range(projects):
        project = make_project(animator, _t0(), title=f"Projet {i}",
                               proposals=[], communes=[commune("Calais"), commune("Marck")])
        for _ in range(people_each):
            services.join(project, factories.UserFactory(), utcnow())
        services.post_news(project, animator, "Nouvelle", "Texte", utcnow())
        services.add_session(project, starts_at=utcnow() + timedelta(days=40),
                             ends_at=utcnow() + timedelta(days=40, hours=1), place="")
    db.session.commit()


@pytest.mark.parametrize("url", ["/projets", "/projets?open=y", "/projets/agenda",
                                 "/mes-projets"])
def test_lists_run_the_same_queries_with_few_or_many_projects(client, login, animator,
                                                              inhabitant, url):
    login(inhabitant)
    _fill(animator, 3, 1)
    for project in db.session.scalars(sa.select(SharedProject)):
        services.join(project, inhabitant, utcnow())
    db.session.commit()
    few = queries_for(client, url)
    _fill(animator, 25, 1)
    for project in db.session.scalars(sa.select(SharedProject)):
        if services.registration_of(project, inhabitant) is None:
            services.join(project, inhabitant, utcnow())
    db.session.commit()
    many = queries_for(client, url)
    assert few == many


@pytest.mark.parametrize("who", ["inhabitant", "animator"])
def test_project_pages_run_the_same_queries_with_few_or_many_people(
        request, client, login, animator, inhabitant, who):
    login(request.getfixturevalue(who))
    project = make_project(animator, _t0(), capacity=3)
    # One of each to start with (loading a first person also loads roles, once).
    services.join(project, inhabitant, utcnow())
    services.offer_help(project, inhabitant, "time", "Le samedi", utcnow())
    services.post_news(project, animator, "Nouvelle", "Texte", utcnow())
    db.session.commit()
    urls = [f"/projets/{project.id}"]
    if who == "animator":
        urls += [f"/projets/{project.id}/participants", f"/projets/{project.id}/aides"]
    few = [queries_for(client, url) for url in urls]
    for _ in range(15):
        person = factories.UserFactory()
        services.join(project, person, utcnow())
        services.offer_help(project, person, "time", "Le samedi", utcnow())
    for _ in range(5):
        services.post_news(project, animator, "Nouvelle", "Texte", utcnow())
        services.add_session(project, starts_at=utcnow() + timedelta(days=40),
                             ends_at=utcnow() + timedelta(days=40, hours=1), place="")
    db.session.commit()
    many = [queries_for(client, url) for url in urls]
    assert few == many
