"""Who may do what with accounts."""

from participation.core.permissions import rule


def _is_staff(user) -> bool:
    return bool(user.is_authenticated and (user.is_admin or user.staff_centres()))


@rule("accounts.assist")
def assist(user, obj=None) -> bool:
    """Animators and directors of a centre (and admins) find inhabitants, verify their
    residence and create assisted accounts at the front desk."""
    return _is_staff(user)


@rule("accounts.verify")
def verify(user, person=None) -> bool:
    """Staff verify anyone's residence but their own (nobody vouches for themselves)."""
    return _is_staff(user) and (person is None or person.id != user.id)


@rule("accounts.administer")
def administer(user, obj=None) -> bool:
    """Only administrators grant and revoke roles, and read the audit log and the outbox."""
    return bool(user.is_authenticated and user.is_admin)
