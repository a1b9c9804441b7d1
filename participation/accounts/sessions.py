"""Login sessions: starting one (after the second step when there is one), ending staff
sessions left idle, and asking for the password again before a sensitive change.

What the signed session cookie holds, besides Flask-Login's keys:

- ``sid``: a fresh random value at each login (a planted session is worthless);
- ``mfa``: the second step was passed in this session (code or set-up);
- ``auth_at``: when the password was last typed (login or re-authentication);
- ``last_seen``: the last request, for staff, whose sessions end when idle;
- ``pending_login``: between the password and the code: who, until when, where to go.
"""

import secrets
from functools import wraps

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash

from participation.accounts.models import User
from participation.core.models import utcnow

REAUTH_MAX_FAILURES = 5


def _now() -> float:
    return utcnow().timestamp()


def login_marks(mfa: bool, now: float) -> dict:
    """What a session holds right after a login: whether the second step was passed, when
    the password was typed (sensitive changes) and when last active (staff idle time)."""
    return {"mfa": mfa, "auth_at": now, "last_seen": now}


def start_session(user: User, remember: bool, mfa: bool = False) -> None:
    """Log in with a brand-new session, so an id planted before login is worthless.

    Staff never get the "stay logged in" cookie: their sessions end when idle.
    """
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session["sid"] = secrets.token_urlsafe(16)
    session.update(login_marks(bool(mfa), _now()))
    login_user(user, remember=remember and not user.is_staff)


def end_session() -> None:
    """Log out here (and drop the "stay logged in" cookie), keeping only the language."""
    logout_user()
    locale = session.get("locale")
    remember = session.get("_remember")
    session.clear()
    if locale:
        session["locale"] = locale
    if remember:
        session["_remember"] = remember  # tells Flask-Login to delete the cookie


def begin_login(user: User, remember: bool, next_url: str):
    """After the password: log in, or ask for the code first when the account has 2FA.

    Returns the redirect to follow.
    """
    if not user.has_two_factor:
        start_session(user, remember)
        return redirect(next_url)
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session["pending_login"] = {"uid": user.id, "token": user.session_token, "at": _now(),
                                "remember": bool(remember), "next": next_url}
    return redirect(url_for("accounts.login_code"))


def pending_user() -> User | None:
    """The person who typed the right password and must now type a code, if still valid."""
    from participation.extensions import db

    pending = session.get("pending_login")
    if not isinstance(pending, dict):
        return None
    max_age = current_app.config["TWO_FACTOR_PENDING_MINUTES"] * 60
    if _now() - float(pending.get("at", 0)) > max_age:
        session.pop("pending_login", None)
        return None
    user = db.session.get(User, pending.get("uid"))
    if (user is None or not user.is_active or user.session_token != pending.get("token")
            or not user.has_two_factor):
        session.pop("pending_login", None)
        return None
    return user


def finish_login(user: User):
    """The code was right: start the session, go where the person was going."""
    pending = session.get("pending_login") or {}
    start_session(user, pending.get("remember", False), mfa=True)
    return redirect(pending.get("next") or url_for("core.home"))


def recently_authenticated() -> bool:
    at = session.get("auth_at")
    return at is not None and _now() - float(at) <= current_app.config["REAUTH_MINUTES"] * 60


def mark_authenticated() -> None:
    """The password was just typed again (in a form that asks for it)."""
    session["auth_at"] = _now()
    session.pop("reauth_failures", None)


def ask_password_again(methods=("GET", "POST")):
    """Before a sensitive change: None when the password was typed a few minutes ago (or
    is right now), else the page that asks for it. Call it after the permission check.

    The question is asked on the same address: what the person had typed travels in
    hidden fields and the change goes through once the password is right, so nothing
    is lost. Five wrong passwords in a row end the session.
    """
    from participation.accounts.forms import ReauthenticateForm

    if request.method not in methods or recently_authenticated():
        return None
    form = ReauthenticateForm(prefix="reauth", meta={"csrf": False})
    if request.method == "POST" and "reauth-password" in request.form:
        user = current_user._get_current_object()
        if form.validate() and user.password_hash and check_password_hash(
                user.password_hash, form.password.data):
            mark_authenticated()
            if request.form.get("reauth-then") == "show":
                return redirect(request.full_path.rstrip("?"))
            return None
        session["reauth_failures"] = session.get("reauth_failures", 0) + 1
        if session["reauth_failures"] >= REAUTH_MAX_FAILURES:
            end_session()
            flash(_l("Too many wrong passwords: you are logged out. Log in again."), "error")
            return redirect(url_for("accounts.login"))
        if not form.password.errors:
            form.password.errors = [_l("Your password is incorrect.")]
    kept = []
    if request.method == "POST":
        kept = [(key, value) for key, value in request.form.items(multi=True)
                if key != "csrf_token" and not key.startswith("reauth-")]
    return render_template("accounts/reauthenticate.html", form=form, kept=kept,
                           then="show" if request.method == "GET" else "do")


def recent_password_required(methods=("GET", "POST")):
    """Decorator form of ``ask_password_again``, for views any logged-in person may use."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return ask_password_again(methods) or view(*args, **kwargs)
        return wrapped
    return decorate
