"""The participation platform of the social centres of the Calaisis."""

import hashlib
import os
import secrets
from pathlib import Path

from flask import Flask, g, has_app_context, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_time, get_locale, get_translations
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from participation.config import INSTANCE, ROOT, Config
from participation.extensions import babel, csrf, db, limiter, login_manager, migrate

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'self'; object-src 'none'")


def create_app(config: type | dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                instance_path=str(INSTANCE))
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _configure_secret_key(app)
    from participation.core.http import CleanRequest, IdConverter

    app.request_class = CleanRequest
    app.url_map.converters["int"] = IdConverter
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    from participation.core import logs

    logs.install()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)
    _configure_login(app)
    from participation.core import page_cache

    page_cache.install(app)
    from participation.accounts import person_cache

    person_cache.install(app)
    _register_blueprints(app)
    _configure_templates(app)
    _configure_responses(app)

    from participation.core.errors import register_error_handlers

    register_error_handlers(app)

    from participation import cli

    cli.register(app)
    return app


def _configure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if os.environ.get("PARTICIPATION_ENV") != "development" and not app.testing:
        raise RuntimeError(
            "SECRET_KEY is not set. In production, set it in the environment "
            "(for example: export SECRET_KEY=$(python3 -c 'import secrets; "
            "print(secrets.token_hex(32))')). For local development use `make run`.")
    # Development only: a random key kept in instance/ so sessions survive restarts.
    key_file = Path(app.instance_path) / "dev-secret-key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _select_locale() -> str:
    languages = Config.LANGUAGES
    if not has_request_context():  # CLI, outbox: callers use force_locale
        return Config.BABEL_DEFAULT_LOCALE
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return Config.BABEL_DEFAULT_LOCALE


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on, WAL and a busy timeout, so several workers share one SQLite file."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # Let SQLAlchemy emit BEGIN itself, so SAVEPOINTs work (pysqlite's own
        # transaction handling breaks them).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
    elif type(dbapi_connection).__module__.startswith("psycopg"):
        # PostgreSQL compiles a query to machine code when its estimated cost is high:
        # the dashboard's funnel (EXISTS per proposal) crossed the threshold at 20,000
        # proposals and spent 8 s compiling for 10 ms of work. Our queries are short.
        dbapi_connection.execute("SET jit = off")
        dbapi_connection.commit()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


def _configure_login(app: Flask) -> None:
    from participation.accounts.person_cache import load_person

    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.login_view = "accounts.login"

    @login_manager.user_loader
    def load_user(session_token: str):
        user = load_person(session_token)
        return user if user is not None and user.is_active else None

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import abort

        abort(401)


def _register_blueprints(app: Flask) -> None:
    # Explicit, so that reading this function tells every part of the site.
    from participation.accounts import permissions as _accounts_rules  # noqa: F401
    from participation.accounts import security_views as _security_pages  # noqa: F401
    from participation.accounts.views import bp as accounts
    from participation.actions import permissions as _actions_rules  # noqa: F401
    from participation.actions.views import bp as actions
    from participation.api.views import bp as api
    from participation.consultations import permissions as _consultations_rules  # noqa: F401
    from participation.consultations.views import bp as consultations
    from participation.core.views import bp as core
    from participation.council import permissions as _council_rules  # noqa: F401
    from participation.council.views import bp as council
    from participation.moderation.views import bp as moderation
    from participation.notifications.views import bp as notifications
    from participation.projects import permissions as _projects_rules  # noqa: F401
    from participation.projects.views import bp as projects
    from participation.proposals import permissions as _proposals_rules  # noqa: F401
    from participation.proposals.views import bp as proposals
    from participation.results import permissions as _results_rules  # noqa: F401
    from participation.results.views import bp as results
    from participation.territory import permissions as _territory_rules  # noqa: F401
    from participation.territory.views import bp as territory

    for blueprint in (core, accounts, territory, proposals, moderation, notifications,
                      consultations, council, actions, projects, api, results):
        app.register_blueprint(blueprint)

    # What a Conseil decision or agenda item points to, by domain.
    from flask import url_for

    from participation.council import links

    links.register("proposal", lambda i: url_for("proposals.detail", proposal_id=i))
    links.register("consultation",
                   lambda i: url_for("consultations.detail", consultation_id=i))
    links.register("action_sheet", lambda i: url_for("actions.detail", sheet_id=i))
    links.register("shared_project", lambda i: url_for("projects.detail", project_id=i))


