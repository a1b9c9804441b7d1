"""Consultation pages: list, preparation by staff, ballot, receipt, public ballots, results,
paper ballot, and the desk where staff enter paper and assisted ballots."""

import csv
import io
import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.accounts import services as accounts
from participation.accounts.forms import SearchPeopleForm
from participation.accounts.models import User
from participation.consultations import queries, services
from participation.consultations.forms import ConsultationForm, QuestionForm, read_answers
from participation.consultations.models import (
    ASSISTED,
    CHANNELS,
    CLOSED,
    DRAFT,
    JUDGMENT,
    OPEN,
    PAPER,
    PHASES,
    PUBLISHED,
    Consultation,
    Question,
)
from participation.core import layout
from participation.core.errors import DomainError
from participation.core.forms import to_paris, to_utc
from participation.core.http import commit_or_explain, form_error, page_number
from participation.core.limits import person_or_address
from participation.core.models import utcnow
from participation.core.page_cache import for_visitors
from participation.core.pdf import document, pdf_available
from participation.core.permissions import require
from participation.council.models import COUNCIL
from participation.council.services import get_body
from participation.extensions import db, limiter
from participation.territory.models import Commune, Organisation
from participation.territory.queries import list_centres, list_communes

COUNCIL_CHOICE = "conseil"
bp = Blueprint("consultations", __name__, url_prefix="/consultations")


def _load(consultation_id: int) -> Consultation:
    consultation = db.get_or_404(Consultation, consultation_id)
    require("consultations.view", consultation, hide=True)
    return consultation


@bp.route("")
@for_visitors
def index():
    return render_template(
        "consultations/index.html",
        now=utcnow(),
        consultations=queries.list_announced(page_number()),
    )


@bp.route("/gestion")
@login_required
def manage():
    require("consultations.create")
    return render_template(
        "consultations/manage.html",
        now=utcnow(),
        consultations=queries.list_managed(current_user, page_number()),
    )


# --- Preparing ------------------------------------------------------------------------------


def _fill(form: ConsultationForm) -> None:
    centres = list_centres() if current_user.is_admin else current_user.staff_centres()
    form.organisation.choices = [(str(c.id), c.short_name) for c in centres]
    council = get_body(COUNCIL)
    if services.may_organise(current_user, council):
        form.organisation.choices.append((COUNCIL_CHOICE, council.name))
    form.communes.choices = [(c.id, c.name) for c in list_communes()]


def _organiser(form: ConsultationForm):
    if form.organisation.data == COUNCIL_CHOICE:
        return get_body(COUNCIL)
    return db.get_or_404(Organisation, int(form.organisation.data))


def _details(form: ConsultationForm) -> dict:
    communes = [db.session.get(Commune, i) for i in form.communes.data or []]
    return {
        "title": form.title.data,
        "description": form.description.data,
        "opens_at": to_utc(form.opens_at.data),
        "closes_at": to_utc(form.closes_at.data),
        "communes": [c for c in communes if c is not None],
        "verified_only": form.verified_only.data,
        "min_age": form.min_age.data,
        "paired_listing": form.paired_listing.data,
    }


@bp.route("/nouvelle", methods=["GET", "POST"])
@login_required
def create():
    require("consultations.create")
    form = ConsultationForm()
    _fill(form)
    if request.method == "GET":
        form.communes.data = [c for c, _ in form.communes.choices]
    if form.validate_on_submit():
        try:
            consultation = services.create_consultation(
                current_user,
                organisation=_organiser(form),
                **_details(form),
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(_l("Draft saved. Now add the questions."), "success")
            return redirect(url_for("consultations.detail", consultation_id=consultation.id))
    return render_template("consultations/edit.html", form=form, consultation=None)


@bp.route("/<int:consultation_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(consultation_id):
    consultation = _load(consultation_id)
    require("consultations.manage", consultation)
    form = ConsultationForm(obj=consultation if request.method == "GET" else None)
    _fill(form)
    del form.organisation
    if request.method == "GET":
        form.opens_at.data = to_paris(consultation.opens_at)
        form.closes_at.data = to_paris(consultation.closes_at)
        form.communes.data = [c.id for c in consultation.communes]
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.update_consultation(consultation, utcnow(), **_details(form)), form
        ):
            flash(_l("Changes saved."), "success")
            return redirect(url_for("consultations.detail", consultation_id=consultation.id))
    return render_template("consultations/edit.html", form=form, consultation=consultation)


def _question_fields(form: QuestionForm) -> dict:
    return {
        "kind": form.kind.data,
        "text": form.text.data,
        "options": form.options.data,
        "max_choices": form.max_choices.data,
        "grades": form.grades.data,
    }


@bp.route("/<int:consultation_id>/questions/ajouter", methods=["GET", "POST"])
@login_required
def add_question(consultation_id):
    consultation = _load(consultation_id)
    require("consultations.manage", consultation)
    form = QuestionForm()
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.add_question(consultation, utcnow(), **_question_fields(form)), form
        ):
            flash(_l("Question added."), "success")
            return redirect(url_for("consultations.detail", consultation_id=consultation.id))
    return render_template(
        "consultations/question.html", form=form, consultation=consultation, question=None
    )


