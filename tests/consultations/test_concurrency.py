"""Simultaneous votes against the real database, each in its own connection."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.accounts.models import Role, User
from participation.consultations import services
from participation.consultations.models import Ballot, Consultation, Participation
from participation.core.errors import DomainError
from participation.extensions import db
from participation.territory.models import Centre
from tests.consultations.helpers import answers, during, make_consultation


@pytest.fixture
def committed(app):
    """Data committed for real (threads cannot see a test's open transaction); removed
    afterwards."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL: SQLite serialises all writers, so nothing races")
        created = {"users": []}
        yield created
        db.session.rollback()
        ids = created.get("consultation")
        if ids:
            db.session.execute(sa.delete(Ballot).where(Ballot.consultation_id == ids))
            db.session.execute(sa.delete(Participation)
                               .where(Participation.consultation_id == ids))
            db.session.delete(db.session.get(Consultation, ids))
        db.session.execute(sa.delete(Role).where(Role.user_id.in_(created["users"])))
        db.session.execute(sa.delete(User).where(User.id.in_(created["users"])))
        db.session.commit()


def _setup(created, voters: int, now):
    import uuid

    tag = uuid.uuid4().hex[:6]
    matisse = db.session.scalar(sa.select(Centre).where(Centre.short_name == "Matisse"))
    calais = matisse.commune
    organiser = User(pseudonym=f"org{tag}", pseudonym_key=f"org{tag}", commune=calais)
    people = [User(pseudonym=f"p{tag}{i}", pseudonym_key=f"p{tag}{i}", commune=calais,
                   birth_year=1980) for i in range(voters)]
    db.session.add_all([organiser, *people])
    db.session.flush()
    db.session.add(Role(user=organiser, organisation=matisse, kind="animator"))
    db.session.commit()
    created["users"] = [organiser.id] + [p.id for p in people]
    consultation = make_consultation(organiser, now)
    created["consultation"] = consultation.id
    return consultation.id, [p.id for p in people]


def _race(app, consultation_id, person_ids):
    barrier = threading.Barrier(len(person_ids))
    outcomes = []

    def vote(person_id):
        with app.app_context():
            consultation = db.session.get(Consultation, consultation_id)
            person = db.session.get(User, person_id)
            ballot_answers = answers(consultation)
            barrier.wait()
            try:
                services.cast_ballot(consultation, person, ballot_answers, during(consultation))
                db.session.commit()
                outcomes.append("ok")
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=vote, args=(p,)) for p in person_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _count(model, consultation_id):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)
                             .where(model.consultation_id == consultation_id))


def test_parallel_votes_of_one_person_leave_one_ballot(app, committed, now):
    consultation_id, [person_id] = _setup(committed, 1, now - timedelta(days=30))
    outcomes = _race(app, consultation_id, [person_id] * 8)
    assert sorted(outcomes) == ["ok"] + ["refused"] * 7
    assert _count(Ballot, consultation_id) == 1
    assert _count(Participation, consultation_id) == 1


def test_parallel_votes_of_different_people_are_all_kept(app, committed, now):
    consultation_id, people = _setup(committed, 8, now - timedelta(days=30))
    outcomes = _race(app, consultation_id, people)
    assert outcomes == ["ok"] * 8
    assert _count(Ballot, consultation_id) == 8
    assert _count(Participation, consultation_id) == 8


def test_one_person_confirming_from_six_tabs_at_once_votes_once(app, committed):
    """Through HTTP: one receipt; the other tabs say the vote is already recorded."""
    from participation.core.models import utcnow
    from tests.concurrency import at_once, client_of
    from tests.consultations.helpers import form_data

    consultation_id, [person_id] = _setup(committed, 1, utcnow() - timedelta(days=2))
    consultation = db.session.get(Consultation, consultation_id)
    data = form_data(consultation)
    person = db.session.get(User, person_id)
    clients = [client_of(app, person) for _ in range(6)]
    url = f"/consultations/{consultation_id}/voter/confirmer"
    responses = at_once([lambda c=c: c.post(url, data=data) for c in clients])
    statuses = sorted(getattr(r, "status_code", r) for r in responses)
    assert statuses[0] == 200 and all(s in (400, 409) for s in statuses[1:]), statuses
    for refused in (r for r in responses if r.status_code != 200):
        assert "déjà" in refused.get_data(as_text=True)  # "already voted / recorded"
    assert _count(Ballot, consultation_id) == 1
    assert _count(Participation, consultation_id) == 1
