"""Accounts: register, log in, passwords, "Mon compte", "Mes données", front desk, roles."""

import json

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from participation.accounts import services
from participation.accounts.forms import (
    AssistedAccountForm,
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    GrantRoleForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    RegisterForm,
    SearchPeopleForm,
    SetupCodeForm,
    VerifyResidenceForm,
)
from participation.accounts.models import ROLE_KINDS, Role, User
from participation.accounts.sessions import (
    ask_password_again,
    begin_login,
    end_session,
    mark_authenticated,
    start_session,
)
from participation.core import personal_data
from participation.core.errors import DomainError
from participation.core.forms import OTHER_COMMUNE, fill_communes
from participation.core.http import commit_or_explain, form_error, private_page, safe_next
from participation.core.models import utcnow
from participation.core.permissions import require
from participation.core.text import fold
from participation.extensions import db, limiter
from participation.territory.models import Centre, Organisation
from participation.territory.queries import (
    commune_from_choice,
    list_centres,
    list_communes,
    list_organisations,
)

bp = Blueprint("accounts", __name__)


# Rate limits count per (address, account) and per account, with a looser
# limit per address alone: a centre's public computers share one address, and
# one person's typing mistakes must not lock out the whole room.
def _login_value() -> str:
    try:
        form = request.form
    except HTTPException:
        # A body too large (413) or unreadable: the view answers that. Raising here would
        # make Flask-Limiter believe its storage is down and switch to fresh in-memory
        # counters, so one oversized POST would wipe every count of the process.
        return ""
    return fold(form.get("login") or form.get("email") or form.get("pseudonym") or "")[:254]


def _address_and_account() -> str:
    return f"{get_remote_address()}|{_login_value()}"


def _account() -> str:
    return f"account|{_login_value()}"


def _limited(per_pair: str, per_account: str, per_address: str):
    def decorate(view):
        view = limiter.limit(per_address, methods=["POST"], scope="address")(view)
        view = limiter.limit(per_account, key_func=_account, methods=["POST"], scope="account")(
            view
        )
        return limiter.limit(
            per_pair, key_func=_address_and_account, methods=["POST"], scope="pair"
        )(view)

    return decorate


def _start_session(user: User, remember: bool) -> None:
    """Log in with a brand-new session (see sessions.start_session)."""
    start_session(user, remember)


@bp.route("/inscription", methods=["GET", "POST"])
@_limited("5 per hour", "10 per day", "60 per hour")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = RegisterForm()
    fill_communes(form.commune, list_communes())
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.register(
                pseudonym=form.pseudonym.data,
                email=form.email.data,
                password=form.password.data,
                commune=commune_from_choice(form.commune.data),
                birth_year=form.birth_year.data,
                locale=str(get_locale()),
                now=utcnow(),
            ),
            form,
        ):
            return redirect(url_for("accounts.check_email", email=form.email.data))
    return render_template("accounts/register.html", form=form)


@bp.route("/inscription/verifiez-vos-emails")
def check_email():
    private_page()
    return render_template("accounts/check_email.html", email=request.args.get("email", "")[:254])


