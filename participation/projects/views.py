"""Shared projects: the list, a project's page, joining and leaving, "Mes projets", the
organisers' tools, offers of help, and calendars."""

import csv
import io
import re

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.accounts import services as accounts
from participation.accounts.forms import SearchPeopleForm
from participation.accounts.models import User
from participation.core.errors import DomainError
from participation.core.forms import to_paris, to_utc
from participation.core.http import MAX_ID, commit_or_explain, form_error, page_number, parse_id
from participation.core.models import utcnow
from participation.core.page_cache import for_visitors
from participation.core.permissions import has_perm, require
from participation.core.uploads import store_image
from participation.extensions import db, limiter
from participation.projects import calendar, queries, services
from participation.projects.forms import (
    CancelForm,
    FilterForm,
    HelpForm,
    JoinForm,
    MessageForm,
    NewsForm,
    ProjectForm,
    SessionForm,
)
from participation.projects.models import (
    HELP_KINDS,
    LEFT,
    REGISTERED,
    STATUSES,
    HelpOffer,
    ProjectSession,
    Registration,
)
from participation.proposals.models import PUBLIC_STATUSES, Proposal
from participation.proposals.queries import list_themes
from participation.territory.models import Commune
from participation.territory.queries import list_centres, list_communes

bp = Blueprint("projects", __name__)


@bp.app_context_processor
def labels():
    return {
        "project_status_label": lambda key: str(STATUSES.get(key, key)),
        "help_kind_label": lambda key: str(HELP_KINDS.get(key, key)),
    }


def _load(project_id: int):
    project = queries.get_project(project_id)
    if project is None:
        abort(404)
    # A draft is private to its organisers: even its existence.
    require("projects.view", project, hide=True)
    return project


def _manage(project_id: int):
    project = _load(project_id)
    require("projects.manage", project)
    return project


# --- Browsing -------------------------------------------------------------------------------


@bp.route("/projets")
@for_visitors
def index():
    form = FilterForm(request.args)
    form.commune.choices = [("", _l("All communes"))] + [
        (str(c.id), c.name) for c in list_communes()
    ]
    form.centre.choices = [("", _l("All centres"))] + [
        (str(c.id), c.short_name) for c in list_centres()
    ]
    form.theme.choices = [("", _l("All themes"))] + [(str(t.id), t.name) for t in list_themes()]
    valid = form.validate()
    filters = (
        {name: getattr(form, name).data for name in ("commune", "centre", "theme")} if valid else {}
    )
    open_only = bool(valid and form.open.data)
    now = utcnow()
    query = queries.public_projects(
        now,
        commune_id=filters.get("commune"),
        centre_id=filters.get("centre"),
        theme_id=filters.get("theme"),
        open_only=open_only,
    )
    page = db.paginate(query, page=page_number(), per_page=queries.PER_PAGE, error_out=False)
    active = {k: v for k, v in filters.items() if v}
    if open_only:
        active["open"] = "y"
    return render_template("projects/index.html", form=form, page=page, now=now, filters=active)


@bp.route("/projets/<int:project_id>")
@for_visitors
def detail(project_id):
    project = _load(project_id)
    now = utcnow()
    mine = (
        services.registration_of(project, current_user) if current_user.is_authenticated else None
    )
    return render_template(
        "projects/detail.html",
        project=project,
        now=now,
        status=project.status(now),
        sessions=queries.sessions_of(project),
        news=queries.news_of(project),
        counts=queries.counts(project),
        mine=mine if mine and mine.status != LEFT else None,
        proposals=[p for p in project.proposals if p.status in PUBLIC_STATUSES],
        organiser=has_perm(current_user, "projects.manage", project),
        age_range=services.age_range(project)
        if project.min_age is not None or project.max_age is not None
        else None,
    )


@bp.route("/mes-projets")
@login_required
def mine():
    page = db.paginate(
        queries.my_registrations(current_user.id),
        page=page_number(),
        per_page=queries.PER_PAGE,
        error_out=False,
    )
    return render_template("projects/mine.html", page=page, now=utcnow())


