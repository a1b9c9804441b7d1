"""CSV exports of the dashboard's tables (issue 8, items 4 and 6).

UTF-8 with a byte-order mark, so that spreadsheets open accents right; a header
row; dates in ISO 8601 (a period is written as the interval ``2026-10-01/2026-12-31``).
People cells went through ``small_number`` when the dashboard was computed, so an
export says "< 5" exactly where the page does.
"""

import csv
import io
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from participation.results.queries import Period

BOM = "\ufeff"

# name in the URL -> (title, header of the first column, shape of the rows)
TABLES = {
    "figures": (_l("Figures of the period"), _l("Figure"), "compare"),
    "status": (_l("Proposals published in the period, by status today"), _l("Status"),
               "status"),
    "funnel": (_l("From proposal to action"), _l("Step"), "compare"),
    "centres": (_l("Proposals published, by centre"), _l("Centre"), "compare"),
    "communes": (_l("Proposals published, by commune"), _l("Commune"), "compare"),
    "proposal_channels": (_l("Proposals published, by channel"), _l("Channel"), "compare"),
    "accounts": (_l("New accounts, by commune"), _l("Commune"), "compare"),
    "account_channels": (_l("New accounts, by channel"), _l("Channel"), "compare"),
    "verified": (_l("Residents verified, by commune"), _l("Commune"), "compare"),
    "people": (_l("People who took part at least once, by commune"), _l("Commune"),
               "compare"),
    "registration_channels": (_l("Registrations to shared projects, by channel"),
                              _l("Channel"), "compare"),
    "participations": (_l("Consultation participations, by commune"), _l("Commune"),
                       "compare"),
    "participation_channels": (_l("Consultation participations, by channel"), _l("Channel"),
                               "compare"),
    "population": (_l("Consultation participations against the population"), _l("Commune"),
                   "compare"),
    "consultations": (_l("Consultations closed in the period"), _l("Consultation"),
                      "consultations"),
    "months": (_l("Month by month"), _l("Month"), "months"),
}


def period_slug(period: Period) -> str:
    """``2026-T4`` for a quarter, ``2026`` for a year: for file names."""
    return f"{period.year}-T{period.number}" if period.kind == "quarter" else str(period.year)


def iso_interval(period: Period) -> str:
    first, day_after = period.days
    return f"{first.isoformat()}/{(day_after - timedelta(days=1)).isoformat()}"


def header(name: str, period: Period) -> list[str]:
    """The header row of one table."""
    _title, first, shape = TABLES[name]
    if shape == "compare":
        return [str(first), iso_interval(period), iso_interval(period.previous())]
    if shape == "status":
        return [str(first), str(_l("Proposals")), "%"]
    if shape == "consultations":
        return [str(first), str(_l("Closed on")), str(_l("People who voted")),
                str(_l("Eligible registered people")), str(_l("Turnout")),
                str(_l("Population of its communes")), str(_l("Share of the population"))]
    return [str(first), str(_l("Proposals published")), str(_l("New accounts")),
            str(_l("Consultation participations"))]


def rows(name: str, data: dict) -> list[list]:
    """The data rows of one table, from ``queries.dashboard``."""
    shape = TABLES[name][2]
    if shape == "status":
        return [[r["label"], r["value"], r["percent"]] for r in data["by_status"]]
    table = data["tables"][name]
    if shape == "compare":
        return [[r["name"], r["current"], r["previous"]] for r in table]
    if shape == "consultations":
        return [[r["name"], r["closes_on"].isoformat(), r["voters"], r["eligible"],
                 r["turnout"], r["population"], r["population_turnout"]] for r in table]
    return [[r["month"].strftime("%Y-%m"), r["proposals"], r["accounts"], r["participations"]]
            for r in table]


def to_csv(name: str, data: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header(name, data["period"]))
    writer.writerows(rows(name, data))
    return BOM + buffer.getvalue()
