"""The rules of shared projects, through the services, with time passed in."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.errors import DomainError
from participation.extensions import db
from participation.notifications.models import Notification
from participation.projects import services
from participation.projects.models import HelpOffer, NewsPost
from tests import factories
from tests.projects.helpers import centre, data, make_project, opened


def _people(n, **fields):
    return [factories.UserFactory(**fields) for _ in range(n)]


def test_status_follows_dates_and_places(animator, now):
    project = make_project(animator, now, publish=False, capacity=2)
    assert project.status(now) == "draft"
    services.publish_project(project, animator, now)
    assert project.status(now) == "soon"
    assert project.status(opened(now)) == "open"
    project.places_taken = 2
    assert project.status(opened(now)) == "full"
    assert project.status(now + timedelta(days=12)) == "closed"
    assert project.status(now + timedelta(days=31)) == "in_progress"
    assert project.status(now + timedelta(days=36)) == "finished"
    project.cancelled_at = now
    assert project.status(opened(now)) == "cancelled"


def test_an_animator_publishes_only_with_their_centre(animator, other_animator, now):
    with pytest.raises(DomainError) as error:
        services.create_project(other_animator,
                                data(now, centres=[(centre("Matisse"), "tout")]), now)
    assert error.value.field == "centres"
    with pytest.raises(DomainError):
        services.create_project(animator, data(now, ends_at=now), now)
    with pytest.raises(DomainError):
        services.create_project(animator, data(now, communes=[]), now)


def test_capacity_waiting_list_and_promotion_in_order(animator, now, outbox):
    project = make_project(animator, now, capacity=3)
    a, b, c, d = _people(4)
    t = opened(now)
    assert services.join(project, a, t).status == "registered"
    # b comes with one person: 3 places taken, the project is full.
    assert services.join(project, b, t, companions=1).status == "registered"
    assert project.places_taken == 3 and project.status(t) == "full"
    waiting_c = services.join(project, c, t, companions=1)
    waiting_d = services.join(project, d, t)
    assert (waiting_c.status, waiting_c.position) == ("waiting", 1)
    assert (waiting_d.status, waiting_d.position) == ("waiting", 2)
    # a leaves: one place; c needs two and does not fit, d fits and is promoted.
    promoted = services.leave(services.registration_of(project, a), t)
    assert promoted == [waiting_d] and waiting_d.status == "registered"
    assert waiting_c.status == "waiting"
    db.session.commit()
    told = db.session.scalars(sa.select(Notification).where(Notification.user_id == d.id))
    assert [n.message for n in told] == ["project.promoted"]
    assert [m.recipient for m in outbox(d.email)]  # "email" is the default for this kind
    # b leaves (two places): c is registered.
    services.leave(services.registration_of(project, b), t)
    assert waiting_c.status == "registered"
    assert project.places_taken == services.recount(project) == 3


def test_joining_twice_is_refused_but_coming_back_is_not(animator, inhabitant, now):
    project = make_project(animator, now)
    t = opened(now)
    registration = services.join(project, inhabitant, t, message="Avec plaisir")
    with pytest.raises(DomainError):
        services.join(project, inhabitant, t)
    services.leave(registration, t)
    assert services.join(project, inhabitant, t).id == registration.id
    assert project.places_taken == 1


def test_dates_and_age_say_why_and_what_to_do(animator, inhabitant, now):
    project = make_project(animator, now, min_age=12, max_age=17)
    problem = services.join_problem(project, inhabitant, now)
    assert "Registration opens on" in problem or "inscriptions ouvrent" in problem.lower()
    too_old = services.join_problem(project, inhabitant, opened(now))
    assert "12" in too_old and "17" in too_old
    inhabitant.birth_year = None
    assert "year of birth" in services.join_problem(project, inhabitant, opened(now)) \
        or "année de naissance" in services.join_problem(project, inhabitant, opened(now))
    young = factories.UserFactory(birth_year=now.year + 30 - 14)
    young.birth_year = 2012  # 14 when the project starts in 2026
    assert services.join_problem(project, young, opened(now)) is None
    closed = now + timedelta(days=12)
    assert services.join_problem(project, young, closed) is not None
    with pytest.raises(DomainError):
        services.join(project, young, closed)


def test_too_many_companions_for_the_whole_project(animator, inhabitant, now):
    project = make_project(animator, now, capacity=2)
    with pytest.raises(DomainError) as error:
        services.join(project, inhabitant, opened(now), companions=2)
    assert error.value.field == "companions"


def test_more_places_promote_and_fewer_than_taken_are_refused(animator, now):
    project = make_project(animator, now, capacity=2)
    a, b = _people(2)
    t = opened(now)
    services.join(project, a, t, companions=1)
    waiting = services.join(project, b, t)
    db.session.commit()
    with pytest.raises(DomainError) as error:
        services.update_project(project, animator, data(now, capacity=1), t)
    assert error.value.field == "capacity"
    db.session.rollback()
    services.update_project(project, animator, data(now, capacity=3), t)
    assert waiting.status == "registered" and project.places_taken == 3


def test_assisted_registration_is_audited_and_told(animator, inhabitant, now):
    project = make_project(animator, now)
    services.register_for(animator, project, inhabitant, opened(now), companions=1)
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "projects.registered_for"))
    assert entry.actor_id == animator.id and entry.subject_id == inhabitant.id
    assert db.session.scalar(sa.select(Notification.message).where(
        Notification.user_id == inhabitant.id)) == "project.registered_for"


def test_news_and_cancellation_tell_participants(animator, inhabitant, now):
    project = make_project(animator, now, capacity=1)
    other = factories.UserFactory()
    t = opened(now)
    services.join(project, inhabitant, t)
    services.join(project, other, t)  # waiting: told too
    services.post_news(project, animator, "Départ à 7 h", "Rendez-vous au port.", t)
    services.cancel_project(project, animator, "La traversée est annulée.", t)
    db.session.commit()
    messages = sorted(db.session.scalars(sa.select(Notification.message).where(
        Notification.user_id.in_([inhabitant.id, other.id]))))
    assert messages == ["project.cancelled"] * 2 + ["project.news"] * 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NewsPost)) == 1
    with pytest.raises(DomainError):
        services.join(project, factories.UserFactory(), t)


def test_message_to_participants_goes_through_the_outbox(animator, inhabitant, now, outbox):
    project = make_project(animator, now)
    assisted = factories.UserFactory(email=None)
    services.join(project, inhabitant, opened(now))
    services.join(project, assisted, opened(now))
    sent, without = services.message_participants(project, animator, "Le départ",
                                                  "Soyez là à 7 h.", opened(now))
    assert sent == 1 and without == [assisted]
    [mail] = outbox(inhabitant.email)
    assert "Le départ" in mail.subject and "Soyez là à 7 h." in mail.body_text


def test_attendance_is_marked_per_session(animator, inhabitant, now):
    project = make_project(animator, now)
    other = factories.UserFactory()
    first = services.join(project, inhabitant, opened(now))
    services.join(project, other, opened(now))
    session = services.add_session(project, starts_at=now + timedelta(days=30),
                                   ends_at=now + timedelta(days=30, hours=3), place="")
    assert session.place == "Port de Calais"
    assert services.mark_attendance(session, animator, {first.id}, now) == 1
    assert services.mark_attendance(session, animator, set(), now) == 0


def test_offers_of_help_are_seen_and_accepted(animator, inhabitant, now):
    project = make_project(animator, now)
    offer = services.offer_help(project, inhabitant, "equipment", "Une tente", now)
    db.session.commit()
    assert db.session.scalar(sa.select(Notification.message).where(
        Notification.user_id == animator.id)) == "project.help_offered"
    services.accept_offer(offer, animator, now)
    assert db.session.get(HelpOffer, offer.id).status == "accepted"
    with pytest.raises(DomainError):
        services.accept_offer(offer, animator, now)
    with pytest.raises(DomainError):
        services.offer_help(project, inhabitant, "money", "x", now)


def test_the_counter_matches_a_fresh_count_after_many_moves(animator, now):
    project = make_project(animator, now, capacity=5)
    people = _people(8)
    t = opened(now)
    registrations = [services.join(project, p, t, companions=i % 2)
                     for i, p in enumerate(people)]
    for registration in registrations[::3]:
        services.leave(registration, t)
    assert project.places_taken == services.recount(project) <= 5


def test_a_deleted_account_frees_its_place(animator, inhabitant, now):
    from participation.core import personal_data
    from participation.core.models import utcnow

    t0 = utcnow() - timedelta(days=2)  # erasing happens on the real clock
    project = make_project(animator, t0, capacity=1)
    waiting = factories.UserFactory()
    services.join(project, inhabitant, opened(t0), message="Mon numéro")
    registration = services.join(project, waiting, opened(t0))
    personal_data.erase(inhabitant)
    assert registration.status == "registered"
    assert services.registration_of(project, inhabitant).message is None
