"""Domain errors, and the error pages every request may end on."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule of the domain said no; ``message`` tells the person why, ``field`` where."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The page could not understand what was sent.")),
    403: (_l("Access refused"),
          _l("Your account does not give access to this page. If you think it should, "
             "ask the animators of your social centre.")),
    404: (_l("Page not found"),
          _l("This page does not exist or no longer exists. Check the address, or start "
             "again from the home page.")),
    405: (_l("Action not allowed"), _l("This page cannot be used that way.")),
    413: (_l("File too large"),
          _l("What you sent is too large. Try a smaller file, or a photo taken in a lower "
             "resolution.")),
    429: (_l("Too many attempts"),
          _l("Too many attempts were made in a short time. Wait a few minutes, then try "
             "again. If you are at a social centre, the animators can help you.")),
    500: (_l("Something went wrong"),
          _l("An error happened on our side; it has been recorded. Nothing you sent was "
             "saved half-way: try again in a moment.")),
}


def _wants_json() -> bool:
    """The open data API (everything under /api/, not its /api page) answers in JSON."""
    return request.path.startswith("/api/")


def _render(status: int):
    title, text = ERROR_TEXTS[status]
    if _wants_json():
        return {"error": str(title), "message": str(text)}, status
    return render_template("errors/error.html", status=status, title=title, text=text), status


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        from participation.core.http import private_page

        private_page()
        # The form's content is shown back so nothing typed is lost.
        kept = {k: v for k, v in request.form.items(multi=False)
                if k != "csrf_token" and "password" not in k and "code" not in k}
        return render_template("errors/csrf.html", kept=kept), 400

    @app.errorhandler(401)
    def login_needed(error):
        flash(_l("Please log in to continue."), "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    @app.errorhandler(HTTPException)
    def http_error(error):
        status = error.code if error.code in ERROR_TEXTS else None
        if status is None:
            return error
        response = _render(status)
        if status == 405 and error.valid_methods:
            return (*response, {"Allow": ", ".join(error.valid_methods)})
        return response

    @app.errorhandler(Exception)
    def server_error(error):
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("unhandled error on %s", request.path)
        from participation.extensions import db

        db.session.rollback()
        return _render(500)
