"""The participation dashboard at /resultats."""

from flask import Blueprint, current_app, render_template, request

from participation.core.models import utcnow
from participation.core.permissions import require
from participation.results import queries
from participation.results.forms import PeriodForm

bp = Blueprint("results", __name__)


@bp.get("/resultats")
def dashboard():
    """This quarter by default; any quarter or year chosen in the form (GET)."""
    require("results.view")
    now = utcnow()
    period = queries.Period.containing(now)
    form = PeriodForm(request.args, data={"kind": period.kind, "year": period.year,
                                          "quarter": str(period.number)})
    if request.args and form.validate():
        kind = form.kind.data
        period = queries.Period(kind, form.year.data,
                                int(form.quarter.data or 1) if kind == "quarter" else 0)
    return render_template("results/dashboard.html", form=form,
                           **queries.cached_dashboard(
                               period, now, current_app.config["DASHBOARD_CACHE_SECONDS"]))
