"""Abuse: every door that writes has a rate limit with a clear 429 page, and nobody learns
who has an account by knocking at registration, login or password reset."""

import re
from datetime import timedelta

import pytest

from participation.accounts import services as accounts
from participation.core.models import utcnow
from participation.extensions import db
from tests import factories
from tests.consultations.helpers import make_consultation


def _limited_doors(ids):
    """(who, path, how many POSTs pass) for every rate-limited form."""
    return [
        ("anonymous", "/connexion", 10),
        ("anonymous", "/inscription", 5),
        ("anonymous", "/mot-de-passe-oublie", 5),
        ("anonymous", "/code", 5),
        ("anonymous", "/mot-de-passe/forged.token", 20),
        ("inhabitant", "/propositions/nouvelle", 10),
        ("animator", f"/accueil/habitant/{ids['inhabitant']}/proposition", 60),
        ("inhabitant", f"/propositions/{ids['proposal']}/commentaires", 20),
        ("inhabitant", f"/propositions/{ids['proposal']}/commentaires/{ids['comment']}/modifier",
         20),
        ("inhabitant", f"/propositions/{ids['proposal']}/signaler", 30),
        ("inhabitant", f"/propositions/{ids['proposal']}/soutien", 60),
        ("inhabitant", f"/consultations/{ids['consultation']}/voter", 30),
        ("inhabitant", f"/consultations/{ids['consultation']}/voter/confirmer", 30),
        ("inhabitant", f"/projets/{ids['project']}/inscription", 30),
        ("inhabitant", f"/projets/{ids['project']}/aider", 20),
        # Two-step verification: codes typed at login (between password and code), and
        # turning it off (password and code again).
        ("pending animator", "/connexion/code", 5),
        ("animator", "/compte/securite/desactiver", 10),
    ]


@pytest.fixture
def targets(session, inhabitant, animator):
    from participation.proposals import services as proposals
    from tests.projects.helpers import make_project

    now = utcnow()
    proposal = factories.proposal(animator, moderator=animator)
    comment = proposals.add_comment(inhabitant, proposal, "Bonne idée.", now)
    db.session.commit()
    return {
        "inhabitant": inhabitant.id, "proposal": proposal.id, "comment": comment.id,
        "consultation": make_consultation(animator, now - timedelta(days=2)).id,
        "project": make_project(animator, now - timedelta(days=2)).id,
    }


@pytest.mark.parametrize("door", range(17))
def test_every_writing_door_is_rate_limited(client, login, request, targets, door):
    who, path, passing = _limited_doors(targets)[door]
    if who.startswith("pending "):  # has typed the right password, not the code yet
        person = request.getfixturevalue(who.split()[1])
        factories.with_two_factor(person)
        response = client.post("/connexion", data={"login": person.email,
                                                   "password": factories.PASSWORD})
        assert response.location == "/connexion/code"
    elif who != "anonymous":
        person = login(request.getfixturevalue(who))
        if path.startswith("/compte/securite"):
            factories.with_two_factor(person)
    for _ in range(passing):
        assert client.post(path, data={}).status_code != 429, path
    blocked = client.post(path, data={})
    assert blocked.status_code == 429, path
    assert "Trop de tentatives" in blocked.text
    assert "Attendez quelques minutes" in blocked.text


def test_an_oversized_form_does_not_wipe_the_counts(app, client, monkeypatch):
    """Flask-Limiter takes an error while it counts for its storage being down, and goes on
    with fresh counters in memory: reading a too large form there must not raise."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    for _ in range(5):
        client.post("/mot-de-passe-oublie", data={})
    for path in ("/connexion", "/inscription"):
        assert client.post(path, data={"login": "x" * 2000}).status_code == 413
    assert client.post("/mot-de-passe-oublie", data={}).status_code == 429


def test_the_429_page_speaks_english_too(client):
    client.post("/langue", data={"language": "en"})
    for _ in range(5):
        client.post("/mot-de-passe-oublie", data={})
    blocked = client.post("/mot-de-passe-oublie", data={})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.text and 'lang="en"' in blocked.text


def test_a_limit_counts_per_person_not_per_shared_computer(app, client, login, targets,
                                                           inhabitant, verified):
    """Two people on a centre's public computer (one address) each have their own count."""
    path = f"/propositions/{targets['proposal']}/commentaires"
    login(inhabitant)
    for _ in range(20):
        client.post(path, data={})
    assert client.post(path, data={}).status_code == 429
    login(verified)
    assert client.post(path, data={}).status_code != 429


