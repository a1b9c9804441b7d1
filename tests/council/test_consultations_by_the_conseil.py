"""The Conseil consults too: its runners of the year organise consultations in its name."""

from datetime import timedelta

import pytest

from participation.consultations import services
from participation.core.errors import DomainError
from participation.core.models import utcnow
from participation.core.permissions import has_perm
from participation.council.models import COUNCIL
from participation.council.services import get_body
from participation.extensions import db
from tests.consultations.helpers import commune


def _create(user):
    start = utcnow() + timedelta(days=3)
    return services.create_consultation(
        user, organisation=get_body(COUNCIL), title="Quel projet commun en premier ?",
        description="Le Conseil vous demande votre avis.", opens_at=start,
        closes_at=start + timedelta(days=14), communes=[commune("Calais"), commune("Marck")],
        verified_only=False, min_age=None)


def test_runners_organise_consultations_for_the_conseil(runners, other_director):
    president, director = runners
    consultation = _create(president)
    db.session.commit()
    assert consultation.organiser.name and consultation.organisation is None
    assert has_perm(director, "consultations.manage", consultation)
    assert not has_perm(other_director, "consultations.manage", consultation)


def test_a_director_who_does_not_run_the_conseil_cannot(runners, other_director):
    with pytest.raises(DomainError):
        _create(other_director)


def test_the_conseil_is_offered_to_its_runners_only(client, login, runners, other_director):
    president, _ = runners
    login(president)
    page = client.get("/consultations/nouvelle")
    assert page.status_code == 200 and 'value="conseil"' in page.text
    login(other_director)
    assert 'value="conseil"' not in client.get("/consultations/nouvelle").text
    response = client.post("/consultations/nouvelle", data={
        "organisation": "conseil", "title": "Tentative", "description": "",
        "opens_at": (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT10:00"),
        "closes_at": (utcnow() + timedelta(days=9)).strftime("%Y-%m-%dT10:00"),
        "communes": [commune("Calais").id]})
    assert response.status_code == 200  # not a valid choice for them: said in the form
