"""Calendar files (.ics) for a project and its sessions, in Europe/Paris time."""

from zoneinfo import ZoneInfo

import icalendar
from flask_babel import lazy_gettext as _l

from participation.core.http import external_url
from participation.core.text import clean_line

PARIS = ZoneInfo("Europe/Paris")
PRODID = "-//Centres sociaux du Calaisis//Participation//FR"


def _calendar() -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    return cal


def _event(uid: str, summary: str, starts_at, ends_at, place: str, url: str,
           description: str, stamp) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", starts_at.astimezone(PARIS))
    event.add("dtend", ends_at.astimezone(PARIS))
    if place:
        event.add("location", place)
    event.add("url", url)
    if description:
        event.add("description", description)
    return event


def _host() -> str:
    return external_url("core.home").split("/")[2]


def _project_event(project):
    url = external_url("projects.detail", project_id=project.id)
    summary = project.title
    if project.cancelled_at is not None:
        summary = str(_l("[cancelled] %(title)s", title=summary))
    event = _event(f"project-{project.id}@{_host()}", summary, project.starts_at,
                   project.ends_at, project.place, url,
                   clean_line(project.description)[:500], project.updated_at)
    if project.cancelled_at is not None:
        event.add("status", "CANCELLED")
    return event


def _session_event(project, session):
    url = external_url("projects.detail", project_id=project.id)
    summary = f"{project.title} · {session.title}" if session.title else project.title
    return _event(f"project-{project.id}-session-{session.id}@{_host()}", summary,
                  session.starts_at, session.ends_at, session.place or project.place, url,
                  "", project.updated_at)


def project_calendar(project, sessions) -> bytes:
    """The project (its whole span) and each of its sessions."""
    cal = _calendar()
    cal.add_component(_project_event(project))
    for session in sessions:
        cal.add_component(_session_event(project, session))
    cal.add_missing_timezones()
    return cal.to_ical()


def session_calendar(project, session) -> bytes:
    cal = _calendar()
    cal.add_component(_session_event(project, session))
    cal.add_missing_timezones()
    return cal.to_ical()
