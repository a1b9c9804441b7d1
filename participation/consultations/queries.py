"""Reads shared by the consultation pages: each is a fixed number of SQL queries,
whatever the number of ballots."""

import sqlalchemy as sa

from participation.consultations import tally
from participation.consultations.models import JUDGMENT, Ballot, Consultation, Participation
from participation.extensions import db
from participation.territory.models import Commune, Organisation

PER_PAGE = 50


# The consultation as a vote needs it: its questions, options and communes come from
# ``services.ballot_shape`` (kept once announced), and neither its organiser, its
# description nor its tally is read; any of them loads if a page asks for it (a refused
# ballot shown again). Built once: a vote is the busiest write of the site.
_FOR_BALLOT = (
    sa.select(Consultation).where(Consultation.id == sa.bindparam("consultation_id"))
    .options(sa.orm.lazyload(Consultation.communes), sa.orm.lazyload(Consultation.questions),
             sa.orm.lazyload(Consultation.organisation),
             sa.orm.lazyload(Consultation.council_body),
             sa.orm.defer(Consultation.description), sa.orm.defer(Consultation.results)))


def get_for_ballot(consultation_id: int) -> Consultation | None:
    """The consultation as a vote needs it, in one statement."""
    return db.session.scalar(_FOR_BALLOT, {"consultation_id": consultation_id})


def list_announced(page: int):
    """Announced consultations, the latest to close first (drafts stay with their organisers)."""
    return db.paginate(sa.select(Consultation).where(Consultation.scheduled_at.is_not(None))
                       .order_by(Consultation.closes_at.desc(), Consultation.id.desc()),
                       page=page, per_page=20, error_out=False)


def list_managed(user, page: int):
    query = sa.select(Consultation).order_by(Consultation.id.desc())
    if not user.is_admin:
        from participation.consultations.services import may_organise
        from participation.council.models import COUNCIL
        from participation.council.services import get_body

        centres = [c.id for c in user.staff_centres()]
        mine = Consultation.organisation_id.in_(centres)
        council = get_body(COUNCIL)
        if may_organise(user, council):
            mine = sa.or_(mine, Consultation.council_body_id == council.id)
        query = query.where(mine)
    return db.paginate(query, page=page, per_page=20, error_out=False)


def turnout(consultation: Consultation) -> dict:
    """Participations in total, by channel, by commune and by centre.

    Once results are published the turnout cannot change (no vote after closing), so it
    is counted once then, with the tally, and read from there: no query. Before, three.
    """
    stored = (consultation.results or {}).get("turnout")
    if stored is not None:
        return {"total": stored["total"], "by_channel": stored["by_channel"],
                "by_commune": [tuple(row) for row in stored["by_commune"]],
                "by_centre": [tuple(row) for row in stored["by_centre"]]}
    return count_turnout(consultation)


def count_turnout(consultation: Consultation) -> dict:
    """Participations in total, by channel, by commune and by centre (three queries)."""
    by_channel = dict(db.session.execute(
        sa.select(Participation.channel, sa.func.count())
        .where(Participation.consultation_id == consultation.id)
        .group_by(Participation.channel)).all())
    by_commune = db.session.execute(
        sa.select(Commune.name, sa.func.count(Participation.id))
        .select_from(Participation)
        .outerjoin(Commune, Commune.id == Participation.commune_id)
        .where(Participation.consultation_id == consultation.id)
        .group_by(Commune.name).order_by(Commune.name)).all()
    by_centre = db.session.execute(
        sa.select(Organisation.short_name, sa.func.count(Participation.id))
        .join(Organisation, Organisation.id == Participation.centre_id)
        .where(Participation.consultation_id == consultation.id)
        .group_by(Organisation.short_name).order_by(Organisation.short_name)).all()
    return {"total": sum(by_channel.values()), "by_channel": by_channel,
            "by_commune": [(name, count) for name, count in by_commune],
            "by_centre": [(name, count) for name, count in by_centre]}


def count_ballots(consultation: Consultation) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)
                             .where(Ballot.consultation_id == consultation.id))


def trackers_page(consultation: Consultation, page: int):
    """Trackers in the order of their random value: it says nothing of when or who."""
    return db.paginate(sa.select(Ballot.id).where(Ballot.consultation_id == consultation.id)
                       .order_by(Ballot.id), page=page, per_page=PER_PAGE, error_out=False)


def contents_page(consultation: Consultation, page: int):
    """Each distinct content with how many ballots carry it, ordered by the content itself,
    so that this list cannot be lined up with the trackers. Returns (pagination, rows)."""
    pagination = db.paginate(sa.select(Ballot.answers).distinct()
                             .where(Ballot.consultation_id == consultation.id)
                             .order_by(Ballot.answers),
                             page=page, per_page=PER_PAGE, error_out=False)
    counts = dict(db.session.execute(
        sa.select(Ballot.answers, sa.func.count())
        .where(Ballot.consultation_id == consultation.id,
               Ballot.answers.in_(pagination.items))
        .group_by(Ballot.answers)).all()) if pagination.items else {}
    return pagination, [(answers, counts[answers]) for answers in pagination.items]


def paired_page(consultation: Consultation, page: int):
    """Trackers with their content (only when the organisers chose it). (pagination, rows)"""
    pagination = trackers_page(consultation, page)
    contents = dict(db.session.execute(
        sa.select(Ballot.id, Ballot.answers).where(Ballot.id.in_(pagination.items))).all()
    ) if pagination.items else {}
    return pagination, [(tracker, contents[tracker]) for tracker in pagination.items]


def iter_contents(consultation: Consultation):
    """Every ballot's content (and tracker when listed paired), for the CSV download."""
    columns = [Ballot.answers, Ballot.channel, Ballot.day]
    if consultation.paired_listing:
        columns.insert(0, Ballot.id)
    order = Ballot.id if consultation.paired_listing else Ballot.answers
    return db.session.execute(sa.select(*columns).where(Ballot.consultation_id ==
                                                        consultation.id)
                              .order_by(order).execution_options(yield_per=2000))


def results_by_question(consultation):
    """Everything the results page shows, from the tally cached at publication."""
    result = consultation.results
    total = result["ballots"]
    questions = []
    for question in consultation.questions:
        counted = result["questions"][str(question.id)]
        labels = {str(o.id): o.label for o in question.options}
        entry = {
            "question": question,
            "blank": counted["blank"],
            "answered": total - counted["blank"],
        }
        if question.kind == JUDGMENT:
            grades = counted["grades"]
            entry["rows"] = [
                {
                    "label": labels[o],
                    "profile": tally.merit_profile(grades[o]),
                    "counts": grades[o],
                    "rank": rank,
                    "majority": (
                        question.grades[tally.majority_grade(grades[o])] if sum(grades[o]) else None
                    ),
                }
                for rank, o in tally.judgment_ranking(grades)
            ]
        else:
            counts = counted["counts"]
            entry["rows"] = [
                {
                    "label": labels[o],
                    "count": counts[o],
                    "value": counts[o],
                    "rank": rank,
                    "percent": tally.percent(counts[o], total),
                }
                for rank, o in tally.ranking(counts)
            ]
        questions.append(entry)
    return questions
