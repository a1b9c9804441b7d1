"""The demo consultations: one open, one with published results and paper ballots from two
centres, one reserved to verified residents of Marck."""

import sqlalchemy as sa

from participation.consultations import services
from participation.consultations.models import OPEN, PUBLISHED, Ballot, Consultation
from participation.demo import load_demo
from participation.extensions import db


def test_demo_consultations(session, now):
    cast = load_demo(now)
    db.session.commit()
    by_phase = {}
    for consultation in db.session.scalars(sa.select(Consultation)):
        by_phase.setdefault(consultation.phase(now), []).append(consultation)
    assert len(by_phase[OPEN]) == 2 and len(by_phase[PUBLISHED]) == 1
    [published] = by_phase[PUBLISHED]
    centres = set(db.session.scalars(sa.select(Ballot.centre_id).where(
        Ballot.consultation_id == published.id, Ballot.centre_id.is_not(None))))
    assert len(centres) == 2
    assert published.results["ballots"] == 6
    marck = next(c for c in by_phase[OPEN] if c.verified_only)
    assert [c.name for c in marck.communes] == ["Marck"]
    assert "Marck" in services.eligibility_problem(marck, cast["habitant"], now)
    market = next(c for c in by_phase[OPEN] if not c.verified_only)
    assert len(market.communes) == 3
    assert {q.kind for q in market.questions} == {"single", "judgment"}
    assert services.eligibility_problem(market, cast["habitant"], now) is None
