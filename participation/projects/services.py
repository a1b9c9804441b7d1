"""Shared projects: preparing and publishing them, joining and leaving, the waiting list,
and what organisers do (attendance, messages, news, registering someone, offers of help).

Services flush and never commit; the view (or the demo loader, or a test)
commits once. Rules about time take ``now``. They raise ``DomainError`` with a
message for the person.

Capacity: every change of places locks the project row first (``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite lets one writer at a time), counts, then writes,
so simultaneous joins can never overbook; the check constraint
``never_overbooked`` backs this in the schema.
"""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from participation.accounts.models import User
from participation.core import audit, personal_data
from participation.core.errors import DomainError
from participation.core.http import path_for
from participation.core.mail import queue_email
from participation.core.text import clean_line
from participation.core.uploads import StoredImage, delete_image
from participation.extensions import db
from participation.notifications.services import notify
from participation.projects.models import (
    ACCEPTED,
    CANCELLED,
    DRAFT,
    FINISHED,
    HELP_KINDS,
    IN_PROGRESS,
    JOINABLE,
    LEFT,
    OFFERED,
    REGISTERED,
    SOON,
    WAITING,
    Attendance,
    HelpOffer,
    NewsPost,
    ProjectCentre,
    ProjectSession,
    Registration,
    SharedProject,
)
from participation.proposals.models import Proposal, Theme
from participation.territory.models import Centre, Commune

PARIS = ZoneInfo("Europe/Paris")
MAX_COMPANIONS = 20


