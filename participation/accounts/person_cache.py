"""The logged-in person of each request, loaded once with what the menu needs, and kept
by each worker between their requests.

Every request of a logged-in person loads them with their roles, counts their unread
notifications for the menu and, for an inhabitant, asks whether they sit in the Conseil.
Those *facts* are columns of the statement that loads the person (``load_with_person``),
so a person costs one statement; and kept, they cost none (no connection taken from the
pool, checked, BEGIN, ROLLBACK): that was two thirds of the CPU of the dashboard.

Each worker keeps a copy of the person per session token, with those facts, valid while
the *people version* has not moved. Any commit writing the people's tables (accounts,
roles, organisations, Conseil mandates, notifications) moves it (participation/core/
versions.py), on every worker and every server sharing the version: a blocked account, a
role taken away, a password changed (new session token, every session ends) or a new
notification shows on the very next request. PERSON_CACHE_SECONDS bounds the age of a copy
anyway (a change made outside the app, with psql); 0 turns it off.

The request works on its own copy, merged into its database session without a query
(``Session.merge(load=False)``): what it reads beyond the kept columns and roles loads as
usual, and what it changes is written as usual, never into the kept copy.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.orm import Session, defer, joinedload

from participation.accounts.models import User
from participation.core import versions
from participation.core.models import utcnow
from participation.extensions import db

PEOPLE_TABLES = frozenset({"users", "roles", "organisations", "council_mandates",
                           "notifications"})
# Per worker: people seen recently; the least recently seen go first.
MAX_PEOPLE = 2000


class PersonCache:
    def __init__(self, app: Flask):
        self.seconds = app.config["PERSON_CACHE_SECONDS"]
        self.version = versions.watch(app, "people", PEOPLE_TABLES.__contains__)
        # session token -> (version, kept at, detached copy of the person, facts)
        self.people: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def load(self, session_token: str):
        """The person of ``session_token`` in this request's session: the kept copy when it
        is still valid, else loaded (then kept)."""
        version = self.version.current()
        if version is None:  # unknown (Redis down, no version file): load every time
            return _query(session_token)
        with self.lock:
            entry = self.people.get(session_token)
            if entry is not None:
                if entry[0] == version and time.monotonic() - entry[1] <= self.seconds:
                    self.people.move_to_end(session_token)
                else:
                    del self.people[session_token]
                    entry = None
        if entry is not None:
            g.person_facts = entry[3]
            return db.session.merge(entry[2], load=False)
        user = _query(session_token)
        if user is not None:
            facts = g.person_facts
            with self.lock:
                self.people[session_token] = (version, time.monotonic(), _detached_copy(user),
                                              facts)
                while len(self.people) > MAX_PEOPLE:
                    self.people.popitem(last=False)
        return user


# name -> (key_at(now), column(key)): what the person's statement loads besides them.
_FACTS: dict[str, tuple[Callable, Callable]] = {}
# Read only by the login, two-step verification and retention code, which load them when
# they do: neither the person's statement nor the copies kept of them hold these secrets.
_NOT_LOADED = tuple(defer(column) for column in (
    User.password_hash, User.totp_secret, User.totp_last_step, User.setup_code_hash,
    User.setup_code_expires_at, User.inactivity_warned_at))
# The person's statement for each set of facts' keys (one a day when a key is the date).
_STATEMENTS: dict[tuple, sa.Select] = {}


def load_with_person(name: str, key_at: Callable, column: Callable) -> None:
    """Load a fact in the person's own statement: ``key_at(now)`` is its key for
    ``remember`` (the date, when it depends on it), ``column(key)`` a scalar subquery
    correlated with ``User.id``."""
    _FACTS[name] = (key_at, column)
    _STATEMENTS.clear()


def _query(session_token: str):
    """The person of ``session_token`` with their roles and facts, in one statement; the
    facts go to ``g.person_facts``."""
    now = utcnow()
    keys = tuple(key_at(now) for key_at, _column in _FACTS.values())
    statement = _STATEMENTS.get(keys)
    if statement is None:
        if len(_STATEMENTS) > 8:  # yesterday's
            _STATEMENTS.clear()
        columns = [column(key) for key, (_key_at, column) in zip(keys, _FACTS.values(),
                                                                 strict=True)]
        statement = _STATEMENTS[keys] = (
            sa.select(User, *columns).options(joinedload(User.roles), *_NOT_LOADED)
            .where(User.session_token == sa.bindparam("session_token")))
    row = db.session.execute(statement, {"session_token": session_token}).unique().first()
    if row is None:
        return None
    g.person_facts = dict(zip(keys, row[1:], strict=True))
    return row[0]


def _detached_copy(user):
    """A copy of ``user`` and its loaded roles that no request's session will change."""
    with Session() as apart:
        copy = apart.merge(user, load=False)
        apart.expunge_all()
    return copy


def remember(name, compute: Callable):
    """A fact about the logged-in person (unread notifications, a seat in the Conseil),
    loaded with them or computed once, and kept with them while the people version holds."""
    facts = g.get("person_facts")
    if facts is not None and name in facts and not _wrote_people():
        return facts[name]
    value = compute()
    # Not when this request wrote the people's tables: the answer may never be committed.
    if facts is not None and not _wrote_people():
        facts[name] = value
    return value


def _wrote_people() -> bool:
    return "people" in db.session.info.get("versions_changed", ())


def install(app: Flask) -> None:
    if app.config["PERSON_CACHE_SECONDS"]:
        app.extensions["person_cache"] = PersonCache(app)


def load_person(session_token: str):
    cache = current_app.extensions.get("person_cache")
    return cache.load(session_token) if cache is not None else _query(session_token)
