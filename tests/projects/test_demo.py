"""The demo projects: the charter's four cooperations and more, built through the services."""

import sqlalchemy as sa

from participation.demo import load_demo
from participation.extensions import db
from participation.projects import services
from participation.projects.models import SharedProject


def test_demo_projects(session, now, client):
    load_demo(now)
    db.session.commit()
    projects = {p.title: p for p in db.session.scalars(sa.select(SharedProject))}
    assert {"Voyage des jeunes en Angleterre", "Journées de prévention santé",
            "Séjours citoyens : trois jours pour agir ensemble",
            "Mobiliser les habitant·es sur les thèmes du congrès 2013"} <= set(projects)
    statuses = {p.status(now) for p in projects.values()}
    assert {"open", "full", "finished", "cancelled", "draft"} <= statuses
    full = [p for p in projects.values() if p.status(now) == "full"]
    assert all(services.waiting_list(p) for p in full)
    for project in projects.values():
        assert project.places_taken == services.recount(project)
    assert "Voyage des jeunes en Angleterre" in client.get("/projets").text
