"""Versions of the data, for what each worker keeps in memory (visitors' pages, the people
it has loaded): a version moves after every commit that wrote one of the tables it watches,
and whatever was kept under an older version is thrown away.

A version is shared by the workers of one machine (8 bytes of a file of the instance
folder, read with one ``pread``) or by several machines (a Redis counter,
``PAGE_CACHE_VERSION_URL=redis://...``). ``current()`` answers None when it cannot be read
(Redis down, the file not writable): callers then keep nothing and serve live.
"""

import logging
import os
import weakref
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

_log = logging.getLogger(__name__)


class _FileVersion:
    """The version is 8 random bytes of a file that each change rewrites in place (one
    machine): reading it is one ``pread``, moving it one ``pwrite``. (A new file renamed
    over the old one cost 0.1 ms of CPU a write: a tenth of a vote.) A reader may see a
    write half done: a value that was never stored, so what it keeps is simply renewed."""

    def __init__(self, path: Path):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(self.fd).st_size < 8:
                os.pwrite(self.fd, os.urandom(8), 0)
        except OSError as error:  # a read-only instance folder: keep nothing, serve live
            _log.warning("%s: no version, nothing kept (%s)", path.name, error)
            self.fd = None
        else:
            weakref.finalize(self, os.close, self.fd)

    def current(self):
        if self.fd is None:
            return None
        try:
            return os.pread(self.fd, 8, 0)
        except OSError:
            return None

    def bump(self) -> None:
        if self.fd is None:
            return
        try:
            os.pwrite(self.fd, os.urandom(8), 0)
        except OSError as error:  # the write that asked for it goes on regardless
            # This process can no longer tell changes, so it keeps nothing any more;
            # others keep what they have for its age limit at most.
            _log.warning("%s: version not moved, nothing kept from now on (%s)",
                         self.path.name, error)
            self.fd = None


class _RedisVersion:
    """The version is a Redis counter shared by every app server."""

    def __init__(self, url: str, key: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.key = key

    def current(self):
        try:
            return self.client.get(self.key) or b"0"
        except Exception:  # noqa: BLE001 — Redis down: unknown, so live pages, never fail
            return None

    def bump(self) -> None:
        try:
            self.client.incr(self.key)
        except Exception:  # noqa: BLE001 — a change must never fail for a cache's sake
            # What is kept elsewhere may then be out of date for its age limit at most.
            _log.warning("%s: version not moved (Redis unreachable)", self.key)


def watch(app: Flask, name: str, watches: Callable[[str], bool]):
    """The version called ``name``, moved after each commit that wrote a table for which
    ``watches(table_name)`` is true."""
    url = app.config["PAGE_CACHE_VERSION_URL"]
    if url.startswith(("redis://", "rediss://", "unix://")):
        version = _RedisVersion(url, f"{app.config['RATELIMIT_KEY_PREFIX']}:{name}")
    else:
        # The visitors' pages keep the file name they always had.
        default = Path(app.instance_path) / "content-version"
        path = Path(url) if url else default
        version = _FileVersion(path if name == "pages" else path.with_name(f"{name}-version"))
    app.extensions.setdefault("versions", {})[name] = (version, watches)
    return version


def _watched(db_session, tables) -> None:
    if not has_app_context():
        return
    changed = db_session.info.setdefault("versions_changed", set())
    for name, (_version, watches) in current_app.extensions.get("versions", {}).items():
        if name not in changed and any(watches(table) for table in tables):
            changed.add(name)


def _note_flush(db_session, _context):
    _watched(db_session, {getattr(instance, "__tablename__", None) for instance in
                          (*db_session.new, *db_session.dirty, *db_session.deleted)})


def _note_statement(state):
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _watched(state.session, {getattr(table, "name", None)})


def _after_commit(db_session):
    changed = db_session.info.pop("versions_changed", None)
    if changed and has_app_context():
        versions = current_app.extensions.get("versions", {})
        for name in changed:
            if name in versions:
                versions[name][0].bump()


def _after_rollback(db_session):
    db_session.info.pop("versions_changed", None)


sa.event.listen(Session, "after_flush", _note_flush)
sa.event.listen(Session, "do_orm_execute", _note_statement)
sa.event.listen(Session, "after_commit", _after_commit)
sa.event.listen(Session, "after_rollback", _after_rollback)
