"""Account pages through HTTP, including what is refused."""

import json
import re

import pytest
import sqlalchemy as sa

from participation.accounts.models import User
from participation.core.audit import AuditEntry
from participation.extensions import db
from tests import factories
from tests.factories import PASSWORD


def _calais_id():
    return str(factories._commune("Calais").id)


def _register_form(**overrides):
    data = {"pseudonym": "Nora", "email": "nora@example.org", "password": PASSWORD,
            "commune": _calais_id(), "birth_year": "1992", "consent": "y"}
    data.update(overrides)
    return data


def _link_in(message):
    return re.search(r"http://localhost(/\S+)", message.body_text).group(1)


def test_register_then_confirm_logs_in(client, outbox):
    response = client.post("/inscription", data=_register_form())
    assert response.status_code == 302
    assert "/inscription/verifiez-vos-emails" in response.location
    [mail] = outbox("nora@example.org")
    response = client.get(_link_in(mail), follow_redirects=True)
    assert response.status_code == 200
    assert "Nora" in response.text
    user = db.session.scalar(sa.select(User).where(User.email == "nora@example.org"))
    assert user.email_confirmed_at is not None and user.locale == "fr"


def test_register_with_a_known_email_shows_the_same_page(client, inhabitant):
    response = client.post("/inscription", data=_register_form(email=inhabitant.email,
                                                                pseudonym="Autre"))
    assert response.status_code == 302
    assert "/inscription/verifiez-vos-emails" in response.location


def test_register_errors_keep_what_was_typed(client):
    response = client.post("/inscription", data=_register_form(password="court", consent=""))
    assert response.status_code == 200
    assert 'value="Nora"' in response.text and 'value="nora@example.org"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert PASSWORD not in response.text and "court" not in response.text.split("<main")[1]


def test_register_with_an_invented_commune_is_refused(client):
    response = client.post("/inscription", data=_register_form(commune="9999"))
    assert response.status_code == 200
    assert db.session.scalar(sa.select(User).where(User.pseudonym == "Nora")) is None


def test_register_other_commune(client):
    client.post("/inscription", data=_register_form(commune="other"))
    user = db.session.scalar(sa.select(User).where(User.pseudonym == "Nora"))
    assert user.commune is None


