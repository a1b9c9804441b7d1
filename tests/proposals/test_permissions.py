"""Who may do what with a proposal, role by role and status by status."""

import pytest
from flask_login import AnonymousUserMixin

from participation.core.permissions import has_perm
from tests import factories

ROLES = ["anonymous", "author", "inhabitant", "animator_here", "animator_elsewhere",
         "director_elsewhere", "admin"]


@pytest.fixture
def people(session, inhabitant, verified, animator, other_animator, director, admin):
    return {"anonymous": AnonymousUserMixin(), "author": inhabitant, "inhabitant": verified,
            "animator_here": animator, "animator_elsewhere": other_animator,
            "director_elsewhere": director, "admin": admin}


# rule → status → the roles allowed (proposals are followed by Matisse, where `animator` works)
EXPECTED = {
    "proposals.view": {
        "draft": {"author"},  # private work until sent
        "submitted": {"author", "animator_here", "admin"},
        "published": set(ROLES),
        "retained": set(ROLES),
    },
    "proposals.edit": {
        "draft": {"author"}, "submitted": set(), "published": set(), "retained": set(),
    },
    "proposals.withdraw": {
        "draft": {"author"}, "submitted": {"author"}, "published": {"author"},
        "retained": set(),
    },
    "proposals.moderate": {
        status: {"animator_here", "admin"}
        for status in ("draft", "submitted", "published", "retained")
    },
    "proposals.support": {
        "draft": set(), "submitted": set(),
        "published": {"inhabitant", "animator_here", "animator_elsewhere",
                      "director_elsewhere", "admin"},
        "retained": {"inhabitant", "animator_here", "animator_elsewhere",
                     "director_elsewhere", "admin"},
    },
    "proposals.comment": {
        "draft": set(), "submitted": set(),
        "published": set(ROLES) - {"anonymous"}, "retained": set(ROLES) - {"anonymous"},
    },
}


@pytest.mark.parametrize("status", ["draft", "submitted", "published", "retained"])
@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_matrix(people, inhabitant, animator, rule, status):
    proposal = factories.proposal(inhabitant, status=status, moderator=animator)
    allowed = {role for role, user in people.items() if has_perm(user, rule, proposal)}
    assert allowed == EXPECTED[rule][status]


def test_hidden_proposal_cannot_be_supported_or_commented(people, inhabitant, now):
    proposal = factories.proposal(inhabitant)
    proposal.hidden_at = now
    assert not has_perm(people["inhabitant"], "proposals.support", proposal)
    assert not has_perm(people["inhabitant"], "proposals.comment", proposal)