def _question(consultation: Consultation, question_id: int) -> Question:
    question = db.get_or_404(Question, question_id)
    if question.consultation_id != consultation.id:
        abort(404)
    return question


@bp.route("/<int:consultation_id>/questions/<int:question_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_question(consultation_id, question_id):
    consultation = _load(consultation_id)
    require("consultations.manage", consultation)
    question = _question(consultation, question_id)
    form = QuestionForm()
    if request.method == "GET":
        form.kind.data, form.text.data = question.kind, question.text
        form.options.data = "\n".join(o.label for o in question.options)
        form.max_choices.data = question.max_choices
        if question.grades:
            form.grades.data = "\n".join(question.grades)
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.update_question(question, utcnow(), **_question_fields(form)), form
        ):
            flash(_l("Question saved."), "success")
            return redirect(url_for("consultations.detail", consultation_id=consultation.id))
    return render_template(
        "consultations/question.html", form=form, consultation=consultation, question=question
    )


@bp.route("/<int:consultation_id>/questions/<int:question_id>/supprimer", methods=["POST"])
@login_required
def delete_question(consultation_id, question_id):
    consultation = _load(consultation_id)
    require("consultations.manage", consultation)
    question = _question(consultation, question_id)
    if commit_or_explain(lambda: services.delete_question(question, utcnow())):
        flash(_l("Question deleted."), "success")
    return redirect(url_for("consultations.detail", consultation_id=consultation.id))


@bp.route("/<int:consultation_id>/annoncer", methods=["POST"])
@login_required
def schedule(consultation_id):
    consultation = _load(consultation_id)
    require("consultations.manage", consultation)
    if commit_or_explain(lambda: services.schedule_consultation(consultation, utcnow())):
        flash(
            _l("The consultation is announced; it opens by itself on its opening date."), "success"
        )
    return redirect(url_for("consultations.detail", consultation_id=consultation.id))


@bp.route("/<int:consultation_id>/publier", methods=["POST"])
@login_required
def publish(consultation_id):
    consultation = _load(consultation_id)
    require("consultations.manage", consultation)
    try:
        services.publish_results(consultation, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("consultations.detail", consultation_id=consultation.id))
    db.session.commit()
    flash(_l("Results published."), "success")
    return redirect(url_for("consultations.results", consultation_id=consultation.id))


# --- Public pages -----------------------------------------------------------------------------


@bp.route("/<int:consultation_id>")
@for_visitors
def detail(consultation_id):
    consultation = _load(consultation_id)
    now = utcnow()
    phase = consultation.phase(now)
    voted = problem = None
    if current_user.is_authenticated and phase != DRAFT:
        voted = services.has_voted(consultation, current_user)
        problem = services.eligibility_problem(consultation, current_user, now)
    turnout = queries.turnout(consultation) if phase in (OPEN, CLOSED, PUBLISHED) else None
    return render_template(
        "consultations/detail.html",
        consultation=consultation,
        now=now,
        phase=phase,
        voted=voted,
        problem=problem,
        turnout=turnout,
        channels=CHANNELS,
    )


@bp.route("/<int:consultation_id>/empreinte.txt")
def canonical(consultation_id):
    consultation = _load(consultation_id)
    if consultation.fingerprint is None:
        abort(404)
    return Response(
        services.canonical_text(consultation),
        mimetype="text/plain",
        headers={"Content-Disposition": f"inline; filename=consultation-{consultation.id}.txt"},
    )


# --- Voting ---------------------------------------------------------------------------------


