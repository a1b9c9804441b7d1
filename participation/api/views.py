"""The read-only open data API under /api/: public data as JSON, and its explanation page.

Every response is paginated where it lists, carries an ETag (304 on If-None-Match)
and may be cached publicly for a short while. Each route runs a fixed number of SQL
queries whatever the data. Errors under /api/ answer in JSON (core.errors).
"""

import hashlib
import json

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from participation.actions import queries as action_queries
from participation.actions.models import PUBLIC_STATUSES as SHEET_STATUSES
from participation.actions.models import ActionSheet
from participation.api import serializers
from participation.api.openapi import MAX_PAGE, document
from participation.consultations import queries as consultation_queries
from participation.consultations.models import PUBLISHED, Consultation, Question
from participation.core.models import utcnow
from participation.council import queries as council_queries
from participation.extensions import db
from participation.projects import queries as project_queries
from participation.proposals import queries as proposal_queries
from participation.proposals.models import PUBLIC_STATUSES as PROPOSAL_STATUSES

bp = Blueprint("api", __name__, url_prefix="/api")

PER_PAGE = 20
MAX_PER_PAGE = 100
# Ballot lists reuse the public pages' reads, which go 50 at a time.
BALLOTS_PER_PAGE = consultation_queries.PER_PAGE
MAX_AGE = 60  # seconds: fresh enough for a newsroom, light on the server


