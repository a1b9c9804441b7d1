"""Public pages as a visitor without an account sees them, kept ready in each worker.

Most visits are people reading without logging in (a link shared by a centre, a poster's
QR code): for them the proposals list, a proposal, a consultation's results or the
decisions register are the same page, rendered again for every visit. Views marked with
``@for_visitors`` are kept here once rendered, per address and language, and served as
they are until the site's data changes.

What keeps it honest:
- only GET requests of visitors (no logged-in session, no "stay logged in" cookie, no
  message waiting to be shown) are served or stored; everyone else gets the live page;
- a page that touched the session (a form with a CSRF token, a flash message) or is marked
  private is never stored, so nothing personal can be kept;
- every commit that changes data (supports, comments, moderation, ballots...) moves the
  *content version* (participation/core/versions.py); a page rendered under an older
  version is rendered again. The version is shared by the workers of one machine (a file of
  the instance folder) or by several machines (``PAGE_CACHE_VERSION_URL=redis://...``);
- PAGE_CACHE_SECONDS bounds the age of any kept page anyway (time passing also changes
  pages: a consultation opens, a deadline passes). 0 turns the cache off (the tests).
"""

import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request, session

from participation.core import versions

# Per worker: every list filter and page number is its own address; the least recently
# served pages go first.
MAX_ENTRIES = 500
MAX_BYTES = 24 * 1024 * 1024
MAX_BODY = 256 * 1024

# Tables whose rows never show on a public page: writing them leaves kept pages valid.
# (Logins, notifications, emails, security events.)
PRIVATE_TABLES = frozenset({
    "outbox_messages", "notifications", "notification_preferences", "audit_entries",
    "chain_heads", "chain_tombstones", "recovery_codes",
})
# Set by Flask-Login on every request of a session it did not make; says nothing of the page.
_IGNORED_SESSION_KEYS = frozenset({"_fresh"})


def for_visitors(view):
    """Mark a public page whose visitor version may be kept (see the module's docstring)."""
    view.for_visitors = True
    return view


class PageCache:
    def __init__(self, app: Flask):
        self.seconds = app.config["PAGE_CACHE_SECONDS"]
        self.version = versions.watch(app, "pages", lambda table: table not in PRIVATE_TABLES)
        self.pages: OrderedDict = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()

    def get(self, key, version):
        with self.lock:
            entry = self.pages.get(key)
            if entry is None:
                return None
            stored_version, stored_at, body, mimetype = entry
            if stored_version != version or time.monotonic() - stored_at > self.seconds:
                del self.pages[key]
                self.bytes -= len(body)
                return None
            self.pages.move_to_end(key)
        return body, mimetype

    def put(self, key, version, body: bytes, mimetype: str) -> None:
        with self.lock:
            replaced = self.pages.pop(key, None)
            if replaced is not None:
                self.bytes -= len(replaced[2])
            self.pages[key] = (version, time.monotonic(), body, mimetype)
            self.bytes += len(body)
            while len(self.pages) > MAX_ENTRIES or self.bytes > MAX_BYTES:
                _key, (_v, _t, dropped, _m) = self.pages.popitem(last=False)
                self.bytes -= len(dropped)


def _session_snapshot() -> dict:
    return {k: v for k, v in session.items() if k not in _IGNORED_SESSION_KEYS}


def _visitor_key():
    """The key of this request's page when it comes from a visitor, else None."""
    if request.method != "GET" or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "for_visitors", False):
        return None
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return None  # Flask-Login would log them in from it
    if "_user_id" in session or "_flashes" in session:
        return None
    locale = session.get("locale")
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    return locale, request.url  # scheme and host too: a page may hold absolute links


def _keepable(response, session_before: dict) -> bool:
    """Nothing of this response belongs to the person who asked for it."""
    if (response.status_code != 200 or response.direct_passthrough
            or response.cache_control.no_store or g.get("private_page")):
        return False
    # A form's CSRF token, a flash message shown (popped from the session), a login...
    if "csrf_token" in g or _session_snapshot() != session_before:
        return False
    cookie = current_app.config["SESSION_COOKIE_NAME"] + "="
    return all(c.startswith(cookie) for c in response.headers.getlist("Set-Cookie"))


def install(app: Flask) -> None:
    """Serve and keep visitors' pages; call before other request hooks are registered, so
    the kept copy is looked up first and stored once every other hook has run."""
    if not app.config["PAGE_CACHE_SECONDS"]:
        return
    cache = PageCache(app)
    app.extensions["page_cache"] = cache

    @app.before_request
    def serve_kept_page():
        key = _visitor_key()
        if key is None:
            return None
        version = cache.version.current()
        if version is None:  # unknown (Redis down, no version file): live pages only
            return None
        kept = cache.get(key, version)
        if kept is not None:
            return Response(kept[0], mimetype=kept[1])
        g.page_cache = (key, version, _session_snapshot())
        return None

    @app.after_request
    def keep_page(response):
        pending = g.pop("page_cache", None)
        if pending is None or not _keepable(response, pending[2]):
            return response
        key, version, _before = pending
        if len(body := response.get_data()) <= MAX_BODY:
            cache.put(key, version, body, response.mimetype)
        return response
