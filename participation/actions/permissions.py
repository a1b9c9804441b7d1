"""Who may do what with fiches action.

Animators, directors and presidents (of a centre or the federation) and admins
write fiches. A fiche's writers are the person who wrote it, the staff of the
centres taking part in it, and admins; they change it and move it along. Only
the Conseil validates it, by a recorded decision (``services.validate_by_decision``),
never by a button here. Everyone sees a fiche from "validated" on; before that,
its writers and the Conseil's members.
"""

from participation.actions.models import ActionSheet
from participation.core.models import utcnow
from participation.core.permissions import rule

WRITER_ROLES = ("animator", "director", "president")


def _active(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


def writes_fiches(user) -> bool:
    return _active(user) and (user.is_admin or bool(user.roles_of(*WRITER_ROLES)))


def writes(user, sheet: ActionSheet) -> bool:
    """The fiche's writers: its author, staff of a centre among its actors, admins."""
    if not writes_fiches(user):
        return False
    if user.is_admin or sheet.created_by_id == user.id:
        return True
    centres = {r.organisation_id for r in user.roles_of(*WRITER_ROLES)}
    return any(a.organisation_id in centres for a in sheet.actors)


def sits_in_council(user) -> bool:
    from participation.council import services as council
    from participation.council.models import COUNCIL

    if not _active(user):
        return False
    return user.is_admin or council.is_member(user, council.get_body(COUNCIL),
                                              council.paris_today(utcnow()))


@rule("actions.create")
def create(user, obj=None) -> bool:
    """Animators, directors and presidents write fiches action (and admins)."""
    return writes_fiches(user)


@rule("actions.view")
def view(user, sheet) -> bool:
    """Validated fiches and later are public; drafts and submitted fiches are seen by their
    writers and the Conseil's members."""
    if not isinstance(sheet, ActionSheet):
        return False
    return sheet.is_public or writes(user, sheet) or sits_in_council(user)


@rule("actions.edit")
def edit(user, sheet) -> bool:
    """Its writers change a fiche while it is a draft."""
    return isinstance(sheet, ActionSheet) and sheet.status == "draft" and writes(user, sheet)


@rule("actions.move")
def move(user, sheet) -> bool:
    """Its writers submit, start, complete or abandon it (the status machine decides which
    move is possible now); validation is the Conseil's, by a decision."""
    return isinstance(sheet, ActionSheet) and writes(user, sheet)


@rule("actions.follow_up")
def follow_up(user, sheet) -> bool:
    """Its writers record the answer to a requested means and annex agreements until the
    action ends."""
    return (isinstance(sheet, ActionSheet) and writes(user, sheet)
            and sheet.status not in ("completed", "abandoned"))


@rule("actions.means_report")
def means_report(user, obj=None) -> bool:
    """The "means requested from partner X" view is for the Conseil's members and admins,
    and the staff who write fiches."""
    return sits_in_council(user) or writes_fiches(user)
