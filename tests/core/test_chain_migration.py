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
        flask_migrate.upgrade(revision="c7f3a2e91d04")
        with db.engine.begin() as connection:
            for n in range(5):
                connection.execute(sa.text(
                    "INSERT INTO audit_entries (created_at, action, details) "
                    "VALUES (:at, 'territory.commune_changed', :d)"),
                    {"at": datetime(2026, 3, n + 1, 9, 30, 15, 123456, tzinfo=UTC)
                     .replace(tzinfo=None), "d": '{"commune": "Marck é"}'})
            # A decision that a mandate and a link point at: on SQLite the migration must
            # not rebuild its table (the rebuild fails, or cascades the links away).
            at = {"at": datetime(2026, 3, 1, 18, tzinfo=UTC).replace(tzinfo=None)}
            for statement in (
                "INSERT INTO users (id, is_admin, session_token, created_at, updated_at) "
                "VALUES (1, 0, 'token', :at, :at)",
                "INSERT INTO council_meetings (id, body_id, starts_at, duration_minutes, place, "
                "minutes_visibility, created_at, updated_at) "
                "VALUES (1, 1, :at, 120, 'Matisse', 'public', :at, :at)",
                "INSERT INTO council_decisions (id, body_id, meeting_id, year, number, title, "
                "text, votes_for, votes_against, votes_abstaining, created_at, updated_at) "
                "VALUES (1, 1, 1, 2026, 1, 'Désignation', 'Le Conseil désigne.', 9, 0, 1, "
                ":at, :at)",
                "INSERT INTO council_mandates (kind, body_id, user_id, organisation_id, seat, "
                "starts_on, year, decision_id, created_at, updated_at) VALUES ('designation', "
                "1, 1, 1, 'president', '2026-03-01', 2026, 1, :at, :at)",
                "INSERT INTO council_links (decision_id, kind, target_id) "
                "VALUES (1, 'proposal', 7)",
            ):
                connection.execute(sa.text(statement), at)
        flask_migrate.upgrade()
        reports = {r.chain: r for r in chain.verify_all()}
        assert reports["audit"].intact and reports["audit"].entries == 5
        assert reports["decisions"].intact and reports["decisions"].entries == 1
        assert db.session.execute(sa.text("SELECT count(*) FROM council_links")).scalar() == 1
        assert all(r.intact for r in reports.values())
        db.session.execute(sa.text("UPDATE audit_entries SET details = '{}' WHERE id = 3"))
        assert "audit_entries id 3 " in chain.verify("audit").problem
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
