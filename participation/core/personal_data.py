"""What the site holds about a person, gathered for "Mes données", and erased on request.

Each domain registers an exporter (``user -> JSON-able``) and, if it keeps
personal data, an eraser (``user -> None``) that removes it while keeping the
person's public contributions. ``delete_account`` runs every eraser in the
same transaction.
"""

from collections.abc import Callable

_exporters: dict[str, Callable] = {}
_erasers: list[Callable] = []


def exporter(section: str):
    def register(fn):
        _exporters[section] = fn
        return fn

    return register


def eraser(fn):
    _erasers.append(fn)
    return fn


def export(user) -> dict:
    return {section: fn(user) for section, fn in sorted(_exporters.items())}


def erase(user) -> None:
    for fn in _erasers:
        fn(user)