def may_organise(user: User, project: SharedProject) -> bool:
    """Animators and directors of a participating centre organise; admins any project."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_admin:
        return True
    return bool({c.id for c in user.staff_centres()} & project.centre_ids)


# --- Preparing and publishing ---------------------------------------------------------------

@dataclass
class ProjectData:
    """What an organiser types in for a project."""

    title: str
    description: str
    place: str
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime
    registration_closes_at: datetime
    centres: list[tuple[Centre, str]]  # each participating centre with its role
    communes: list[Commune] = field(default_factory=list)
    theme: Theme | None = None
    capacity: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    contact: str = ""
    proposals: list[Proposal] = field(default_factory=list)
    picture: StoredImage | None = None
    remove_picture: bool = False


ROLE_MAX = 300  # a centre's role in a project (the column's length)


def _check(data: ProjectData, staff: User) -> None:
    if not clean_line(data.title):
        raise DomainError(_l("Give the project a title."), "title")
    if not data.centres:
        raise DomainError(_l("Choose at least one centre taking part."), "centres")
    if not staff.is_admin and not ({c.id for c in staff.staff_centres()}
                                   & {centre.id for centre, _ in data.centres}):
        raise DomainError(_l("Your own centre must be one of the centres taking part."),
                          "centres")
    if not data.communes:
        raise DomainError(_l("Choose at least one commune concerned."), "communes")
    if any(len(clean_line(role)) > ROLE_MAX for _centre, role in data.centres):
        raise DomainError(_l("Describe each centre's role in at most %(max)d characters.",
                             max=ROLE_MAX), "centres")
    if data.ends_at < data.starts_at:
        raise DomainError(_l("The end must come after the start."), "ends_at")
    if data.registration_closes_at <= data.registration_opens_at:
        raise DomainError(_l("Registration must close after it opens."),
                          "registration_closes_at")
    if data.registration_closes_at > data.ends_at:
        raise DomainError(_l("Registration must close before the project ends."),
                          "registration_closes_at")
    if data.capacity is not None and data.capacity < 1:
        raise DomainError(_l("The number of places must be at least 1, or left empty."),
                          "capacity")
    if data.min_age is not None and data.max_age is not None and data.max_age < data.min_age:
        raise DomainError(_l("The maximum age must not be below the minimum age."), "max_age")


def _apply(project: SharedProject, data: ProjectData) -> None:
    project.title = clean_line(data.title)
    project.description = (data.description or "").strip()
    project.place = clean_line(data.place)
    project.contact = clean_line(data.contact)
    project.starts_at, project.ends_at = data.starts_at, data.ends_at
    project.registration_opens_at = data.registration_opens_at
    project.registration_closes_at = data.registration_closes_at
    project.capacity, project.min_age, project.max_age = (data.capacity, data.min_age,
                                                          data.max_age)
    project.theme = data.theme
    project.communes = list(data.communes)
    project.proposals = list(data.proposals)
    wanted = {centre.id: (centre, clean_line(role)) for centre, role in data.centres}
    for link in list(project.centres):
        if link.centre_id not in wanted:
            project.centres.remove(link)
    for link in project.centres:
        link.role = wanted.pop(link.centre_id)[1]
    for centre, role in wanted.values():
        project.centres.append(ProjectCentre(centre=centre, centre_id=centre.id, role=role))
    if data.picture is not None or data.remove_picture:
        delete_image(project.picture, project.picture_thumb)
        project.picture = data.picture.name if data.picture else None
        project.picture_thumb = data.picture.thumb_name if data.picture else None


def create_project(staff: User, data: ProjectData, now: datetime) -> SharedProject:
    """A draft project, by an animator or director of one of the centres taking part."""
    _check(data, staff)
    project = SharedProject(created_by_id=staff.id, places_taken=0)
    _apply(project, data)
    db.session.add(project)
    db.session.flush()
    return project


def update_project(project: SharedProject, staff: User, data: ProjectData,
                   now: datetime) -> None:
    """Change a project until it is finished or cancelled. The capacity never goes
    below the places already given; more places promote people who wait."""
    if project.status(now) in (FINISHED, CANCELLED):
        raise DomainError(_l("This project is finished or cancelled: it can no longer "
                             "change."))
    _check(data, staff)
    _lock(project)
    if data.capacity is not None and data.capacity < project.places_taken:
        raise DomainError(_l("%(num)d places are already taken: the capacity cannot be "
                             "lower.", num=project.places_taken), "capacity")
    _apply(project, data)
    db.session.flush()
    promote_waiting(project, now)


def publish_project(project: SharedProject, staff: User, now: datetime) -> None:
    """Make a draft public; inhabitants can join once registration opens."""
    if project.status(now) != DRAFT:
        raise DomainError(_l("This project is already published."))
    project.published_at = now
    db.session.flush()


def cancel_project(project: SharedProject, staff: User, reason: str, now: datetime) -> int:
    """Cancel a project; everyone registered or waiting is told why. Returns how many."""
    if project.status(now) in (FINISHED, CANCELLED):
        raise DomainError(_l("This project is already finished or cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why the project is cancelled: participants will read it."),
                          "reason")
    project.cancelled_at, project.cancel_reason = now, reason
    people = _people(project, (REGISTERED, WAITING))
    db.session.flush()
    return notify(people, "projects", "project.cancelled", _url(project), now,
                  title=project.title, message=reason)


def add_session(project: SharedProject, *, starts_at: datetime, ends_at: datetime,
                place: str, title: str = "") -> ProjectSession:
    """A session of the project (a day, an hour, a place)."""
    if ends_at <= starts_at:
        raise DomainError(_l("The end must come after the start."), "ends_at")
    session = ProjectSession(project=project, starts_at=starts_at, ends_at=ends_at,
                             place=clean_line(place) or project.place, title=clean_line(title))
    db.session.add(session)
    db.session.flush()
    return session


def delete_session(session: ProjectSession) -> None:
    db.session.delete(session)
    db.session.flush()


# --- Joining, leaving, the waiting list -----------------------------------------------------

def _url(project: SharedProject) -> str:
    return path_for("projects.detail", project_id=project.id)


def _when(value: datetime) -> str:
    return format_datetime(value, "short")


def join_problem(project: SharedProject, person: User, now: datetime) -> str | None:
    """Why ``person`` may not join now, in plain words with what to do; None if they may."""
    status = project.status(now)
    if status == SOON:
        return str(_l("Registration opens on %(date)s. Come back then: places are given in "
                      "order of registration.", date=_when(project.registration_opens_at)))
    if status not in JOINABLE:
        if status == CANCELLED:
            return str(_l("This project is cancelled."))
        return str(_l("Registration for this project is closed. To ask whether a place is "
                      "still possible, contact %(contact)s.",
                      contact=project.contact or _l("the centres taking part")))
    if project.min_age is not None or project.max_age is not None:
        if person.birth_year is None:
            return str(_l("This project is for people aged %(range)s. Add your year of birth "
                          "in your account (My account), then come back to join.",
                          range=age_range(project)))
        # The age reached this year, as for consultations: no exact birthday is kept.
        age = project.starts_at.astimezone(PARIS).year - person.birth_year
        if project.min_age is not None and age < project.min_age:
            return str(_l("This project is for people aged %(range)s, and you will be "
                          "%(age)d this year. Ask the animators of your centre about "
                          "projects for your age.", range=age_range(project), age=age))
        if project.max_age is not None and age > project.max_age:
            return str(_l("This project is for people aged %(range)s, and you will be "
                          "%(age)d this year. You can still help: offer your time, a skill "
                          "or equipment.", range=age_range(project), age=age))
    return None


def age_range(project: SharedProject) -> str:
    if project.min_age is not None and project.max_age is not None:
        return str(_l("%(min)d to %(max)d", min=project.min_age, max=project.max_age))
    if project.min_age is not None:
        return str(_l("%(min)d and over", min=project.min_age))
    return str(_l("up to %(max)d", max=project.max_age))


def _lock(project: SharedProject) -> SharedProject:
    """Lock the project row and read its counter afresh: one change of places at a time."""
    return db.session.scalars(
        sa.select(SharedProject).where(SharedProject.id == project.id)
        .with_for_update().execution_options(populate_existing=True)).one()


def registration_of(project: SharedProject, person: User) -> Registration | None:
    return db.session.scalar(sa.select(Registration).where(
        Registration.project_id == project.id, Registration.person_id == person.id))


def join(project: SharedProject, person: User, now: datetime, *, message: str = "",
         companions: int = 0, registered_by: User | None = None) -> Registration:
    """Register ``person`` (with ``companions`` coming along): on the list while places
    remain, else on the waiting list, in order. Leaving and coming back is allowed."""
    if not person.is_active:
        raise DomainError(_l("This account has been deleted."))
    problem = join_problem(project, person, now)
    if problem:
        raise DomainError(problem)
    if not isinstance(companions, int) or not 0 <= companions <= MAX_COMPANIONS:
        raise DomainError(_l("Between 0 and %(max)d people can come with you.",
                             max=MAX_COMPANIONS), "companions")
    places = 1 + companions
    if project.capacity is not None and places > project.capacity:
        raise DomainError(_l("This project has %(num)d places in all: you cannot come with "
                             "that many people.", num=project.capacity), "companions")
    _lock(project)
    registration = registration_of(project, person)
    if registration is not None and registration.status != LEFT:
        raise DomainError(_l("You are already registered for this project.")
                          if registration.status == REGISTERED else
                          _l("You are already on the waiting list of this project."))
    if registration is None:
        registration = Registration(project_id=project.id, person_id=person.id)
        db.session.add(registration)
    registration.message = (message or "").strip() or None
    registration.companions = companions
    registration.registered_by_id = registered_by.id if registered_by else None
    registration.left_at = registration.promoted_at = None
    if project.capacity is None or project.places_taken + places <= project.capacity:
        registration.status, registration.position = REGISTERED, None
        project.places_taken += places
    else:
        with db.session.no_autoflush:
            last = db.session.scalar(sa.select(sa.func.max(Registration.position)).where(
                Registration.project_id == project.id)) or 0
        registration.status, registration.position = WAITING, last + 1
    db.session.flush()
    return registration


def leave(registration: Registration, now: datetime) -> list[Registration]:
    """Leave a project (or the waiting list) at any time; frees the places, and the first
    people waiting who fit are registered in order. Returns those promoted."""
    project = _lock(registration.project)
    db.session.refresh(registration)
    if registration.status == LEFT:
        return []
    was_registered = registration.status == REGISTERED
    registration.status, registration.left_at = LEFT, now
    if was_registered:
        project.places_taken -= registration.places
    db.session.flush()
    return promote_waiting(project, now) if was_registered else []


def waiting_list(project: SharedProject) -> list[Registration]:
    return list(db.session.scalars(
        sa.select(Registration).where(Registration.project_id == project.id,
                                      Registration.status == WAITING)
        .order_by(Registration.position)))


def promote_waiting(project: SharedProject, now: datetime) -> list[Registration]:
    """Give free places to the people waiting, in order: each one whose places fit is
    registered and told (notification, and email as they chose). Call with the project
    locked."""
    if project.status(now) in (FINISHED, CANCELLED):
        return []
    promoted = []
    for registration in waiting_list(project):
        if project.capacity is not None and \
                project.places_taken + registration.places > project.capacity:
            continue
        registration.status, registration.promoted_at = REGISTERED, now
        project.places_taken += registration.places
        promoted.append(registration)
    db.session.flush()
    for registration in promoted:
        notify([registration.person], "projects", "project.promoted", _url(project), now,
               title=project.title)
    return promoted


def register_for(staff: User, project: SharedProject, person: User, now: datetime, *,
                 message: str = "", companions: int = 0) -> Registration:
    """An organiser registers an inhabitant on their behalf (at a desk, on the phone);
    the person is told, and the audit log keeps who did it."""
    if person.id == staff.id:
        raise DomainError(_l("Register yourself from the project's page."))
    registration = join(project, person, now, message=message, companions=companions,
                        registered_by=staff)
    audit.record(staff, "projects.registered_for", person, project_id=project.id,
                 status=registration.status)
    notify([person], "projects", "project.registered_for", _url(project), now,
           title=project.title, name=staff.display_name)
    return registration


def _people(project: SharedProject, statuses) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(Registration, Registration.person_id == User.id)
        .where(Registration.project_id == project.id, Registration.status.in_(statuses))
        .order_by(Registration.id)))


def recount(project: SharedProject) -> int:
    """The places of registered people counted afresh (to check the kept counter)."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(1 + Registration.companions), 0))
        .where(Registration.project_id == project.id, Registration.status == REGISTERED))


