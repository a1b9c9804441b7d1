"""The Conseil's pages: members, designations, meetings, convocations, decisions, minutes.

Each view loads its object, checks a named rule (council/permissions.py),
validates the form, calls one service, commits once, flashes and redirects.
"""

from datetime import date, datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_time
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.accounts.models import ROLE_KINDS
from participation.accounts.services import get_by_login
from participation.core.errors import DomainError
from participation.core.http import commit_or_explain, form_error, page_number
from participation.core.models import utcnow
from participation.core.page_cache import for_visitors
from participation.core.pdf import document, pdf_available
from participation.core.permissions import has_perm, require
from participation.council import links as council_links
from participation.council import queries, services
from participation.council.forms import (
    AgendaItemForm,
    AnswerForm,
    AttendanceForm,
    DecisionForm,
    DesignationForm,
    GuestForm,
    MeetingForm,
    MinutesForm,
    RegisterFilterForm,
    RepresentativeForm,
)
from participation.council.models import (
    COUNCIL,
    PARIS,
    REPRESENTABLE_ROLES,
    AgendaItem,
    Body,
    Decision,
    Mandate,
    Meeting,
)
from participation.extensions import db
from participation.territory.models import Organisation

bp = Blueprint("council", __name__, url_prefix="/conseil")


@bp.app_template_global()
def council_quarter_gap():
    """The current quarter when it has no Conseil meeting, for members of the Conseil and
    admins (rule 3); None otherwise. Called by templates/council/_quarter_warning.html."""
    if not current_user.is_authenticated:
        return None
    now = utcnow()
    council = services.get_body(COUNCIL)
    if not (
        current_user.is_admin
        or services.is_member(current_user, council, services.paris_today(now))
    ):
        return None
    return services.quarter_without_council_meeting(now)


@bp.app_template_global()
def council_link_url(link):
    return council_links.url_for_link(link)


@bp.app_template_filter("time")
def time_filter(value, fmt="short"):
    return format_time(value, fmt) if value else ""


def _body(slug: str) -> Body:
    body = db.session.scalar(sa.select(Body).where(Body.slug == slug))
    if body is None:
        abort(404)
    return body


def _meeting(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    require("council.see_meeting", meeting, hide=True)
    return meeting


def _at(day: date, time) -> datetime:
    return datetime.combine(day, time, tzinfo=PARIS)


def _fail(form, error: DomainError) -> None:
    db.session.rollback()
    form_error(form, error)


# --- The Conseil, its collectives, members ------------------------------------------------


@bp.route("")
@for_visitors
def index():
    now = utcnow()
    council = services.get_body(COUNCIL)
    today = services.paris_today(now)
    return render_template(
        "council/index.html",
        body=council,
        now=now,
        upcoming=queries.upcoming_meetings(council, now),
        past=queries.past_meetings(council, now, page_number()),
        runners=services.runners(today.year, today),
        year=today.year,
        gap=services.quarter_without_council_meeting(now),
        bodies=services.list_bodies(),
    )


@bp.route("/collectifs/<slug>")
@for_visitors
def body(slug):
    body = _body(slug)
    if body.is_council:
        return redirect(url_for("council.index"))
    now = utcnow()
    return render_template(
        "council/body.html",
        body=body,
        now=now,
        upcoming=queries.upcoming_meetings(body, now),
        past=queries.past_meetings(body, now, page_number()),
        members=services.members_of(body, services.paris_today(now)),
    )


@bp.route("/membres")
def members():
    today = services.paris_today(utcnow())
    bodies = [(body, services.members_of(body, today)) for body in services.list_bodies()]
    representatives = db.session.scalars(
        sa.select(Mandate)
        .where(Mandate.kind == "representative")
        .order_by(Mandate.starts_on.desc(), Mandate.id.desc())
        .limit(50)
    ).all()
    return render_template(
        "council/members.html",
        bodies=bodies,
        today=today,
        runners=services.runners(today.year, today),
        year=today.year,
        representatives=representatives,
    )


def _seat_choices(user) -> list[tuple[str, str]]:
    """Seats this person may name a representative for: "org_id:role"."""
    organisations = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.kind.in_(("centre", "federation")))
        .order_by(Organisation.kind, Organisation.short_name)
    ).all()
    choices = []
    for organisation in organisations:
        for role in REPRESENTABLE_ROLES:
            if organisation.kind == "federation" and role == "director":
                continue
            if has_perm(user, "council.name_representative", (organisation, role)):
                choices.append(
                    (f"{organisation.id}:{role}", f"{ROLE_KINDS[role]} · {organisation.short_name}")
                )
    return choices


