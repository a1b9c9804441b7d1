"""Who may do what with shared projects.

Rules say who; statuses (when) are asked from ``SharedProject.status(now)`` by
the services, which explain a refusal in words (dates, age, places).
"""

from participation.core.permissions import rule
from participation.projects.services import may_organise


def _active(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


@rule("projects.create")
def create(user, obj=None) -> bool:
    """Animators and directors publish projects for their centre; admins for any."""
    return _active(user) and bool(user.is_admin or user.staff_centres())


@rule("projects.manage")
def manage(user, project=None) -> bool:
    """Animators and directors of a centre taking part (and admins) edit and run the
    project: participants, attendance, messages, news, offers of help. An animator of
    another centre cannot, unless their centre takes part."""
    return project is not None and may_organise(user, project)


@rule("projects.view")
def view(user, project=None) -> bool:
    """Everyone reads a published project; a draft only its organisers."""
    if project is None:
        return True
    return project.published_at is not None or manage(user, project)


@rule("projects.join")
def join(user, project=None) -> bool:
    """Logged-in people reach the registration form of a published project; the service
    says whether the dates, the age and the places allow it, and why not."""
    return (_active(user) and project is not None and project.published_at is not None
            and project.cancelled_at is None)


@rule("projects.offer_help")
def offer_help(user, project=None) -> bool:
    """Logged-in people offer help to a published project that is not cancelled."""
    return join(user, project)