# --- For the organisers ---------------------------------------------------------------------

def mark_attendance(session: ProjectSession, staff: User, present_ids: set[int],
                    now: datetime) -> int:
    """Record who came to ``session``: every registered person is marked present or absent.
    Returns how many were present."""
    registrations = db.session.scalars(sa.select(Registration).where(
        Registration.project_id == session.project_id, Registration.status == REGISTERED))
    existing = {a.registration_id: a for a in db.session.scalars(
        sa.select(Attendance).where(Attendance.session_id == session.id))}
    count = 0
    for registration in registrations:
        present = registration.id in present_ids
        count += present
        row = existing.get(registration.id)
        if row is None:
            db.session.add(Attendance(registration_id=registration.id, session_id=session.id,
                                      present=present, marked_by_id=staff.id, marked_at=now))
        else:
            row.present, row.marked_by_id, row.marked_at = present, staff.id, now
    db.session.flush()
    return count


def message_participants(project: SharedProject, staff: User, subject: str, body: str,
                         now: datetime) -> tuple[int, list[User]]:
    """Email every registered participant through the outbox. Returns how many emails were
    queued and who has no email (to be called or told at the centre)."""
    subject, body = clean_line(subject), (body or "").strip()
    if not subject:
        raise DomainError(_l("Give the message a subject."), "subject")
    if not body:
        raise DomainError(_l("Write the message."), "body")
    people = _people(project, (REGISTERED,))
    if not people:
        raise DomainError(_l("Nobody is registered yet: there is nobody to write to."))
    sent, without = 0, []
    from participation.core.http import external_url

    link = external_url("projects.detail", project_id=project.id)
    for person in people:
        if person.email:
            queue_email(person.email, "project_message", person.locale, user=person,
                        project=project, subject=subject, body=body, link=link,
                        sender=staff.display_name)
            sent += 1
        else:
            without.append(person)
    return sent, without