@bp.route("/representants/nouveau", methods=["GET", "POST"])
@login_required
def new_representative():
    require("council.name_representative")
    form = RepresentativeForm()
    form.body.choices = [(b.slug, b.name) for b in services.list_bodies()]
    form.seat.choices = _seat_choices(current_user)
    if request.method == "GET":
        form.starts_on.data = services.paris_today(utcnow())
    if form.validate_on_submit():
        organisation_id, _, role = form.seat.data.partition(":")
        organisation = db.get_or_404(Organisation, int(organisation_id))
        require("council.name_representative", (organisation, role))
        person = get_by_login(form.person.data)
        try:
            if person is None:
                raise DomainError(_l("Nobody has this email or pseudonym."), "person")
            services.name_representative(
                current_user,
                _body(form.body.data),
                organisation,
                role,
                person,
                form.starts_on.data,
                form.ends_on.data,
            )
        except DomainError as error:
            _fail(form, error)
        else:
            db.session.commit()
            flash(
                _l("%(name)s is recorded as representative.", name=person.display_name), "success"
            )
            return redirect(url_for("council.members"))
    return render_template("council/representative.html", form=form)


@bp.route("/mandats/<int:mandate_id>/terminer", methods=["POST"])
@login_required
def end_mandate(mandate_id):
    mandate = db.get_or_404(Mandate, mandate_id)
    if mandate.kind == "representative":
        require("council.name_representative", (mandate.organisation, mandate.seat))
    else:
        require("council.designate")
    services.end_mandate(mandate, services.paris_today(utcnow()), current_user)
    db.session.commit()
    flash(_l("The mandate ends today."), "success")
    return redirect(
        url_for("council.members" if mandate.kind == "representative" else "council.designations")
    )


@bp.route("/designations", methods=["GET", "POST"])
def designations():
    now = utcnow()
    today = services.paris_today(now)
    council = services.get_body(COUNCIL)
    years = sorted(
        {
            today.year + 1,
            today.year,
            *db.session.scalars(
                sa.select(Mandate.year).where(Mandate.kind == "designation").distinct()
            ),
        },
        reverse=True,
    )
    form = None
    if has_perm(current_user, "council.designate"):
        form = DesignationForm()
        members = services.members_of(council, today)
        seen, people = set(), []
        for m in members:
            if m.seat in ("president", "director") and m.user.id not in seen:
                seen.add(m.user.id)
                people.append((m.user.id, f"{m.user.display_name} ({m.seat_label})"))
        form.person.choices = people
        decisions = db.session.scalars(
            sa.select(Decision)
            .where(Decision.body_id == council.id, Decision.year >= today.year - 1)
            .order_by(Decision.year.desc(), Decision.number.desc())
        ).all()
        form.decision.choices = [(d.id, f"{d.reference} · {d.title}") for d in decisions]
        if request.method == "GET":
            form.year.data = today.year
        if form.validate_on_submit():
            person = next(m.user for m in members if m.user.id == form.person.data)
            if commit_or_explain(
                lambda: services.designate(
                    current_user,
                    person,
                    form.seat.data,
                    form.year.data,
                    db.session.get(Decision, form.decision.data),
                    now,
                ),
                form,
            ):
                flash(_l("The designation is recorded."), "success")
                return redirect(url_for("council.designations"))
    elif request.method == "POST":
        require("council.designate")
    by_year = [(year, services.designations(year)) for year in years]
    return render_template("council/designations.html", form=form, by_year=by_year, today=today)


# --- Meetings, agenda, guests ----------------------------------------------------------------


@bp.route("/reunions/nouvelle/<slug>", methods=["GET", "POST"])
@login_required
def new_meeting(slug):
    body = _body(slug)
    require("council.plan", body)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meeting = services.plan_meeting(
                body,
                current_user,
                starts_at=_at(form.day.data, form.time.data),
                place=form.place.data,
                duration_minutes=form.duration_minutes.data,
                minutes_visibility=form.minutes_visibility.data,
            )
        except DomainError as error:
            _fail(form, error)
        else:
            db.session.commit()
            flash(
                _l("The meeting is planned. Add its agenda, then send the convocation."), "success"
            )
            return redirect(url_for("council.meeting", meeting_id=meeting.id))
    return render_template("council/meeting_form.html", form=form, body=body, meeting=None)


