"""Visitors' pages kept ready (participation/core/page_cache.py): served without a query,
never personal, and rendered again as soon as the data changes."""

import os

import pytest
from flask import render_template_string

from participation import create_app
from participation.accounts.models import User
from participation.config import TestConfig
from participation.core import page_cache
from participation.extensions import db
from tests import factories
from tests.conftest import app_like


@pytest.fixture
def cached_app(app, tmp_path):
    """The test app's database, with the cache on (the suite runs with it off)."""
    cached = app_like(app, tmp_path, PAGE_CACHE_SECONDS=30)
    calls = cached.config["FORM_PAGE_CALLS"] = []

    @cached.get("/essai-formulaire")
    @page_cache.for_visitors
    def form_page():
        calls.append(1)
        return render_template_string("<p>{{ csrf_token() }}</p>")

    return cached


@pytest.fixture
def visitor(cached_app, session):
    return cached_app.test_client()


def proposal_by(author, title):
    return factories.proposal(author, title=title)


def test_a_visitor_page_is_kept_and_served_again_without_a_query(visitor, inhabitant,
                                                                 statements):
    proposal_by(inhabitant, "Un jardin partagé rue Mollien")
    first = visitor.get("/propositions")
    assert first.status_code == 200 and "Un jardin partagé rue Mollien" in first.text
    statements.clear()
    again = visitor.get("/propositions")
    assert again.text == first.text and statements == []
    # Kept pages get the same headers as live ones, and no cookie for a visitor.
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in again.headers
    assert 'name="csrf_token"' not in first.text


def test_a_change_shows_at_once(cached_app, visitor, inhabitant):
    visitor.get("/propositions")
    with cached_app.app_context():  # as a request of that site would
        proposal_by(db.session.get(User, inhabitant.id), "Des poubelles de tri au Beau-Marais")
    assert "Des poubelles de tri au Beau-Marais" in visitor.get("/propositions").text


def test_writes_to_private_tables_keep_the_pages(cached_app, visitor, inhabitant):
    from participation.notifications.models import Notification
    from participation.notifications.services import mark_read

    cache = cached_app.extensions["page_cache"]
    visitor.get("/")
    before = cache.version.current()
    with cached_app.app_context():
        db.session.add(Notification(user_id=inhabitant.id, kind="test", message="test", url="/",
                                    params={}))
        db.session.commit()
        # Written by a statement rather than an object: marking them read.
        mark_read(db.session.get(User, inhabitant.id))
        db.session.commit()
    assert cache.version.current() == before


def test_a_logged_in_person_always_gets_the_live_page(visitor, login, inhabitant):
    proposal = proposal_by(inhabitant, "Un banc devant la médiathèque")
    path = f"/propositions/{proposal.id}"
    assert "Log in to support it" in visitor.get(path).text or \
        "Connectez-vous pour la soutenir" in visitor.get(path).text
    with visitor.session_transaction() as flask_session:
        factories.sign_in(flask_session, inhabitant)
    page = visitor.get(path).text
    assert "Connectez-vous pour la soutenir" not in page and "Se déconnecter" in page


def test_each_language_has_its_page(visitor):
    french = visitor.get("/").text
    visitor.post("/langue", data={"language": "en"})
    english = visitor.get("/").text
    assert '<html lang="en">' in english and '<html lang="en">' in visitor.get("/").text
    visitor.post("/langue", data={"language": "fr"})
    assert visitor.get("/").text == french


def test_a_message_for_this_visitor_is_never_kept(visitor):
    visitor.get("/")
    with visitor.session_transaction() as flask_session:
        flask_session["_flashes"] = [("info", "Votre message est bien parti.")]
    assert "Votre message est bien parti." in visitor.get("/").text
    assert "Votre message est bien parti." not in visitor.get("/").text


def test_a_page_with_a_form_token_is_never_kept(cached_app, visitor):
    first = visitor.get("/essai-formulaire").text
    visitor.get("/essai-formulaire")
    assert len(cached_app.config["FORM_PAGE_CALLS"]) == 2
    other = cached_app.test_client().get("/essai-formulaire").text
    assert other != first  # each visitor their own token