@pytest.fixture
def hashing(monkeypatch):
    """Counts the password hashes computed and checked by the accounts services."""
    calls = {"made": 0, "checked": 0}
    make, check = accounts.generate_password_hash, accounts.check_password_hash

    def counted_make(password, *args, **kwargs):
        calls["made"] += 1
        return make(password, *args, **kwargs)

    def counted_check(pwhash, password):
        calls["checked"] += 1
        return check(pwhash, password)

    monkeypatch.setattr(accounts, "generate_password_hash", counted_make)
    monkeypatch.setattr(accounts, "check_password_hash", counted_check)
    return calls


def _page_message(response):
    found = re.search(r'<div class="form-errors".*?</div>', response.text, re.S)
    return found.group(0) if found else None


def test_login_spends_one_hash_whether_the_account_exists_or_not(client, hashing,
                                                                 inhabitant, animator,
                                                                 matisse):
    assisted, _code = accounts.create_assisted_account(
        animator, pseudonym="Sans Mot", commune=None, birth_year=None, centre=matisse,
        now=utcnow())
    db.session.commit()
    answers = []
    for login_value in (inhabitant.email, "personne@example.org", inhabitant.pseudonym,
                        "Pseudo Inconnu", assisted.pseudonym):
        hashing["checked"] = 0
        response = client.post("/connexion", data={"login": login_value,
                                                   "password": "un mauvais mot de passe"})
        assert hashing["checked"] == 1, login_value
        answers.append((response.status_code, _page_message(response)))
    assert len(set(answers)) == 1 and answers[0][1]


def test_registration_answers_the_same_for_a_known_email(client, hashing, inhabitant,
                                                         outbox):
    def register(email, pseudonym):
        hashing["made"] = 0
        response = client.post("/inscription", data={
            "pseudonym": pseudonym, "email": email, "password": "une phrase assez longue",
            "commune": str(inhabitant.commune_id), "consent": "y"})
        return response, hashing["made"]

    new, new_hashes = register("nouvelle.personne@example.org", "Nouvelle Personne")
    known, known_hashes = register(inhabitant.email, "Autre Pseudo")
    assert new.status_code == known.status_code == 302
    assert new.location.split("?")[0] == known.location.split("?")[0]
    assert new_hashes == known_hashes == 1
    # The owner of the known address is told, by email only.
    assert outbox(inhabitant.email)


def test_password_reset_answers_the_same_for_an_unknown_email(client, inhabitant):
    known = client.post("/mot-de-passe-oublie", data={"email": inhabitant.email},
                        follow_redirects=True)
    unknown = client.post("/mot-de-passe-oublie", data={"email": "personne@example.org"},
                          follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(inhabitant.email, "") == unknown.text.replace(
        "personne@example.org", "")


def test_a_setup_code_spends_one_hash_whether_the_pseudonym_has_one_or_not(
        client, hashing, inhabitant, animator, matisse):
    assisted, _code = accounts.create_assisted_account(
        animator, pseudonym="Avec Code", commune=None, birth_year=None, centre=matisse,
        now=utcnow())
    db.session.commit()
    answers = []
    for pseudonym in ("Avec Code", inhabitant.pseudonym, "Personne De Ce Nom"):
        hashing["checked"] = 0
        response = client.post("/code", data={"pseudonym": pseudonym, "code": "AAAA-BBBB-CCCC",
                                               "password": "une phrase assez longue"})
        assert hashing["checked"] == 1, pseudonym
        answers.append((response.status_code, _page_message(response)))
    assert len(set(answers)) == 1 and answers[0][1]


def test_no_route_limits_reading(app):
    """The limiter skips GET, HEAD and OPTIONS requests (participation/extensions.py): a
    limit on reading would never apply, so none may be set."""
    from flask_limiter.util import get_qualified_name

    from participation.extensions import limiter

    limited = limiter.limit_manager._decorated_limits  # view's qualified name -> its limits
    assert limited, "no limits found: has Flask-Limiter changed where it keeps them?"
    endpoints = {get_qualified_name(view): endpoint
                 for endpoint, view in app.view_functions.items()}
    assert set(limited) <= set(endpoints)
    for name, limits in limited.items():
        reads = any("GET" in rule.methods for rule in app.url_map.iter_rules()
                    if rule.endpoint == endpoints[name])
        for limit in limits:
            methods = {m.upper() for m in limit.methods or ("GET", "POST")}
            assert not (reads and "GET" in methods), (
                f"{endpoints[name]} limits reading ({limit.limit_provider}): limit POST only")