@bp.route("/projets/agenda")
def agenda():
    page = db.paginate(
        queries.coming_sessions(utcnow()), page=page_number(), per_page=30, error_out=False
    )
    return render_template("projects/agenda.html", page=page)


# --- Joining and leaving --------------------------------------------------------------------


@bp.route("/projets/<int:project_id>/inscription", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per minute", methods=["POST"])
def join(project_id):
    project = _load(project_id)
    require("projects.join", project)
    now = utcnow()
    mine = services.registration_of(project, current_user)
    if mine is not None and mine.status != LEFT:
        return redirect(url_for("projects.detail", project_id=project.id))
    problem = services.join_problem(project, current_user, now)
    form = JoinForm()
    if problem is None and form.validate_on_submit():
        try:
            registration = services.join(
                project,
                current_user,
                now,
                message=form.message.data or "",
                companions=form.companions.data or 0,
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            if registration.status == REGISTERED:
                flash(_l("You are registered. See you there!"), "success")
            else:
                flash(
                    _l(
                        "The project is full: you are number %(num)d on the waiting list. "
                        "If a place frees up for you, you will be told.",
                        num=_rank(registration),
                    ),
                    "info",
                )
            return redirect(url_for("projects.detail", project_id=project.id))
    status = 409 if problem else (400 if form.errors or form.form_errors else 200)
    return render_template(
        "projects/join.html", project=project, form=form, problem=problem, now=now
    ), status


def _rank(registration: Registration) -> int:
    waiting = services.waiting_list(registration.project)
    return next((i for i, r in enumerate(waiting, 1) if r.id == registration.id), 0)


@bp.route("/projets/<int:project_id>/desinscription", methods=["POST"])
@login_required
def leave(project_id):
    project = _load(project_id)
    mine = services.registration_of(project, current_user)
    if mine is None or mine.status == LEFT:
        flash(_l("You were not registered for this project."), "info")
        return redirect(url_for("projects.detail", project_id=project.id))
    services.leave(mine, utcnow())
    db.session.commit()
    flash(_l("You have left the project. Thank you for freeing your place."), "success")
    return redirect(url_for("projects.detail", project_id=project.id))


# --- Preparing a project --------------------------------------------------------------------


@bp.route("/projets/gestion")
@login_required
def manage():
    require("projects.create")
    page = db.paginate(
        queries.managed_projects(current_user),
        page=page_number(),
        per_page=queries.PER_PAGE,
        error_out=False,
    )
    return render_template("projects/manage.html", page=page, now=utcnow())


def _project_form(project=None) -> ProjectForm:
    form = ProjectForm(obj=project if request.method == "GET" else None)
    form.theme.choices = [("", _l("No theme"))] + [(str(t.id), t.name) for t in list_themes()]
    centres = list_centres()
    form.centres.choices = [(c.id, f"{c.short_name} ({c.place})") for c in centres]
    form.communes.choices = [(c.id, str(c)) for c in list_communes()]
    form.role_fields = {c.id: f"role_{c.id}" for c in centres}
    if request.method == "GET":
        if project is not None:
            form.theme.data = str(project.theme_id or "")
            form.centres.data = sorted(project.centre_ids)
            form.communes.data = [c.id for c in project.communes]
            for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
                getattr(form, name).data = to_paris(getattr(project, name))
            form.proposals.data = " ".join(str(p.id) for p in project.proposals)
            form.roles = {link.centre_id: link.role for link in project.centres}
        else:
            own = current_user.staff_centres()
            form.centres.data = [c.id for c in own]
            form.communes.data = sorted({c.commune_id for c in own if c.commune_id})
            form.roles = {}
    else:
        form.roles = {c.id: request.form.get(f"role_{c.id}", "") for c in centres}
    return form


def _data_from(form: ProjectForm) -> services.ProjectData:
    centres = {c.id: c for c in list_centres()}
    chosen = [(centres[i], form.roles.get(i, "")) for i in form.centres.data if i in centres]
    communes = list(
        db.session.scalars(sa.select(Commune).where(Commune.id.in_(form.communes.data or [])))
    )
    numbers = [int(n) for n in re.findall(r"\d+", form.proposals.data or "")]
    if len(numbers) > 50:
        raise DomainError(_l("A project answers at most %(max)d proposals.", max=50),
                          "proposals")
    proposals = list(
        db.session.scalars(
            sa.select(Proposal).where(
                # Beyond any id, a number names nothing (and SQLite cannot compare it).
                Proposal.id.in_([n for n in numbers if n <= MAX_ID]),
                Proposal.status.in_(PUBLIC_STATUSES),
            )
        )
    )
    if len(proposals) != len(set(numbers)):
        missing = sorted(set(numbers) - {p.id for p in proposals})
        raise DomainError(
            _l(
                "No published proposal has the number %(numbers)s.",
                numbers=", ".join(map(str, missing)),
            ),
            "proposals",
        )
    picture = None
    upload = form.photo.data
    if upload and getattr(upload, "filename", ""):
        picture = store_image(upload.stream)
    theme_id = int(form.theme.data) if form.theme.data else None
    return services.ProjectData(
        title=form.title.data,
        description=form.description.data or "",
        place=form.place.data or "",
        contact=form.contact.data or "",
        starts_at=to_utc(form.starts_at.data),
        ends_at=to_utc(form.ends_at.data),
        registration_opens_at=to_utc(form.registration_opens_at.data),
        registration_closes_at=to_utc(form.registration_closes_at.data),
        centres=chosen,
        communes=communes,
        theme=next((t for t in list_themes() if t.id == theme_id), None),
        capacity=form.capacity.data,
        min_age=form.min_age.data,
        max_age=form.max_age.data,
        proposals=proposals,
        picture=picture,
        remove_picture=bool(form.remove_photo.data),
    )


@bp.route("/projets/nouveau", methods=["GET", "POST"])
@login_required
def new():
    require("projects.create")
    form = _project_form()
    if form.validate_on_submit():
        try:
            project = services.create_project(current_user, _data_from(form), utcnow())
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(
                _l(
                    "The project is saved as a draft. Add its sessions if it has some, "
                    "then publish it."
                ),
                "success",
            )
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=None, centres=list_centres())


@bp.route("/projets/<int:project_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(project_id):
    project = _manage(project_id)
    form = _project_form(project)
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.update_project(project, current_user, _data_from(form), utcnow()), form
        ):
            flash(_l("Your changes are saved."), "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=project, centres=list_centres())


@bp.route("/projets/<int:project_id>/publier", methods=["POST"])
@login_required
def publish(project_id):
    project = _manage(project_id)
    if commit_or_explain(lambda: services.publish_project(project, current_user, utcnow())):
        flash(_l("The project is published."), "success")
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.route("/projets/<int:project_id>/annuler", methods=["GET", "POST"])
@login_required
def cancel(project_id):
    project = _manage(project_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            told = services.cancel_project(project, current_user, form.reason.data, utcnow())
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(_l("The project is cancelled; %(num)d people were told.", num=told), "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/cancel.html", project=project, form=form)


@bp.route("/projets/<int:project_id>/seances", methods=["GET", "POST"])
@login_required
def sessions(project_id):
    project = _manage(project_id)
    form = SessionForm()
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.add_session(
                project,
                starts_at=to_utc(form.starts_at.data),
                ends_at=to_utc(form.ends_at.data),
                place=form.place.data or "",
                title=form.title.data or "",
            ),
            form,
        ):
            flash(_l("The session is added."), "success")
            return redirect(url_for("projects.sessions", project_id=project.id))
    return render_template(
        "projects/sessions.html", project=project, form=form, sessions=queries.sessions_of(project)
    )


def _session(project, session_id) -> ProjectSession:
    found = db.session.get(ProjectSession, session_id)
    if found is None or found.project_id != project.id:
        abort(404)
    return found


@bp.route("/projets/<int:project_id>/seances/<int:session_id>/supprimer", methods=["POST"])
@login_required
def delete_session(project_id, session_id):
    project = _manage(project_id)
    services.delete_session(_session(project, session_id))
    db.session.commit()
    flash(_l("The session is removed."), "success")
    return redirect(url_for("projects.sessions", project_id=project.id))


# --- Running a project ----------------------------------------------------------------------


@bp.route("/projets/<int:project_id>/participants")
@login_required
def participants(project_id):
    project = _manage(project_id)
    registered, waiting = queries.participants(project)
    return render_template(
        "projects/participants.html",
        project=project,
        registered=registered,
        waiting=waiting,
        sessions=queries.sessions_of(project),
        now=utcnow(),
    )


def _cell(value):
    """Text typed by people, made harmless for spreadsheets (no formula at the start)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/projets/<int:project_id>/participants.csv")
@login_required
def participants_csv(project_id):
    """For the centre's own records: UTF-8 with a header row, ISO dates."""
    project = _manage(project_id)
    registered, waiting = queries.participants(project)
    sessions_ = queries.sessions_of(project)
    present = queries.attendance_table(project)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "status",
            "waiting_position",
            "pseudonym",
            "email",
            "commune",
            "birth_year",
            "companions",
            "places",
            "registered_on",
            "registered_by",
            "message",
        ]
        + [
            f"session_{s.starts_at.astimezone(calendar.PARIS).date().isoformat()}_{s.id}"
            for s in sessions_
        ]
    )
    for rank, registration in [(None, r) for r in registered] + list(enumerate(waiting, 1)):
        person = registration.person
        writer.writerow(
            [
                registration.status,
                rank or "",
                _cell(person.display_name),
                person.email or "",
                person.commune.name if person.commune else "",
                person.birth_year or "",
                registration.companions,
                registration.places,
                registration.created_at.astimezone(calendar.PARIS).date().isoformat(),
                registration.registered_by.display_name if registration.registered_by else "",
                _cell(registration.message or ""),
            ]
            + [
                {True: "present", False: "absent"}.get(present.get((registration.id, s.id)), "")
                for s in sessions_
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="projet-{project.id}-participants.csv"'
        },
    )


