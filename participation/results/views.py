"""The participation dashboard at /resultats, its CSV exports and the quarterly report."""

import threading

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
)
from flask_babel import force_locale, get_locale
from markupsafe import Markup

from participation.core import layout
from participation.core.models import utcnow
from participation.core.pdf import document
from participation.core.permissions import require
from participation.results import exports, queries, report
from participation.results.forms import PeriodForm

bp = Blueprint("results", __name__)


def _chosen_period(default: queries.Period) -> tuple[PeriodForm, queries.Period]:
    """The period asked in the query string (a GET form), or ``default`` when none or wrong."""
    form = PeriodForm(request.args, data={"kind": default.kind, "year": default.year,
                                          "quarter": str(default.number or 1)})
    period = default
    if request.args and form.validate():
        kind = form.kind.data
        period = queries.Period(kind, form.year.data,
                                int(form.quarter.data or 1) if kind == "quarter" else 0)
    return form, period


def period_args(period: queries.Period) -> dict:
    """The query string that shows ``period`` (for links to exports and the report)."""
    args = {"kind": period.kind, "year": period.year}
    if period.kind == "quarter":
        args["quarter"] = period.number
    return args


@bp.app_template_global("report_period_before")
def report_period_before(moment):
    """The quarter a Conseil meeting at ``moment`` reviews (the one before), for its link to
    the quarterly report: ``label`` and the query string ``args``."""
    period = report.quarter_before(moment)
    return {"label": period.label, "args": period_args(period)}


@bp.get("/resultats")
def dashboard():
    """This quarter by default; any quarter or year chosen in the form (GET)."""
    require("results.view")
    now = utcnow()
    default = queries.Period.containing(now)
    # The usual visit asks nothing: the form is then made only if the body is rendered.
    form, period = _chosen_period(default) if request.args else (None, default)
    body = _dashboard_body(form, period, now)
    # The same for every member of staff with the same menu: kept whole with its body.
    return layout.shared_page("results/dashboard.html", (period, body), period=period,
                              body=body)


# The dashboard's body (figures, charts, tables) as HTML, rendered once for each set of
# figures (kept DASHBOARD_CACHE_SECONDS): the same for every member of staff who opens it,
# and most of the page's rendering work. Values hold the figures, so their id stays theirs.
_bodies: dict[tuple, tuple[dict, Markup]] = {}


def _dashboard_body(form, period, now) -> Markup:
    seconds = current_app.config["DASHBOARD_CACHE_SECONDS"]
    figures = queries.cached_dashboard(period, now, seconds, recount_later=_count_beside_requests)
    key = (request.full_path, str(get_locale()), id(figures))
    if seconds > 0 and key in _bodies:
        return _bodies[key][1]
    # Our own template's output, where Jinja escaped every value.
    body = Markup(render_template(  # noqa: S704  # nosec B704 — escaped by Jinja
        "results/_dashboard_body.html", form=form or _chosen_period(period)[0],
        args=period_args(period),
        report_args=period_args(report.default_period(now)), tables_meta=exports.TABLES,
        **figures))
    if seconds > 0:
        if len(_bodies) >= 200:  # every period asked lately, within reason
            _bodies.clear()
        _bodies[key] = (figures, body)
    return body


def _count_beside_requests(job) -> None:
    """Run ``job`` beside this worker's requests (a thread of its own, with the app and the
    request's language): nobody waits for it. Run after the response instead, it held a
    worker for the count (most of a second at the scale of the territory), once a minute,
    and every page that worker was given meanwhile waited as long."""
    app, locale = current_app._get_current_object(), str(get_locale())

    def run():
        with app.app_context(), force_locale(locale):
            job()

    threading.Thread(target=run, name="dashboard-count", daemon=True).start()


@bp.get("/resultats/<name>.csv")
def export(name):
    """One table of the dashboard as CSV (UTF-8 with BOM, header row, ISO dates)."""
    require("results.view")
    if name not in exports.TABLES:
        abort(404)
    now = utcnow()
    form, period = _chosen_period(queries.Period.containing(now))
    if request.args and form.errors:
        # Said in words, rather than an export of another period than the one asked.
        return Response("\n".join(str(e) for errors in form.errors.values() for e in errors),
                        status=400, mimetype="text/plain")
    data = queries.cached_dashboard(period, now, current_app.config["DASHBOARD_CACHE_SECONDS"])
    return Response(exports.to_csv(name, data), mimetype="text/csv", headers={
        "Content-Disposition":
            f'attachment; filename="resultats-{name}-{exports.period_slug(period)}.csv"'})


@bp.get("/resultats/rapport", defaults={"as_pdf": False})
@bp.get("/resultats/rapport.pdf", endpoint="report_pdf", defaults={"as_pdf": True})
def report_view(as_pdf):
    """The quarterly report (print view, or the same as PDF): the last complete quarter
    by default, any quarter or year asked in the query string."""
    require("results.view")
    now = utcnow()
    form, period = _chosen_period(report.default_period(now))
    return document("results/report.html",
                    f"rapport-participation-{exports.period_slug(period)}.pdf", as_pdf,
                    form=form, args=period_args(period), tables_meta=exports.TABLES,
                    **report.gather(period, now))
