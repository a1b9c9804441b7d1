"""Who may change the reference data of the territory."""

from participation.core.permissions import rule


@rule("territory.edit")
def edit(user, obj=None) -> bool:
    """Administrators edit communes, centres, the federation and partners."""
    return bool(user.is_authenticated and user.is_admin)