def _ballot_page(consultation, answers, error=None, *, desk_person=None, desk_form=None):
    return render_template(
        "consultations/ballot.html",
        consultation=consultation,
        answers=answers,
        error=error,
        person=desk_person,
        desk_form=desk_form,
        judgment=JUDGMENT,
    )


_REFUSAL_STATUS = {services.NOT_OPEN: 409, services.ALREADY_VOTED: 409,
                   services.NOT_ELIGIBLE: 403}


def _refusal_page(consultation, refusal: services.VoteRefused, now):
    """The page telling the current person why they cannot vote now."""
    message = refusal.message
    if refusal.reason == services.ALREADY_VOTED:
        message = _l("You have already voted in this consultation. Thank you!")
    return render_template(
        "consultations/cannot_vote.html", consultation=consultation, message=message, now=now
    ), _REFUSAL_STATUS[refusal.reason]


def _vote_refusal(consultation, now):
    """A page explaining why the current person cannot vote now, or None."""
    refusal = services.vote_refusal(consultation, current_user, now)
    return _refusal_page(consultation, refusal, now) if refusal else None


@bp.route("/<int:consultation_id>/voter", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"], key_func=person_or_address)
def vote(consultation_id):
    consultation = _load(consultation_id)
    require("consultations.vote", consultation)
    now = utcnow()
    refusal = _vote_refusal(consultation, now)
    if refusal:
        return refusal
    if request.method == "GET":
        return _ballot_page(consultation, {})
    answers = read_answers(consultation, request.form)
    if request.form.get("change"):
        return _ballot_page(consultation, answers)
    try:
        clean = services.check_answers(consultation, answers)
    except DomainError as error:
        return _ballot_page(consultation, answers, error), 400
    return render_template(
        "consultations/summary.html",
        consultation=consultation,
        answers=clean,
        action=url_for("consultations.confirm", consultation_id=consultation.id),
        back=url_for("consultations.vote", consultation_id=consultation.id),
        person=None,
    )


@bp.route("/<int:consultation_id>/voter/confirmer", methods=["POST"])
@login_required
@limiter.limit("30 per hour", key_func=person_or_address)
def confirm(consultation_id):
    # The consultation with its communes, questions and options in one statement; every
    # rule (open, not voted yet, eligible, answers) is checked once, by the service.
    consultation = queries.get_for_ballot(consultation_id)
    if consultation is None:
        abort(404)
    require("consultations.view", consultation, hide=True)
    require("consultations.vote", consultation)
    now = utcnow()
    answers = read_answers(consultation, request.form)
    try:
        ballot = services.cast_ballot(
            consultation, current_user._get_current_object(), answers, now
        )
    except services.VoteRefused as refusal:
        db.session.rollback()
        return _refusal_page(consultation, refusal, now)
    except DomainError as error:
        db.session.rollback()
        return _ballot_page(consultation, answers, error), 400
    # Rendered before the commit, while everything is loaded (a commit expires it all and
    # the page would load it again: six queries a vote); sent only once committed. The
    # same page for every voter of this consultation but for the receipt: kept.
    page = layout.shared_page(
        "consultations/receipt.html",
        (consultation.id, consultation.title, consultation.closes_at),
        own={"receipt": services.receipt(ballot)}, consultation=consultation, person=None)
    db.session.commit()
    return page


# --- After closing: ballots, receipts, results ------------------------------------------------


def _after_closing(consultation, now):
    if consultation.phase(now) not in (CLOSED, PUBLISHED):
        return render_template(
            "consultations/not_yet.html",
            consultation=consultation,
            now=now,
            turnout=queries.turnout(consultation) if consultation.phase(now) == OPEN else None,
            channels=CHANNELS,
        )
    return None


def _content_rows(consultation, answers_text):
    """A ballot's content in words: one line per question."""
    answers = json.loads(answers_text)
    rows = []
    for question in consultation.questions:
        labels = {str(o.id): o.label for o in question.options}
        answer = answers.get(str(question.id))
        if not answer:
            rows.append((question, [str(_l("blank"))]))
        elif question.kind == JUDGMENT:
            rows.append(
                (question, [f"{labels[o]} : {question.grades[g]}" for o, g in answer.items()])
            )
        else:
            rows.append((question, [labels[str(o)] for o in answer]))
    return rows


@bp.route("/<int:consultation_id>/bulletins")
def ballots(consultation_id):
    consultation = _load(consultation_id)
    now = utcnow()
    waiting = _after_closing(consultation, now)
    if waiting:
        return waiting
    view = request.args.get("liste", "suivis")
    page = page_number()
    trackers = contents = paired = rows = None
    if consultation.paired_listing and view == "paires":
        paired, rows = queries.paired_page(consultation, page)
    elif view == "contenus":
        contents, rows = queries.contents_page(consultation, page)
    else:
        view = "suivis"
        trackers = queries.trackers_page(consultation, page)
    return render_template(
        "consultations/ballots.html",
        consultation=consultation,
        view=view,
        trackers=trackers,
        contents=contents,
        paired=paired,
        rows=rows,
        turnout=queries.turnout(consultation),
        ballot_count=queries.count_ballots(consultation),
        content_rows=lambda text: _content_rows(consultation, text),
        format_tracker=services.format_tracker,
    )


@bp.route("/<int:consultation_id>/bulletins.csv")
def ballots_csv(consultation_id):
    consultation = _load(consultation_id)
    if consultation.phase(utcnow()) not in (CLOSED, PUBLISHED):
        abort(404)
    questions = consultation.questions

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        header = (
            ([str(_l("tracker"))] if consultation.paired_listing else [])
            + [str(_l("channel")), str(_l("day"))]
            + [f"{i}. {q.text}" for i, q in enumerate(questions, start=1)]
        )
        writer.writerow(header)
        for row in queries.iter_contents(consultation):
            row = list(row)
            tracker = [row.pop(0)] if consultation.paired_listing else []
            answers_text, channel, day = row
            cells = ["; ".join(words) for _, words in _content_rows(consultation, answers_text)]
            writer.writerow(tracker + [channel, day.isoformat(), *cells])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=consultation-{consultation.id}-"
            f"bulletins.csv"
        },
    )


