"""Security headers and cookie flags on every response: each page of the URL map (as a
visitor and logged in), error pages, static files, the API, PDF and CSV downloads."""

import pytest
from werkzeug.http import parse_dict_header

from participation.extensions import limiter
from tests.factories import PASSWORD
from tests.security.test_access_matrix import routes
from tests.security.world import build_world


def _directives(policy: str) -> dict[str, str]:
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";")
                if part.strip())


def header_problems(response, logged_in: bool) -> list[str]:
    problems = []
    headers = response.headers
    policy = _directives(headers.get("Content-Security-Policy", ""))
    if "'self'" not in policy.get("script-src", "") or "unsafe" in policy.get("script-src", ""):
        problems.append(f"script-src {policy.get('script-src')!r}")
    if policy.get("frame-ancestors") != "'none'":
        problems.append(f"frame-ancestors {policy.get('frame-ancestors')!r}")
    if policy.get("object-src") != "'none'" or "default-src" not in policy:
        problems.append("object-src or default-src missing")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("nosniff missing")
    if headers.get("Referrer-Policy") not in ("same-origin", "no-referrer"):
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    if headers.get("X-Frame-Options") != "DENY":
        problems.append("X-Frame-Options missing")
    cache = parse_dict_header(headers.get("Cache-Control", ""))
    if logged_in and "no-store" not in cache:
        problems.append(f"Cache-Control {headers.get('Cache-Control')!r} on a private page")
    for cookie in headers.getlist("Set-Cookie"):
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        if "httponly" not in flags or "samesite" not in flags:
            problems.append(f"cookie without HttpOnly/SameSite: {cookie}")
    return problems


@pytest.fixture
def world(session, monkeypatch):
    from participation.accounts import services
    from tests.factories import PASSWORD_HASH

    monkeypatch.setattr(limiter, "enabled", False)
    monkeypatch.setattr(services, "generate_password_hash", lambda password: PASSWORD_HASH)
    return build_world()


@pytest.mark.parametrize("role", ["anonymous", "verified", "admin"])
def test_every_page_carries_the_security_headers(app, client, login, world, role):
    if world.people[role] is not None:
        login(world.people[role])
    problems = []
    for _key, rule, method, path in routes(app, world):
        if method != "GET":
            continue
        response = client.get(path)
        # Static files and the open data API are the same for everyone: they may be
        # cached, but must then never carry a cookie.
        public = rule.endpoint == "static" or rule.endpoint.startswith("api.")
        for problem in header_problems(response, logged_in=role != "anonymous"
                                       and not public):
            problems.append(f"{path} ({response.status_code}): {problem}")
        if public and "public" in response.headers.get("Cache-Control", ""):
            if "Set-Cookie" in response.headers:
                problems.append(f"{path}: a cookie on a response any cache may keep")
    assert not problems, "\n".join(problems)


def test_a_remembered_login_sets_no_cookie_on_a_public_api_response(client, inhabitant):
    """Flask-Login rebuilds the session from the "stay logged in" cookie on any request;
    an API response any cache may keep must not carry that session."""
    client.post("/connexion", data={"login": inhabitant.email, "password": PASSWORD,
                                    "remember": "y"})
    client.delete_cookie("session")  # the browser was closed
    response = client.get("/api/proposals")
    assert "public" in response.headers["Cache-Control"]
    assert not response.headers.getlist("Set-Cookie")
    assert client.get("/compte").status_code == 200  # still logged in on the next page


def test_error_pages_carry_them_too(app, client, login, inhabitant, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "core.legal", broken)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    for _ in range(5):
        client.post("/mot-de-passe-oublie", data={})
    responses = {
        404: client.get("/nulle-part"),
        405: client.get("/deconnexion"),
        413: client.post("/connexion", data={"login": "x" * 2000}),
        429: client.post("/mot-de-passe-oublie", data={}),
        500: client.get("/mentions-legales"),
        "api 404": client.get("/api/proposals/999999"),
    }
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    responses[400] = client.post("/connexion", data={"login": "x"})
    login(inhabitant)
    responses["logged-in 403"] = client.get("/admin/journal")
    responses["logged-in 404"] = client.get("/nulle-part")
    for what, response in responses.items():
        code = what if isinstance(what, int) else int(what.split()[-1])
        assert response.status_code == code, what
        assert not header_problems(response, logged_in="logged-in" in str(what)), what


def _cookies(response) -> dict[str, set[str]]:
    found = {}
    for cookie in response.headers.getlist("Set-Cookie"):
        name, *flags = cookie.split(";")
        found[name.split("=")[0]] = {flag.strip().split("=")[0].lower() for flag in flags} | {
            flag.strip().lower() for flag in flags if flag.strip().lower().startswith("samesite")}
    return found


@pytest.mark.parametrize("secure", [False, True])
def test_cookies_are_httponly_samesite_and_secure_when_configured(app, client, inhabitant,
                                                                  monkeypatch, secure):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", secure)
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_SECURE", secure)
    response = client.post("/connexion", data={"login": inhabitant.email,
                                               "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookies = _cookies(response)
    assert {"session", "remember_token"} <= set(cookies)
    for name, flags in cookies.items():
        assert "httponly" in flags and "samesite=lax" in flags, name
        assert ("secure" in flags) == secure, name


def test_pages_with_a_secret_or_an_address_are_never_cached(app, client, inhabitant,
                                                            monkeypatch):
    from participation.accounts.tokens import fingerprint, make_token

    token = make_token("reset", uid=inhabitant.id, pw=fingerprint(inhabitant.password_hash))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    responses = {
        "reset link": client.get(f"/mot-de-passe/{token}"),
        "check your emails": client.get("/inscription/verifiez-vos-emails?email=a@example.org"),
        "confirmation link": client.get("/confirmer/forged"),
        "what was typed, on a stale form (CSRF)": client.post("/propositions/nouvelle",
                                                      data={"title": "Mon idée"}),
    }
    for what, response in responses.items():
        assert "no-store" in response.headers.get("Cache-Control", ""), what
    assert "no-store" not in client.get("/propositions").headers.get("Cache-Control", "")
