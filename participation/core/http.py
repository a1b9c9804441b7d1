"""Small request helpers shared by the views."""

import re
from urllib.parse import urlsplit

from flask import Request, current_app, flash, g, request
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items
from werkzeug.routing import IntegerConverter


def safe_next(default: str = "/") -> str:
    """The ``next`` target if it stays on this site, else ``default``."""
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or parts.scheme or parts.netloc):
        return default
    return target


def commit_or_explain(action, form=None) -> bool:
    """Run one service call as the request's single transaction.

    Commits and returns True when it succeeds; on a DomainError rolls back and
    shows the message next to its form field (or as a flash message without a
    form), returning False so the view renders the form again, input kept.
    """
    from participation.core.errors import DomainError
    from participation.extensions import db

    try:
        action()
    except DomainError as error:
        db.session.rollback()
        if form is not None:
            form_error(form, error)
        else:
            flash(error.message, "error")
        return False
    db.session.commit()
    return True


def private_page() -> None:
    """Keep this response out of every cache, even for a visitor who is not logged in: it
    shows a secret link, an email address or what someone typed."""
    g.private_page = True


MAX_PAGE = 100_000  # past any list's end, but an offset every database accepts


def page_number() -> int:
    try:
        return min(max(1, int(request.args.get("page", 1))), MAX_PAGE)
    except ValueError:
        return 1


def form_error(form, error) -> None:
    """Show a DomainError next to its field, or above the form when it has none."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def _site_adapter():
    site = urlsplit(current_app.config["SITE_URL"])
    return current_app.url_map.bind(site.netloc, script_name=site.path or "/",
                                    url_scheme=site.scheme)


def external_url(endpoint: str, **values) -> str:
    """An absolute link to this site (for emails), built from SITE_URL, not the request."""
    return _site_adapter().build(endpoint, values, force_external=True)


def path_for(endpoint: str, **values) -> str:
    """A link inside the site (for notifications), that works outside a request too."""
    return _site_adapter().build(endpoint, values)


# Characters no keyboard types and no form needs: NUL (which PostgreSQL refuses in
# text, so it would end in an error) and the other C0 controls but tab and newlines.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_input(value):
    """A value as sent by a browser, without control characters (files untouched)."""
    return _CONTROLS.sub("", value) if isinstance(value, str) else value


class CleanMultiDict(ImmutableMultiDict):
    """The query string and form data of every request, control characters removed,
    before any view, form or service reads them."""

    def __init__(self, mapping=None):
        if mapping is not None:
            mapping = [(clean_input(key), clean_input(value))
                       for key, value in iter_multi_items(mapping)]
        super().__init__(mapping)


class CleanRequest(Request):
    parameter_storage_class = CleanMultiDict


# Ids in URLs and forms are database integers: larger numbers cannot name anything,
# and SQLite cannot even compare with them.
MAX_ID = 2**31 - 1


def parse_id(value) -> int | None:
    """A database id read from a query string or a hidden field, else None.

    ``str.isdigit`` is not enough: "²" passes it and ``int`` then refuses it.
    """
    text = value if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class IdConverter(IntegerConverter):
    """``<int:…>`` in routes: a number beyond any id is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
