"""Account security pages: the code step of the login, two-step verification settings,
and the checks every request of a staff session goes through."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.accounts import security
from participation.accounts.forms import DisableTwoFactorForm, TwoFactorCodeForm, TwoFactorSetupForm
from participation.accounts.sessions import (
    _now,
    end_session,
    finish_login,
    mark_authenticated,
    pending_user,
    recent_password_required,
)
from participation.accounts.views import bp
from participation.core.errors import DomainError
from participation.core.http import form_error, safe_next
from participation.core.models import utcnow
from participation.extensions import db, limiter

# What an admin may still open before two-step verification is set up.
# last_seen is written again at most this often (seconds): a session changed on every
# request is signed and sent back on every request. Idle time is then counted to the minute.
LAST_SEEN_STEP = 60
_BEFORE_SETUP = {"static", "accounts.two_factor_setup", "accounts.logout", "core.set_language"}


@bp.before_app_request
def guard_staff_sessions():
    """Staff sessions end after STAFF_IDLE_MINUTES without a request; admins pass the
    second step (or set it up) before anything else."""
    # The open data API is the same for everyone and may be cached publicly: its responses
    # must never carry the session cookie (which refreshing last_seen would set).
    if (request.endpoint in (None, "static") or request.blueprint == "api"
            or not current_user.is_authenticated):
        return None
    user = current_user._get_current_object()
    if user.is_staff:
        last_seen = session.get("last_seen")
        idle = current_app.config["STAFF_IDLE_MINUTES"] * 60
        if last_seen is None or _now() - float(last_seen) > idle:
            # No last_seen: a session restored from a "stay logged in" cookie, or older
            # than these rules; staff log in again either way.
            end_session()
            message = _l("For security, your session ended after %(minutes)d minutes without "
                         "activity. Please log in again.",
                         minutes=current_app.config["STAFF_IDLE_MINUTES"])
            if request.method == "POST":
                return _session_ended_page(message)
            flash(message, "info")
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        if _now() - float(last_seen) >= LAST_SEEN_STEP:
            session["last_seen"] = _now()
    if user.is_admin and not session.get("mfa") and request.endpoint not in _BEFORE_SETUP:
        if user.has_two_factor:
            end_session()
            flash(_l("Please log in again, with the code of your authenticator app."), "info")
            return redirect(url_for("accounts.login"))
        flash(_l("Administrators must use two-step verification. Set it up now: it takes "
                 "two minutes with an authenticator app on your phone."), "info")
        return redirect(url_for("accounts.two_factor_setup"))
    return None


def _session_ended_page(message):
    """A form sent after the session ended: nothing is saved, but what was typed is shown
    back to copy (as for an expired form), with the way back to it after logging in."""
    kept = {key: value for key, value in request.form.items(multi=False)
            if key != "csrf_token" and "password" not in key and "code" not in key}
    back = urlsplit(request.referrer or "")
    same_site = back.netloc == request.host and back.path.startswith("/")
    next_url = back.path if same_site else None
    return render_template("accounts/session_ended.html", message=message, kept=kept,
                           login_url=url_for("accounts.login", next=next_url)), 401


def _pending_key() -> str:
    pending = session.get("pending_login")
    uid = pending.get("uid") if isinstance(pending, dict) else None
    return f"two-factor|{uid}"


@bp.route("/connexion/code", methods=["GET", "POST"])
@limiter.limit("5 per 5 minutes;20 per day", key_func=_pending_key, methods=["POST"],
               scope="two-factor")
def login_code():
    """Second step of the login: the session is not logged in until the code is right."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    user = pending_user()
    if user is None:
        flash(_l("Please start again: type your email or pseudonym and your password."),
              "info")
        return redirect(url_for("accounts.login"))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            security.check_second_factor(user, form.code.data, utcnow())
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            remaining = security.remaining_recovery_codes(user)
            response = finish_login(user)
            flash(_l("Hello %(name)s, you are logged in.", name=user.display_name), "success")
            if remaining <= 3:
                flash(_l("Recovery codes left: %(n)d. Make new ones in "
                         "“My account”, “Security”.", n=remaining), "info")
            return response
    return render_template("accounts/login_code.html", form=form)


@bp.route("/compte/securite")
@login_required
def security_settings():
    remaining = (security.remaining_recovery_codes(current_user)
                 if current_user.has_two_factor else 0)
    return render_template("accounts/security.html", remaining=remaining,
                           disable_form=DisableTwoFactorForm())


@bp.route("/compte/securite/activer", methods=["GET", "POST"])
@login_required
@recent_password_required()
def two_factor_setup():
    if current_user.has_two_factor:
        return redirect(url_for("accounts.security_settings"))
    user = current_user._get_current_object()
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = security.confirm_setup(user, form.code.data, utcnow())
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            session["mfa"] = True
            flash(_l("Two-step verification is on."), "success")
            return render_template("accounts/recovery_codes.html", codes=codes,
                                   next=safe_next(url_for("accounts.security_settings")))
    secret = security.start_setup(user)
    db.session.commit()
    uri = security.provisioning_uri(user, secret)
    return render_template("accounts/two_factor_setup.html", form=form,
                           secret=security.group_secret(secret), qr=security.qr_svg(uri))


@bp.route("/compte/securite/codes-de-secours", methods=["POST"])
@login_required
@recent_password_required()
def recovery_codes():
    try:
        codes = security.regenerate_recovery_codes(current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("accounts.security_settings"))
    db.session.commit()
    return render_template("accounts/recovery_codes.html", codes=codes,
                           next=url_for("accounts.security_settings"))


@bp.route("/compte/securite/desactiver", methods=["POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def two_factor_disable():
    """Asks the password and a code in its own form (that is the re-authentication)."""
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        try:
            security.disable(current_user, form.password.data, form.code.data, utcnow())
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            mark_authenticated()
            session["mfa"] = False
            flash(_l("Two-step verification is off."), "success")
            return redirect(url_for("accounts.security_settings"))
    remaining = (security.remaining_recovery_codes(current_user)
                 if current_user.has_two_factor else 0)
    return render_template("accounts/security.html", remaining=remaining,
                           disable_form=form), 400
