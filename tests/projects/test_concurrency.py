"""Simultaneous joins against the real database, each in its own connection: the capacity
is never exceeded, and the people beyond it wait in order."""

import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.accounts.models import Role, User
from participation.core.errors import DomainError
from participation.extensions import db
from participation.notifications.models import Notification
from participation.projects import services
from participation.projects.models import Registration, SharedProject
from tests.projects.helpers import centre, make_project


@pytest.fixture
def committed(app):
    """Data committed for real (threads cannot see a test's open transaction); removed
    afterwards."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL: SQLite serialises all writers, so nothing races")
        created = {"users": [], "project": None}
        yield created
        db.session.rollback()
        if created["project"]:
            db.session.execute(sa.delete(Registration)
                               .where(Registration.project_id == created["project"]))
            db.session.delete(db.session.get(SharedProject, created["project"]))
        db.session.execute(sa.delete(Notification)
                           .where(Notification.user_id.in_(created["users"])))
        db.session.execute(sa.delete(Role).where(Role.user_id.in_(created["users"])))
        db.session.execute(sa.delete(User).where(User.id.in_(created["users"])))
        db.session.commit()


def _setup(created, people: int, now, capacity: int):
    tag = uuid.uuid4().hex[:6]
    matisse = centre("Matisse")
    organiser = User(pseudonym=f"org{tag}", pseudonym_key=f"org{tag}", commune=matisse.commune)
    persons = [User(pseudonym=f"p{tag}{i}", pseudonym_key=f"p{tag}{i}",
                    commune=matisse.commune, birth_year=1980) for i in range(people)]
    db.session.add_all([organiser, *persons])
    db.session.flush()
    db.session.add(Role(user=organiser, organisation=matisse, kind="animator"))
    db.session.commit()
    created["users"] = [organiser.id] + [p.id for p in persons]
    project = make_project(organiser, now, capacity=capacity)
    created["project"] = project.id
    return project.id, [p.id for p in persons]


def _race(app, project_id, person_ids, when, companions=0):
    barrier = threading.Barrier(len(person_ids))
    outcomes = []

    def join(person_id):
        with app.app_context():
            project = db.session.get(SharedProject, project_id)
            person = db.session.get(User, person_id)
            barrier.wait()
            try:
                registration = services.join(project, person, when, companions=companions)
                db.session.commit()
                outcomes.append(registration.status)
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=join, args=(p,)) for p in person_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_parallel_joins_never_overbook(app, committed, now):
    project_id, people = _setup(committed, 12, now, capacity=5)
    outcomes = _race(app, project_id, people, now + timedelta(days=2), companions=1)
    # Two places each: two people fit in five places, the ten others wait.
    assert sorted(outcomes) == ["registered"] * 2 + ["waiting"] * 10
    project = db.session.get(SharedProject, project_id)
    db.session.refresh(project)
    assert project.places_taken == services.recount(project) == 4
    positions = sorted(db.session.scalars(sa.select(Registration.position).where(
        Registration.project_id == project_id, Registration.status == "waiting")))
    assert positions == list(range(1, 11))


def test_parallel_joins_of_one_person_make_one_registration(app, committed, now):
    project_id, [person] = _setup(committed, 1, now, capacity=3)
    outcomes = _race(app, project_id, [person] * 6, now + timedelta(days=2))
    assert sorted(outcomes) == ["refused"] * 5 + ["registered"]
    project = db.session.get(SharedProject, project_id)
    assert services.recount(project) == 1


def test_the_last_place_through_http_goes_to_one_person_the_others_wait(app, committed):
    """Six people tap "Register" for the one place left: one gets it, five are told their
    rank on the waiting list; nobody sees an error page."""
    from participation.core.models import utcnow
    from tests.concurrency import at_once, client_of

    project_id, people = _setup(committed, 6, utcnow() - timedelta(days=2), capacity=1)
    clients = [client_of(app, db.session.get(User, p)) for p in people]
    url = f"/projets/{project_id}/inscription"
    responses = at_once([lambda c=c: c.post(url, data={"companions": "0"}, follow_redirects=True)
                         for c in clients])
    assert [getattr(r, "status_code", r) for r in responses] == [200] * 6
    pages = [r.get_data(as_text=True) for r in responses]
    assert sum("À bientôt" in page for page in pages) == 1
    assert sum("vous êtes numéro" in page for page in pages) == 5
    project = db.session.get(SharedProject, project_id)
    db.session.refresh(project)
    assert project.places_taken == services.recount(project) == 1
