"""Staff accounts through HTTP: the code step of the login, admins' set-up, idle staff
sessions, "stay logged in" for staff, and the password asked again before a change."""

import re
from datetime import timedelta

import pyotp
import sqlalchemy as sa

from participation.accounts.models import Role
from participation.core.audit import AuditEntry
from participation.core.models import utcnow
from participation.extensions import db
from tests import factories
from tests.factories import PASSWORD


def _code(secret, shift=0):
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30 * shift))


def _logged_in(client):
    return client.get("/compte").status_code == 200


def _password_step(client, user, **extra):
    return client.post("/connexion", data={"login": user.email, "password": PASSWORD,
                                           **extra})


def test_login_with_two_factor_asks_the_code_before_logging_in(client, animator):
    secret, _ = factories.with_two_factor(animator)
    response = _password_step(client, animator)
    assert response.location == "/connexion/code"
    assert not _logged_in(client)  # the password alone opens nothing
    with client.session_transaction() as s:
        assert "_user_id" not in s
    wrong = client.post("/connexion/code", data={"code": "000000"})
    assert wrong.status_code == 200 and 'aria-invalid="true"' in wrong.text
    assert not _logged_in(client)
    response = client.post("/connexion/code", data={"code": _code(secret)})
    assert response.status_code == 302 and response.location == "/"
    assert _logged_in(client)


def test_a_used_code_cannot_log_in_again(client, animator):
    secret, _ = factories.with_two_factor(animator)
    code = _code(secret)
    _password_step(client, animator)
    client.post("/connexion/code", data={"code": code})
    client.post("/deconnexion")
    _password_step(client, animator)
    replay = client.post("/connexion/code", data={"code": code})
    assert replay.status_code == 200 and not _logged_in(client)


def test_the_code_step_keeps_where_the_person_was_going(client, animator):
    secret, _ = factories.with_two_factor(animator)
    client.post("/connexion?next=/compte/profil", data={"login": animator.email,
                                                        "password": PASSWORD})
    response = client.post("/connexion/code", data={"code": _code(secret)})
    assert response.location == "/compte/profil"


def test_the_code_step_expires_and_needs_the_password_first(client, animator):
    secret, _ = factories.with_two_factor(animator)
    assert client.get("/connexion/code").location.startswith("/connexion")
    _password_step(client, animator)
    with client.session_transaction() as s:
        s["pending_login"]["at"] -= 6 * 60
        s.modified = True
    response = client.post("/connexion/code", data={"code": _code(secret)})
    assert response.status_code == 302 and response.location.startswith("/connexion")
    assert not _logged_in(client)


def test_code_attempts_are_rate_limited(client, animator):
    secret, _ = factories.with_two_factor(animator)
    _password_step(client, animator)
    for _ in range(5):
        client.post("/connexion/code", data={"code": "123456"})
    blocked = client.post("/connexion/code", data={"code": _code(secret)})
    assert blocked.status_code == 429
    assert not _logged_in(client)


def test_a_recovery_code_logs_in_once_and_is_logged(client, animator):
    _, codes = factories.with_two_factor(animator)
    _password_step(client, animator)
    assert client.post("/connexion/code", data={"code": codes[0]}).status_code == 302
    assert _logged_in(client)
    client.post("/deconnexion")
    _password_step(client, animator)
    assert client.post("/connexion/code", data={"code": codes[0]}).status_code == 200
    actions = db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.subject_id == animator.id))
    assert "account.recovery_code_used" in list(actions)


def test_a_password_reset_does_not_skip_the_code(client, animator, outbox):
    secret, _ = factories.with_two_factor(animator)
    client.post("/mot-de-passe-oublie", data={"email": animator.email})
    link = re.search(r"http://localhost(/\S+)", outbox(animator.email)[-1].body_text).group(1)
    response = client.post(link, data={"password": "une nouvelle phrase secrète"})
    assert response.location == "/connexion/code"
    assert not _logged_in(client)
    client.post("/connexion/code", data={"code": _code(secret)})
    assert _logged_in(client)