@bp.route("/<int:consultation_id>/verifier-recu")
def check_receipt(consultation_id):
    consultation = _load(consultation_id)
    now = utcnow()
    waiting = _after_closing(consultation, now)
    if waiting:
        return waiting
    text = (request.args.get("recu") or "")[:60]
    status = tracker = None
    if text:
        status, tracker = services.check_receipt(consultation, text)
    return render_template(
        "consultations/check_receipt.html",
        consultation=consultation,
        text=text,
        status=status,
        tracker=services.format_tracker(tracker) if tracker else None,
    )


@bp.route("/<int:consultation_id>/resultats")
@for_visitors
def results(consultation_id):
    consultation = _load(consultation_id)
    now = utcnow()
    waiting = _after_closing(consultation, now)
    if waiting:
        return waiting
    centres = {str(c.id): c.short_name for c in list_centres()}
    return render_template(
        "consultations/results.html",
        consultation=consultation,
        published=consultation.phase(now) == PUBLISHED,
        now=now,
        questions=queries.results_by_question(consultation) if consultation.results else None,
        turnout=queries.turnout(consultation),
        channels=CHANNELS,
        centres=centres,
    )


@bp.route("/<int:consultation_id>/resultats.csv")
def results_csv(consultation_id):
    consultation = _load(consultation_id)
    if consultation.phase(utcnow()) != PUBLISHED:
        abort(404)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            str(_l("question")),
            str(_l("option")),
            str(_l("rank")),
            str(_l("votes")),
            str(_l("percentage")),
            str(_l("majority grade")),
            str(_l("grades, best first")),
        ]
    )
    for entry in queries.results_by_question(consultation):
        text = entry["question"].text
        for row in entry["rows"]:
            if entry["question"].kind == JUDGMENT:
                writer.writerow(
                    [
                        text,
                        row["label"],
                        row["rank"],
                        "",
                        "",
                        row["majority"] or "",
                        " / ".join(map(str, row["counts"])),
                    ]
                )
            else:
                writer.writerow(
                    [text, row["label"], row["rank"], row["count"], row["percent"], "", ""]
                )
        writer.writerow([text, str(_l("blank")), "", entry["blank"], "", "", ""])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=consultation-{consultation.id}-"
            f"resultats.csv"
        },
    )


# --- Paper ballots and the desk ---------------------------------------------------------------


@bp.route("/<int:consultation_id>/bulletin-papier")
def paper(consultation_id):
    consultation = _load(consultation_id)
    return render_template("consultations/paper.html", consultation=consultation,
                           judgment=JUDGMENT, pdf=pdf_available())


