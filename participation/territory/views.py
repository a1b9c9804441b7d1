"""Public list of the centres, and the administrators' editing of reference data."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.core.errors import DomainError
from participation.core.forms import fill_communes
from participation.core.http import commit_or_explain, form_error
from participation.core.page_cache import for_visitors
from participation.core.permissions import require
from participation.extensions import db
from participation.territory import services
from participation.territory.forms import CommuneForm, OrganisationForm
from participation.territory.models import Commune, Organisation
from participation.territory.queries import (
    commune_from_choice,
    list_communes,
    list_organisations,
)

bp = Blueprint("territory", __name__)


@bp.route("/centres")
@for_visitors
def centres():
    return render_template("territory/centres.html", organisations=list_organisations())


@bp.route("/admin/territoire")
@login_required
def admin():
    require("territory.edit")
    return render_template(
        "territory/admin.html", communes=list_communes(), organisations=list_organisations()
    )


@bp.route("/admin/territoire/commune/<int:commune_id>", methods=["GET", "POST"])
@login_required
def edit_commune(commune_id):
    require("territory.edit")
    commune = db.get_or_404(Commune, commune_id)
    form = CommuneForm(obj=commune)
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.update_commune(
                current_user,
                commune,
                name=form.name.data,
                postal_code=form.postal_code.data,
                population=form.population.data,
            ),
            form,
        ):
            flash(_l("Saved."), "success")
            return redirect(url_for("territory.admin"))
    return render_template("territory/edit_commune.html", form=form, commune=commune)


@bp.route(
    "/admin/territoire/organisation/nouvelle",
    methods=["GET", "POST"],
    defaults={"organisation_id": None},
)
@bp.route("/admin/territoire/organisation/<int:organisation_id>", methods=["GET", "POST"])
@login_required
def edit_organisation(organisation_id):
    require("territory.edit")
    organisation = db.get_or_404(Organisation, organisation_id) if organisation_id else None
    form = OrganisationForm(obj=organisation)
    fill_communes(form.commune, list_communes())
    form.commune.choices[0] = ("", _l("None (outside our communes: fill in the town)"))
    form.commune.choices.pop()  # "another commune" is what the town field is for
    if organisation is not None and not form.is_submitted():
        form.commune.data = str(organisation.commune_id or "")
    if form.validate_on_submit():
        try:
            saved = services.save_organisation(
                current_user,
                organisation,
                kind=form.kind.data,
                name=form.name.data,
                short_name=form.short_name.data,
                commune=commune_from_choice(form.commune.data),
                town=form.town.data or None,
                address=form.address.data or None,
                email=form.email.data or None,
                phone=form.phone.data or None,
                description=form.description.data or None,
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(_l("%(name)s is saved.", name=saved.short_name), "success")
            return redirect(url_for("territory.admin"))
    return render_template("territory/edit_organisation.html", form=form, organisation=organisation)