def test_an_admin_without_two_factor_sets_it_up_before_anything_else(client, admin):
    response = _password_step(client, admin)
    assert response.status_code == 302
    for path in ("/", "/admin/roles", "/compte"):
        response = client.get(path)
        assert response.status_code == 302 and response.location == "/compte/securite/activer"
    page = client.get("/compte/securite/activer")
    assert page.status_code == 200 and "<svg" in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    response = client.post("/compte/securite/activer", data={"code": _code(secret)})
    assert response.status_code == 200
    codes = re.findall(r'<span class="code">([A-Z0-9]{4}-[A-Z0-9]{4})</span>', response.text)
    assert len(codes) == 10
    assert client.get("/admin/roles").status_code == 200
    # Next time: password, then code.
    client.post("/deconnexion")
    assert _password_step(client, admin).location == "/connexion/code"
    client.post("/connexion/code", data={"code": codes[3]})
    assert client.get("/admin/roles").status_code == 200


def test_an_admin_session_without_the_second_step_is_ended(client, admin):
    factories.with_two_factor(admin)
    with client.session_transaction() as s:
        s["_user_id"] = admin.session_token
        s["last_seen"] = utcnow().timestamp()
    response = client.get("/admin/roles")
    assert response.status_code == 302 and response.location.startswith("/connexion")
    assert not _logged_in(client)


def test_staff_sessions_end_after_idle_minutes(client, login, animator):
    login(animator)
    assert client.get("/accueil").status_code == 200
    with client.session_transaction() as s:
        s["last_seen"] -= 31 * 60
    response = client.get("/accueil")
    assert response.status_code == 302
    assert response.location == "/connexion?next=/accueil"
    page = client.get(response.location)
    assert re.search(r"30\s?minutes", page.text.replace("\u00a0", " "))
    assert not _logged_in(client)


def test_staff_idle_time_is_configurable_and_activity_keeps_the_session(app, client, login,
                                                                        animator):
    login(animator)
    app.config["STAFF_IDLE_MINUTES"] = 10
    try:
        with client.session_transaction() as s:
            s["last_seen"] -= 9 * 60
        assert _logged_in(client)  # a request moves last_seen to now
        with client.session_transaction() as s:
            s["last_seen"] -= 9 * 60
        assert _logged_in(client)
        with client.session_transaction() as s:
            s["last_seen"] -= 11 * 60
        assert not _logged_in(client)
    finally:
        app.config["STAFF_IDLE_MINUTES"] = 30


def test_inhabitants_keep_their_sessions_when_idle(client, login, inhabitant):
    login(inhabitant)
    with client.session_transaction() as s:
        s["last_seen"] -= 5 * 3600
    assert _logged_in(client)


def test_stay_logged_in_is_not_given_to_staff(client, animator, inhabitant):
    _password_step(client, animator, remember="y")
    assert _logged_in(client)
    assert client.get_cookie("remember_token") is None
    client.post("/deconnexion")
    _password_step(client, inhabitant, remember="y")
    assert client.get_cookie("remember_token") is not None


def test_a_staff_session_restored_from_a_cookie_is_ended(client, inhabitant, matisse):
    _password_step(client, inhabitant, remember="y")
    db.session.add(Role(user=inhabitant, organisation=matisse, kind="animator"))
    db.session.commit()
    with client.session_transaction() as s:
        s.clear()  # the browser was closed: only the "stay logged in" cookie is left
    assert not _logged_in(client)
    assert client.get_cookie("remember_token") is None
    assert not _logged_in(client)


def _age_password(client, minutes=6):
    with client.session_transaction() as s:
        s["auth_at"] -= minutes * 60