@bp.route("/confirmer/<token>")
def confirm_email(token):
    private_page()
    try:
        user = services.confirm_email(token, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("accounts.login"))
    db.session.commit()
    if not current_user.is_authenticated and user.has_two_factor:
        # A link alone does not pass two-step verification: log in as usual.
        flash(_l("Your email is confirmed. You can log in."), "success")
        return redirect(url_for("accounts.login"))
    if not current_user.is_authenticated:
        _start_session(user, remember=False)
    flash(_l("Your email is confirmed. Welcome!"), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/connexion", methods=["GET", "POST"])
@_limited("10 per 15 minutes", "30 per hour", "200 per 15 minutes")
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("core.home")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.login.data, form.password.data, utcnow())
        except DomainError as error:
            db.session.commit()  # keeps a confirmation email queued by authenticate
            form.form_errors.append(str(error.message))
        else:
            db.session.commit()
            response = begin_login(user, form.remember.data, safe_next(url_for("core.home")))
            if not user.has_two_factor:
                flash(_l("Hello %(name)s, you are logged in.", name=user.display_name),
                      "success")
            return response
    return render_template("accounts/login.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
def logout():
    end_session()
    flash(_l("You are logged out."), "success")
    return redirect(url_for("core.home"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@_limited("5 per hour", "10 per day", "60 per hour")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            _l(
                "If an account uses this address, we have sent it a link to choose a new "
                "password. It works for one hour. Check your spam folder too."
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def reset_password(token):
    private_page()
    try:
        user = services.user_for_reset(token)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.forgot_password"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.reset_password(token, form.password.data, utcnow()), form
        ):
            # With two-step verification on, the code is still asked.
            response = begin_login(user, False, url_for("accounts.account"))
            if user.has_two_factor:
                flash(_l("Your new password is saved. Type the code of your app to log in."),
                      "success")
            else:
                flash(_l("Your new password is saved and you are logged in."), "success")
            return response
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/code", methods=["GET", "POST"])
@_limited("5 per 15 minutes", "10 per day", "60 per hour")
def redeem_code():
    form = SetupCodeForm()
    if form.validate_on_submit():
        try:
            user = services.redeem_setup_code(
                form.pseudonym.data, form.code.data, form.password.data, utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(
                _l(
                    "Your password is saved. From now on, log in with your pseudonym and "
                    "this password."
                ),
                "success",
            )
            return begin_login(user, False, url_for("accounts.account"))
    return render_template("accounts/redeem_code.html", form=form)


# --- Mon compte ---------------------------------------------------------------------------


def _commune_choice(user: User) -> str:
    return str(user.commune_id) if user.commune_id else OTHER_COMMUNE


@bp.route("/compte")
@login_required
def account():
    return render_template("accounts/account.html")


@bp.route("/compte/profil", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user if request.method == "GET" else None)
    fill_communes(form.commune, list_communes())
    if request.method == "GET":
        form.commune.data = _commune_choice(current_user)
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.update_profile(
                current_user,
                pseudonym=form.pseudonym.data,
                commune=commune_from_choice(form.commune.data),
                birth_year=form.birth_year.data,
            ),
            form,
        ):
            flash(_l("Your profile is saved."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/profile.html", form=form)


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.change_password(
                current_user, form.current_password.data, form.password.data
            ),
            form,
        ):
            start_session(current_user._get_current_object(), remember=False,
                          mfa=session.get("mfa", False))
            flash(_l("Your new password is saved. Your other devices are logged out."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/compte/email", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.request_email_change(
                current_user, form.email.data, form.password.data
            ),
            form,
        ):
            mark_authenticated()
            flash(
                _l(
                    "We have sent a link to %(email)s. Your email changes when you follow it.",
                    email=services.normalise_email(form.email.data),
                ),
                "success",
            )
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_email.html", form=form)


@bp.route("/compte/mes-donnees")
@login_required
def my_data():
    return render_template("accounts/my_data.html", form=DeleteAccountForm())


@bp.route("/compte/mes-donnees.json")
@login_required
def download_data():
    data = {
        "exported_at": utcnow().isoformat(),
        "site": current_app.config["SITE_URL"],
        **personal_data.export(current_user),
    }
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="mes-donnees-participation-calaisis.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/compte/supprimer", methods=["POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.delete_account(current_user, form.password.data, utcnow()), form
        ):
            end_session()
            flash(_l("Your account is deleted. Thank you for taking part."), "success")
            return redirect(url_for("core.home"))
    return render_template("accounts/my_data.html", form=form), 400


# --- At the centre's front desk -----------------------------------------------------------


def _fill_centre_choices(field) -> None:
    centres = list_centres() if current_user.is_admin else current_user.staff_centres()
    field.choices = [(c.id, c.short_name) for c in centres]


@bp.route("/accueil")
@login_required
def front_desk():
    require("accounts.assist")
    form = SearchPeopleForm(request.args)
    people = services.search_people(form.q.data) if form.q.data and form.validate() else []
    return render_template(
        "accounts/front_desk.html", form=form, people=people, searched=bool(form.q.data)
    )


@bp.route("/accueil/habitant/<int:user_id>/verifier", methods=["GET", "POST"])
@login_required
def verify(user_id):
    person = db.get_or_404(User, user_id)
    if not person.is_active:
        abort(404)
    require("accounts.verify", person)
    form = VerifyResidenceForm()
    fill_communes(form.commune, list_communes(), with_other=False)
    _fill_centre_choices(form.centre)
    if request.method == "GET" and person.commune_id:
        form.commune.data = str(person.commune_id)
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.verify_residence(
                current_user,
                person,
                db.get_or_404(Centre, form.centre.data),
                commune_from_choice(form.commune.data),
                utcnow(),
            ),
            form,
        ):
            flash(_l("The residence of %(name)s is verified.", name=person.display_name), "success")
            return redirect(url_for("accounts.front_desk", q=person.pseudonym))
    return render_template("accounts/verify.html", form=form, person=person)


@bp.route("/accueil/compte-accompagne", methods=["GET", "POST"])
@login_required
def create_assisted():
    require("accounts.assist")
    form = AssistedAccountForm()
    fill_communes(form.commune, list_communes())
    _fill_centre_choices(form.centre)
    if form.validate_on_submit():
        try:
            user, code = services.create_assisted_account(
                current_user,
                pseudonym=form.pseudonym.data,
                commune=commune_from_choice(form.commune.data),
                birth_year=form.birth_year.data,
                centre=db.get_or_404(Centre, form.centre.data),
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            return render_template("accounts/setup_code.html", person=user, code=code)
    return render_template("accounts/assisted.html", form=form)


@bp.route("/accueil/habitant/<int:user_id>/code", methods=["POST"])
@login_required
def new_code(user_id):
    person = db.get_or_404(User, user_id)
    require("accounts.assist", person)
    if not person.is_active or not person.is_assisted:
        abort(404)
    code = services.issue_setup_code(current_user, person, utcnow())
    db.session.commit()
    return render_template("accounts/setup_code.html", person=person, code=code)


# --- Administration: roles ----------------------------------------------------------------


@bp.route("/admin/roles", methods=["GET", "POST"])
@login_required
def roles():
    require("accounts.administer")
    if (asked := ask_password_again(methods=("POST",))) is not None:
        return asked
    form = GrantRoleForm()
    organisations = [o for o in list_organisations() if o.kind != "partner"]
    form.organisation.choices = [(o.id, o.short_name) for o in organisations]
    form.kind.choices = list(ROLE_KINDS.items())
    if form.validate_on_submit():
        person = services.get_by_login(form.person.data)
        try:
            if person is None:
                raise DomainError(_l("Nobody has this email or pseudonym."), "person")
            services.grant_role(
                current_user,
                person,
                db.get_or_404(Organisation, form.organisation.data),
                form.kind.data,
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(_l("Role granted to %(name)s.", name=person.display_name), "success")
            return redirect(url_for("accounts.roles"))
    holders = db.session.scalars(
        sa.select(Role)
        .join(Role.organisation)
        .join(Role.user)
        .order_by(Organisation.kind, Organisation.short_name, Role.kind, User.pseudonym_key)
    ).all()
    admins = db.session.scalars(
        sa.select(User).where(User.is_admin).order_by(User.pseudonym_key)
    ).all()
    return render_template("accounts/roles.html", form=form, holders=holders, admins=admins)


@bp.route("/admin/roles/<int:role_id>/retirer", methods=["POST"])
@login_required
def revoke(role_id):
    require("accounts.administer")
    if (asked := ask_password_again()) is not None:
        return asked
    role = db.get_or_404(Role, role_id)
    name = role.user.display_name
    services.revoke_role(current_user, role)
    db.session.commit()
    flash(_l("Role revoked from %(name)s.", name=name), "success")
    return redirect(url_for("accounts.roles"))
