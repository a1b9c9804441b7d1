"""The scale data set (``flask demo load --scale territory``), loaded tiny: every counter
equals its count, every ballot has its participation, and the pages still answer."""

import sqlalchemy as sa

from participation.accounts.models import User
from participation.consultations.models import Ballot, Consultation, Participation
from participation.council.models import Decision
from participation.demo import load_demo
from participation.extensions import db
from participation.projects.models import SharedProject
from participation.proposals.models import Comment, Proposal, Support
from participation.scale import check_consistency, load_scale


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_tiny_territory_is_consistent(session, now, client):
    load_demo(now)
    before = {m: _count(m) for m in (User, Proposal, Support, Comment, Ballot, Decision)}
    sizes = load_scale(now, factor=0.002, echo=lambda line: None, consultations=4,
                       meetings=4, decisions=12, sheets=12)
    db.session.commit()
    assert _count(User) - before[User] == sizes["users"] == 170
    assert _count(Proposal) - before[Proposal] == sizes["proposals"] == 40
    assert _count(Comment) - before[Comment] == sizes["comments"] == 200
    assert _count(Decision) - before[Decision] == 12
    assert _count(Support) - before[Support] > 0 and _count(Ballot) - before[Ballot] > 0
    assert check_consistency() == []
    # Each consultation: as many ballots as participations; closed ones have their tally.
    for consultation in db.session.scalars(sa.select(Consultation)):
        ballots = _count(Ballot, Ballot.consultation_id == consultation.id)
        assert ballots == _count(Participation, Participation.consultation_id == consultation.id)
        if consultation.closes_at <= now:
            assert consultation.results["ballots"] == ballots
    # The counters the lists sort on agree with a fresh count, proposal by proposal.
    counted = dict(db.session.execute(sa.select(Support.proposal_id, sa.func.count())
                                      .group_by(Support.proposal_id)).all())
    for proposal in db.session.scalars(sa.select(Proposal)):
        assert proposal.support_count == counted.get(proposal.id, 0)
    for project in db.session.scalars(sa.select(SharedProject)):
        assert project.capacity is None or project.places_taken <= project.capacity
    # Scale accounts log in with the demo password.
    person = db.session.scalar(sa.select(User).where(User.email.like("%@scale.example.org")))
    from participation.accounts.services import authenticate
    from participation.demo import DEMO_PASSWORD

    assert authenticate(person.email, DEMO_PASSWORD, now)
    for url in ("/", "/propositions", "/propositions?sort=supported&page=2",
                "/conseil/decisions", "/consultations"):
        assert client.get(url).status_code == 200


def test_a_consistency_check_that_can_fail(session, now):
    load_demo(now)
    load_scale(now, factor=0.001, echo=lambda line: None)
    db.session.commit()
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.support_count > 0))
    proposal.support_count += 1
    db.session.commit()
    assert [p for p in check_consistency() if p.startswith(f"proposal {proposal.id}:")]
