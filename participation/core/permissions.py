"""The rule registry: every permission of the site is a named function here.

A domain's ``permissions.py`` declares its rules with ``@rule("domain.verb")``;
views call ``require(name, obj)``, templates call ``has_perm(name, obj)``, so a
button is hidden by the same rule that guards its route.
"""

from collections.abc import Callable

from flask import abort
from flask_login import current_user

_rules: dict[str, Callable] = {}


def rule(name: str):
    """Register ``fn(user, obj) -> bool`` as the rule called ``name``."""

    def register(fn: Callable) -> Callable:
        if name in _rules:
            raise ValueError(f"permission rule {name!r} declared twice")
        _rules[name] = fn
        return fn

    return register


def has_perm(user, name: str, obj=None) -> bool:
    """Whether ``user`` (possibly anonymous) may do ``name`` on ``obj``."""
    try:
        check = _rules[name]
    except KeyError:
        raise LookupError(f"unknown permission rule {name!r}") from None
    return bool(check(user, obj))


def require(name: str, obj=None, *, hide: bool = False) -> None:
    """Stop the request unless the current user passes ``name``.

    Anonymous people are sent to the login page (401 handler); others get a
    403, or a 404 when ``hide`` is set because even the object's existence is
    private.
    """
    if has_perm(current_user, name, obj):
        return
    if not current_user.is_authenticated:
        abort(401)
    abort(404 if hide else 403)


def registered_rules() -> dict[str, Callable]:
    return dict(_rules)
