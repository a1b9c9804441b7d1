"""Backups: a consistent copy of the whole database, and bringing one back.

SQLite: the online backup API copies the live database page by page under a
read transaction, so writers may keep going. PostgreSQL: ``pg_dump`` in its
custom format (one snapshot, compressed), restored with ``pg_restore`` in a
single transaction. A restore refuses to overwrite a database that holds data
unless forced.
"""

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - runs pg_dump/pg_restore with a fixed argument list
from pathlib import Path

import sqlalchemy as sa

from participation.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """Something the person running the command can fix; the message says what."""


def _sqlite_path(url: sa.engine.URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return url.database


def _libpq(url: sa.engine.URL) -> tuple[str, dict]:
    """A libpq connection string without the password, and the environment carrying it
    (so it never shows in the process list)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools "
                          f"(Debian: apt install postgresql-client, same major version as "
                          f"the server or newer)")
    return path


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def backup(target: Path) -> str:
    """Write a consistent copy of the app's database to ``target``; returns its kind."""
    url = db.engine.url
    target = Path(target)
    if target.exists() and target.is_dir():
        raise BackupError(f"{target} is a directory; give a file name")
    partial = target.with_name(target.name + ".partial")
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(partial)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        kind = "sqlite"
    elif url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={partial}", f"--dbname={dsn}"], env)
        kind = "pg_dump"
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()}")
    partial.replace(target)  # a crash never leaves a half-written file under the real name
    return kind


def tables_with_rows() -> list[str]:
    """Tables of the app's database that hold at least one row."""
    inspector = sa.inspect(db.engine)
    found = []
    with db.engine.connect() as connection:
        for name in inspector.get_table_names():
            table = sa.table(name)
            if connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                found.append(name)
    return found


def restore(source: Path, force: bool = False) -> str:
    """Replace the app's database by the copy in ``source``."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    with source.open("rb") as handle:
        magic = handle.read(16)
    url = db.engine.url
    backend = url.get_backend_name()
    if backend == "sqlite" and not magic.startswith(SQLITE_MAGIC):
        raise BackupError(f"{source} is not a SQLite backup"
                          + (" (it is a pg_dump file: restore it on PostgreSQL)"
                             if magic.startswith(PGDUMP_MAGIC) else ""))
    if backend == "postgresql" and not magic.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{source} is not a pg_dump custom-format backup"
                          + (" (it is a SQLite file: restore it with DATABASE_URL on SQLite)"
                             if magic.startswith(SQLITE_MAGIC) else ""))
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"no restore method for {backend}")
    busy = tables_with_rows()
    if busy and not force:
        raise BackupError(f"the database already holds data ({len(busy)} tables with rows, "
                          f"such as {', '.join(sorted(busy)[:3])}); restore will not "
                          f"overwrite it: use an empty database, or --force to replace it")
    db.session.remove()
    db.engine.dispose()
    if backend == "sqlite":
        copy = sqlite3.connect(source)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            with target:
                copy.backup(target)
        finally:
            target.close()
            copy.close()
    else:
        dsn, env = _libpq(url)
        tool = _tool("pg_restore")
        if busy:
            # Forced: empty the schema first so nothing of the old database is left
            # beside the restored one (tables the backup does not have).
            with db.engine.begin() as connection:
                for name in sa.inspect(connection).get_table_names():
                    connection.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
            db.engine.dispose()
        _run([tool, "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--dbname={dsn}", str(source)], env)
    return backend
