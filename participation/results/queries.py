"""The figures of the participation dashboard, computed in SQL for one period.

A period is a quarter or a year with Europe/Paris boundaries. ``dashboard``
runs four queries whatever the amount of data: each figure is an aggregate
(``GROUP BY`` for the breakdowns by commune and centre) counted for the chosen
period and the one before it in the same scan (a conditional count per period);
the breakdowns go together in one ``UNION ALL``, the one-row totals in one
statement joining one-row subqueries.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l

from participation.accounts.models import User
from participation.actions.models import ActionSheet, sheet_proposals
from participation.consultations.models import (
    ASSISTED,
    CHANNELS,
    ONLINE,
    PAPER,
    Consultation,
    Participation,
    consultation_communes,
)
from participation.core.privacy import THRESHOLD, small_number
from participation.core.text import fold
from participation.extensions import db
from participation.projects.models import Attendance, ProjectSession, Registration
from participation.proposals.models import (
    PUBLIC_STATUSES,
    STATUS_LABELS,
    Comment,
    Proposal,
    Support,
)
from participation.proposals.services import answer_days, median_answer_days
from participation.territory.models import Centre, Commune

PARIS = ZoneInfo("Europe/Paris")
KINDS = ("quarter", "year")
# The steps of the funnel, each including the ones after it.
FUNNEL = (("published", _l("published")), ("retained", _l("retained")),
          ("action_sheet", _l("with a fiche action")), ("completed", _l("completed")))


def period_bounds(kind: str, year: int, number: int = 1) -> tuple[datetime, datetime]:
    """The UTC instants where a quarter (``number`` 1 to 4) or a year starts and ends.

    Boundaries are midnight in Calais, so a quarter starting in winter time and
    ending in summer time is not a whole number of 24-hour days. The end is excluded.
    """
    if kind == "year":
        first, last = date(year, 1, 1), date(year + 1, 1, 1)
    elif kind == "quarter" and 1 <= number <= 4:
        first = date(year, 3 * (number - 1) + 1, 1)
        last = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    else:
        raise ValueError(f"unknown period {kind!r} {number!r}")
    return _paris_midnight(first), _paris_midnight(last)


def _paris_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """A quarter (``number`` 1 to 4) or a year (``number`` 0)."""

    kind: str
    year: int
    number: int = 0

    @classmethod
    def containing(cls, now: datetime) -> "Period":
        """The quarter that ``now`` falls in, in Calais."""
        today = now.astimezone(PARIS).date()
        return cls("quarter", today.year, (today.month - 1) // 3 + 1)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return period_bounds(self.kind, self.year, self.number)

    @property
    def days(self) -> tuple[date, date]:
        """First day and the day after the last, as Calais calendar dates."""
        start, end = self.bounds
        return start.astimezone(PARIS).date(), end.astimezone(PARIS).date()

    def previous(self) -> "Period":
        if self.kind == "year":
            return Period("year", self.year - 1)
        if self.number == 1:
            return Period("quarter", self.year - 1, 4)
        return Period("quarter", self.year, self.number - 1)

    @property
    def label(self) -> str:
        if self.kind == "year":
            return str(_l("year %(year)s", year=self.year))
        return str(_l("quarter %(number)s of %(year)s", number=self.number, year=self.year))


def _within(column, start, end):
    return sa.and_(column >= start, column < end)


def _count_if(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _one_row(*selects) -> list[tuple]:
    """Several one-row aggregates in one statement (a join of one-row subqueries, each
    scanning its own table once): their rows, in the order given."""
    subqueries = [select.subquery() for select in selects]
    statement = sa.select(*[c for sub in subqueries for c in sub.c]).select_from(subqueries[0])
    for sub in subqueries[1:]:
        statement = statement.join(sub, sa.true())
    row, rows, at = tuple(db.session.execute(statement).one()), [], 0
    for sub in subqueries:
        rows.append(row[at:at + len(sub.c)])
        at += len(sub.c)
    return rows


def _both(column, periods, condition=None) -> list:
    """Counts of the rows whose ``column`` falls in each period, current period first,
    among those that meet ``condition``."""
    extra = [condition] if condition is not None else []
    return [_count_if(sa.and_(_within(column, a, b), *extra)) for a, b in reversed(periods)]


def _breakdown_rows(periods) -> sa.CompoundSelect:
    """Every breakdown of the two periods in one ``UNION ALL``: rows of
    (kind, a, b, label, current, previous, current 2, previous 2)."""
    (start, middle), (_, end) = periods
    first_day, day_between, day_after = (d.astimezone(PARIS).date()
                                         for d in (start, middle, end))
    zero, none = sa.literal_column("0"), sa.null()

    def kind(name):
        return sa.literal_column(f"'{name}'")

    created, verified = User.created_at, User.verified_at
    accounts = (sa.select(kind("accounts").label("kind"), User.commune_id.label("a"),
                          none.label("b"), none.label("label"),
                          *_both(created, periods), *_both(verified, periods))
                .where(sa.or_(_within(created, start, end), _within(verified, start, end)))
                .group_by(User.commune_id))
    proposals = (sa.select(kind("proposals"), Proposal.centre_id, Proposal.commune_id,
                           Proposal.status, *_both(Proposal.published_at, periods), zero, zero)
                 .where(_within(Proposal.published_at, start, end))
                 .group_by(Proposal.status, Proposal.centre_id, Proposal.commune_id))
    votes = (sa.select(kind("votes"), Participation.commune_id, none, Participation.channel,
                       _count_if(Participation.day >= day_between),
                       _count_if(Participation.day < day_between), zero, zero)
             .where(Participation.day >= first_day, Participation.day < day_after)
             .group_by(Participation.commune_id, Participation.channel))

    # People who took part at least once in each period (proposed, supported, commented,
    # registered to a project or voted), by the commune of their account: one row per act
    # and period, tagged 0 for the current period and 1 for the previous one.
    def acted(person, *columns):
        return [sa.select(person.label("person"), sa.literal_column(str(tag)).label("tag"))
                .where(sa.or_(*[_within(c, a, b) for c in columns]))
                for tag, (a, b) in enumerate(reversed(periods))]

    acts = sa.union_all(
        *acted(Proposal.author_id, Proposal.submitted_at, Proposal.published_at),
        *acted(Support.user_id, Support.created_at),
        *acted(Comment.author_id, Comment.created_at),
        *acted(Registration.person_id, Registration.created_at),
        *[sa.select(Participation.person_id, sa.literal_column(str(tag)))
          .where(Participation.day >= a, Participation.day < b)
          for tag, (a, b) in enumerate(((day_between, day_after), (first_day, day_between)))],
    ).subquery()
    people = (sa.select(kind("people"), User.commune_id, acts.c.tag, none,
                        sa.func.count(sa.distinct(acts.c.person)), zero, zero, zero)
              .select_from(acts).join(User, User.id == acts.c.person)
              .group_by(User.commune_id, acts.c.tag))
    communes = sa.select(kind("communes"), Commune.id, Commune.population, Commune.name,
                         zero, zero, zero, zero)
    centres = sa.select(kind("centres"), Centre.id, none, Centre.short_name,
                        sa.func.row_number().over(order_by=Centre.short_name), zero, zero, zero)
    return sa.union_all(accounts, proposals, votes, people, communes, centres)


def _totals(periods, now: datetime, months: list[date]) -> tuple[dict, dict, dict, list]:
    """The one-row figures of both periods, what waits in moderation and the months, in
    one statement."""
    (start, middle), (_, end) = periods

    def within(column):
        return _within(column, start, end)

    def both(column, condition=None):
        return _both(column, periods, condition)

    days = [*months, periods[1][1].astimezone(PARIS).date()]
    instants = [_paris_midnight(d) for d in days]
    spans = list(zip(instants, instants[1:], strict=False))
    created = User.created_at
    session_start = ProjectSession.starts_at

    def has_sheet(*statuses):
        return (sa.select(sheet_proposals.c.proposal_id)
                .join(ActionSheet, ActionSheet.id == sheet_proposals.c.sheet_id)
                .where(sheet_proposals.c.proposal_id == Proposal.id,
                       ActionSheet.status.in_(statuses)).exists())

    # The funnel: how far the proposals published in the period went (its step worked
    # out once for each proposal: 3 completed, 2 with a fiche action, 1 retained).
    step = sa.case((sa.or_(Proposal.status == "realised", has_sheet("completed")), 3),
                   (has_sheet("validated", "in_progress"), 2),
                   (Proposal.status == "retained", 1), else_=0)
    published_in = (sa.select(Proposal.published_at, Proposal.recorded_by_id,
                              step.label("step"))
                    .where(_within(Proposal.published_at, instants[0], instants[-1]))
                    # Materialised, so that the step is not worked out again for each count.
                    .cte("published_in").prefix_with("MATERIALIZED"))
    published, step = published_in.c.published_at, published_in.c.step
    rows = _one_row(
        sa.select(*both(Support.created_at)).where(within(Support.created_at)),
        sa.select(*both(Comment.created_at)).where(within(Comment.created_at),
                                                   Comment.deleted_at.is_(None)),
        sa.select(*both(Registration.created_at),
                  *both(Registration.created_at, Registration.registered_by_id.is_not(None)))
        .where(within(Registration.created_at)),
        # What staff typed in at a front desk: assisted accounts, proposals recorded for
        # their author, registrations made for someone (the rest was done online).
        sa.select(*both(created, User.assisted_by_id.is_not(None)),
                  *[_count_if(_within(created, a, b)) for a, b in spans])
        .where(_within(created, instants[0], instants[-1])),
        sa.select(*both(published, published_in.c.recorded_by_id.is_not(None)),
                  *both(published), *both(published, step >= 1), *both(published, step >= 2),
                  *both(published, step >= 3),
                  *[_count_if(_within(published, a, b)) for a, b in spans]),
        # Attendance at the sessions of shared projects held in the period.
        sa.select(*both(session_start, Attendance.present), *both(session_start))
        .select_from(Attendance).join(ProjectSession, ProjectSession.id == Attendance.session_id)
        .where(within(session_start)),
        sa.select(*[_count_if(_within(Participation.day, a, b))
                    for a, b in zip(days, days[1:], strict=False)])
        .where(_within(Participation.day, days[0], days[-1])),
        sa.select(sa.func.count(), sa.func.min(Proposal.submitted_at))
        .where(Proposal.status == "submitted"),
    )
    supports, comments, registrations, accounts, proposals, attendance, votes, waiting = rows
    n = len(months)
    figures = []
    for i in (0, 1):  # current, then previous
        figures.append({
            "supports": supports[i], "comments": comments[i],
            "registrations": registrations[i], "desk_registrations": registrations[2 + i],
            "desk_accounts": accounts[i], "desk_proposals": proposals[i],
            "funnel": [proposals[2 + 2 * step + i] for step in range(4)],
            "attendance_present": attendance[i], "attendance_marked": attendance[2 + i],
        })
    count, oldest = waiting
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    moderation = {"count": count, "oldest_days": (now - oldest).days if oldest else None}
    by_month = [{"month": month, "proposals": p, "accounts": a, "participations": v}
                for month, p, a, v in zip(months, proposals[-n:], accounts[-n:], votes,
                                          strict=True)]
    return figures[0], figures[1], moderation, by_month


def _answered(periods) -> tuple[list, list]:
    """Days from publication to the first public answer of the proposals published in each
    period (the proposals' own measure)."""
    (start, middle), (_, end) = periods
    rows = db.session.execute(
        sa.select(Proposal.published_at >= middle, Proposal.published_at,
                  Proposal.first_answer_at)
        .where(_within(Proposal.published_at, start, end),
               Proposal.status.in_(PUBLIC_STATUSES),
               Proposal.first_answer_at.is_not(None))).all()
    return ([answer_days(p, a) for current, p, a in rows if current],
            [answer_days(p, a) for current, p, a in rows if not current])


def _figures(period: Period, now: datetime) -> dict:
    """Every figure of ``period`` and of the period before, the names of communes and
    centres, what waits in moderation and the months: three queries."""
    previous = period.previous()
    periods = (previous.bounds[0], period.bounds[0]), period.bounds
    current, before = ({key: {} for key in (
        "new_accounts_by_commune", "verified_by_commune", "proposals_by_status",
        "proposals_by_centre", "proposals_by_commune", "participations_by_commune",
        "participations_by_channel", "people_by_commune")} for _ in (0, 1))
    communes, centres = [], []

    def add(figures, key, id_, n):
        figures[key][id_] = figures[key].get(id_, 0) + n

    for kind, a, b, label, *counts in db.session.execute(_breakdown_rows(periods)).all():
        if kind == "communes":
            communes.append((a, label, b))
        elif kind == "centres":
            centres.append((counts[0], a, label))
        for figures, i in ((current, 0), (before, 1)):
            if kind == "accounts" and (counts[i] or counts[2 + i]):
                figures["new_accounts_by_commune"][a] = counts[i]
                figures["verified_by_commune"][a] = counts[2 + i]
            elif kind == "proposals" and counts[i]:
                add(figures, "proposals_by_status", label, counts[i])
                add(figures, "proposals_by_centre", a, counts[i])
                add(figures, "proposals_by_commune", b, counts[i])
            elif kind == "votes" and counts[i]:
                add(figures, "participations_by_channel", label, counts[i])
                add(figures, "participations_by_commune", a, counts[i])
            elif kind == "people" and b == i:
                figures["people_by_commune"][a] = counts[0]
    totals = _totals(periods, now, _months(period))
    answered = _answered(periods)
    for figures, counted, days in ((current, totals[0], answered[0]),
                                   (before, totals[1], answered[1])):
        new_accounts = sum(figures["new_accounts_by_commune"].values())
        proposals = sum(figures["proposals_by_status"].values())
        figures.update({
            "new_accounts": new_accounts,
            "verified": sum(figures["verified_by_commune"].values()),
            "proposals": proposals,
            "supports": counted["supports"],
            "comments": counted["comments"],
            "registrations": counted["registrations"],
            "participations": sum(figures["participations_by_channel"].values()),
            "accounts_by_channel": {ONLINE: new_accounts - counted["desk_accounts"],
                                    ASSISTED: counted["desk_accounts"]},
            "proposals_by_channel": {ONLINE: proposals - counted["desk_proposals"],
                                     ASSISTED: counted["desk_proposals"]},
            "registrations_by_channel": {
                ONLINE: counted["registrations"] - counted["desk_registrations"],
                ASSISTED: counted["desk_registrations"]},
            "people": sum(figures["people_by_commune"].values()),
            "attendance_present": counted["attendance_present"],
            "attendance_marked": counted["attendance_marked"],
            "funnel": dict(zip([key for key, _ in FUNNEL], counted["funnel"], strict=True)),
            "median_answer_days": median_answer_days(days),
            "answered": len(days),
        })
    return {"current": current, "previous": before, "communes": communes,
            "centres": [(id_, name) for _, id_, name in sorted(centres)],
            "moderation": totals[2], "months": totals[3]}


def consultations_closed(period: Period, now: datetime) -> list[dict]:
    """Consultations that closed in ``period`` (by ``now``): people who voted, people
    registered who could vote when it closed, and the population of its communes where an
    admin entered every one of them. One query.
    """
    return _closed(*period.bounds, now)


def _closed(start: datetime, end: datetime, now: datetime) -> list[dict]:
    """``consultations_closed`` between two instants, in the order they closed."""
    end = min(end, now)
    cc = consultation_communes
    closing = Consultation.closes_at
    voters = (sa.select(sa.func.count(Participation.id))
              .where(Participation.consultation_id == Consultation.id)
              .correlate(Consultation).scalar_subquery())
    # Whoever voted was eligible; so was whoever, registered and active when it closed,
    # lived in one of its communes and met its conditions (verified, age).
    communes_of = sa.select(cc.c.commune_id).where(cc.c.consultation_id == Consultation.id)
    voted = sa.exists().where(Participation.consultation_id == Consultation.id,
                              Participation.person_id == User.id)
    could_vote = sa.and_(
        User.commune_id.in_(communes_of),
        User.created_at < closing,
        sa.or_(User.deleted_at.is_(None), User.deleted_at >= closing),
        sa.or_(Consultation.verified_only.is_(False),
               sa.and_(User.verified_at <= closing, User.verified_until > closing)),
        sa.or_(Consultation.min_age.is_(None),
               User.birth_year <= sa.extract("year", closing) - Consultation.min_age))
    eligible = (sa.select(sa.func.count(User.id)).where(sa.or_(voted, could_vote))
                .correlate(Consultation).scalar_subquery())
    population = (sa.select(sa.func.sum(Commune.population))
                  .join(cc, cc.c.commune_id == Commune.id)
                  .where(cc.c.consultation_id == Consultation.id)
                  .correlate(Consultation).scalar_subquery())
    unknown = (sa.select(sa.func.count())
               .select_from(cc).join(Commune, Commune.id == cc.c.commune_id)
               .where(cc.c.consultation_id == Consultation.id, Commune.population.is_(None))
               .correlate(Consultation).scalar_subquery())
    rows = db.session.execute(
        sa.select(Consultation.id, Consultation.title, closing,
                  Consultation.results_published_at, voters, eligible, population, unknown)
        .where(Consultation.scheduled_at.is_not(None), _within(closing, start, end))
        .order_by(closing, Consultation.id)).all()
    return [{"id": id_, "title": title, "closes_at": closes_at,
             "published": published_at is not None, "voters": n, "eligible": among,
             "population": people if people and not missing else None,
             "turnout": _percent(n, among),
             "population_turnout": _percent(n, people, 2) if people and not missing else None}
            for id_, title, closes_at, published_at, n, among, people, missing in rows]


def _percent(part: int, whole: int | None, digits: int = 1) -> float | None:
    return round(100 * part / whole, digits) if whole else None


def _months(period: Period) -> list[date]:
    """First days of the months of the period before ``period`` and of ``period``."""
    day, last = period.previous().days[0], period.days[1]
    months = []
    while day < last:
        months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def monthly(period: Period) -> list[dict]:
    """Proposals published, new accounts and consultation participations month by month,
    over the previous period and this one, as the dashboard counts them."""
    previous = period.previous()
    periods = (previous.bounds[0], period.bounds[0]), period.bounds
    return _totals(periods, datetime.now(UTC), _months(period))[3]


def dashboard(period: Period, now: datetime) -> dict:
    """The dashboard for ``period`` beside the period before, in a fixed number of queries
    (four) whatever the data: both periods are counted by each query."""
    counted = _figures(period, now)
    current, previous = counted["current"], counted["previous"]
    communes, centres = counted["communes"], counted["centres"]
    names = {id_: name for id_, name, _ in communes}
    whole = str(_l("The whole Calaisis"))
    not_given = str(_l("Commune not given"))
    commune_names = {**names, None: whole}
    people_communes = {**names, None: not_given}
    channels = {key: str(label) for key, label in CHANNELS.items()}
    desk_channels = {ONLINE: channels[ONLINE], ASSISTED: str(_l("at a centre's desk"))}
    middle = period.bounds[0]
    both = _closed(period.previous().bounds[0], period.bounds[1], now)
    closed = [row for row in both if row["closes_at"] >= middle]
    closed_before = [row for row in both if row["closes_at"] < middle]
    months = counted["months"]
    populations = {id_: population for id_, _, population in communes if population}

    def breakdown(key, labels, **options):
        return _breakdown(current[key], previous[key], labels, **options)

    def share_of_population(figures):
        # Participations against the population; "—" below five people (item 6).
        voted = figures["participations_by_commune"]
        return {id_: _percent_text(_percent(voted.get(id_, 0), n, 2))
                if voted.get(id_, 0) >= THRESHOLD else "—" for id_, n in populations.items()}

    tables = {
        "figures": _figure_rows(current, previous, closed, closed_before),
        "funnel": _funnel_rows(current, previous),
        "centres": breakdown("proposals_by_centre", dict(centres), keep_all=True),
        "communes": breakdown("proposals_by_commune", commune_names),
        "proposal_channels": breakdown("proposals_by_channel", desk_channels, keep_all=True),
        "accounts": breakdown("new_accounts_by_commune", people_communes, people=True),
        "account_channels": breakdown("accounts_by_channel", desk_channels, people=True,
                                      keep_all=True),
        "verified": breakdown("verified_by_commune", people_communes, people=True),
        "people": breakdown("people_by_commune", people_communes, people=True),
        "registration_channels": breakdown("registrations_by_channel", desk_channels,
                                           people=True, keep_all=True),
        "participations": breakdown("participations_by_commune", people_communes,
                                    people=True),
        "participation_channels": breakdown("participations_by_channel",
                                            {k: channels[k] for k in (ONLINE, ASSISTED, PAPER)},
                                            people=True, keep_all=True),
        "population": _breakdown(share_of_population(current), share_of_population(previous),
                                 {k: names[k] for k in populations}, keep_all=True),
        "consultations": [
            {"name": row["title"], "closes_on": row["closes_at"].astimezone(PARIS).date(),
             "voters": small_number(row["voters"]), "eligible": small_number(row["eligible"]),
             # A share of fewer than five voters would tell how few they were.
             "turnout": _percent_text(row["turnout"]) if row["voters"] >= THRESHOLD else "",
             "population": row["population"] if row["population"] is not None else "",
             "population_turnout": _percent_text(row["population_turnout"])
             if row["voters"] >= THRESHOLD else ""}
            for row in closed],
        "months": months,
    }
    return {
        "period": period, "previous_period": period.previous(),
        "current": current, "previous": previous,
        "moderation": counted["moderation"],
        "by_status": _status_rows(current),
        "funnel": _shares([(str(label), current["funnel"][key]) for key, label in FUNNEL],
                          current["funnel"]["published"]),
        "closed": closed,
        "tables": tables,
        # Kept under their first names for the page and the tests.
        "proposals_by_centre": tables["centres"],
        "proposals_by_commune": tables["communes"],
        "accounts_by_commune": tables["accounts"],
        "verified_by_commune": tables["verified"],
        "participations_by_commune": tables["participations"],
    }


def _percent_text(value: float | None) -> str:
    """``58,3 %`` in French, ``58.3 %`` in English; empty when there is no share."""
    return "" if value is None else f"{format_decimal(value, '#,##0.0#')} %"


def _turnout(closed: list[dict]) -> str:
    """The turnout of the consultations closed in a period, all together."""
    voters, eligible = sum(r["voters"] for r in closed), sum(r["eligible"] for r in closed)
    return _percent_text(_percent(voters, eligible)) or "—"


def _median(value) -> str:
    """``15,5`` in French, ``15.5`` in English (days, to a tenth)."""
    return format_decimal(value, "#,##0.#") if value is not None else str(_l("no answer yet"))


def _figure_rows(current: dict, previous: dict, closed: list, closed_before: list) -> list:
    """The main table: each figure of the period beside the previous period's."""
    def attendance(figures):
        return _percent_text(_percent(figures["attendance_present"],
                                      figures["attendance_marked"])) or "—"

    pairs = [
        (_l("New accounts"), "new_accounts"),
        (_l("Residents verified"), "verified"),
        (_l("People who took part at least once"), "people"),
        (_l("Proposals published"), "proposals"),
        (_l("Supports given"), "supports"),
        (_l("Comments written"), "comments"),
        (_l("Registrations to shared projects"), "registrations"),
        (_l("Attendance marks at project sessions"), "attendance_marked"),
        (_l("Consultation participations"), "participations"),
    ]
    rows = [{"name": str(label), "current": current[key], "previous": previous[key]}
            for label, key in pairs]
    rows.insert(8, {"name": str(_l("Attendance at project sessions (present among marked)")),
                    "current": attendance(current), "previous": attendance(previous)})
    rows += [
        {"name": str(_l("Consultations closed")), "current": len(closed),
         "previous": len(closed_before)},
        {"name": str(_l("Turnout among eligible registered people")),
         "current": _turnout(closed), "previous": _turnout(closed_before)},
        {"name": str(_l("Median days from publication to first public answer")),
         "current": _median(current["median_answer_days"]),
         "previous": _median(previous["median_answer_days"])},
    ]
    return rows


def _status_rows(figures: dict) -> list[dict]:
    return _shares([(str(STATUS_LABELS[s]), figures["proposals_by_status"].get(s, 0))
                    for s in STATUS_LABELS if s in figures["proposals_by_status"]],
                   figures["proposals"])


def _funnel_rows(current: dict, previous: dict) -> list[dict]:
    return [{"name": str(label), "current": current["funnel"][key],
             "previous": previous["funnel"][key]} for key, label in FUNNEL]


def _shares(pairs: list[tuple[str, int]], total: int) -> list[dict]:
    """Rows for the bar chart macro: label, value and percent of ``total``."""
    return [{"label": label, "value": value,
             "percent": round(100 * value / total) if total else 0} for label, value in pairs]


def _breakdown(current: dict, previous: dict, names: dict, *, people: bool = False,
               keep_all: bool = False) -> list[dict]:
    """Rows of a breakdown table: name, this period and the previous one.

    Cells that count people go through ``small_number`` (issue 8, item 6).
    """
    keys = names if keep_all else [k for k in names if current.get(k) or previous.get(k)]
    show = small_number if people else (lambda n: n)
    rows = [{"name": names[k], "current": show(current.get(k, 0)),
             "previous": show(previous.get(k, 0))} for k in keys]
    return rows if keep_all else sorted(rows, key=lambda r: fold(r["name"]))


# (period, language) -> (time slice, figures); the periods being counted again.
_cache: dict[tuple, tuple[int, dict]] = {}
_recounting: set[tuple] = set()
_log = logging.getLogger(__name__)


def cached_dashboard(period: Period, now: datetime, seconds: int, *,
                     recount_later: Callable[[Callable[[], None]], None] | None = None) -> dict:
    """``dashboard`` kept ``seconds`` per process (0: always computed).

    At the scale of the territory the figures of two periods take a few hundred
    milliseconds to count, for a page the staff reads quarter by quarter: a minute-old
    figure is as true. The time slice comes from ``now`` (so tests pass time in); the
    labels are in the language of the request.

    With ``recount_later`` (a page), figures of the slice just before are shown at once
    and counted again beside the requests (``recount_later`` schedules it): nobody waits
    for the count but the very first visitor. Older figures are counted first.
    """
    if seconds <= 0:
        return dashboard(period, now)
    key, slot = (period, str(get_locale())), int(now.timestamp()) // seconds
    kept = _cache.get(key)
    if kept is not None and kept[0] == slot:
        return kept[1]
    if kept is not None and kept[0] == slot - 1 and recount_later is not None:
        if key not in _recounting:
            _recounting.add(key)
            recount_later(lambda: _recount(key, period, now, slot))
        return kept[1]
    figures = dashboard(period, now)
    _keep(key, slot, figures)
    return figures


def _keep(key: tuple, slot: int, figures: dict) -> None:
    for old in [k for k, (kept_slot, _f) in _cache.items() if kept_slot < slot - 1]:
        _cache.pop(old, None)
    _cache[key] = (slot, figures)


def _recount(key: tuple, period: Period, now: datetime, slot: int) -> None:
    try:
        _keep(key, slot, dashboard(period, now))
    except Exception:  # the old figures stay; the next page asks again
        _log.exception("dashboard: counting the figures again failed")
    finally:
        _recounting.discard(key)