@bp.route("/<int:consultation_id>/bulletin-papier/imprimer", defaults={"as_pdf": False})
@bp.route("/<int:consultation_id>/bulletin-papier.pdf", endpoint="paper_pdf",
          defaults={"as_pdf": True})
def print_paper(consultation_id, as_pdf):
    """The paper ballot as a print view or a PDF, from the same HTML as the online one."""
    consultation = _load(consultation_id)
    return document("consultations/print_paper.html",
                    f"bulletin-consultation-{consultation.id}.pdf", as_pdf,
                    consultation=consultation, judgment=JUDGMENT)


@bp.route("/<int:consultation_id>/guichet")
@login_required
def desk(consultation_id):
    consultation = _load(consultation_id)
    require("consultations.desk", consultation)
    form = SearchPeopleForm(request.args)
    people = accounts.search_people(form.q.data) if form.q.data and form.validate() else []
    return render_template(
        "consultations/desk.html",
        consultation=consultation,
        form=form,
        people=people,
        searched=bool(form.q.data),
        now=utcnow(),
        open=consultation.phase(utcnow()) == OPEN,
    )


class _DeskChoice:
    """The channel and centre chosen at the desk, kept through the summary page."""

    def __init__(self, formdata):
        centres = {
            c.id: c
            for c in (list_centres() if current_user.is_admin else current_user.staff_centres())
        }
        self.centres = list(centres.values())
        self.channel = (
            formdata.get("channel") if formdata.get("channel") in (PAPER, ASSISTED) else PAPER
        )
        try:
            self.centre = centres.get(int(formdata.get("centre", "")))
        except ValueError:
            self.centre = None
        if self.centre is None and len(self.centres) == 1:
            self.centre = self.centres[0]


def _desk_person(user_id) -> User:
    person = db.get_or_404(User, user_id)
    if not person.is_active:
        abort(404)
    return person


@bp.route("/<int:consultation_id>/guichet/<int:user_id>", methods=["GET", "POST"])
@login_required
def desk_ballot(consultation_id, user_id):
    consultation = _load(consultation_id)
    require("consultations.desk", consultation)
    person = _desk_person(user_id)
    now = utcnow()
    choice = _DeskChoice(request.form)
    refusal = services.vote_refusal(consultation, person, now)
    if refusal:
        return render_template(
            "consultations/cannot_vote.html",
            consultation=consultation,
            message=refusal.message,
            now=now,
            person=person,
        ), 409
    if request.method == "GET":
        return _ballot_page(consultation, {}, desk_person=person, desk_form=choice)
    answers = read_answers(consultation, request.form)
    if request.form.get("change"):
        return _ballot_page(consultation, answers, desk_person=person, desk_form=choice)
    try:
        if choice.centre is None:
            raise DomainError(_l("Choose the centre where the ballot is entered."))
        clean = services.check_answers(consultation, answers)
    except DomainError as error:
        return _ballot_page(consultation, answers, error, desk_person=person, desk_form=choice), 400
    return render_template(
        "consultations/summary.html",
        consultation=consultation,
        answers=clean,
        person=person,
        desk_form=choice,
        action=url_for(
            "consultations.desk_confirm", consultation_id=consultation.id, user_id=person.id
        ),
        back=url_for(
            "consultations.desk_ballot", consultation_id=consultation.id, user_id=person.id
        ),
    )


@bp.route("/<int:consultation_id>/guichet/<int:user_id>/confirmer", methods=["POST"])
@login_required
def desk_confirm(consultation_id, user_id):
    consultation = _load(consultation_id)
    require("consultations.desk", consultation)
    person = _desk_person(user_id)
    choice = _DeskChoice(request.form)
    answers = read_answers(consultation, request.form)
    try:
        if choice.centre is None:
            raise DomainError(_l("Choose the centre where the ballot is entered."))
        ballot = services.cast_ballot(
            consultation,
            person,
            answers,
            utcnow(),
            channel=choice.channel,
            centre=choice.centre,
            staff=current_user,
        )
    except DomainError as error:
        db.session.rollback()
        return _ballot_page(consultation, answers, error, desk_person=person, desk_form=choice), 400
    receipt = services.receipt(ballot)
    db.session.commit()
    return render_template(
        "consultations/receipt.html", consultation=consultation, receipt=receipt, person=person
    )


@bp.app_template_global()
def consultation_phases():
    return PHASES
