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


def _figures(period: Period) -> dict:
    """Every figure of one period: nine queries."""
    start, end = period.bounds
    first_day, day_after = period.days

    # New accounts and verified residents, by commune.
    created, verified = (_within(User.created_at, start, end),
                         _within(User.verified_at, start, end))
    accounts = db.session.execute(
        sa.select(User.commune_id, _count_if(created), _count_if(verified))
        .where(sa.or_(created, verified)).group_by(User.commune_id)).all()

    # Proposals published in the period, by status, centre and commune.
    published = _within(Proposal.published_at, start, end)
    proposals = db.session.execute(
        sa.select(Proposal.status, Proposal.centre_id, Proposal.commune_id, sa.func.count())
        .where(published).group_by(Proposal.status, Proposal.centre_id, Proposal.commune_id)
    ).all()

    # Supports, comments and shared-project registrations made in the period.
    def counted(model, *conditions):
        return sa.select(sa.func.count()).select_from(model).where(*conditions).scalar_subquery()

    supports, comments, registrations = db.session.execute(sa.select(
        counted(Support, _within(Support.created_at, start, end)),
        counted(Comment, _within(Comment.created_at, start, end), Comment.deleted_at.is_(None)),
        counted(Registration, _within(Registration.created_at, start, end)),
    )).one()

    # Consultation participations (émargements) by commune and channel.
    voted = sa.and_(Participation.day >= first_day, Participation.day < day_after)
    participations = db.session.execute(
        sa.select(Participation.commune_id, Participation.channel, sa.func.count())
        .where(voted).group_by(Participation.commune_id, Participation.channel)).all()

    # What staff typed in at a front desk: assisted accounts, proposals recorded for
    # their author, registrations made for someone (the rest was done online).
    desk_accounts, desk_proposals, desk_registrations = db.session.execute(sa.select(
        counted(User, created, User.assisted_by_id.is_not(None)),
        counted(Proposal, published, Proposal.recorded_by_id.is_not(None)),
        counted(Registration, _within(Registration.created_at, start, end),
                Registration.registered_by_id.is_not(None)),
    )).one()

    # People who took part at least once (proposed, supported, commented, registered to
    # a project or voted), by the commune of their account.
    acts = sa.union_all(
        sa.select(Proposal.author_id.label("person")).where(
            sa.or_(_within(Proposal.submitted_at, start, end), published)),
        sa.select(Support.user_id).where(_within(Support.created_at, start, end)),
        sa.select(Comment.author_id).where(_within(Comment.created_at, start, end)),
        sa.select(Registration.person_id).where(
            _within(Registration.created_at, start, end)),
        sa.select(Participation.person_id).where(voted),
    ).subquery()
    people = db.session.execute(
        sa.select(User.commune_id, sa.func.count(sa.distinct(acts.c.person)))
        .join(User, User.id == acts.c.person).group_by(User.commune_id)).all()

    # Attendance at the sessions of shared projects held in the period.
    present, marked = db.session.execute(
        sa.select(_count_if(Attendance.present), sa.func.count(Attendance.id))
        .join(ProjectSession, ProjectSession.id == Attendance.session_id)
        .where(_within(ProjectSession.starts_at, start, end))).one()

    # The funnel: how far the proposals published in the period went.
    def has_sheet(*statuses):
        return (sa.select(sheet_proposals.c.proposal_id)
                .join(ActionSheet, ActionSheet.id == sheet_proposals.c.sheet_id)
                .where(sheet_proposals.c.proposal_id == Proposal.id,
                       ActionSheet.status.in_(statuses)).exists())

    completed = sa.or_(Proposal.status == "realised", has_sheet("completed"))
    with_sheet = sa.or_(completed, has_sheet("validated", "in_progress"))
    retained = sa.or_(with_sheet, Proposal.status == "retained")
    funnel = db.session.execute(
        sa.select(sa.func.count(), _count_if(retained), _count_if(with_sheet),
                  _count_if(completed)).select_from(Proposal).where(published)).one()

    # Days from publication to the first public answer (the proposals' own measure).
    answered = db.session.execute(
        sa.select(Proposal.published_at, Proposal.first_answer_at)
        .where(published, Proposal.status.in_(PUBLIC_STATUSES),
               Proposal.first_answer_at.is_not(None))).all()

    by_channel: dict[str, int] = {}
    by_commune_voted: dict[int | None, int] = {}
    for commune_id, channel, n in participations:
        by_channel[channel] = by_channel.get(channel, 0) + n
        by_commune_voted[commune_id] = by_commune_voted.get(commune_id, 0) + n
    new_accounts = sum(row[1] for row in accounts)
    by_status: dict[str, int] = {}
    by_centre: dict[int, int] = {}
    by_commune: dict[int | None, int] = {}
    for status, centre_id, commune_id, n in proposals:
        by_status[status] = by_status.get(status, 0) + n
        by_centre[centre_id] = by_centre.get(centre_id, 0) + n
        by_commune[commune_id] = by_commune.get(commune_id, 0) + n
    return {
        "new_accounts": new_accounts,
        "verified": sum(row[2] for row in accounts),
        "new_accounts_by_commune": {row[0]: row[1] for row in accounts},
        "verified_by_commune": {row[0]: row[2] for row in accounts},
        "proposals": sum(by_status.values()),
        "proposals_by_status": by_status,
        "proposals_by_centre": by_centre,
        "proposals_by_commune": by_commune,
        "supports": supports,
        "comments": comments,
        "registrations": registrations,
        "participations": sum(by_channel.values()),
        "participations_by_commune": by_commune_voted,
        "participations_by_channel": by_channel,
        "accounts_by_channel": {ONLINE: new_accounts - desk_accounts, ASSISTED: desk_accounts},
        "proposals_by_channel": {ONLINE: sum(by_status.values()) - desk_proposals,
                                 ASSISTED: desk_proposals},
        "registrations_by_channel": {ONLINE: registrations - desk_registrations,
                                     ASSISTED: desk_registrations},
        "people": sum(n for _, n in people),
        "people_by_commune": dict(people),
        "attendance_present": present,
        "attendance_marked": marked,
        "funnel": dict(zip([key for key, _ in FUNNEL], funnel, strict=True)),
        "median_answer_days": median_answer_days(
            [answer_days(p, a) for p, a in answered]),
        "answered": len(answered),
    }


