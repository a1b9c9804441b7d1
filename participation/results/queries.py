"""The figures of the participation dashboard, computed in SQL for one period.

A period is a quarter or a year with Europe/Paris boundaries. ``dashboard``
runs a fixed number of queries whatever the amount of data: each figure is an
aggregate (``GROUP BY`` for the breakdowns by commune and centre), for the
chosen period and the one before it.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from participation.accounts.models import User
from participation.actions.models import ActionSheet, sheet_proposals
from participation.consultations.models import Participation
from participation.core.privacy import small_number
from participation.core.text import fold
from participation.extensions import db
from participation.projects.models import Registration
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


def _which(column, periods):
    """0 for the chosen period, 1 for the one before (rows outside both are filtered out)."""
    start, end = periods[0].bounds
    return sa.case((_within(column, start, end), 0), else_=1)


def _figures(period: Period) -> tuple[dict, dict]:
    """Every figure of ``period`` and of the period before, side by side: six queries.

    The two periods are adjacent, so each query reads the rows of both at once (one
    range on an indexed date) and tells them apart with CASE.
    """
    periods = (period, period.previous())
    start, end = periods[1].bounds[0], periods[0].bounds[1]
    first_day, day_after = periods[1].days[0], periods[0].days[1]
    both = [{} for _ in periods]

    # New accounts and verified residents, by commune.
    created = [_within(User.created_at, *p.bounds) for p in periods]
    verified = [_within(User.verified_at, *p.bounds) for p in periods]
    accounts = db.session.execute(
        sa.select(User.commune_id, *map(_count_if, created), *map(_count_if, verified))
        .where(sa.or_(_within(User.created_at, start, end),
                      _within(User.verified_at, start, end)))
        .group_by(User.commune_id)).all()
    for i, figures in enumerate(both):
        figures["new_accounts_by_commune"] = {row[0]: row[1 + i] for row in accounts}
        figures["verified_by_commune"] = {row[0]: row[3 + i] for row in accounts}

    # Proposals published in each period, by status, centre and commune.
    which = _which(Proposal.published_at, periods)
    proposals = db.session.execute(
        sa.select(which, Proposal.status, Proposal.centre_id, Proposal.commune_id,
                  sa.func.count())
        .where(_within(Proposal.published_at, start, end))
        .group_by(which, Proposal.status, Proposal.centre_id, Proposal.commune_id)).all()

    # Supports, comments and shared-project registrations made in each period, and what
    # waits in moderation now (count, oldest).
    def counted(model, column, *conditions):
        return [sa.select(sa.func.count()).select_from(model)
                .where(_within(column, *p.bounds), *conditions).scalar_subquery()
                for p in periods]

    waiting = Proposal.status == "submitted"
    counts = db.session.execute(sa.select(
        *counted(Support, Support.created_at),
        *counted(Comment, Comment.created_at, Comment.deleted_at.is_(None)),
        *counted(Registration, Registration.created_at),
        sa.select(sa.func.count()).select_from(Proposal).where(waiting).scalar_subquery(),
        sa.select(sa.func.min(Proposal.submitted_at)).where(waiting).scalar_subquery(),
    )).one()
    for i, figures in enumerate(both):
        figures.update(supports=counts[i], comments=counts[2 + i],
                       registrations=counts[4 + i])
    moderation = (counts[6], counts[7])

    # Consultation participations (émargements) by commune, by Calais calendar day.
    first = periods[0].days[0]
    which_day = sa.case((Participation.day >= first, 0), else_=1)
    participations = db.session.execute(
        sa.select(which_day, Participation.commune_id, sa.func.count())
        .where(Participation.day >= first_day, Participation.day < day_after)
        .group_by(which_day, Participation.commune_id)).all()

    # The funnel: how far the proposals published in each period went.
    def has_sheet(*statuses):
        return (sa.select(sheet_proposals.c.proposal_id)
                .join(ActionSheet, ActionSheet.id == sheet_proposals.c.sheet_id)
                .where(sheet_proposals.c.proposal_id == Proposal.id,
                       ActionSheet.status.in_(statuses)).exists())

    completed = sa.or_(Proposal.status == "realised", has_sheet("completed"))
    with_sheet = sa.or_(completed, has_sheet("validated", "in_progress"))
    retained = sa.or_(with_sheet, Proposal.status == "retained")
    funnel = {row[0]: tuple(row[1:]) for row in db.session.execute(
        sa.select(which, sa.func.count(), _count_if(retained), _count_if(with_sheet),
                  _count_if(completed)).select_from(Proposal)
        .where(_within(Proposal.published_at, start, end)).group_by(which))}

    # Days from publication to the first public answer (the proposals' own measure).
    answered = db.session.execute(
        sa.select(which, Proposal.published_at, Proposal.first_answer_at)
        .where(_within(Proposal.published_at, start, end),
               Proposal.status.in_(PUBLIC_STATUSES),
               Proposal.first_answer_at.is_not(None))).all()

    for i, figures in enumerate(both):
        accounts_i = [(row[0], row[1 + i], row[3 + i]) for row in accounts]
        by_status: dict[str, int] = {}
        by_centre: dict[int, int] = {}
        by_commune: dict[int | None, int] = {}
        for which_row, status, centre_id, commune_id, n in proposals:
            if which_row != i:
                continue
            by_status[status] = by_status.get(status, 0) + n
            by_centre[centre_id] = by_centre.get(centre_id, 0) + n
            by_commune[commune_id] = by_commune.get(commune_id, 0) + n
        people = {commune: n for which_row, commune, n in participations if which_row == i}
        days = [answer_days(p, a) for which_row, p, a in answered if which_row == i]
        figures.update({
            "new_accounts": sum(row[1] for row in accounts_i),
            "verified": sum(row[2] for row in accounts_i),
            "proposals": sum(by_status.values()),
            "proposals_by_status": by_status,
            "proposals_by_centre": by_centre,
            "proposals_by_commune": by_commune,
            "participations": sum(people.values()),
            "participations_by_commune": people,
            "funnel": dict(zip([key for key, _ in FUNNEL], funnel.get(i, (0, 0, 0, 0)),
                               strict=True)),
            "median_answer_days": median_answer_days(days),
            "answered": len(days),
        })
    return both[0], both[1], moderation


def _moderation(count: int, oldest: datetime | None, now: datetime) -> dict:
    """What waits in moderation now: how many proposals, and the age of the oldest in days."""
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return {"count": count, "oldest_days": (now - oldest).days if oldest else None}


def dashboard(period: Period, now: datetime) -> dict:
    """The dashboard for ``period`` beside the period before: seven queries in all."""
    current, previous, moderation = _figures(period)
    names = db.session.execute(
        sa.select(sa.literal("commune"), Commune.id, Commune.name)
        .union_all(sa.select(sa.literal("centre"), Centre.id, Centre.short_name)
                   .where(Centre.kind == "centre"))).all()
    communes = {id_: name for kind, id_, name in names if kind == "commune"}
    centres = sorted(((id_, name) for kind, id_, name in names if kind == "centre"),
                     key=lambda row: row[1])
    whole = str(_l("The whole Calaisis"))
    not_given = str(_l("Commune not given"))
    commune_names = {**communes, None: whole}
    people_communes = {**communes, None: not_given}
    return {
        "period": period, "previous_period": period.previous(),
        "current": current, "previous": previous,
        "moderation": _moderation(*moderation, now),
        "by_status": _shares(
            [(str(STATUS_LABELS[s]), current["proposals_by_status"].get(s, 0))
             for s in STATUS_LABELS if s in current["proposals_by_status"]],
            current["proposals"]),
        "funnel": _shares([(str(label), current["funnel"][key]) for key, label in FUNNEL],
                          current["funnel"]["published"]),
        "proposals_by_centre": _breakdown(current["proposals_by_centre"],
                                          previous["proposals_by_centre"], dict(centres),
                                          keep_all=True),
        "proposals_by_commune": _breakdown(current["proposals_by_commune"],
                                           previous["proposals_by_commune"], commune_names),
        "accounts_by_commune": _breakdown(current["new_accounts_by_commune"],
                                          previous["new_accounts_by_commune"],
                                          people_communes, people=True),
        "verified_by_commune": _breakdown(current["verified_by_commune"],
                                          previous["verified_by_commune"],
                                          people_communes, people=True),
        "participations_by_commune": _breakdown(current["participations_by_commune"],
                                                previous["participations_by_commune"],
                                                people_communes, people=True),
    }


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


_cache: dict[tuple, dict] = {}


def cached_dashboard(period: Period, now: datetime, seconds: int) -> dict:
    """``dashboard`` kept ``seconds`` per process (0: always computed).

    At the scale of the territory the figures of two periods take a few hundred
    milliseconds to count, for a page the staff reads quarter by quarter: a minute-old
    figure is as true. The key holds the time slice of ``now`` (so tests pass time in)
    and the language of the labels; only the latest few are kept.
    """
    if seconds <= 0:
        return dashboard(period, now)
    key = (period, int(now.timestamp()) // seconds, str(get_locale()))
    if key not in _cache:
        for old in [k for k in _cache if k[1] != key[1]]:
            del _cache[old]
        _cache[key] = dashboard(period, now)
    return _cache[key]

