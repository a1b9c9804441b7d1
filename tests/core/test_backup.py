"""``flask backup`` and ``flask restore``: the demo data goes out and comes back, every table
identical (row counts and content hashes), on SQLite and on PostgreSQL."""

import hashlib
import os

import flask_migrate
import pytest
import sqlalchemy as sa

from participation import create_app
from participation.config import TestConfig
from participation.core import backup as backup_module
from participation.core.mail import OutboxMessage
from participation.core.models import utcnow
from participation.demo import load_demo
from participation.extensions import db


def _pg_database(suffix: str) -> str | None:
    """A scratch PostgreSQL database beside the test one (emptied), or None on SQLite."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        return None
    url = sa.make_url(base)
    name = f"{url.database}_{suffix}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _app(url: str, tmp_path):
    config = type("BackupConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    return create_app(config)


def fingerprint(app) -> dict[str, tuple[int, str]]:
    """Every table: its row count and a hash of its sorted rows."""
    with app.app_context(), db.engine.connect() as connection:
        result = {}
        for name in sa.inspect(connection).get_table_names():
            rows = connection.exec_driver_sql(f'SELECT * FROM "{name}"').all()  # noqa: S608
            digest = hashlib.sha256("\n".join(sorted(repr(tuple(r)) for r in rows))
                                    .encode()).hexdigest()
            result[name] = (len(rows), digest)
        return result


@pytest.fixture
def databases(tmp_path):
    source = _pg_database("bk_src") or f"sqlite:///{tmp_path / 'source.sqlite3'}"
    target = _pg_database("bk_dst") or f"sqlite:///{tmp_path / 'target.sqlite3'}"
    apps = _app(source, tmp_path), _app(target, tmp_path)
    yield apps
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_demo_data_round_trips_through_backup_and_restore(databases, tmp_path):
    source, target = databases
    with source.app_context():
        flask_migrate.upgrade()
        load_demo(utcnow())
        db.session.commit()
    file = tmp_path / "participation.backup"
    result = source.test_cli_runner().invoke(args=["backup", str(file)])
    assert result.exit_code == 0, result.output
    assert file.stat().st_size > 10_000
    assert not file.with_name(file.name + ".partial").exists()

    result = target.test_cli_runner().invoke(args=["restore", str(file)])
    assert result.exit_code == 0, result.output
    before, after = fingerprint(source), fingerprint(target)
    assert before == after
    assert before["users"][0] >= 7 and before["proposals"][0] > 5
    assert before["council_decisions"][0] > 3 and before["consultation_ballots"][0] > 0

    # The restored copy is a working database: the chains verify, accounts log in.
    result = target.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output

    # A database with data is not overwritten without --force.
    with target.app_context():
        db.session.execute(sa.delete(OutboxMessage))
        db.session.execute(sa.text("UPDATE proposals SET title = 'Changé après coup'"))
        db.session.commit()
    changed = fingerprint(target)
    assert changed != before
    result = target.test_cli_runner().invoke(args=["restore", str(file)])
    assert result.exit_code != 0
    assert "already holds data" in result.output and "--force" in result.output
    assert fingerprint(target) == changed

    result = target.test_cli_runner().invoke(args=["restore", "--force", str(file)])
    assert result.exit_code == 0, result.output
    assert fingerprint(target) == before


def test_restore_refuses_a_file_that_is_not_a_backup(databases, tmp_path):
    _, target = databases
    bogus = tmp_path / "notes.txt"
    bogus.write_text("pas une sauvegarde")
    result = target.test_cli_runner().invoke(args=["restore", str(bogus)])
    assert result.exit_code != 0 and "is not a" in result.output


def test_a_missing_pg_dump_is_explained(app, monkeypatch, tmp_path):
    monkeypatch.setattr(backup_module.shutil, "which", lambda name: None)
    with pytest.raises(backup_module.BackupError, match="pg_dump was not found.*postgresql-client"):
        backup_module._tool("pg_dump")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.dump")])
        assert result.exit_code != 0 and "pg_dump was not found" in result.output