@bp.route("/reunions/<int:meeting_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_meeting(meeting_id):
    meeting = _meeting(meeting_id)
    require("council.plan", meeting)
    form = MeetingForm(obj=meeting)
    if request.method == "GET":
        form.day.data = meeting.local_start.date()
        form.time.data = meeting.local_start.time()
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.update_meeting(
                meeting,
                starts_at=_at(form.day.data, form.time.data),
                place=form.place.data,
                duration_minutes=form.duration_minutes.data,
                minutes_visibility=form.minutes_visibility.data,
            ),
            form,
        ):
            flash(_l("The meeting is saved."), "success")
            return redirect(url_for("council.meeting", meeting_id=meeting.id))
    return render_template(
        "council/meeting_form.html", form=form, body=meeting.body, meeting=meeting
    )


@bp.route("/reunions/<int:meeting_id>/annuler", methods=["POST"])
@login_required
def cancel_meeting(meeting_id):
    meeting = _meeting(meeting_id)
    require("council.plan", meeting)
    if commit_or_explain(lambda: services.cancel_meeting(meeting, utcnow())):
        flash(_l("The meeting is cancelled."), "success")
    return redirect(url_for("council.meeting", meeting_id=meeting.id))


@bp.route("/reunions/<int:meeting_id>")
@for_visitors
def meeting(meeting_id):
    meeting = _meeting(meeting_id)
    now = utcnow()
    answer_form = None
    my_attendance = None
    if has_perm(current_user, "council.answer", meeting):
        my_attendance = next(
            (a for a in services.list_attendance(meeting, now) if a.user_id == current_user.id),
            None,
        )
        answer_form = AnswerForm(obj=my_attendance)
    minutes = meeting.minutes
    return render_template(
        "council/meeting.html",
        meeting=meeting,
        now=now,
        answer_form=answer_form,
        my_attendance=my_attendance,
        attendance=services.list_attendance(meeting, now),
        last_day=services.last_day_to_convene(meeting),
        decisions=[
            d for d in meeting.decisions if has_perm(current_user, "council.see_decision", d)
        ],
        minutes=minutes
        if minutes and has_perm(current_user, "council.read_minutes", minutes)
        else None,
        previous=services.previous_meeting(meeting),
        pdf=pdf_available(),
    )


@bp.route("/reunions/<int:meeting_id>/ordre-du-jour", methods=["GET", "POST"])
@login_required
def add_item(meeting_id):
    meeting = _meeting(meeting_id)
    require("council.plan", meeting)
    form = AgendaItemForm()
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.add_agenda_item(
                meeting,
                title=form.title.data,
                text=form.text.data,
                presenter=form.presenter.data,
                links=form.links(),
            ),
            form,
        ):
            flash(_l("The item is on the agenda."), "success")
            return redirect(url_for("council.meeting", meeting_id=meeting.id) + "#ordre-du-jour")
    return render_template("council/item_form.html", form=form, meeting=meeting)


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.get_or_404(AgendaItem, item_id)
    if item.meeting_id != meeting.id:
        abort(404)
    return item


@bp.route("/reunions/<int:meeting_id>/points/<int:item_id>/retirer", methods=["POST"])
@login_required
def remove_item(meeting_id, item_id):
    meeting = _meeting(meeting_id)
    require("council.plan", meeting)
    item = _item(meeting, item_id)
    if commit_or_explain(lambda: services.remove_agenda_item(item)):
        flash(_l("The item is removed from the agenda."), "success")
    return redirect(url_for("council.meeting", meeting_id=meeting.id))


@bp.route("/reunions/<int:meeting_id>/points/<int:item_id>/invites", methods=["GET", "POST"])
@login_required
def add_guest(meeting_id, item_id):
    meeting = _meeting(meeting_id)
    require("council.plan", meeting)
    item = _item(meeting, item_id)
    form = GuestForm()
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.invite_guest(
                item,
                name=form.name.data,
                organisation=form.organisation.data,
                reason=form.reason.data,
            ),
            form,
        ):
            flash(_l("%(name)s is invited for this item.", name=form.name.data), "success")
            return redirect(url_for("council.meeting", meeting_id=meeting.id))
    return render_template("council/guest_form.html", form=form, meeting=meeting, item=item)


# --- Convocation and answers ----------------------------------------------------------------


