"""Small request helpers shared by the views."""

from urllib.parse import urlsplit

from flask import current_app, flash, g, request


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


def page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
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