def post_news(project: SharedProject, staff: User, title: str, body: str,
              now: datetime) -> NewsPost:
    """News on the project's page; registered and waiting people are told."""
    title, body = clean_line(title), (body or "").strip()
    if not title:
        raise DomainError(_l("Give the news a title."), "title")
    if not body:
        raise DomainError(_l("Write the news."), "body")
    post = NewsPost(project_id=project.id, author_id=staff.id, title=title, body=body,
                    created_at=now)
    db.session.add(post)
    db.session.flush()
    notify(_people(project, (REGISTERED, WAITING)), "project_news", "project.news",
           _url(project) + f"#news-{post.id}", now, title=project.title, news=title)
    return post


# --- Offers of help -------------------------------------------------------------------------

def offer_help(project: SharedProject, person: User, kind: str, text: str,
               now: datetime) -> HelpOffer:
    """"Je peux aider": anyone logged in offers time, a skill or equipment to a project
    that is not over; the organisers are told."""
    if project.status(now) in (DRAFT, FINISHED, CANCELLED):
        raise DomainError(_l("This project no longer takes offers of help."))
    if kind not in HELP_KINDS:
        raise DomainError(_l("Choose what you offer."), "kind")
    text = (text or "").strip()
    if not text:
        raise DomainError(_l("Say in a few words what you can do or lend."), "text")
    offer = HelpOffer(project_id=project.id, person_id=person.id, kind=kind, text=text,
                      status=OFFERED, created_at=now)
    db.session.add(offer)
    db.session.flush()
    notify(organisers(project), "projects", "project.help_offered",
           path_for("projects.help_offers", project_id=project.id), now,
           title=project.title, name=person.display_name)
    return offer