def test_pages_older_than_the_limit_are_made_again(cached_app, visitor, statements):
    cache = cached_app.extensions["page_cache"]
    visitor.get("/")
    for key, (version, stored_at, body, mimetype) in list(cache.pages.items()):
        cache.pages[key] = (version, stored_at - cache.seconds - 1, body, mimetype)
    statements.clear()
    visitor.get("/")
    assert statements  # rendered again from the database


def test_several_servers_share_the_version_through_redis():
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/7"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (the two-server deployment's shared version)")
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "PAGE_CACHE_SECONDS": 30,
              "PAGE_CACHE_VERSION_URL": url, "RATELIMIT_KEY_PREFIX": "test-page-cache"}
    one = create_app(type("One", (TestConfig,), config)).extensions["page_cache"]
    two = create_app(type("Two", (TestConfig,), config)).extensions["page_cache"]
    before = two.version.current()
    one.version.bump()
    assert two.version.current() != before


def test_unreachable_redis_means_live_pages():
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "PAGE_CACHE_SECONDS": 30,
              "PAGE_CACHE_VERSION_URL": "redis://127.0.0.1:1/0"}
    cache = create_app(type("Down", (TestConfig,), config)).extensions["page_cache"]
    assert cache.version.current() is None  # unknown: no kept page is served
    cache.version.bump()  # logged, not raised: the write that asked for it goes on


def test_a_version_file_that_cannot_be_written_means_live_pages_not_errors(tmp_path,
                                                                            monkeypatch):
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "PAGE_CACHE_SECONDS": 30,
              "PAGE_CACHE_VERSION_URL": str(tmp_path / "content-version")}
    cache = create_app(type("Broken", (TestConfig,), config)).extensions["page_cache"]
    assert cache.version.current() is not None

    def disk_error(*args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "pwrite", disk_error)
    cache.version.bump()  # logged, not raised
    assert cache.version.current() is None  # so no kept page is served


def test_a_read_only_instance_folder_means_live_pages(tmp_path, monkeypatch):
    """As with the deploy/ units, which make the app's folder read-only (and say to put
    the versions in Redis)."""
    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", read_only)
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "PAGE_CACHE_SECONDS": 30,
              "PAGE_CACHE_VERSION_URL": str(tmp_path / "content-version")}
    cache = create_app(type("ReadOnly", (TestConfig,), config)).extensions["page_cache"]
    assert cache.version.current() is None
    cache.version.bump()  # nothing to do, no error


def test_versions_of_workers_agree_and_move(tmp_path):
    """Two workers (two apps on one version file): a change made through one is seen by
    the other; each change gives a new version."""
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "PAGE_CACHE_SECONDS": 30,
              "PAGE_CACHE_VERSION_URL": str(tmp_path / "content-version")}
    one = create_app(type("One", (TestConfig,), config)).extensions["page_cache"]
    two = create_app(type("Two", (TestConfig,), config)).extensions["page_cache"]
    seen = {two.version.current()}
    for _ in range(5):
        one.version.bump()
        assert two.version.current() == one.version.current()
        seen.add(two.version.current())
    assert len(seen) == 6


def test_a_worker_keeps_a_bounded_number_of_pages(cached_app, monkeypatch):
    """Every filter and page number is an address of its own: the least recently served
    pages go first, by count and by size."""
    cache = cached_app.extensions["page_cache"]
    monkeypatch.setattr(page_cache, "MAX_ENTRIES", 3)
    monkeypatch.setattr(page_cache, "MAX_BYTES", 215)
    version = cache.version.current()
    for i in range(5):
        cache.put(("fr", f"/p?page={i}"), version, b"x" * 10, "text/html")
    assert [k[1] for k in cache.pages] == ["/p?page=2", "/p?page=3", "/p?page=4"]
    assert cache.get(("fr", "/p?page=2"), version) is not None  # served: kept longer
    cache.put(("fr", "/big"), version, b"x" * 200, "text/html")
    assert [k[1] for k in cache.pages] == ["/p?page=2", "/big"]
    assert cache.bytes == 210
