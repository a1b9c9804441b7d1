"""The app as gunicorn serves it in the crash harness (tests/test_crash_safety.py).

A production-like configuration on the harness's own PostgreSQL database, with two
differences that keep the load about writes, not about fetching forms: CSRF and rate
limits are off (both are tested elsewhere)."""

import os

from participation import create_app
from participation.config import Config


def harness_config(database_url: str, secret_key: str) -> type:
    return type("CrashHarnessConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": secret_key,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_DELIVER_AFTER_REQUEST": False,
        "SITE_URL": "http://127.0.0.1",
    })


if "CRASH_DATABASE_URL" in os.environ:
    app = create_app(harness_config(os.environ["CRASH_DATABASE_URL"],
                                    os.environ["CRASH_SECRET_KEY"]))
