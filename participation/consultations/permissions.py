"""Who may do what with consultations.

Rules say who; phases (when) are asked from ``Consultation.phase(now)`` by the
services and views, so that time is always passed in.
"""

from participation.consultations.models import Consultation
from participation.core.permissions import rule


def _staff(user) -> bool:
    return bool(user.is_authenticated and (user.is_admin or user.staff_centres()))


@rule("consultations.create")
def create(user, obj=None) -> bool:
    """Animators and directors create consultations for their centre, the Conseil's runners
    for the Conseil; admins for any."""
    if _staff(user):
        return True
    from participation.consultations.services import may_organise
    from participation.council.models import COUNCIL
    from participation.council.services import get_body

    return bool(user.is_authenticated) and may_organise(user, get_body(COUNCIL))


@rule("consultations.manage")
def manage(user, consultation: Consultation | None = None) -> bool:
    """The organising centre's animators and directors (and admins) edit, announce and
    publish results (the Conseil's runners for the Conseil's); nobody else sees a draft."""
    if not user.is_authenticated or consultation is None:
        return False
    from participation.consultations.services import may_organise

    return may_organise(user, consultation.organiser)


@rule("consultations.view")
def view(user, consultation: Consultation | None = None) -> bool:
    """Anyone sees an announced consultation; a draft only its organisers."""
    if consultation is None:
        return True
    return consultation.scheduled_at is not None or manage(user, consultation)


@rule("consultations.vote")
def vote(user, consultation: Consultation | None = None) -> bool:
    """Any logged-in person reaches the ballot of an announced consultation; whether
    they are eligible, and whether it is open, the service decides and explains."""
    return bool(user.is_authenticated and user.is_active and consultation is not None
                and consultation.scheduled_at is not None)


@rule("consultations.desk")
def desk(user, consultation: Consultation | None = None) -> bool:
    """Animators and directors of any centre enter paper and assisted ballots at their
    desk (an inhabitant votes at the centre nearest to them)."""
    if not (user.is_authenticated and user.staff_centres()):
        return False
    return consultation is None or consultation.scheduled_at is not None