@bp.route("/reunions/<int:meeting_id>/convoquer", methods=["GET", "POST"])
@login_required
def convene(meeting_id):
    meeting = _meeting(meeting_id)
    require("council.convene", meeting)
    now = utcnow()
    members = services.members_of(meeting.body, services.paris_today(now))
    error = None
    if request.method == "POST":
        try:
            convocation = services.send_convocation(meeting, current_user, now)
        except DomainError as refused:
            db.session.rollback()
            error = refused.message
        else:
            db.session.commit()
            flash(
                _l(
                    "The convocation is sent to %(count)d members.",
                    count=len(convocation.recipients),
                ),
                "success",
            )
            return redirect(url_for("council.meeting", meeting_id=meeting.id))
    return render_template(
        "council/convene.html",
        meeting=meeting,
        members=members,
        last_day=services.last_day_to_convene(meeting),
        error=error,
        today=services.paris_today(now),
    ), (400 if error else 200)


@bp.route("/reunions/<int:meeting_id>/reponse", methods=["POST"])
@login_required
def answer(meeting_id):
    meeting = _meeting(meeting_id)
    require("council.answer", meeting)
    form = AnswerForm()
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.answer_convocation(
                meeting, current_user, form.answer.data, form.represented_by.data, utcnow()
            )
        ):
            flash(_l("Your answer is recorded."), "success")
    else:
        flash(_l("Choose an answer."), "error")
    return redirect(url_for("council.meeting", meeting_id=meeting.id) + "#reponse")


@bp.route("/reunions/<int:meeting_id>/presences", methods=["GET", "POST"])
@login_required
def attendance(meeting_id):
    meeting = _meeting(meeting_id)
    require("council.record", meeting)
    now = utcnow()
    rows = services.list_attendance(meeting, now)
    form = AttendanceForm()
    form.present.choices = [(a.user.id, a.user.display_name) for a in rows]
    if request.method == "GET":
        form.present.data = [a.user.id for a in rows if a.attended]
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.record_attendance(meeting, set(form.present.data or []), now), form
        ):
            flash(_l("Attendance is recorded."), "success")
            return redirect(url_for("council.meeting", meeting_id=meeting.id))
    return render_template("council/attendance.html", form=form, meeting=meeting)


# --- Decisions and minutes ------------------------------------------------------------------


@bp.route("/reunions/<int:meeting_id>/decisions/nouvelle", methods=["GET", "POST"])
@login_required
def new_decision(meeting_id):
    meeting = _meeting(meeting_id)
    require("council.record", meeting)
    form = DecisionForm()
    form.agenda_item.choices = [(0, _l("None in particular"))] + [
        (i.id, f"{i.position}. {i.title}") for i in meeting.items
    ]
    validated = sorted(services.validated_action_sheet_ids())
    if form.validate_on_submit():
        sheet = form.action_sheet_id.data
        item = next((i for i in meeting.items if i.id == form.agenda_item.data), None)
        try:
            if form.validates_action_sheet.data and sheet is None:
                raise DomainError(
                    _l("Give the number of the fiche action it validates."), "action_sheet_id"
                )
            decision = services.record_decision(
                meeting,
                current_user,
                title=form.title.data,
                text=form.text.data,
                votes_for=form.votes_for.data,
                votes_against=form.votes_against.data,
                votes_abstaining=form.votes_abstaining.data,
                agenda_item=item,
                action_sheet_id=sheet,
                validates_action_sheet_id=sheet if form.validates_action_sheet.data else None,
                links=form.links(),
                now=utcnow(),
            )
        except DomainError as error:
            _fail(form, error)
        else:
            db.session.commit()
            flash(
                _l("Decision %(reference)s is recorded.", reference=decision.reference), "success"
            )
            return redirect(url_for("council.meeting", meeting_id=meeting.id) + "#decisions")
    return render_template(
        "council/decision_form.html", form=form, meeting=meeting, validated=validated
    )


@bp.route("/reunions/<int:meeting_id>/decisions/publier", methods=["POST"])
@login_required
def publish_decisions(meeting_id):
    meeting = _meeting(meeting_id)
    require("council.publish", meeting)
    try:
        count = services.publish_decisions(meeting, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_l("%(count)d decision(s) published in the register.", count=count), "success")
    return redirect(url_for("council.meeting", meeting_id=meeting.id) + "#decisions")


@bp.route("/reunions/<int:meeting_id>/compte-rendu", methods=["GET", "POST"])
@login_required
def edit_minutes(meeting_id):
    meeting = _meeting(meeting_id)
    require("council.record", meeting)
    form = MinutesForm(obj=meeting.minutes)
    if request.method == "GET":
        form.visibility.data = meeting.minutes_visibility
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.save_minutes(
                meeting, current_user, form.text.data, form.visibility.data, utcnow()
            ),
            form,
        ):
            flash(_l("The minutes are saved."), "success")
            return redirect(url_for("council.meeting", meeting_id=meeting.id) + "#compte-rendu")
    return render_template("council/minutes_form.html", form=form, meeting=meeting)


