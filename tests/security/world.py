"""A populated site for the security tests: the demo data, one person per role, and
objects that belong to none of them (a stranger's draft, notification, comment…)."""

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from participation.accounts.models import Role, User
from participation.core.models import utcnow
from participation.extensions import db
from participation.territory.models import Centre
from tests import factories
from tests.consultations.helpers import make_consultation

ROLES = ("anonymous", "inhabitant", "verified", "other_animator", "animator", "director",
         "president", "federal_delegate", "admin")


@dataclass
class World:
    people: dict = field(default_factory=dict)  # role -> User (None for anonymous)
    ids: dict = field(default_factory=dict)  # name -> id of an object


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _centre(name):
    return db.session.scalar(sa.select(Centre).where(Centre.short_name == name))


def build_world() -> World:
    """Demo data plus what the matrix needs; committed (the test's transaction rolls it
    all back)."""
    from participation.consultations.models import Consultation
    from participation.council import services as council
    from participation.council.models import AgendaItem, Decision, Mandate, Meeting
    from participation.demo import load_demo
    from participation.notifications.models import Notification
    from participation.projects import services as projects
    from participation.projects.models import SharedProject
    from participation.proposals import services as proposals

    now = utcnow()
    cast = load_demo(now)
    db.session.commit()
    world = World()
    world.people = {
        "anonymous": None,
        "inhabitant": cast["nouvelle"],  # Léa: not verified
        "verified": cast["habitant"],  # Karima: verified at Matisse
        "other_animator": factories.staff("animator", _centre("Espace Fort"),
                                          pseudonym="Anim Fort"),
        "animator": cast["animateur"],  # Matisse: the centre that follows the objects
        "director": cast["directrice"],  # Cousteau; runs the Conseil this year
        "president": cast["president"],  # Espace Fort; runs the Conseil this year
        "federal_delegate": cast["federation"],
        "admin": cast["admin"],
    }
    # Someone outside the cast, whose things nobody else may read or change.
    stranger = _user("amina@example.org")
    neighbour = _user("bruno@example.org")
    ids = world.ids
    ids["stranger"] = stranger.id
    ids["assisted"] = db.session.scalar(
        sa.select(User.id).where(User.assisted_by_id.is_not(None)))
    ids["draft"] = factories.proposal(stranger, status="draft", title="Un brouillon privé",
                                      now=now).id
    ids["submitted"] = factories.proposal(stranger, status="submitted",
                                          title="En attente de modération", now=now,
                                          moderator=cast["animateur"]).id
    published = factories.proposal(stranger, title="Une idée publiée", now=now,
                                   moderator=cast["animateur"])
    ids["published"] = published.id
    comment = proposals.add_comment(stranger, published, "Mon commentaire.", now)
    db.session.flush()
    ids["comment"] = comment.id
    proposals.report(neighbour, published, "off_topic", None, now, comment=comment)
    ids["notification"] = db.session.scalar(
        sa.select(Notification.id).where(Notification.user_id == stranger.id).limit(1))
    assert ids["notification"], "the demo gives the stranger notifications"
    # Consultations of Matisse: one open (votes), one draft (editing), one closed.
    ids["open_consultation"] = make_consultation(cast["animateur"], now - timedelta(days=2),
                                                 title="Ouverte").id
    draft_consultation = make_consultation(cast["animateur"], now, schedule=False,
                                           title="En préparation")
    ids["draft_consultation"] = draft_consultation.id
    ids["question"] = draft_consultation.questions[0].id
    ids["closed_consultation"] = db.session.scalar(
        sa.select(Consultation.id).where(Consultation.results_published_at.is_not(None)))
    # The Conseil: next meeting (being prepared), members-only minutes, a decision.
    ids["next_meeting"] = db.session.scalar(
        sa.select(Meeting.id).where(Meeting.starts_at > now).order_by(Meeting.starts_at))
    ids["members_meeting"] = db.session.scalar(
        sa.select(Meeting.id).where(Meeting.minutes_visibility == "members"))
    ids["item"] = db.session.scalar(
        sa.select(AgendaItem.id).where(AgendaItem.meeting_id == ids["next_meeting"]))
    ids["decision"] = db.session.scalar(sa.select(Decision.id).order_by(Decision.id))
    ids["mandate"] = db.session.scalar(sa.select(Mandate.id).order_by(Mandate.id))
    ids["role"] = db.session.scalar(
        sa.select(Role.id).where(Role.user_id == cast["directrice"].id))
    # A shared project that only Matisse runs, with a session, people and a help offer.
    project = db.session.scalar(sa.select(SharedProject).where(
        SharedProject.title == "Atelier vélo partagé"))
    ids["project"] = project.id
    ids["session"] = projects.add_session(
        project, starts_at=project.starts_at, ends_at=project.starts_at + timedelta(hours=2),
        place="Matisse").id
    ids["offer"] = projects.offer_help(project, stranger, "time", "Le samedi.", now).id
    ids["draft_project"] = db.session.scalar(sa.select(SharedProject.id).where(
        SharedProject.title == "Jardin partagé du quartier Matisse"))
    ids["draft_decision"] = council.record_decision(
        db.session.get(Meeting, ids["members_meeting"]), cast["admin"], title="Projet",
        text="Pas encore publiée.", now=now).id
    ids["submitted_sheet"] = factories.action_sheet(cast["animateur"], status="submitted",
                                                    title="Soumise").id
    # A draft fiche action written by Matisse's animator.
    sheet = factories.action_sheet(cast["animateur"], status="draft", title="Brouillon")
    ids["sheet"] = sheet.id
    ids["objective"] = sheet.objectives[0].id
    db.session.commit()
    return world