class BadParameter(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@bp.errorhandler(BadParameter)
def bad_parameter(error):
    from participation.core.errors import ERROR_TEXTS

    return {"error": str(ERROR_TEXTS[400][0]), "message": str(error.message)}, 400


def _positive(name: str, default: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    # isdigit alone lets "²" through to int(), which refuses it.
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0
    if number < 1 or (maximum is not None and number > maximum):
        if maximum is None:
            raise BadParameter(_l("“%(name)s” must be a whole number from 1.", name=name))
        raise BadParameter(_l("“%(name)s” must be a whole number from 1 to %(max)d.",
                              name=name, max=maximum))
    return number


def _json(payload, status: int = 200):
    """A JSON response with an ETag of its content, 304 when the client already has it."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    response = current_app.response_class(body, status=status, mimetype="application/json")
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


def _paginated(query, serialize, *, per_page: int | None = None, **url_values):
    page = _positive("page", 1, MAX_PAGE)
    fixed = per_page is not None
    per_page = per_page or _positive("per_page", PER_PAGE, MAX_PER_PAGE)
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False,
                             count=True)
    return _envelope(pagination, [serialize(item) for item in pagination.items], fixed,
                     **url_values)


def _envelope(pagination, items, fixed_size=False, **url_values) -> dict:
    def link(page):
        values = dict(url_values, page=page)
        if not fixed_size:
            values["per_page"] = pagination.per_page
        return url_for(request.endpoint, _external=True, **values)

    return {
        "items": items,
        "page": pagination.page,
        "per_page": pagination.per_page,
        "total": pagination.total,
        "pages": pagination.pages,
        "links": {
            "self": link(pagination.page),
            "next": link(pagination.page + 1) if pagination.has_next else None,
            "prev": link(pagination.page - 1) if pagination.page > 1 else None,
        },
    }


# --- The page for people, and the document for programs ------------------------------------

@bp.route("")
def index():
    examples = [
        url_for("api.proposals", _external=True),
        url_for("api.proposals", page=2, per_page=50, _external=True),
        url_for("api.consultations", _external=True),
        url_for("api.decisions", _external=True),
        url_for("api.action_sheets", _external=True),
    ]
    return render_template("api/index.html", examples=examples, max_per_page=MAX_PER_PAGE,
                           max_age=MAX_AGE)


@bp.route("/openapi.json")
def openapi():
    return _json(document(url_for("api.index", _external=True)))


# --- Proposals --------------------------------------------------------------------------------

@bp.route("/proposals")
def proposals():
    query = proposal_queries.public_proposals()
    return _json(_paginated(query, serializers.proposal))


@bp.route("/proposals/<int:proposal_id>")
def proposal(proposal_id):
    found = proposal_queries.get_proposal(proposal_id)
    if found is None or found.status not in PROPOSAL_STATUSES:
        abort(404)
    return _json(serializers.proposal(found))


# --- Shared projects --------------------------------------------------------------------------

@bp.route("/projects")
def projects():
    now = utcnow()
    query = project_queries.public_projects(now)
    return _json(_paginated(query, lambda p: serializers.project(p, now)))


@bp.route("/projects/<int:project_id>")
def project(project_id):
    found = project_queries.get_project(project_id)
    if found is None or found.published_at is None:
        abort(404)
    proposals_ = [p for p in found.proposals if p.status in PROPOSAL_STATUSES]
    return _json(serializers.project_detail(found, utcnow(),
                                            project_queries.sessions_of(found), proposals_))


# --- Consultations ----------------------------------------------------------------------------

def _consultations():
    # As the public list: announced ones, the latest to close first.
    return (sa.select(Consultation).where(Consultation.scheduled_at.is_not(None))
            .options(selectinload(Consultation.questions).selectinload(Question.options))
            .order_by(Consultation.closes_at.desc(), Consultation.id.desc()))


def _announced(consultation_id: int) -> Consultation:
    found = db.session.scalar(_consultations().where(Consultation.id == consultation_id))
    if found is None:
        abort(404)
    return found


@bp.route("/consultations")
def consultations():
    now = utcnow()
    return _json(_paginated(_consultations(), lambda c: serializers.consultation(c, now)))


@bp.route("/consultations/<int:consultation_id>")
def consultation(consultation_id):
    from participation.consultations.queries import results_by_question

    found = _announced(consultation_id)
    now = utcnow()
    payload = serializers.consultation(found, now)
    payload["turnout"] = payload["results"] = None
    payload["ballots_url"] = payload["trackers_url"] = None
    if found.phase(now) == PUBLISHED:
        # Results, turnout and the ballot lists only once the organisers published them.
        payload["turnout"] = serializers.turnout(consultation_queries.turnout(found))
        payload["results"] = serializers.results(results_by_question(found),
                                                 found.results["ballots"])
        payload["ballots_url"] = url_for("api.consultation_ballots",
                                         consultation_id=found.id, _external=True)
        payload["trackers_url"] = url_for("api.consultation_trackers",
                                          consultation_id=found.id, _external=True)
    return _json(payload)


def _published(consultation_id: int) -> Consultation:
    found = _announced(consultation_id)
    if found.phase(utcnow()) != PUBLISHED:
        abort(404)
    return found


@bp.route("/consultations/<int:consultation_id>/ballots")
def consultation_ballots(consultation_id):
    """Each distinct ballot content with how many ballots carry it, in the order of the
    content: never beside a tracker (as the public ballots page lists them)."""
    found = _published(consultation_id)
    pagination, rows = consultation_queries.contents_page(found, _positive("page", 1, MAX_PAGE))
    items = [{"content": serializers.ballot_content(found, answers), "ballots": count}
             for answers, count in rows]
    return _json(_envelope(pagination, items, True, consultation_id=found.id))


@bp.route("/consultations/<int:consultation_id>/trackers")
def consultation_trackers(consultation_id):
    """Every ballot's tracker, apart from the contents, so anyone can find theirs."""
    found = _published(consultation_id)
    pagination = consultation_queries.trackers_page(found, _positive("page", 1, MAX_PAGE))
    return _json(_envelope(pagination, list(pagination.items), True,
                           consultation_id=found.id))


# --- The register of decisions ---------------------------------------------------------------

@bp.route("/decisions")
def decisions():
    # Newest first; (body, year, number) is unique, so the order is stable.
    return _json(_paginated(council_queries.register_query(None, None), serializers.decision))


# --- Fiches action -----------------------------------------------------------------------------

@bp.route("/action-sheets")
def action_sheets():
    query = (sa.select(ActionSheet).where(ActionSheet.status.in_(SHEET_STATUSES))
             .options(selectinload(ActionSheet.objectives), selectinload(ActionSheet.actors),
                      selectinload(ActionSheet.means), selectinload(ActionSheet.communes))
             .order_by(ActionSheet.id.desc()))
    return _json(_paginated(query, serializers.action_sheet))


@bp.route("/action-sheets/<int:sheet_id>")
def action_sheet(sheet_id):
    found = action_queries.load_sheet(sheet_id)
    if found is None or not found.is_public:
        abort(404)
    help_offers = action_queries.accepted_help(found)
    return _json(serializers.action_sheet_detail(found, help_offers))

