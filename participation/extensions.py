"""Flask extensions, created unbound and attached in create_app."""

from flask import request
from flask_babel import Babel
from flask_babel.speaklater import LazyString
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from markupsafe import escape
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _reading_is_never_limited() -> bool:
    """Every limit of the site is on a form sent (POST): reading a page never counts, so
    the limiter does not look at it at all (a tenth of the work of a page already kept).
    tests/security/test_abuse.py checks that no route limits reading."""
    return request.method in ("GET", "HEAD", "OPTIONS")


# Flask-Babel's lazy strings say they are HTML already (``__html__`` returns the text as
# is), so Jinja does not escape them: ``_l("Hello %(name)s", name=pseudonym)`` in a flash
# message or an error would put the pseudonym into the page as markup (a stored XSS the
# browser tests found). Our messages hold no markup: escape them like any text. The same
# method is what Flask's session serialiser uses for flashed messages.
LazyString.__html__ = lambda self: escape(str(self))  # type: ignore[method-assign]
