"""Where the things a decision or agenda item concerns live on the site.

Proposals, consultations, shared projects and fiches action are built by other
issues; each registers here how to turn its number into a page address, so the
register links to it. Until then the number is shown as text.
"""

from collections.abc import Callable

_resolvers: dict[str, Callable[[int], str | None]] = {}


def register(kind: str, resolve: Callable[[int], str | None]) -> None:
    """``resolve(target_id)`` gives the page of that target, or None if it does not exist."""
    _resolvers[kind] = resolve


def url_for_link(link) -> str | None:
    resolve = _resolvers.get(link.kind)
    return resolve(link.target_id) if resolve else None
