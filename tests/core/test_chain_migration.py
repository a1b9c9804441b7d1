"""The migration that brings the hash chains chains the rows already there."""

from datetime import UTC, datetime

import flask_migrate
import sqlalchemy as sa

from participation import create_app
from participation.config import TestConfig
from participation.core import chain
from participation.extensions import db


def test_existing_rows_are_chained_by_the_migration(tmp_path):
    config = type("Fresh", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}"})
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade(revision="9b16570b9053")
        with db.engine.begin() as connection:
            for n in range(5):
                connection.execute(sa.text(
                    "INSERT INTO audit_entries (created_at, action, details) "
                    "VALUES (:at, 'territory.commune_changed', :d)"),
                    {"at": datetime(2026, 3, n + 1, 9, 30, 15, 123456, tzinfo=UTC)
                     .replace(tzinfo=None), "d": '{"commune": "Marck é"}'})
        flask_migrate.upgrade()
        reports = {r.chain: r for r in chain.verify_all()}
        assert reports["audit"].intact and reports["audit"].entries == 5
        assert all(r.intact for r in reports.values())
        db.session.execute(sa.text("UPDATE audit_entries SET details = '{}' WHERE id = 3"))
        assert "audit_entries id 3 " in chain.verify("audit").problem
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