@bp.route("/reunions/<int:meeting_id>/compte-rendu/publier", methods=["POST"])
@login_required
def publish_minutes(meeting_id):
    meeting = _meeting(meeting_id)
    require("council.publish", meeting)
    if commit_or_explain(lambda: services.publish_minutes(meeting, utcnow())):
        flash(_l("The minutes are published."), "success")
    return redirect(url_for("council.meeting", meeting_id=meeting.id) + "#compte-rendu")


@bp.route("/reunions/<int:meeting_id>/approuver-compte-rendu-precedent", methods=["POST"])
@login_required
def approve_previous(meeting_id):
    meeting = _meeting(meeting_id)
    require("council.record", meeting)
    if commit_or_explain(lambda: services.approve_previous_minutes(meeting, utcnow())):
        flash(_l("The previous meeting's minutes are approved."), "success")
    return redirect(url_for("council.meeting", meeting_id=meeting.id))


# --- The public register ----------------------------------------------------------------------


def _register_filters():
    form = RegisterFilterForm(request.args)
    bodies = services.list_bodies()
    form.body.choices = [("", _l("All bodies"))] + [(b.slug, b.name) for b in bodies]
    body = next((b for b in bodies if b.slug == form.body.data), None)
    years = queries.register_years(body)
    form.year.choices = [("", _l("All years"))] + [(str(y), str(y)) for y in years]
    year = int(form.year.data) if form.year.data in {str(y) for y in years} else None
    return form, body, year


@bp.route("/decisions")
@for_visitors
def register():
    form, body, year = _register_filters()
    decisions = db.paginate(
        queries.register_query(body, year), page=page_number(), per_page=20, error_out=False
    )
    return render_template(
        "council/register.html",
        form=form,
        decisions=decisions,
        body=body,
        year=year,
        pdf=pdf_available(),
    )


@bp.route("/decisions/<int:decision_id>")
@for_visitors
def decision(decision_id):
    decision = db.get_or_404(Decision, decision_id)
    require("council.see_decision", decision, hide=True)
    return render_template("council/decision.html", decision=decision)


# --- Print views and PDF ------------------------------------------------------------------------


def _day(meeting: Meeting) -> str:
    return meeting.local_start.date().isoformat()


@bp.route("/reunions/<int:meeting_id>/convocation/imprimer", defaults={"as_pdf": False})
@bp.route(
    "/reunions/<int:meeting_id>/convocation.pdf",
    endpoint="convocation_pdf",
    defaults={"as_pdf": True},
)
def print_convocation(meeting_id, as_pdf):
    meeting = _meeting(meeting_id)
    return document(
        "council/print_convocation.html",
        f"convocation-{meeting.body.slug}-{_day(meeting)}.pdf",
        as_pdf,
        meeting=meeting,
        show_guests=has_perm(current_user, "council.see_guests", meeting),
    )


@bp.route("/reunions/<int:meeting_id>/compte-rendu/imprimer", defaults={"as_pdf": False})
@bp.route(
    "/reunions/<int:meeting_id>/compte-rendu.pdf", endpoint="minutes_pdf", defaults={"as_pdf": True}
)
def print_minutes(meeting_id, as_pdf):
    meeting = _meeting(meeting_id)
    if meeting.minutes is None:
        abort(404)
    require("council.read_minutes", meeting.minutes, hide=True)
    decisions = [d for d in meeting.decisions if has_perm(current_user, "council.see_decision", d)]
    return document(
        "council/print_minutes.html",
        f"compte-rendu-{meeting.body.slug}-{_day(meeting)}.pdf",
        as_pdf,
        meeting=meeting,
        minutes=meeting.minutes,
        decisions=decisions,
        attendance=services.list_attendance(meeting, utcnow()),
    )


@bp.route("/decisions/imprimer", defaults={"as_pdf": False})
@bp.route("/decisions.pdf", endpoint="register_pdf", defaults={"as_pdf": True})
def print_register(as_pdf):
    form, body, year = _register_filters()
    decisions = db.session.scalars(queries.register_query(body, year).limit(500)).all()
    return document(
        "council/print_register.html",
        "releve-de-decisions.pdf",
        as_pdf,
        decisions=decisions,
        body=body,
        year=year,
        printed_on=format_date(services.paris_today(utcnow()), "long"),
    )
