"""Consultation rules, straight on the services, with time passed in."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.accounts.services import delete_account
from participation.consultations import services
from participation.consultations.models import (
    CLOSED,
    DRAFT,
    OPEN,
    PUBLISHED,
    SCHEDULED,
    Ballot,
    Participation,
)
from participation.core import personal_data
from participation.core.audit import AuditEntry
from participation.core.errors import DomainError
from participation.extensions import db
from tests import factories
from tests.consultations.helpers import after, answers, commune, during, make_consultation
from tests.factories import PASSWORD


def test_phases_follow_the_dates(animator, now):
    draft = make_consultation(animator, now, schedule=False)
    assert draft.phase(now + timedelta(days=3)) == DRAFT
    consultation = make_consultation(animator, now)
    assert consultation.phase(now) == SCHEDULED
    assert consultation.phase(consultation.opens_at) == OPEN
    assert consultation.phase(consultation.closes_at) == CLOSED
    services.publish_results(consultation, after(consultation))
    assert consultation.phase(after(consultation)) == PUBLISHED


def test_only_staff_of_the_centre_organise(other_animator, animator, matisse, now):
    with pytest.raises(DomainError):
        services.create_consultation(other_animator, organisation=matisse, title="x",
                                     description="", opens_at=now, closes_at=now
                                     + timedelta(days=1), communes=[commune("Calais")],
                                     verified_only=False, min_age=None)


def test_fingerprint_is_frozen_once_open(animator, now):
    consultation = make_consultation(animator, now)
    first = consultation.fingerprint
    assert first == services.compute_fingerprint(consultation)
    assert len(first) == 64
    # Before opening, a change is allowed and changes the fingerprint.
    services.add_question(consultation, now, kind="single", text="Encore ?",
                          options="Oui\nNon", max_choices=None, grades="")
    assert consultation.fingerprint != first
    opened = during(consultation)
    with pytest.raises(DomainError, match="ouverte"):
        services.add_question(consultation, opened, kind="single", text="Trop tard",
                              options="Oui\nNon", max_choices=None, grades="")
    with pytest.raises(DomainError):
        services.update_question(consultation.questions[0], opened, kind="single",
                                 text="Autre", options="A\nB", max_choices=None, grades="")
    with pytest.raises(DomainError):
        services.delete_question(consultation.questions[0], opened)


def test_announcing_needs_questions_and_a_future_opening(animator, now):
    consultation = make_consultation(animator, now, schedule=False)
    with pytest.raises(DomainError, match="futur"):
        services.schedule_consultation(consultation, consultation.opens_at)
    empty = services.create_consultation(
        animator, organisation=animator.staff_centres()[0], title="Vide", description="",
        opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2),
        communes=[commune("Calais")], verified_only=False, min_age=None)
    with pytest.raises(DomainError, match="question"):
        services.schedule_consultation(empty, now)


def test_question_rules(animator, now):
    consultation = make_consultation(animator, now, schedule=False)
    with pytest.raises(DomainError, match="deux choix"):
        services.add_question(consultation, now, kind="single", text="Q", options="Seule",
                              max_choices=None, grades="")
    with pytest.raises(DomainError, match="maximum"):
        services.add_question(consultation, now, kind="approval", text="Q",
                              options="A\nB", max_choices=3, grades="")
    with pytest.raises(DomainError, match="5 à 7"):
        services.add_question(consultation, now, kind="judgment", text="Q",
                              options="A\nB", max_choices=None, grades="Bien\nMal")
    judgment = consultation.questions[2]
    assert judgment.grades[0] == "Excellent" and judgment.grades[-1] == "À rejeter"


def test_eligibility_says_why_and_what_to_do(animator, inhabitant, verified, director, now):
    consultation = make_consultation(director, now, communes=("Marck", "Sangatte"),
                                     verified_only=True)
    opened = during(consultation)
    problem = services.eligibility_problem(consultation, inhabitant, opened)
    assert "vérifié·es de Marck et Sangatte" in problem and "centre social" in problem
    problem = services.eligibility_problem(consultation, verified, opened)
    assert "Marck et Sangatte" in problem and "commune" in problem
    young = factories.UserFactory(pseudonym="Jeune", birth_year=opened.year - 15)
    aged = make_consultation(animator, now, min_age=16)
    assert "16" in services.eligibility_problem(aged, young, during(aged))
    assert services.eligibility_problem(aged, inhabitant, during(aged)) is None
    nobody_knows = factories.UserFactory(pseudonym="Sans année", birth_year=None)
    assert "année de naissance" in services.eligibility_problem(aged, nobody_knows,
                                                                 during(aged))


def test_a_ballot_is_cast_once_and_apart_from_the_person(animator, inhabitant, now):
    consultation = make_consultation(animator, now)
    ballot = services.cast_ballot(consultation, inhabitant, answers(consultation),
                                  during(consultation))
    db.session.commit()
    participation = services.has_voted(consultation, inhabitant)
    assert participation.channel == "online" and participation.day == ballot.day
    # No column of the ballot points to the person, nor keeps the time of day.
    assert {c.name for c in Ballot.__table__.columns} == {
        "id", "consultation_id", "answers", "day", "channel", "centre_id"}
    assert not [fk for fk in Ballot.__table__.foreign_keys
                if fk.column.table.name in ("users", "consultation_participations")]
    assert len(ballot.id) == 16
    with pytest.raises(DomainError, match="une personne, un vote"):
        services.cast_ballot(consultation, inhabitant, answers(consultation, single=1),
                             during(consultation))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 1


@pytest.mark.parametrize("when", ["before", "after"])
def test_no_ballot_outside_the_open_phase(animator, inhabitant, now, when):
    consultation = make_consultation(animator, now)
    moment = now if when == "before" else after(consultation)
    with pytest.raises(DomainError, match="pas ouverte"):
        services.cast_ballot(consultation, inhabitant, answers(consultation), moment)


def test_no_ballot_from_an_ineligible_person(director, inhabitant, now):
    consultation = make_consultation(director, now, communes=("Marck",), verified_only=True)
    with pytest.raises(DomainError, match="Marck"):
        services.cast_ballot(consultation, inhabitant, answers(consultation),
                             during(consultation))
    assert services.has_voted(consultation, inhabitant) is None


@pytest.mark.parametrize("posted", [
    {"999": [1]},
    "not a dict",
])
def test_whatever_is_posted_is_checked(animator, inhabitant, now, posted):
    consultation = make_consultation(animator, now)
    with pytest.raises(DomainError):
        services.cast_ballot(consultation, inhabitant, posted, during(consultation))


def test_bad_answers_are_refused(animator, inhabitant, now):
    consultation = make_consultation(animator, now)
    q1, q2, q3 = consultation.questions
    good = answers(consultation)
    cases = [
        {**good, str(q1.id): [q1.options[0].id, q1.options[1].id]},   # two single choices
        {**good, str(q2.id): [o.id for o in q2.options[:3]]},         # over the maximum
        {**good, str(q1.id): [q2.options[0].id]},                     # option of another q
        {**good, str(q3.id): {str(q3.options[0].id): 0}},             # partial judgment
        {**good, str(q3.id): {str(o.id): 9 for o in q3.options}},     # no such grade
        {**good, str(q1.id): ["abc"]},
    ]
    for case in cases:
        with pytest.raises(DomainError):
            services.cast_ballot(consultation, inhabitant, case, during(consultation))
    assert services.has_voted(consultation, inhabitant) is None
    blank = answers(consultation, single=None, approval=None, grades=None)
    services.cast_ballot(consultation, inhabitant, blank, during(consultation))


def test_receipts_are_signed(animator, inhabitant, now):
    consultation = make_consultation(animator, now)
    ballot = services.cast_ballot(consultation, inhabitant, answers(consultation),
                                  during(consultation))
    receipt = services.receipt(ballot)
    assert len(receipt.replace("-", "")) == 24
    assert services.check_receipt(consultation, receipt) == ("counted", ballot.id)
    assert services.check_receipt(consultation, receipt.lower().replace("-", " "))[0] == \
        "counted"
    mistyped = receipt[:-1] + ("A" if receipt[-1] != "A" else "B")
    assert services.check_receipt(consultation, mistyped) == ("invalid", None)
    forged = ballot.id[:-1] + ("A" if ballot.id[-1] != "A" else "B")
    assert services.check_receipt(consultation, forged + receipt[-8:])[0] == "invalid"
    assert services.check_receipt(consultation, "n'importe quoi")[0] == "invalid"


def test_publishing_counts_every_ballot_once_after_closing(animator, now):
    consultation = make_consultation(animator, now)
    voters = [factories.UserFactory() for _ in range(3)]
    for voter, single in zip(voters, (0, 0, 2), strict=True):
        services.cast_ballot(consultation, voter, answers(consultation, single=single),
                             during(consultation))
    with pytest.raises(DomainError):
        services.publish_results(consultation, during(consultation))
    result = services.publish_results(consultation, after(consultation))
    q1 = consultation.questions[0]
    assert result["ballots"] == 3
    assert result["questions"][str(q1.id)]["counts"] == {
        str(q1.options[0].id): 2, str(q1.options[1].id): 0, str(q1.options[2].id): 1}
    assert result["ballots_by_channel"] == {"online": 3}
    with pytest.raises(DomainError):
        services.publish_results(consultation, after(consultation))


def test_paper_ballot_at_the_desk_is_logged_without_its_content(animator, other_animator,
                                                                 matisse, espace_fort,
                                                                 inhabitant, now):
    consultation = make_consultation(animator, now)
    with pytest.raises(DomainError, match="l’équipe de ce centre"):
        services.cast_ballot(consultation, inhabitant, answers(consultation),
                             during(consultation), channel="paper", centre=matisse,
                             staff=other_animator)
    ballot = services.cast_ballot(consultation, inhabitant, answers(consultation),
                                  during(consultation), channel="paper",
                                  centre=espace_fort, staff=other_animator)
    assert ballot.centre_id == espace_fort.id and ballot.channel == "paper"
    [entry] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "consultation.ballot_recorded"))
    assert entry.subject_id == inhabitant.id and entry.actor_id == other_animator.id
    assert entry.details == {"consultation": consultation.id, "centre": espace_fort.name,
                             "channel": "paper"}
    # Voted on paper: cannot vote online any more.
    with pytest.raises(DomainError, match="une personne, un vote"):
        services.cast_ballot(consultation, inhabitant, answers(consultation),
                             during(consultation))


def test_deleting_an_account_keeps_participation_and_tally(animator, now):
    consultation = make_consultation(animator, now)
    voter = factories.UserFactory(pseudonym="Partante")
    other = factories.UserFactory(pseudonym="Restante")
    for person in (voter, other):
        services.cast_ballot(consultation, person, answers(consultation),
                             during(consultation))
    db.session.commit()
    exported = personal_data.export(voter)["consultations"]
    assert exported == [{"consultation": consultation.title,
                         "day": services.local_day(during(consultation)).isoformat(),
                         "channel": "online"}]
    assert "answers" not in json.dumps(exported)
    delete_account(voter, PASSWORD, during(consultation))
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Participation)
                              .where(Participation.consultation_id == consultation.id))
    assert count == 2
    result = services.publish_results(consultation, after(consultation))
    assert result["ballots"] == 2


def test_canonical_text_rebuilds_the_fingerprint(animator, now):
    import hashlib

    consultation = make_consultation(animator, now)
    text = services.canonical_text(consultation)
    assert hashlib.sha256(text.encode()).hexdigest() == consultation.fingerprint
    assert "Quel nom pour l’espace ?" in text and "Calais" in text


def test_notices_at_opening_and_the_day_before_closing(animator, inhabitant, verified, now):
    from datetime import timedelta

    from participation.notifications.models import Notification
    from tests import factories

    elsewhere = factories.UserFactory(pseudonym="Ailleurs", commune=None)
    in_marck = factories.UserFactory(pseudonym="Marckois", commune=factories._commune("Marck"))
    consultation = make_consultation(animator, now, communes=("Calais",))
    assert services.send_notices(now) == {"opened": 0, "reminded": 0}  # not open yet
    opened = during(consultation)
    counts = services.send_notices(opened)
    told = set(db.session.scalars(sa.select(Notification.user_id).where(
        Notification.message == "consultation.opened")))
    assert inhabitant.id in told and verified.id in told
    assert elsewhere.id not in told and in_marck.id not in told  # Calais only
    assert counts["opened"] == len(told)
    assert services.send_notices(opened)["opened"] == 0  # only once
    services.cast_ballot(consultation, inhabitant, answers(consultation), opened)
    last_day = consultation.closes_at - timedelta(hours=20)
    services.send_notices(last_day)
    reminded = set(db.session.scalars(sa.select(Notification.user_id).where(
        Notification.message == "consultation.closing")))
    assert verified.id in reminded and inhabitant.id not in reminded  # already voted
    assert services.send_notices(last_day)["reminded"] == 0


def test_notices_go_out_in_batches_and_a_stopped_run_is_taken_up(animator, now, monkeypatch):
    """The whole territory is too many people for one transaction: each batch is
    committed; a run that stopped half-way leaves the rest to the next, nobody told twice."""
    from participation.notifications import services as notifications
    from participation.notifications.models import Notification
    from tests import factories

    people = [factories.UserFactory(pseudonym=f"Habitant {i}") for i in range(7)]
    consultation = make_consultation(animator, now, communes=("Calais",))
    opened = during(consultation)
    real_notify, calls = notifications.notify, []

    def notify_then_stop(users, *args, **kwargs):
        calls.append(len(users))
        if len(calls) == 2:
            raise RuntimeError("the machine restarts")
        return real_notify(users, *args, **kwargs)

    monkeypatch.setattr(notifications, "notify", notify_then_stop)
    with pytest.raises(RuntimeError):
        services.send_notices(opened, batch=3)
    db.session.rollback()
    first = set(db.session.scalars(sa.select(Notification.user_id).where(
        Notification.message == "consultation.opened")))
    assert len(first) == 3 and consultation.opening_notice_sent_at is None
    monkeypatch.setattr(notifications, "notify", real_notify)
    counts = services.send_notices(opened, batch=3)
    rows = db.session.scalars(sa.select(Notification.user_id).where(
        Notification.message == "consultation.opened")).all()
    assert len(rows) == len(set(rows)) == 3 + counts["opened"]
    assert {p.id for p in people} <= set(rows)
    db.session.refresh(consultation)
    assert consultation.opening_notice_sent_at is not None
    assert services.send_notices(opened, batch=3)["opened"] == 0


def test_a_person_who_voted_is_told_so_first(animator, inhabitant, now):
    """Refusals come in the order the voter reads them: not open, already voted, not
    eligible, then what is wrong with the ballot; the same order before and at casting."""
    consultation = make_consultation(animator, now, communes=("Calais",))
    moment = during(consultation)
    assert services.vote_refusal(consultation, inhabitant, moment) is None
    q1 = consultation.questions[0]
    wrong = {**answers(consultation), str(q1.id): [q1.options[0].id, q1.options[1].id]}
    with pytest.raises(DomainError) as refused:
        services.cast_ballot(consultation, inhabitant, wrong, moment)
    assert not isinstance(refused.value, services.VoteRefused)
    services.cast_ballot(consultation, inhabitant, answers(consultation), moment)
    for ballot in (answers(consultation), wrong):
        with pytest.raises(services.VoteRefused) as refused:
            services.cast_ballot(consultation, inhabitant, ballot, moment)
        assert refused.value.reason == services.ALREADY_VOTED
    # Moved away since: still "already voted", not "not eligible".
    inhabitant.commune = commune("Marck")
    db.session.flush()
    assert services.eligibility_problem(consultation, inhabitant, moment)
    assert services.vote_refusal(consultation, inhabitant, moment).reason == \
        services.ALREADY_VOTED
    with pytest.raises(services.VoteRefused) as refused:
        services.cast_ballot(consultation, inhabitant, answers(consultation), moment)
    assert refused.value.reason == services.ALREADY_VOTED
    closed = services.vote_refusal(consultation, inhabitant, after(consultation))
    assert closed.reason == services.NOT_OPEN
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participation)) == 1


def test_the_shape_of_a_ballot_is_kept_only_under_its_fingerprint(animator, now):
    """Questions, options and communes are kept per process once announced, under the
    fingerprint that changes with each of them until opening: never stale."""
    draft = make_consultation(animator, now, schedule=False)
    assert draft.fingerprint is None
    first = services.ballot_shape(draft)
    assert [q.id for q in first.questions] == [q.id for q in draft.questions]
    assert services.ballot_shape(draft) is not first  # a draft is read each time
    services.schedule_consultation(draft, now)
    kept = services.ballot_shape(draft)
    assert services.ballot_shape(draft) is kept
    assert {c.name for c in kept.communes} == {"Calais", "Marck", "Sangatte"}
    question = draft.questions[0]
    services.update_question(question, now, kind="single", text="Quel jour ?",
                             options="Lundi\nJeudi", max_choices=None, grades="")
    changed = services.ballot_shape(draft)
    assert changed is not kept
    assert [o.label for o in changed.questions[0].options] == ["Lundi", "Jeudi"]
    assert changed.questions[0].text == "Quel jour ?"
