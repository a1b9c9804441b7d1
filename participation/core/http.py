"""Small request helpers shared by the views."""

from urllib.parse import urlsplit

from flask import current_app, request


def safe_next(default: str = "/") -> str:
    """The ``next`` target if it stays on this site, else ``default``."""
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or parts.scheme or parts.netloc):
        return default
    return target


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