def test_granting_a_role_asks_the_password_again_and_keeps_the_form(client, login, admin,
                                                                    inhabitant, matisse):
    login(admin)
    _age_password(client)
    form = {"person": "Inès", "organisation": str(matisse.id), "kind": "animator"}
    asked = client.post("/admin/roles", data=form)
    assert asked.status_code == 200 and 'name="reauth-password"' in asked.text
    assert 'name="person" value="Inès"' in asked.text
    assert inhabitant.roles == []
    wrong = client.post("/admin/roles", data={**form, "reauth-password": "pas le bon",
                                              "reauth-then": "do"})
    assert 'aria-invalid="true"' in wrong.text and 'value="Inès"' in wrong.text
    done = client.post("/admin/roles", data={**form, "reauth-password": PASSWORD,
                                             "reauth-then": "do"})
    assert done.status_code == 302
    db.session.refresh(inhabitant)
    assert [r.kind for r in inhabitant.roles] == ["animator"]
    # Typed a moment ago: the next change goes straight through.
    role = inhabitant.roles[0]
    assert client.post(f"/admin/roles/{role.id}/retirer").status_code == 302


def test_the_permission_is_checked_before_the_password(client, login, animator, matisse):
    login(animator)
    _age_password(client)
    response = client.post("/admin/roles", data={"person": "x", "organisation": matisse.id,
                                                 "kind": "animator"})
    assert response.status_code == 403


def test_five_wrong_passwords_end_the_session(client, login, admin):
    login(admin)
    _age_password(client)
    for _ in range(5):
        client.post("/compte/securite/activer", data={"reauth-password": "non",
                                                      "reauth-then": "show"})
    assert not _logged_in(client)


def test_setting_up_asks_the_password_again_then_shows_the_page(client, login, animator):
    login(animator)
    _age_password(client)
    asked = client.get("/compte/securite/activer")
    assert 'name="reauth-password"' in asked.text and "<svg" not in asked.text
    response = client.post("/compte/securite/activer", data={"reauth-password": PASSWORD,
                                                             "reauth-then": "show"})
    assert response.status_code == 302 and response.location == "/compte/securite/activer"
    assert "<svg" in client.get("/compte/securite/activer").text


def test_turning_off_and_new_codes_through_the_security_page(client, login, animator):
    secret, codes = factories.with_two_factor(animator)
    login(animator)
    page = client.get("/compte/securite")
    assert "10" in page.text
    response = client.post("/compte/securite/codes-de-secours")
    new = re.findall(r'<span class="code">([A-Z0-9]{4}-[A-Z0-9]{4})</span>', response.text)
    assert len(new) == 10 and not set(new) & set(codes)
    refused = client.post("/compte/securite/desactiver",
                          data={"password": "pas le bon", "code": _code(secret)})
    assert refused.status_code == 400
    db.session.refresh(animator)
    assert animator.has_two_factor
    response = client.post("/compte/securite/desactiver",
                           data={"password": PASSWORD, "code": new[0]})
    assert response.status_code == 302
    db.session.refresh(animator)
    assert not animator.has_two_factor


def test_the_account_page_offers_two_factor_to_staff_only(client, login, animator, inhabitant):
    login(inhabitant)
    assert "/compte/securite/activer" not in client.get("/compte").text
    login(animator)
    assert "/compte/securite/activer" in client.get("/compte").text


def test_an_email_link_does_not_skip_the_code(client, animator, outbox):
    from participation.accounts import services

    factories.with_two_factor(animator)
    services.request_email_change(animator, "nouvelle.adresse@example.org", PASSWORD)
    db.session.commit()
    link = re.search(r"http://localhost(/\S+)", outbox("nouvelle.adresse@example.org")[-1]
                     .body_text).group(1)
    response = client.get(link)
    assert response.status_code == 302 and response.location == "/connexion"
    assert not _logged_in(client)
    db.session.refresh(animator)
    assert animator.email == "nouvelle.adresse@example.org"


def test_a_form_sent_after_the_idle_time_shows_back_what_was_typed(client, login, animator,
                                                                   matisse):
    login(animator)
    with client.session_transaction() as s:
        s["last_seen"] -= 31 * 60
    response = client.post("/accueil/compte-accompagne",
                           data={"pseudonym": "Gisèle", "birth_year": "1950"},
                           headers={"Referer": "http://localhost/accueil/compte-accompagne"})
    assert response.status_code == 401
    assert "Gisèle" in response.text and "1950" in response.text
    assert "/connexion?next=/accueil/compte-accompagne" in response.text
    assert not _logged_in(client)
