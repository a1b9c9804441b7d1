"""Configuration: safe defaults for a laptop, everything else from the environment."""

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    # Production refuses to start without a SECRET_KEY (see create_app).
    SECRET_KEY = os.environ.get("SECRET_KEY")
    PRODUCTION = _env_bool("PRODUCTION")

    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'participation.sqlite3'}"
    )
    # hide_parameters: an error logged with its SQL never shows the values (password hashes,
    # the content of a ballot, tokens).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = {"fr": "Français", "en": "English"}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(days=1)

    # How many reverse proxies stand in front (their X-Forwarded-* headers are trusted):
    # rate limits count per visitor address, not per proxy.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))

    # Proposals: the charter's promise that every idea gets a public answer.
    ANSWER_DEADLINE_DAYS = int(os.environ.get("ANSWER_DEADLINE_DAYS", "30"))
    ANSWER_REMINDER_DAYS = int(os.environ.get("ANSWER_REMINDER_DAYS", "7"))
    REPORTS_TO_HIDE = int(os.environ.get("REPORTS_TO_HIDE", "3"))
    VERIFIED_PUBLISH_DIRECTLY = _env_bool("VERIFIED_PUBLISH_DIRECTLY")
    COMMENT_EDIT_MINUTES = 15
    WTF_CSRF_TIME_LIMIT = None  # tied to the session; a slow typist must not lose a form

    RATELIMIT_ENABLED = True
    # memory:// counts per process: with several gunicorn workers or app servers, point
    # them all at one Redis (redis://host:6379/0) so a limit holds across all of them.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Lets several sites (or a test run) share one Redis database without mixing counts.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "participation")
    # Redis down: count in each process's memory meanwhile rather than fail every request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False

    # Mail: the outbox delivers over SMTP with these; MAIL_TRANSPORT=console prints instead.
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Participation Calaisis <ne-pas-repondre@participation-calaisis.fr>"
    )
    # Delivered right after the request that queued them (handy with make run).
    MAIL_DELIVER_AFTER_REQUEST = _env_bool("MAIL_DELIVER_AFTER_REQUEST")
    OUTBOX_MAX_ATTEMPTS = 12

    # Retention: accounts without a login for this long are erased, after a warning by
    # email this many days before; security events of the audit log are kept this long.
    ACCOUNT_RETENTION_DAYS = int(os.environ.get("ACCOUNT_RETENTION_DAYS", "730"))
    ACCOUNT_RETENTION_WARNING_DAYS = int(os.environ.get("ACCOUNT_RETENTION_WARNING_DAYS", "30"))
    SECURITY_LOG_RETENTION_DAYS = int(os.environ.get("SECURITY_LOG_RETENTION_DAYS", "365"))

    # Where links in emails point (the site's public address).
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000")
    CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "dpo@participation-calaisis.fr")

    # Staff (admins and role holders): the session ends after this many idle minutes,
    # "stay logged in" or not; inhabitants keep PERMANENT_SESSION_LIFETIME.
    STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", "30"))
    # A sensitive change (roles, two-step verification) asks for the password again
    # unless it was typed less than this many minutes ago.
    REAUTH_MINUTES = int(os.environ.get("REAUTH_MINUTES", "5"))
    # Between the password and the code of the authenticator app, at most.
    TWO_FACTOR_PENDING_MINUTES = 5
    # The dashboard's figures are counted again at most this often per process.
    DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", "60"))
    # Public pages as visitors without an account see them are kept by each worker until
    # the data changes, and at most this long (participation/core/page_cache.py); 0: off.
    PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "30"))
    # How workers learn that the data changed: a file of the instance folder by default
    # (one machine), or redis://host:6379/0 shared by several app servers.
    PAGE_CACHE_VERSION_URL = os.environ.get("PAGE_CACHE_VERSION_URL", "")
    # Logged-in people, with their roles and unread count, are kept by each worker until
    # their tables change, and at most this long (participation/accounts/person_cache.py).
    PERSON_CACHE_SECONDS = int(os.environ.get("PERSON_CACHE_SECONDS", "30"))

    PASSWORD_RESET_MAX_AGE = 3600  # seconds
    EMAIL_CONFIRM_MAX_AGE = 7 * 24 * 3600
    SETUP_CODE_VALID_DAYS = 30
    VERIFICATION_VALID_DAYS = 3 * 365


class TestConfig(Config):
    TESTING = True
    PRODUCTION = False
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105  # nosec B105 — tests only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    MAIL_TRANSPORT = "smtp"
    MAIL_DELIVER_AFTER_REQUEST = False
    SITE_URL = "http://localhost"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    DASHBOARD_CACHE_SECONDS = 0  # figures checked right after the data changes
    PAGE_CACHE_SECONDS = 0  # pages checked right after the data changes (but test_page_cache)
