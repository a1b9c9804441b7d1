"""Who may do what with proposals, comments and reports."""

from flask import current_app

from participation.core.models import utcnow
from participation.core.permissions import rule

EDITABLE = ("draft", "changes_requested")
WITHDRAWABLE = ("draft", "submitted", "changes_requested", "published", "under_study")
OPEN_FOR_SUPPORT = ("published", "under_study", "retained")
OPEN_FOR_COMMENTS = ("published", "under_study", "retained", "not_retained", "realised")


def _active(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


def moderates(user, centre_id: int | None) -> bool:
    """Animators and directors moderate what their centre follows; admins everything."""
    if not _active(user):
        return False
    if user.is_admin:
        return True
    centres = {c.id for c in user.staff_centres()}
    return bool(centres) if centre_id is None else centre_id in centres


@rule("proposals.create")
def create(user, obj=None) -> bool:
    """Any logged-in person writes proposals."""
    return _active(user)


@rule("proposals.view")
def view(user, proposal) -> bool:
    """Published proposals are public; before that, their author sees them, and once sent
    (not while still a draft) the moderators of the centre that follows them."""
    if proposal.is_public:
        return True
    if not _active(user):
        return False
    return proposal.author_id == user.id or (proposal.status != "draft"
                                             and moderates(user, proposal.centre_id))


@rule("proposals.edit")
def edit(user, proposal) -> bool:
    """The author edits a draft, or a proposal sent back with a request for changes."""
    return _active(user) and proposal.author_id == user.id and proposal.status in EDITABLE


@rule("proposals.withdraw")
def withdraw(user, proposal) -> bool:
    """The author withdraws it any time before it is retained."""
    return _active(user) and proposal.author_id == user.id and proposal.status in WITHDRAWABLE


@rule("proposals.moderate")
def moderate(user, proposal=None) -> bool:
    """Staff of the centre that follows the proposal publish, send back or reject it, and
    answer it publicly."""
    return moderates(user, proposal.centre_id if proposal is not None else None)


@rule("proposals.support")
def support(user, proposal) -> bool:
    """Logged-in people other than the author support a proposal that is open."""
    return (_active(user) and proposal.status in OPEN_FOR_SUPPORT
            and proposal.author_id != user.id and proposal.hidden_at is None)


@rule("proposals.comment")
def comment(user, proposal) -> bool:
    """Logged-in people comment on a published proposal that is not hidden."""
    return (_active(user) and proposal.status in OPEN_FOR_COMMENTS
            and proposal.hidden_at is None)


@rule("proposals.edit_comment")
def edit_comment(user, comment) -> bool:
    """Authors may correct their comment during the first minutes."""
    if not (_active(user) and comment.author_id == user.id and comment.deleted_at is None):
        return False
    minutes = current_app.config["COMMENT_EDIT_MINUTES"]
    return (utcnow() - comment.created_at).total_seconds() <= minutes * 60


@rule("proposals.delete_comment")
def delete_comment(user, comment) -> bool:
    """Authors delete their own comments."""
    return _active(user) and comment.author_id == user.id and comment.deleted_at is None


@rule("proposals.report")
def report(user, obj=None) -> bool:
    """Anyone logged in reports content."""
    return _active(user)


@rule("proposals.record_for_someone")
def record_for_someone(user, person=None) -> bool:
    """Staff record a proposal on behalf of an inhabitant at the front desk."""
    return moderates(user, None) and (person is None or person.id != user.id)


@rule("proposals.edit_themes")
def edit_themes(user, obj=None) -> bool:
    """Administrators edit the list of themes."""
    return _active(user) and user.is_admin