@bp.route("/projets/<int:project_id>/seances/<int:session_id>/presences", methods=["GET", "POST"])
@login_required
def attendance(project_id, session_id):
    project = _manage(project_id)
    session_ = _session(project, session_id)
    if request.method == "POST":
        ids = {parse_id(v) for v in request.form.getlist("present")} - {None}
        count = services.mark_attendance(session_, current_user, ids, utcnow())
        db.session.commit()
        flash(_l("Attendance saved: %(num)d present.", num=count), "success")
        return redirect(
            url_for("projects.attendance", project_id=project.id, session_id=session_.id)
        )
    registered, _ = queries.participants(project)
    return render_template(
        "projects/attendance.html",
        project=project,
        session=session_,
        registered=registered,
        marks=queries.attendance_of(session_),
    )


@bp.route("/projets/<int:project_id>/message", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per hour", methods=["POST"])
def message(project_id):
    project = _manage(project_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            sent, without = services.message_participants(
                project, current_user, form.subject.data, form.body.data, utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(_l("Your message is on its way to %(num)d participants.", num=sent), "success")
            if without:
                flash(
                    _l(
                        "These participants have no email; tell them another way: %(names)s.",
                        names=", ".join(p.display_name for p in without),
                    ),
                    "info",
                )
            return redirect(url_for("projects.participants", project_id=project.id))
    return render_template("projects/message.html", project=project, form=form)


@bp.route("/projets/<int:project_id>/actualites/nouvelle", methods=["GET", "POST"])
@login_required
def new_news(project_id):
    project = _manage(project_id)
    form = NewsForm()
    if form.validate_on_submit():
        try:
            post = services.post_news(
                project, current_user, form.title.data, form.body.data, utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(_l("The news is published; participants are told."), "success")
            return redirect(url_for("projects.detail", project_id=project.id) + f"#news-{post.id}")
    return render_template("projects/news_form.html", project=project, form=form)


@bp.route("/projets/<int:project_id>/inscrire")
@login_required
def register_someone(project_id):
    project = _manage(project_id)
    form = SearchPeopleForm(request.args)
    people = accounts.search_people(form.q.data) if form.q.data and form.validate() else []
    return render_template(
        "projects/register_someone.html",
        project=project,
        form=form,
        people=people,
        searched=bool(form.q.data),
    )


@bp.route("/projets/<int:project_id>/inscrire/<int:user_id>", methods=["GET", "POST"])
@login_required
def register_person(project_id, user_id):
    project = _manage(project_id)
    person = db.get_or_404(User, user_id)
    if not person.is_active:
        abort(404)
    now = utcnow()
    existing = services.registration_of(project, person)
    problem = services.join_problem(project, person, now)
    if existing is not None and existing.status != LEFT:
        problem = str(
            _l(
                "%(name)s is already %(status)s.",
                name=person.display_name,
                status=existing.status_label,
            )
        )
    form = JoinForm()
    if problem is None and form.validate_on_submit():
        try:
            registration = services.register_for(
                current_user,
                project,
                person,
                now,
                message=form.message.data or "",
                companions=form.companions.data or 0,
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(
                _l(
                    "%(name)s is %(status)s.",
                    name=person.display_name,
                    status=registration.status_label,
                ),
                "success",
            )
            return redirect(url_for("projects.participants", project_id=project.id))
    status = 409 if problem else (400 if form.errors or form.form_errors else 200)
    return render_template(
        "projects/register_person.html", project=project, person=person, form=form, problem=problem
    ), status


# --- Offers of help -------------------------------------------------------------------------


@bp.route("/projets/<int:project_id>/aider", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per hour", methods=["POST"])
def offer_help(project_id):
    project = _load(project_id)
    require("projects.offer_help", project)
    form = HelpForm()
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.offer_help(
                project, current_user, form.kind.data, form.text.data, utcnow()
            ),
            form,
        ):
            flash(_l("Thank you! The organisers will read your offer and contact you."), "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/offer_help.html", project=project, form=form)


@bp.route("/projets/<int:project_id>/aides")
@login_required
def help_offers(project_id):
    project = _manage(project_id)
    return render_template(
        "projects/help_offers.html", project=project, offers=queries.help_offers(project)
    )


@bp.route("/projets/<int:project_id>/aides/<int:offer_id>/accepter", methods=["POST"])
@login_required
def accept_offer(project_id, offer_id):
    project = _manage(project_id)
    offer = db.session.get(HelpOffer, offer_id)
    if offer is None or offer.project_id != project.id:
        abort(404)
    if commit_or_explain(lambda: services.accept_offer(offer, current_user, utcnow())):
        flash(
            _l("The offer is accepted; %(name)s is told.", name=offer.person.display_name),
            "success",
        )
    return redirect(url_for("projects.help_offers", project_id=project.id))


# --- Calendars ------------------------------------------------------------------------------


def _ics(body: bytes, name: str) -> Response:
    return Response(
        body,
        mimetype="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/projets/<int:project_id>/calendrier.ics")
def project_ics(project_id):
    project = _load(project_id)
    return _ics(
        calendar.project_calendar(project, queries.sessions_of(project)), f"projet-{project.id}.ics"
    )


@bp.route("/projets/<int:project_id>/seances/<int:session_id>.ics")
def session_ics(project_id, session_id):
    project = _load(project_id)
    return _ics(
        calendar.session_calendar(project, _session(project, session_id)),
        f"projet-{project.id}-seance-{session_id}.ics",
    )
