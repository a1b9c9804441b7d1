"""Who may do what with shared projects: a matrix of roles × project states."""

import pytest
from flask_login import AnonymousUserMixin

from participation.core.permissions import has_perm
from participation.extensions import db
from tests.projects.helpers import centre, make_project

ROLES = ["anonymous", "inhabitant", "animator", "other_animator", "director", "president",
         "federal_delegate", "admin"]


def _user(request, who):
    return AnonymousUserMixin() if who == "anonymous" else request.getfixturevalue(who)


# The project is run by Matisse alone (the animator's centre).
EXPECTED = {
    #                    create  manage(draft/pub) view draft  view published  join  help
    "anonymous":        (False, False, False, True, False, False),
    "inhabitant":       (False, False, False, True, True, True),
    "animator":         (True, True, True, True, True, True),
    "other_animator":   (True, False, False, True, True, True),
    "director":         (True, False, False, True, True, True),
    "president":        (False, False, False, True, True, True),
    "federal_delegate": (False, False, False, True, True, True),
    "admin":            (True, True, True, True, True, True),
}


@pytest.mark.parametrize("who", ROLES)
def test_matrix(request, animator, now, who):
    draft = make_project(animator, now, publish=False, centres=[(centre("Matisse"), "")])
    published = make_project(animator, now, centres=[(centre("Matisse"), "")])
    user = _user(request, who)
    got = (has_perm(user, "projects.create"), has_perm(user, "projects.manage", published),
           has_perm(user, "projects.view", draft), has_perm(user, "projects.view", published),
           has_perm(user, "projects.join", published),
           has_perm(user, "projects.offer_help", published))
    assert got == EXPECTED[who]
    assert has_perm(user, "projects.manage", draft) == EXPECTED[who][1]
    assert not has_perm(user, "projects.join", draft)


def test_a_centre_joining_the_project_gives_its_staff_the_tools(animator, other_animator,
                                                                 now):
    from participation.projects import services
    from tests.projects.helpers import data

    project = make_project(animator, now, centres=[(centre("Matisse"), "")])
    assert not has_perm(other_animator, "projects.manage", project)
    services.update_project(project, animator, data(now), now)  # adds Espace Fort
    db.session.commit()
    assert has_perm(other_animator, "projects.manage", project)


def test_nobody_joins_a_cancelled_project(animator, inhabitant, now):
    from participation.projects import services

    project = make_project(animator, now)
    services.cancel_project(project, animator, "Tempête", now)
    assert not has_perm(inhabitant, "projects.join", project)
    assert not has_perm(inhabitant, "projects.offer_help", project)
