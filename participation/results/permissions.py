"""Who sees the participation results (issue 8, item 1)."""

from participation.core.models import utcnow
from participation.core.permissions import rule
from participation.council import services as council
from participation.council.models import COUNCIL

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
    body = council.get_body(COUNCIL)
    return body is not None and council.is_member(user, body, council.paris_today(utcnow()))