def waiting_moderation(now: datetime) -> dict:
    """What waits in moderation now: how many proposals, and the age of the oldest in days."""
    count, oldest = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(Proposal.submitted_at))
        .where(Proposal.status == "submitted")).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return {"count": count, "oldest_days": (now - oldest).days if oldest else None}


def consultations_closed(period: Period, now: datetime) -> list[dict]:
    """Consultations that closed in ``period`` (by ``now``): people who voted, people
    registered who could vote when it closed, and the population of its communes where an
    admin entered every one of them. One query.
    """
    start, end = period.bounds
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
    over the previous period and this one: three queries, one column per month."""
    months = _months(period)
    days = [*months, period.days[1]]
    instants = [_paris_midnight(d) for d in days]
    spans = list(zip(instants, instants[1:], strict=False))

    def per_month(column):
        return db.session.execute(
            sa.select(*[_count_if(_within(column, a, b)) for a, b in spans])
            .where(_within(column, instants[0], instants[-1]))).one()

    proposals = per_month(Proposal.published_at)
    accounts = per_month(User.created_at)
    votes = db.session.execute(
        sa.select(*[_count_if(_within(Participation.day, a, b))
                    for a, b in zip(days, days[1:], strict=False)])
        .where(_within(Participation.day, days[0], days[-1]))).one()
    return [{"month": month, "proposals": p, "accounts": a, "participations": v}
            for month, p, a, v in zip(months, proposals, accounts, votes, strict=True)]


def dashboard(period: Period, now: datetime) -> dict:
    """The dashboard for ``period`` beside the period before, in a fixed number of queries
    (twenty-six) whatever the data."""
    current, previous = _figures(period), _figures(period.previous())
    communes = db.session.execute(
        sa.select(Commune.id, Commune.name, Commune.population)).all()
    centres = db.session.execute(
        sa.select(Centre.id, Centre.short_name).order_by(Centre.short_name)).all()
    names = {id_: name for id_, name, _ in communes}
    whole = str(_l("The whole Calaisis"))
    not_given = str(_l("Commune not given"))
    commune_names = {**names, None: whole}
    people_communes = {**names, None: not_given}
    channels = {key: str(label) for key, label in CHANNELS.items()}
    desk_channels = {ONLINE: channels[ONLINE], ASSISTED: str(_l("at a centre's desk"))}
    closed = consultations_closed(period, now)
    closed_before = consultations_closed(period.previous(), now)
    months = monthly(period)
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
        "moderation": waiting_moderation(now),
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


def _median(value) -> object:
    return value if value is not None else str(_l("no answer yet"))


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
