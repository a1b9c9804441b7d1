"""Test fixtures: one app and schema per run, each test in a transaction rolled back.

The schema is built by running the Alembic migrations, so every run also
proves that they work on the database in use (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set).
"""

import os
from datetime import UTC, datetime

import flask_migrate
import hypothesis
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from participation import create_app
from participation.config import TestConfig
from participation.extensions import db, limiter
from tests import factories

# Hypothesis judges tests by the clock too (deadline, "input generation is slow"); on a
# busy shared machine that fails tests that are right. Tests never assert wall-clock times.
hypothesis.settings.register_profile(
    "participation", deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.load_profile("participation")


def pytest_collection_modifyitems(items):
    # Browser tests commit for real (a server thread serves them): run them last.
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))
    # Slow tests (marked ``slow``) run in CI, or anywhere with RUN_SLOW=1.
    if os.environ.get("CI") != "true" and not os.environ.get("RUN_SLOW"):
        skip = pytest.mark.skip(reason="slow: runs with CI=true or RUN_SLOW=1")
        for item in items:
            if item.get_closest_marker("slow"):
                item.add_marker(skip)


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    config = type("RunConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
    })
    app = create_app(config)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        flask_migrate.upgrade()
    return app


@pytest.fixture
def session(app):
    """A database session whose work is rolled back after the test.

    Commits (by the test or the views) only release a savepoint; the outer
    transaction is rolled back at the end. Test data must be committed, since
    each request ends its session.
    """
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # One session per app context, as Flask-SQLAlchemy does: each request has
        # its own, the test body keeps its own; all share the one connection.
        db.session = scoped_session(sessionmaker(
            bind=connection, class_=Session, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id)
        limiter.reset()
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (and so its own ``g``), as in production,
    even though the test itself holds one open for its database work."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def app_like(app, versions_folder, **settings):
    """Another app on the test app's database, with ``settings`` (a cache on, say) and
    its versions in a folder of its own."""
    made = create_app(type("Like", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "PAGE_CACHE_VERSION_URL": str(versions_folder / "content-version"), **settings}))
    made.test_client_class = FreshContextClient
    return made


@pytest.fixture
def client(app, session):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def login(client):
    """Log ``user`` in on the test client without going through the (slow) form."""

    def do_login(user):
        from tests.factories import sign_in

        with client.session_transaction() as flask_session:
            sign_in(flask_session, user)
        return user

    return do_login


@pytest.fixture
def statements(session):
    """Every SQL statement sent during the test, by any app's engine (an app with caches
    on, made by the test, has its own)."""
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    yield seen
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)


@pytest.fixture
def now():
    return datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _centre(name):
    from participation.territory.models import Centre

    return db.session.scalar(sa.select(Centre).where(Centre.short_name == name))


# The cast: one person per role, as in ARCHITECTURE.md.
@pytest.fixture
def inhabitant(session):
    return factories.UserFactory(pseudonym="Inès")


@pytest.fixture
def verified(session, animator):
    from participation.accounts.services import verify_residence
    from participation.core.models import utcnow

    user = factories.UserFactory(pseudonym="Vérifiée")
    verify_residence(animator, user, _centre("Matisse"), user.commune, utcnow())
    db.session.commit()
    return user


@pytest.fixture
def matisse(session):
    return _centre("Matisse")


@pytest.fixture
def espace_fort(session):
    return _centre("Espace Fort")


@pytest.fixture
def animator(session, matisse):
    return factories.staff("animator", matisse, pseudonym="Anim Matisse")


@pytest.fixture
def other_animator(session, espace_fort):
    return factories.staff("animator", espace_fort, pseudonym="Anim Fort")


@pytest.fixture
def director(session):
    return factories.staff("director", _centre("Jacques Yves Cousteau"), pseudonym="Dir")


@pytest.fixture
def president(session, espace_fort):
    return factories.staff("president", espace_fort, pseudonym="Prés")


@pytest.fixture
def federal_delegate(session):
    from participation.territory.models import Federation

    return factories.staff("federal_delegate", db.session.scalar(sa.select(Federation)),
                           pseudonym="Délégué")


@pytest.fixture
def admin(session):
    return factories.UserFactory(pseudonym="Admin", is_admin=True)


@pytest.fixture
def outbox(session):
    """The emails queued so far, newest last."""
    from participation.core.mail import OutboxMessage

    def read(recipient=None):
        query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient:
            query = query.where(OutboxMessage.recipient == recipient)
        return list(db.session.scalars(query))

    return read
