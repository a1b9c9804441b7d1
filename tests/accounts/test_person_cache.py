"""Logged-in people kept by each worker (participation/accounts/person_cache.py): loaded in
one statement with what the menu needs, kept between requests, and loaded again as soon as
anything about them changes."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.accounts import person_cache
from participation.accounts.models import Role, User
from participation.accounts.services import erase_account
from participation.core.models import utcnow
from participation.extensions import db
from participation.notifications.services import mark_read, notify
from tests import factories
from tests.conftest import app_like


@pytest.fixture
def kept_app(app, tmp_path):
    """The test app's database, with people kept and a version file of its own."""
    return app_like(app, tmp_path, PERSON_CACHE_SECONDS=30)


def client_of(kept_app, user):
    client = kept_app.test_client()
    with client.session_transaction() as flask_session:
        factories.sign_in(flask_session, user)
    return client


def person_statements(seen):
    return [s for s in seen if "WHERE users.session_token" in s]


def as_site(kept_app, change):
    """Run ``change`` and commit, as a request of the site would."""
    with kept_app.app_context():
        change()
        db.session.commit()


def test_a_person_is_loaded_once_with_their_menu_then_kept(kept_app, inhabitant, statements):
    client = client_of(kept_app, inhabitant)
    assert "Se déconnecter" in client.get("/compte").text
    # One statement for the person, their roles, unread count and seat in the Conseil.
    assert len(person_statements(statements)) == 1
    assert not [s for s in statements if "FROM notifications" in s.split("\n")[0]
                or s.lstrip().startswith("SELECT council_mandates")]
    statements.clear()
    assert "Se déconnecter" in client.get("/compte").text
    assert person_statements(statements) == []


def test_a_deleted_account_is_logged_out_on_its_next_request(kept_app, inhabitant):
    client = client_of(kept_app, inhabitant)
    assert client.get("/compte").status_code == 200

    # Erased elsewhere, say by the retention rule run by another process.
    as_site(kept_app, lambda: erase_account(db.session.get(User, inhabitant.id), utcnow(),
                                            "inactive"))
    assert client.get("/compte").status_code in (302, 401)


def test_a_new_password_ends_every_kept_session(kept_app, inhabitant):
    client = client_of(kept_app, inhabitant)
    assert client.get("/compte").status_code == 200

    def new_token():
        from participation.accounts.models import new_session_token

        db.session.get(User, inhabitant.id).session_token = new_session_token()

    as_site(kept_app, new_token)
    assert client.get("/compte").status_code in (302, 401)


def test_a_role_taken_away_leaves_the_menu_at_once(kept_app, animator):
    client = client_of(kept_app, animator)
    assert "Modération" in client.get("/compte").text

    def revoke():
        for role in db.session.scalars(sa.select(Role).where(Role.user_id == animator.id)):
            db.session.delete(role)

    as_site(kept_app, revoke)
    assert "Modération" not in client.get("/compte").text


def test_a_new_notification_counts_at_once_and_reading_it_too(kept_app, inhabitant):
    client = client_of(kept_app, inhabitant)
    assert 'class="count"' not in client.get("/compte").text
    as_site(kept_app, lambda: notify([db.session.get(User, inhabitant.id)], "my_proposals",
                                     "proposal.published", "/", title="Un banc"))
    assert 'class="count">1<' in client.get("/compte").text
    as_site(kept_app, lambda: mark_read(db.session.get(User, inhabitant.id)))
    assert 'class="count"' not in client.get("/compte").text


def test_a_representative_sees_the_results_at_once(kept_app, inhabitant, president, admin,
                                                   espace_fort):
    from participation.council import services as council
    from participation.council.models import COUNCIL

    client = client_of(kept_app, inhabitant)
    assert 'href="/resultats"' not in client.get("/compte").text
    today = council.paris_today(utcnow())
    as_site(kept_app, lambda: council.name_representative(
        db.session.get(User, admin.id), council.get_body(COUNCIL),
        db.session.get(type(espace_fort), espace_fort.id), "president",
        db.session.get(User, inhabitant.id), today - timedelta(days=1), None))
    assert 'href="/resultats"' in client.get("/compte").text


def test_changes_elsewhere_keep_the_people(kept_app, inhabitant, statements):
    from participation.territory.models import Commune

    client = client_of(kept_app, inhabitant)
    client.get("/compte")

    def count_people():
        db.session.scalar(sa.select(Commune).where(Commune.name == "Marck")).population = 10_000

    as_site(kept_app, count_people)
    statements.clear()
    client.get("/compte")
    assert person_statements(statements) == []


def test_people_older_than_the_limit_are_loaded_again(kept_app, inhabitant, statements):
    cache = kept_app.extensions["person_cache"]
    client = client_of(kept_app, inhabitant)
    client.get("/compte")
    for token, (version, kept_at, copy, facts) in list(cache.people.items()):
        cache.people[token] = (version, kept_at - cache.seconds - 1, copy, facts)
    statements.clear()
    client.get("/compte")
    assert len(person_statements(statements)) == 1


def test_an_unknown_version_means_loading_every_time(kept_app, inhabitant, statements,
                                                     monkeypatch):
    cache = kept_app.extensions["person_cache"]
    monkeypatch.setattr(cache.version, "current", lambda: None)  # Redis down, say
    client = client_of(kept_app, inhabitant)
    client.get("/compte")
    statements.clear()
    assert "Se déconnecter" in client.get("/compte").text
    assert len(person_statements(statements)) == 1


def test_a_request_works_on_its_own_copy(kept_app, inhabitant):
    """What a request changes of the person is written as usual, never into the kept copy
    (which the commit then makes out of date anyway)."""
    client = client_of(kept_app, inhabitant)
    client.get("/compte")
    kept = next(iter(kept_app.extensions["person_cache"].people.values()))[2]
    assert sa.inspect(kept).detached
    response = client.post("/langue", data={"language": "en", "next": "/compte"})
    assert response.status_code == 302
    assert kept.locale == "fr"
    assert '<html lang="en">' in client.get("/compte").text
    with kept_app.app_context():
        assert db.session.get(User, inhabitant.id).locale == "en"


def test_a_fact_found_after_writing_the_people_tables_is_not_kept(kept_app, inhabitant):
    with kept_app.test_request_context("/"):
        person_cache.load_person(inhabitant.session_token)
        from flask import g

        facts = g.person_facts
        assert facts["unread"] == 0
        notify([db.session.get(User, inhabitant.id)], "my_proposals", "proposal.published", "/",
               title="Un banc")
        db.session.flush()
        assert person_cache.remember("unread", lambda: 1) == 1  # computed, not the kept 0
        assert facts["unread"] == 0
        db.session.rollback()


def test_a_worker_keeps_a_bounded_number_of_people(kept_app, session, monkeypatch):
    monkeypatch.setattr(person_cache, "MAX_PEOPLE", 2)
    people = [factories.UserFactory() for _ in range(3)]
    for person in people:
        client_of(kept_app, person).get("/compte")
    assert list(kept_app.extensions["person_cache"].people) == [p.session_token
                                                                for p in people[1:]]


def test_kept_copies_hold_no_secret(kept_app, inhabitant):
    client = client_of(kept_app, inhabitant)
    client.get("/compte")
    kept = next(iter(kept_app.extensions["person_cache"].people.values()))[2]
    assert {"password_hash", "totp_secret", "setup_code_hash"} <= sa.inspect(kept).unloaded
