"""The header and footer of every page, rendered once and kept per worker; and pages
the same for everyone with the same header but for a few values (``shared_page``).

They were rendered again for every page: some sixty template calls (translations, links,
permission checks), half the CPU of a logged-in page whose content is kept, such as the
dashboard. The header is kept per language, section of the site and menu (what the
person may open, their unread count); the footer per language. Both are keyed by
everything they show, so nothing kept is ever out of date. What changes with every
request, the CSRF token and the address to come back to after a language change, is
put in after.
"""

import threading
from collections import OrderedDict

from flask import Flask, current_app, g, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from participation.core.permissions import has_perm

# The menu's entries that depend on who is logged in.
MENU_PERMISSIONS = ("results.view", "proposals.moderate", "accounts.assist",
                    "accounts.administer")
# Which menu entry is the current page's, by the start of its path.
SECTIONS = (("/propositions", "proposals"), ("/projets", "projects"),
            ("/mes-projets", "projects"), ("/consultations", "consultations"),
            ("/fiches-action", "actions"), ("/conseil", "council"), ("/resultats", "results"),
            ("/notifications", "notifications"), ("/moderation", "moderation"),
            ("/admin", "admin"), ("/compte", "account"))
ENDPOINT_SECTIONS = {"core.home": "home", "accounts.login": "login",
                     "accounts.register": "register"}
# Never in a rendered header: its arguments are ours, and the address put in is escaped.
_CSRF_MARK = "\x00csrf\x00"
_NEXT_MARK = "\x00next\x00"
MAX_KEPT = 200
MAX_SIGNED = 5000


def section() -> str | None:
    endpoint, path = request.endpoint or "", request.path
    if endpoint in ENDPOINT_SECTIONS:
        return ENDPOINT_SECTIONS[endpoint]
    if endpoint.startswith("accounts.") and path.startswith("/accueil"):
        return "front_desk"
    for prefix, name in SECTIONS:
        if path.startswith(prefix):
            return name
    return None


class _Kept:
    def __init__(self):
        self.fragments: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.signed: dict[str, str] = {}  # a session's CSRF secret -> its signed token

    def get(self, key):
        with self.lock:
            html = self.fragments.get(key)
            if html is not None:
                self.fragments.move_to_end(key)
            return html

    def put(self, key, html: str) -> None:
        with self.lock:
            self.fragments[key] = html
            while len(self.fragments) > MAX_KEPT:
                self.fragments.popitem(last=False)

    def get_or_render(self, key, render):
        if current_app.jinja_env.auto_reload:  # development: a template just edited shows
            return render()
        html = self.get(key)
        if html is None:
            html = render()
            self.put(key, html)
        return html


def _header_key() -> tuple:
    """Everything the header shows, for this request; its menu for ``site_header``."""
    from participation.accounts.person_cache import remember
    from participation.notifications.services import unread_count

    user = current_user._get_current_object()
    signed_in = user.is_authenticated
    menu = {name: has_perm(user, name) for name in MENU_PERMISSIONS}
    unread = remember("unread", lambda: unread_count(user)) if signed_in else 0
    return ("header", str(get_locale()), request.script_root, section(), signed_in,
            tuple(menu.values()), unread), menu


def site_header() -> Markup:
    key, menu = g.get("header_key") or _header_key()
    _kind, locale, _root, current, signed_in, _menu, unread = key
    html = current_app.extensions["layout"].get_or_render(key, lambda: current_app.jinja_env
        .get_template("_site_header.html").render(
            section=current, signed_in=signed_in, menu=menu, unread=unread, locale=locale,
            csrf_mark=_CSRF_MARK, next_mark=_NEXT_MARK))
    if g.get("header_key"):  # a shared page (below) puts them in
        return Markup(html)  # noqa: S704  # nosec B704 — our template's output, escaped by Jinja
    return _personal(html)


def _personal(html: str) -> Markup:
    """``html`` with this request's CSRF token and address to come back to."""
    if _CSRF_MARK in html:
        html = html.replace(_CSRF_MARK, _csrf_token())
    back = request.full_path if request.query_string else request.path
    return Markup(html.replace(  # noqa: S704  # nosec B704 — our template, address escaped
        _NEXT_MARK, escape(back)))


def _csrf_token() -> str:
    """This session's CSRF token. Tokens here never expire by time (WTF_CSRF_TIME_LIMIT is
    None: they are tied to the session's secret), so the one signed for a session serves
    its next pages too: signing it was a tenth of the work of a kept page."""
    name = current_app.config["WTF_CSRF_FIELD_NAME"]
    secret = session.get(name)
    signed = current_app.extensions["layout"].signed
    if (secret is not None and name not in g and secret in signed
            and current_app.config["WTF_CSRF_TIME_LIMIT"] is None):
        setattr(g, name, signed[secret])  # where Flask-WTF looks first, for the page's forms
        return signed[secret]
    token = generate_csrf()
    if len(signed) >= MAX_SIGNED:
        signed.clear()
    signed[session[name]] = token
    return token


def shared_page(template: str, key, own: dict | None = None, **context) -> Markup:
    """A page whose content is the same for everyone who has the same header (the
    dashboard for staff, a vote's receipt page), rendered once per ``key`` and header and
    kept. ``key`` holds every value the page shows but the header and ``own``: the values
    that are the reader's own (a receipt), each shown as it is in the template (no filter,
    no test), put in for each request with the CSRF token and the address to come back
    to. A message waiting to be shown is personal: that page is rendered as usual."""
    own = own or {}
    if "_flashes" in session or current_app.jinja_env.auto_reload:
        return render_template(template, **context, **own)
    header = _header_key()
    kept, key = current_app.extensions["layout"], ("page", template, key, header[0])
    html = kept.get(key)
    if html is None:
        g.header_key = header
        try:
            html = render_template(template, **context, **{name: f"\x00{name}\x00"
                                                           for name in own})
        finally:
            g.pop("header_key", None)
        # Else a form of the page may hold its reader's token.
        if current_app.config["WTF_CSRF_FIELD_NAME"] not in g:
            kept.put(key, html)
    for name, value in own.items():
        html = html.replace(f"\x00{name}\x00", escape(value))
    return _personal(html)


def site_footer() -> Markup:
    key = ("footer", str(get_locale()), request.script_root)
    html = current_app.extensions["layout"].get_or_render(
        key, lambda: current_app.jinja_env.get_template("_site_footer.html").render())
    return Markup(html)  # noqa: S704  # nosec B704 — our template's output, escaped by Jinja


def install(app: Flask) -> None:
    app.extensions["layout"] = _Kept()
    app.jinja_env.globals.update(site_header=site_header, site_footer=site_footer)
