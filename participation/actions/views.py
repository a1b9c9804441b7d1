"""Fiches action pages: the list, the public chain page, writing and moving a fiche, the
print view and PDF, the agreements, and the means requested from partners."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.actions import queries, services
from participation.actions.forms import (
    AbandonForm,
    ActorForm,
    AgreementForm,
    CompleteForm,
    EmptyForm,
    MeansForm,
    MilestoneForm,
    ObjectiveForm,
    RequestStatusForm,
    SheetForm,
)
from participation.actions.models import (
    STATUS_LABELS,
    Actor,
    Agreement,
    Means,
    Milestone,
    Objective,
)
from participation.consultations.models import Consultation
from participation.core.errors import DomainError
from participation.core.http import commit_or_explain, form_error, page_number, parse_id
from participation.core.models import utcnow
from participation.core.page_cache import for_visitors
from participation.core.pdf import document, pdf_available
from participation.core.permissions import require
from participation.extensions import db
from participation.projects.models import SharedProject
from participation.proposals.models import Proposal, Theme
from participation.territory.models import Commune, Organisation

bp = Blueprint("actions", __name__, url_prefix="/fiches-action")

PARTS = {"objectifs": Objective, "acteurs": Actor, "moyens": Means, "jalons": Milestone}


def _sheet(sheet_id: int):
    sheet = queries.load_sheet(sheet_id)
    if sheet is None:
        abort(404)
    require("actions.view", sheet, hide=True)
    return sheet


def _organisations(*kinds):
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.kind.in_(kinds))
                                   .order_by(Organisation.kind, Organisation.name)))


def _communes():
    return list(db.session.scalars(sa.select(Commune).order_by(Commune.name)))


def _retained_proposals(sheet=None):
    query = sa.select(Proposal).where(Proposal.status == "retained")
    if sheet is not None and sheet.proposals:
        query = sa.select(Proposal).where(sa.or_(
            Proposal.status == "retained", Proposal.id.in_([p.id for p in sheet.proposals])))
    return list(db.session.scalars(query.order_by(Proposal.id.desc()).limit(200)))


@bp.route("")
@for_visitors
def index():
    args = request.args
    def number(name):
        return parse_id(args.get(name))
    status = args.get("status") if args.get("status") in STATUS_LABELS else None
    page = page_number()
    pagination = queries.list_sheets(
        current_user, status=status, centre_id=number("centre"), commune_id=number("commune"),
        theme_id=number("theme"), q=args.get("q", "")[:100], page=page)
    return render_template(
        "actions/index.html", pagination=pagination, statuses=STATUS_LABELS, status=status,
        centres=_organisations("centre"), communes=_communes(),
        themes=list(db.session.scalars(sa.select(Theme).order_by(Theme.position, Theme.id))),
        selected={k: args.get(k, "") for k in ("centre", "commune", "theme", "q")})


def _fill(form: SheetForm, sheet=None) -> None:
    form.communes.choices = [(c.id, c.name) for c in _communes()]
    form.proposals.choices = [(p.id, f"n° {p.id} · {p.title}")
                              for p in _retained_proposals(sheet)]


def _data(form: SheetForm) -> services.SheetData:
    communes = list(db.session.scalars(sa.select(Commune).where(
        Commune.id.in_(form.communes.data or []))))
    proposals = list(db.session.scalars(sa.select(Proposal).where(
        Proposal.id.in_(form.proposals.data or []))))
    consultations = list(db.session.scalars(sa.select(Consultation).where(
        Consultation.id.in_(form.consultation_ids()))))
    projects = list(db.session.scalars(sa.select(SharedProject).where(
        SharedProject.id.in_(form.project_ids()))))
    return services.SheetData(title=form.title.data, summary=form.summary.data,
                              context=form.context.data or "", communes=communes,
                              proposals=proposals, consultations=consultations,
                              projects=projects)


@bp.route("/nouvelle", methods=["GET", "POST"])
@login_required
def new():
    require("actions.create")
    form = SheetForm()
    _fill(form)
    proposal_id = parse_id(request.args.get("proposition"))
    if request.method == "GET" and proposal_id:
        proposal = db.session.get(Proposal, proposal_id)
        if proposal is not None and proposal.status == "retained":
            form.proposals.data = [proposal.id]
            form.title.data = proposal.title
            form.summary.data = proposal.public_answer or proposal.body
            form.communes.data = [proposal.commune_id] if proposal.commune_id else []
    created = []
    if form.validate_on_submit() and commit_or_explain(
            lambda: created.append(services.create_sheet(current_user, _data(form), utcnow())),
            form):
        flash(_l("The fiche action is written as a draft. Add its objectives, actors, means "
                 "and milestones."), "success")
        return redirect(url_for("actions.detail", sheet_id=created[0].id))
    return render_template("actions/form.html", form=form, sheet=None)


@bp.route("/<int:sheet_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(sheet_id):
    sheet = _sheet(sheet_id)
    require("actions.edit", sheet)
    form = SheetForm(obj=sheet if request.method == "GET" else None)
    _fill(form, sheet)
    if request.method == "GET":
        form.communes.data = [c.id for c in sheet.communes]
        form.proposals.data = [p.id for p in sheet.proposals]
        form.consultations.data = ", ".join(str(c.id) for c in sheet.consultations)
        form.projects.data = ", ".join(str(p.id) for p in sheet.projects)
    if form.validate_on_submit() and commit_or_explain(
            lambda: services.update_sheet(sheet, current_user, _data(form), utcnow()), form):
        flash(_l("The fiche action is saved."), "success")
        return redirect(url_for("actions.detail", sheet_id=sheet.id))
    return render_template("actions/form.html", form=form, sheet=sheet)


def _part_forms(sheet, **given):
    organisations = _organisations("centre", "partner")
    forms = {"objective": ObjectiveForm(prefix="objective"),
             "actor": ActorForm(prefix="actor"), "means": MeansForm(prefix="means"),
             "milestone": MilestoneForm(prefix="milestone"),
             "agreement": AgreementForm(prefix="agreement")}
    forms.update(given)
    forms["actor"].organisation.choices = [(0, _l("None: a group of inhabitants"))] + [
        (o.id, o.name) for o in organisations]
    forms["means"].organisation.choices = [(0, _l("Written in words below"))] + [
        (o.id, o.name) for o in organisations]
    forms["agreement"].partner.choices = [(0, _l("Choose…"))] + [
        (o.id, o.name) for o in organisations if o.kind == "partner"]
    return forms


def _render_detail(sheet, status=200, **given):
    return render_template(
        "actions/detail.html", sheet=sheet, forms=_part_forms(sheet, **given),
        complete_form=given.get("complete") or CompleteForm(),
        abandon_form=given.get("abandon") or AbandonForm(),
        empty=EmptyForm(), status_form=RequestStatusForm(), pdf=pdf_available(),
        waiting_meeting=sheet.status == "submitted" and sheet.agenda_item_id is None,
        results=given.get("results", {}),
        help_offers=queries.accepted_help(sheet)), status


@bp.route("/<int:sheet_id>")
@for_visitors
def detail(sheet_id):
    return _render_detail(_sheet(sheet_id))


def _org(org_id):
    return db.session.get(Organisation, org_id) if org_id else None


@bp.route("/<int:sheet_id>/<any(objectifs, acteurs, moyens, jalons):part>", methods=["POST"])
@login_required
def add_part(sheet_id, part):
    sheet = _sheet(sheet_id)
    require("actions.edit", sheet)
    forms = _part_forms(sheet)
    key = {"objectifs": "objective", "acteurs": "actor", "moyens": "means",
           "jalons": "milestone"}[part]
    form = forms[key]

    def add():
        if key == "objective":
            services.add_objective(sheet, text=form.text.data, indicator=form.indicator.data,
                                   target=form.target.data)
        elif key == "actor":
            services.add_actor(sheet, role=form.role.data, organisation=_org(
                form.organisation.data), group=form.group.data, is_lead=form.is_lead.data)
        elif key == "means":
            try:
                amount = services.parse_euros(form.amount.data)
            except DomainError as error:
                raise DomainError(error.message, "amount") from None
            services.add_means(sheet, kind=form.kind.data, what=form.what.data,
                               organisation=_org(form.organisation.data),
                               provider=form.provider.data, amount_cents=amount)
        else:
            services.add_milestone(sheet, title=form.title.data, due_on=form.due_on.data)

    if form.validate_on_submit() and commit_or_explain(add, form):
        flash(_l("Added to the fiche."), "success")
        return redirect(url_for("actions.detail", sheet_id=sheet.id) + f"#{part}")
    return _render_detail(sheet, 400, **{key: form})


@bp.route("/<int:sheet_id>/<any(objectifs, acteurs, moyens, jalons):part>/<int:part_id>"
          "/supprimer", methods=["POST"])
@login_required
def remove_part(sheet_id, part, part_id):
    sheet = _sheet(sheet_id)
    require("actions.edit", sheet)
    if EmptyForm().validate_on_submit() and commit_or_explain(
            lambda: services.remove_part(sheet, db.session.get(PARTS[part], part_id))):
        flash(_l("Removed from the fiche."), "success")
    return redirect(url_for("actions.detail", sheet_id=sheet_id) + f"#{part}")


@bp.route("/<int:sheet_id>/moyens/<int:means_id>/reponse", methods=["POST"])
@login_required
def means_status(sheet_id, means_id):
    sheet = _sheet(sheet_id)
    require("actions.follow_up", sheet)
    means = db.session.get(Means, means_id)
    if means is None or means.sheet_id != sheet.id:
        abort(404)
    form = RequestStatusForm()
    if form.validate_on_submit() and commit_or_explain(
            lambda: services.set_request_status(means, current_user, form.status.data,
                                                utcnow())):
        flash(_l("The answer is recorded."), "success")
    return redirect(url_for("actions.detail", sheet_id=sheet.id) + "#moyens")


@bp.route("/<int:sheet_id>/conventions", methods=["POST"])
@login_required
def add_agreement(sheet_id):
    sheet = _sheet(sheet_id)
    require("actions.follow_up", sheet)
    form = _part_forms(sheet)["agreement"]
    upload = form.file.data
    if form.validate_on_submit():
        if not upload:
            form_error(form, DomainError(_l("Choose the PDF file of the agreement."), "file"))
        elif commit_or_explain(lambda: services.add_agreement(
                sheet, current_user, partner=_org(form.partner.data), title=form.title.data,
                signed_on=form.signed_on.data, stream=upload.stream, now=utcnow()), form):
            flash(_l("The agreement is annexed to the fiche."), "success")
            return redirect(url_for("actions.detail", sheet_id=sheet.id) + "#conventions")
    return _render_detail(sheet, 400, agreement=form)


@bp.route("/<int:sheet_id>/conventions/<int:agreement_id>.pdf")
def agreement_file(sheet_id, agreement_id):
    sheet = _sheet(sheet_id)
    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None or agreement.sheet_id != sheet.id:
        abort(404)
    path = services.agreement_path(agreement)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=False,
                     download_name=f"convention-{agreement.id}.pdf")


@bp.route("/<int:sheet_id>/<any(soumettre, demarrer, programmer):move>", methods=["POST"])
@login_required
def move(sheet_id, move):
    sheet = _sheet(sheet_id)
    require("actions.move", sheet)
    if not EmptyForm().validate_on_submit():
        abort(400)
    now, result = utcnow(), []
    if move == "soumettre":
        action = lambda: result.append(services.submit(sheet, current_user, now))  # noqa: E731
    elif move == "programmer":
        action = lambda: result.append(services.schedule(sheet, now))  # noqa: E731
    else:
        action = lambda: services.start(sheet, current_user, now)  # noqa: E731
    if commit_or_explain(action):
        if move == "demarrer":
            flash(_l("The action is in progress."), "success")
        elif result[0] is None:
            flash(_l("The fiche is submitted. No Conseil meeting is planned yet: it waits, "
                     "and will go on the agenda of the next one."), "info")
        else:
            flash(_l("The fiche is on the agenda of the Conseil meeting of %(date)s.",
                     date=result[0].local_start.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("actions.detail", sheet_id=sheet.id))


@bp.route("/<int:sheet_id>/abandonner", methods=["POST"])
@login_required
def abandon(sheet_id):
    sheet = _sheet(sheet_id)
    require("actions.move", sheet)
    form = AbandonForm()
    if form.validate_on_submit() and commit_or_explain(
            lambda: services.abandon(sheet, current_user, form.reason.data, utcnow()), form):
        flash(_l("The action is abandoned; the reason is shown on its page."), "success")
        return redirect(url_for("actions.detail", sheet_id=sheet.id))
    return _render_detail(sheet, 400, abandon=form)


@bp.route("/<int:sheet_id>/terminer", methods=["POST"])
@login_required
def complete(sheet_id):
    sheet = _sheet(sheet_id)
    require("actions.move", sheet)
    form = CompleteForm()
    results = {o.id: request.form.get(f"result_{o.id}", "") for o in sheet.objectives}
    if form.validate_on_submit() and commit_or_explain(
            lambda: services.complete(sheet, current_user, form.evaluation.data, results,
                                      utcnow()), form):
        flash(_l("The action is completed and evaluated. The proposals it comes from are "
                 "realised."), "success")
        return redirect(url_for("actions.detail", sheet_id=sheet.id))
    return _render_detail(sheet, 400, complete=form, results=results)


@bp.route("/<int:sheet_id>/imprimer", defaults={"as_pdf": False})
@bp.route("/<int:sheet_id>.pdf", endpoint="pdf", defaults={"as_pdf": True})
def print_sheet(sheet_id, as_pdf):
    """The fiche for partners, as a print view or a PDF from the same HTML."""
    sheet = _sheet(sheet_id)
    return document("actions/print.html", f"fiche-action-{sheet.id}.pdf", as_pdf, sheet=sheet,
                    help_offers=queries.accepted_help(sheet))


@bp.route("/moyens-demandes")
@login_required
def requested_means():
    """Means requested from partner X, for the Conseil."""
    require("actions.means_report")
    partners = _organisations("partner")
    partner_id = parse_id(request.args.get("partenaire"))
    means = queries.means_requested_from(partner_id, current_user)
    return render_template("actions/means.html", means=means, partners=partners,
                           partner_id=partner_id)
