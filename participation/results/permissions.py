"""Who sees the participation results (issue 8, item 1)."""

import sqlalchemy as sa

from participation.accounts.models import User
from participation.accounts.person_cache import load_with_person, remember
from participation.core.models import utcnow
from participation.core.permissions import rule
from participation.council import services as council
from participation.council.models import COUNCIL, REPRESENTATIVE, Mandate
from participation.extensions import db

# Directors and presidents of a centre, the federation's president and delegates.
RESULT_ROLES = ("director", "president", "federal_delegate")


@rule("results.view")
def view(user, obj=None) -> bool:
    """Admins, directors and presidents of a centre, the federation's roles, and whoever
    sits in the Conseil today (a representative included)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_admin or user.roles_of(*RESULT_ROLES):
        return True
    # Without such a role, only a representative's mandate seats someone in the Conseil:
    # one cheap query rules out every other inhabitant (this runs for the menu on each page).
    today = council.paris_today(utcnow())
    if not remember(("representative", today), lambda: db.session.scalar(
            sa.select(_representative(user.id, today)))):
        return False
    body = council.get_body(COUNCIL)
    return body is not None and council.is_member(user, body, today)


def _representative(person_id, today):
    """Whether ``person_id`` holds a representative's mandate on ``today``."""
    return sa.exists().where(
        Mandate.user_id == person_id, Mandate.kind == REPRESENTATIVE, Mandate.starts_on <= today,
        sa.or_(Mandate.ends_on.is_(None), Mandate.ends_on >= today))


# Asked for the menu on every page of an inhabitant: loaded with the person.
load_with_person("representative", lambda now: ("representative", council.paris_today(now)),
                 lambda key: _representative(User.id, key[1]))