def _configure_templates(app: Flask) -> None:
    from participation.core.permissions import has_perm
    from participation.core.privacy import small_number
    from participation.core.text import render_markdown

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from participation.core import layout

    layout.install(app)
    # The same gettext as Flask-Babel installs, with the translations looked up once per
    # locale and request instead of for each string (its lookup walks the context several
    # times: a fifth of the rendering of a short page such as a vote's receipt).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _page_translations().ugettext(s),
        ngettext=lambda s, p, n: _page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _page_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        # The user itself, not the proxy: a rule reads several of its attributes.
        has_perm=lambda name, obj=None: has_perm(current_user._get_current_object(), name,
                                                 obj),
        current_locale=lambda: str(get_locale()),
        languages=app.config["LANGUAGES"],
    )
    app.jinja_env.filters.update(
        date=lambda value, fmt="long": format_date(value, fmt) if value else "",
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        # "9 novembre 2026, 14:39": a day and a time people read, in Paris time.
        moment=lambda value: (f"{format_date(value, 'long')}, {format_time(value, 'short')}"
                              if value else ""),
        markdown=render_markdown,
        small_number=small_number,
    )


def _page_translations():
    """Flask-Babel's translations for the current locale, kept beside its own per-request
    state with the locale they are for: ``force_locale`` and ``refresh`` change or drop
    that locale, and the translations are then looked up again."""
    state = g.get("_flask_babel") if has_app_context() else None
    if state is None:
        return get_translations()
    kept = getattr(state, "page_translations", None)
    locale = getattr(state, "babel_locale", None)
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    state.page_translations = (getattr(state, "babel_locale", None), translations)
    return translations


STATIC_MAX_AGE = 365 * 24 * 3600


def _configure_static_caching(app: Flask) -> None:
    """Static files are addressed with a hash of their content (``site.css?v=…``), so a
    phone keeps them a year without asking again, and a changed file has a new address."""
    versions: dict[str, str] = {}

    @app.url_defaults
    def static_version(endpoint, values):
        if endpoint != "static" or "v" in values or "filename" not in values:
            return
        filename = values["filename"]
        if filename not in versions:
            path = Path(app.static_folder) / filename
            versions[filename] = (hashlib.sha256(path.read_bytes()).hexdigest()[:12]
                                  if path.is_file() else "")
        if versions[filename]:
            values["v"] = versions[filename]

    default_max_age = app.get_send_file_max_age

    def get_send_file_max_age(filename):
        if has_request_context() and request.endpoint == "static" and request.args.get("v"):
            return STATIC_MAX_AGE
        return default_max_age(filename)

    app.get_send_file_max_age = get_send_file_max_age


def _configure_responses(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        # ``is_anonymous`` rather than ``is_authenticated``: the same answer here (only
        # active accounts are loaded) without reading the user again after a commit.
        if (current_user and not current_user.is_anonymous) or g.get("private_page"):
            # Pages for a logged-in person (or showing a secret link, an address or what
            # was typed) must not stay in a shared computer's cache.
            response.headers.setdefault("Cache-Control", "private, no-store")
        if response.cache_control.public:
            # Any shared cache may keep this response (open data API, static files): it
            # must never carry a session cookie, e.g. one just restored from a "stay logged
            # in" cookie. The session is saved again on the next private page.
            session.modified = False
        return response

    _configure_static_caching(app)

    if app.config["MAIL_DELIVER_AFTER_REQUEST"]:
        from participation.core.mail import deliver_due

        @app.after_request
        def deliver_mail(response):
            deliver_due()
            return response