def accept_offer(offer: HelpOffer, staff: User, now: datetime) -> None:
    """An organiser accepts an offer of help; the person is told. Accepted offers are the
    project's means from inhabitants (for its fiche action)."""
    if offer.status == ACCEPTED:
        raise DomainError(_l("This offer is already accepted."))
    offer.status, offer.accepted_at, offer.accepted_by_id = ACCEPTED, now, staff.id
    db.session.flush()
    notify([offer.person], "projects", "project.help_accepted", _url(offer.project), now,
           title=offer.project.title)


def organisers(project: SharedProject) -> list[User]:
    """Animators and directors of the centres taking part."""
    from participation.accounts.models import Role

    return list(db.session.scalars(
        sa.select(User).join(Role, Role.user_id == User.id)
        .where(Role.organisation_id.in_(project.centre_ids),
               Role.kind.in_(("animator", "director")), User.deleted_at.is_(None))
        .distinct()))


# --- Personal data --------------------------------------------------------------------------

@personal_data.exporter("projects")
def _export(user) -> dict:
    registrations = db.session.execute(
        sa.select(Registration, SharedProject.title)
        .join(SharedProject, SharedProject.id == Registration.project_id)
        .where(Registration.person_id == user.id).order_by(Registration.id)).all()
    offers = db.session.execute(
        sa.select(HelpOffer, SharedProject.title)
        .join(SharedProject, SharedProject.id == HelpOffer.project_id)
        .where(HelpOffer.person_id == user.id).order_by(HelpOffer.id)).all()
    return {
        "registrations": [{"project": title, "status": r.status, "companions": r.companions,
                           "message": r.message, "since": r.created_at.isoformat()}
                          for r, title in registrations],
        "help_offers": [{"project": title, "kind": o.kind, "text": o.text,
                         "status": o.status} for o, title in offers],
    }


@personal_data.eraser
def _erase(user) -> None:
    """A deleted account frees its places in projects not yet started (the people waiting
    move up); past registrations stay for the attendance records, without the message."""
    from participation.core.models import utcnow

    now = utcnow()
    active = db.session.scalars(sa.select(Registration).where(
        Registration.person_id == user.id, Registration.status != LEFT))
    for registration in list(active):
        if registration.project.status(now) not in (IN_PROGRESS, FINISHED, CANCELLED):
            leave(registration, now)
    db.session.execute(sa.update(Registration).where(Registration.person_id == user.id)
                       .values(message=None))
    db.session.execute(sa.update(HelpOffer).where(HelpOffer.person_id == user.id)
                       .values(text=""))
