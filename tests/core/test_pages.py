"""Base pages, error pages, headers and CSRF: what every page keeps."""

import pytest
from flask import abort

from participation import create_app
from participation.config import TestConfig
from tests.factories import PASSWORD


@pytest.mark.parametrize("path", ["/", "/centres", "/confidentialite", "/mentions-legales",
                                  "/accessibilite", "/connexion", "/inscription",
                                  "/mot-de-passe-oublie", "/code"])
def test_public_pages_in_french_and_english(client, path):
    page = client.get(path)
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert 'href="#main"' in page.text and '<main id="main"' in page.text
    client.post("/langue", data={"language": "en"})
    english = client.get(path)
    assert '<html lang="en">' in english.text
    assert english.text != page.text


def test_home_lists_the_four_centres(client):
    page = client.get("/").text
    for name in ("Espace Fort", "Jacques Yves Cousteau", "Marie Jeanne Bassot", "Matisse"):
        assert name in page


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_nor_outside_resource(client):
    page = client.get("/").text
    assert "<script" not in page
    assert "http://" not in page.replace("http://localhost", "") and "https://" not in page


def test_session_cookie_flags(client, inhabitant):
    client.post("/connexion", data={"login": inhabitant.email, "password": PASSWORD})
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure


def test_secure_cookie_when_asked(monkeypatch):
    config = type("Secure", (TestConfig,), {"SESSION_COOKIE_SECURE": True})
    assert create_app(config).config["SESSION_COOKIE_SECURE"] is True


def test_refuses_to_start_in_production_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("PARTICIPATION_ENV", raising=False)
    config = type("Prod", (TestConfig,), {"TESTING": False, "SECRET_KEY": None})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_404_in_french_and_english(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404 and "Page introuvable" in response.text
    client.post("/langue", data={"language": "en"})
    assert "Page not found" in client.get("/nulle-part").text


def test_405_has_an_explained_page(client):
    response = client.get("/deconnexion")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert '<main id="main"' in response.text


def test_413_when_too_large(client, app):
    response = client.post("/connexion", data={"login": "x" * (13 * 1024 * 1024)})
    assert response.status_code == 413
    assert '<main id="main"' in response.text


@pytest.fixture
def faulty_app():
    """An app with routes that fail, added before it serves anything."""
    app = create_app(type("Faulty", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"}))

    @app.get("/boom")
    def boom():
        raise ValueError("boom")

    @app.get("/bad")
    def bad():
        abort(400)

    return app


def test_500_page_in_words(faulty_app):
    response = faulty_app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Une erreur s" in response.text or "went wrong" in response.text
    assert "ValueError" not in response.text


def test_400_page(faulty_app):
    response = faulty_app.test_client().get("/bad")
    assert response.status_code == 400 and '<main id="main"' in response.text


def test_csrf_failure_explains_and_keeps_the_input(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/inscription", data={"pseudonym": "Nora",
                                                      "email": "nora@example.org",
                                                      "password": "secret à ne pas montrer"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert "nora@example.org" in response.text and "Nora" in response.text
    assert "secret à ne pas montrer" not in response.text


def test_forms_carry_a_csrf_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/connexion").text
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    # The login form; a visitor's language switch has none (it only touches their session).
    assert page.count('name="csrf_token"') == 1


def test_the_language_switch_checks_csrf_for_a_logged_in_person(app, client, login, inhabitant):
    """It saves the choice in the account: another site must not post it for them."""
    login(inhabitant)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert 'name="csrf_token"' in client.get("/propositions").text
        refused = client.post("/langue", data={"language": "en"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code == 400
    assert client.get("/propositions").text.startswith('<!doctype html>\n<html lang="fr">')


def test_behind_a_proxy_rate_limits_count_the_visitor_address():
    config = type("Proxied", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://",
                                             "PROXY_COUNT": 1})
    app = create_app(config)

    @app.get("/address")
    def address():
        from flask import request

        return request.remote_addr

    response = app.test_client().get("/address", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.text == "203.0.113.7"


def test_translated_messages_escape_what_people_typed(app, client, session):
    """Flask-Babel's lazy strings claimed to be HTML: a pseudonym in a flash message ran."""
    from flask import render_template_string
    from flask_babel import lazy_gettext as _l

    from tests import factories

    payload = "<script>alert(1)</script>"
    with app.test_request_context():
        html = render_template_string("{{ m }}", m=_l("Hello %(name)s, you are logged in.",
                                                      name=payload))
    assert "<script>" not in html and "&lt;script&gt;" in html

    user = factories.UserFactory(pseudonym=payload)
    page = client.post("/connexion", data={"login": user.email, "password": factories.PASSWORD},
                       follow_redirects=True).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and payload not in page


def test_templates_follow_a_locale_forced_for_a_moment(app):
    """Templates look their translations up once per locale and request: a locale forced
    for an email in the middle of a French page is followed, then French again."""
    from flask import render_template_string
    from flask_babel import force_locale, refresh

    template = "{{ _('Log in') }}"
    with app.test_request_context("/"):
        assert render_template_string(template) == "Se connecter"
        with force_locale("en"):
            assert render_template_string(template) == "Log in"
        assert render_template_string(template) == "Se connecter"
        refresh()
        assert render_template_string(template) == "Se connecter"
