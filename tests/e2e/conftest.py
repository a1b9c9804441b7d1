"""Real headless Chromium (Debian's, driven by Playwright) against a live server.

Skipped, with the reason, where Chromium or axe-core is missing; with CI=true
they must run, so a missing browser fails the build instead.
"""

import json
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from participation import create_app
from participation.config import TestConfig

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = Path(os.environ.get("AXE_PATH", ROOT / ".cache/npm/node_modules/axe-core/axe.min.js"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-default-apps", "--disable-domain-reliability",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not AXE.exists():
        return f"axe-core not found at {AXE} (make test installs it when npm is present)"
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_app(app):
    """A second app on the same test database, with CSRF on, as in production."""
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    config = type("LiveConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        "WTF_CSRF_ENABLED": True,
    })
    live = create_app(config)
    server = make_server("127.0.0.1", 0, live, threaded=True)
    live.config["SITE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield live
    server.shutdown()


@pytest.fixture
def site(live_app, browser):
    """A phone-sized browser page on the live site, in French."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR",
                                  base_url=live_app.config["SITE_URL"], bypass_csp=True,
                                  accept_downloads=True)
    page = context.new_page()
    outside = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith((live_app.config["SITE_URL"], "data:")) else None)
    yield page
    context.close()
    assert outside == [], f"requests left the site: {outside}"


def assert_accessible(page) -> None:
    """axe-core (loaded from disk) finds no violation on the current page."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    summary = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5]} for v in violations]
    assert summary == [], f"{page.url}: {json.dumps(summary, indent=1, ensure_ascii=False)}"


def assert_fits_the_phone(page) -> None:
    """Nothing scrolls sideways at 360 px."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide"