def test_login_changes_the_session_and_logout_ends_it(client, inhabitant):
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
    response = client.post("/connexion", data={"login": inhabitant.email, "password": PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s["_user_id"] == inhabitant.session_token
    assert client.get("/compte").status_code == 200
    client.post("/deconnexion")
    assert client.get("/compte").status_code == 302


def test_remember_me_sets_a_lasting_cookie(client, inhabitant):
    client.post("/connexion", data={"login": inhabitant.email, "password": PASSWORD,
                                    "remember": "y"})
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.expires is not None and cookie.http_only


def test_login_failure_reveals_nothing(client, inhabitant):
    wrong = client.post("/connexion", data={"login": inhabitant.email, "password": "x" * 12})
    unknown = client.post("/connexion", data={"login": "ghost@example.org", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 200
    message = re.compile(r'<div class="form-errors".*?</div>', re.S)
    assert message.search(wrong.text).group(0) == message.search(unknown.text).group(0)


def test_login_next_must_stay_on_the_site(client, inhabitant):
    response = client.post("/connexion?next=//evil.example/", data={
        "login": inhabitant.email, "password": PASSWORD})
    assert response.location == "/"
    client.post("/deconnexion")
    response = client.post("/connexion?next=/compte/profil", data={
        "login": inhabitant.email, "password": PASSWORD})
    assert response.location == "/compte/profil"


def test_login_is_rate_limited_per_account_and_address(client, inhabitant, admin):
    for _ in range(10):
        client.post("/connexion", data={"login": inhabitant.email, "password": "x" * 12})
    blocked = client.post("/connexion", data={"login": inhabitant.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.text or "Too many attempts" in blocked.text
    # Someone else on the same shared connection (a centre's public computer) still gets in.
    other = client.post("/connexion", data={"login": admin.email, "password": PASSWORD})
    assert other.status_code == 302


def test_password_reset_flow(client, inhabitant, outbox):
    response = client.post("/mot-de-passe-oublie", data={"email": inhabitant.email})
    assert response.status_code == 302
    unknown = client.post("/mot-de-passe-oublie", data={"email": "ghost@example.org"})
    assert unknown.status_code == 302  # same answer
    link = _link_in(outbox(inhabitant.email)[-1])
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "une nouvelle phrase secrète"})
    assert response.status_code == 302
    client.post("/deconnexion")
    assert client.get(link).status_code == 302  # used: back to the request form


def test_a_password_change_logs_out_other_devices(app, client, inhabitant, login):
    other_device = app.test_client()
    with other_device.session_transaction() as s:
        s["_user_id"] = inhabitant.session_token
    login(inhabitant)
    client.post("/compte/mot-de-passe", data={"current_password": PASSWORD,
                                              "password": "une nouvelle phrase secrète"})
    assert client.get("/compte").status_code == 200
    assert other_device.get("/compte").status_code == 302


def test_change_email_sends_a_link(client, inhabitant, login, outbox):
    login(inhabitant)
    response = client.post("/compte/email", data={"email": "neuf@example.org",
                                                  "password": PASSWORD})
    assert response.status_code == 302
    client.get(_link_in(outbox("neuf@example.org")[-1]))
    db.session.refresh(inhabitant)
    assert inhabitant.email == "neuf@example.org"


def test_profile_update(client, inhabitant, login):
    login(inhabitant)
    page = client.get("/compte/profil")
    assert 'value="Inès"' in page.text
    client.post("/compte/profil", data={"pseudonym": "Inès B", "commune": "other",
                                        "birth_year": ""})
    db.session.refresh(inhabitant)
    assert inhabitant.pseudonym == "Inès B" and inhabitant.commune is None


def test_language_is_remembered_for_the_person(client, inhabitant, login):
    assert 'lang="fr"' in client.get("/").text
    login(inhabitant)
    response = client.post("/langue", data={"language": "en", "next": "/compte"})
    assert response.location == "/compte"
    db.session.refresh(inhabitant)
    assert inhabitant.locale == "en"
    assert 'lang="en"' in client.get("/compte").text
    assert "My account" in client.get("/compte").text


def test_language_switch_for_visitors_is_kept_in_the_session(client):
    client.post("/langue", data={"language": "en"})
    assert 'lang="en"' in client.get("/connexion").text
    client.post("/langue", data={"language": "xx"})
    assert 'lang="en"' in client.get("/connexion").text


def test_download_my_data(client, verified, login):
    login(verified)
    response = client.get("/compte/mes-donnees.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["pseudonym"] == "Vérifiée"
    assert data["residence_verifications"]


def test_my_data_needs_login(client):
    response = client.get("/compte/mes-donnees.json")
    assert response.status_code == 302 and "/connexion" in response.location


def test_delete_my_account(client, inhabitant, login):
    login(inhabitant)
    refused = client.post("/compte/supprimer", data={"password": "wrong", "confirm": "y"})
    assert refused.status_code == 400
    response = client.post("/compte/supprimer", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    db.session.refresh(inhabitant)
    assert inhabitant.deleted_at is not None and inhabitant.email is None
    assert client.get("/compte").status_code == 302


# --- Front desk ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/accueil", "/accueil/compte-accompagne"])
def test_front_desk_is_for_staff(client, login, inhabitant, animator, path):
    assert client.get(path).status_code == 302  # anonymous: to the login page
    login(inhabitant)
    assert client.get(path).status_code == 403
    login(animator)
    assert client.get(path).status_code == 200


def test_animator_verifies_a_residence(client, login, animator, matisse, inhabitant):
    login(animator)
    found = client.get("/accueil?q=ines")
    assert "Inès" in found.text
    response = client.post(f"/accueil/habitant/{inhabitant.id}/verifier", data={
        "commune": _calais_id(), "centre": str(matisse.id), "seen": "y"})
    assert response.status_code == 302
    db.session.refresh(inhabitant)
    assert inhabitant.is_verified()


def test_animator_cannot_verify_for_another_centre(client, login, animator, espace_fort,
                                                   inhabitant):
    login(animator)
    response = client.post(f"/accueil/habitant/{inhabitant.id}/verifier", data={
        "commune": _calais_id(), "centre": str(espace_fort.id), "seen": "y"})
    assert response.status_code == 200  # the choice is not offered: the form says so
    db.session.refresh(inhabitant)
    assert not inhabitant.is_verified()


def test_verify_unknown_person_is_404(client, login, animator):
    login(animator)
    assert client.get("/accueil/habitant/999999/verifier").status_code == 404


def test_assisted_account_prints_a_code(client, login, animator, matisse):
    login(animator)
    response = client.post("/accueil/compte-accompagne", data={
        "pseudonym": "Marcel", "commune": _calais_id(), "birth_year": "1948",
        "centre": str(matisse.id), "consent": "y"})
    assert response.status_code == 200
    code = re.search(r'class="code">([A-Z0-9-]+)<', response.text).group(1)
    marcel = db.session.scalar(sa.select(User).where(User.pseudonym == "Marcel"))
    assert marcel.assisted_by == animator
    # The person later chooses a password with the printed code.
    client.post("/deconnexion")
    response = client.post("/code", data={"pseudonym": "Marcel", "code": code,
                                          "password": "une phrase pour marcel"})
    assert response.status_code == 302
    assert client.get("/compte").status_code == 200


def test_new_code_for_an_assisted_account_is_logged(client, login, animator, matisse):
    from participation.accounts.services import create_assisted_account
    from participation.core.models import utcnow

    person, _ = create_assisted_account(animator, pseudonym="Gisèle", commune=None,
                                        birth_year=None, centre=matisse, now=utcnow())
    db.session.commit()
    login(animator)
    assert client.post(f"/accueil/habitant/{person.id}/code").status_code == 200
    actions = db.session.scalars(sa.select(AuditEntry.action)
                                 .where(AuditEntry.subject_id == person.id)).all()
    assert actions.count("account.setup_code_issued") == 2


# --- Roles ---------------------------------------------------------------------------------

def test_roles_page_is_for_admins(client, login, animator, admin):
    assert client.get("/admin/roles").status_code == 302
    login(animator)
    assert client.get("/admin/roles").status_code == 403
    assert "Accès refusé" in client.get("/admin/roles").text or "Access refused" in \
        client.get("/admin/roles").text
    login(admin)
    assert client.get("/admin/roles").status_code == 200


def test_admin_grants_and_revokes_a_role(client, login, admin, inhabitant, matisse):
    login(admin)
    response = client.post("/admin/roles", data={"person": "Inès", "organisation": matisse.id,
                                                 "kind": "animator"})
    assert response.status_code == 302
    db.session.refresh(inhabitant)
    [role] = inhabitant.roles
    assert client.post(f"/admin/roles/{role.id}/retirer").status_code == 302
    db.session.refresh(inhabitant)
    assert inhabitant.roles == []
    assert client.get("/admin/journal").status_code == 200


def test_grant_to_nobody_says_so(client, login, admin, matisse):
    login(admin)
    response = client.post("/admin/roles", data={"person": "personne", "organisation":
                                                 matisse.id, "kind": "animator"})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.text
