"""Fiches action: a retained proposal with a supporter, and a way to validate a fiche."""

from datetime import UTC, datetime

import pytest

from participation.actions import services
from participation.council import services as council
from participation.council.models import COUNCIL, PARIS
from participation.extensions import db
from participation.proposals import services as proposals
from tests import factories

NOW = datetime(2026, 11, 28, 10, tzinfo=UTC)


@pytest.fixture
def retained(inhabitant, animator, verified):
    """A retained proposal by ``inhabitant``, supported by ``verified``."""
    proposal = factories.proposal(inhabitant, status="retained", moderator=animator,
                                  title="Des repas partagés entre générations")
    proposals.set_support(verified, proposal, True, NOW)
    db.session.commit()
    return proposal


def decide(sheet, admin, when=NOW):
    """A Conseil meeting held at ``when`` records the decision validating ``sheet``."""
    meeting = council.plan_meeting(council.get_body(COUNCIL), admin,
                                   starts_at=when.astimezone(PARIS), place="Salle Matisse")
    decision = council.record_decision(meeting, admin, title="Validation", text="Validée.",
                                       validates_action_sheet_id=sheet.id, now=when)
    db.session.commit()
    return decision


def moved(sheet, actor, *actions, when=NOW):
    for action in actions:
        services.perform(sheet, action, actor, when, reason="Plus de budget.",
                         evaluation="Bilan.", results={o.id: "fait" for o in sheet.objectives})
    db.session.commit()
    return sheet
