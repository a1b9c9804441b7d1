"""Who may do what in the Conseil and its collectives (rules 1 and 2 of the charter).

The Conseil is run by the president and the director it designated for the
year (and by administrators); a collective is run by its own members. The
rules here read the clock themselves (``utcnow``); the date-dependent part is
``services.can_run(user, body, year, today)``, tested with dates passed in.
"""

from participation.core.models import utcnow
from participation.core.permissions import rule
from participation.council import services
from participation.council.models import Body, Decision, Meeting, Minutes


def _today():
    return services.paris_today(utcnow())


def _runs_meeting(user, meeting: Meeting) -> bool:
    return services.can_run(user, meeting.body, meeting.year, _today())


def _runs(user, obj) -> bool:
    """Runs a body (for a new meeting: this year's business) or the given meeting."""
    if isinstance(obj, Meeting):
        return _runs_meeting(user, obj)
    if isinstance(obj, Body):
        return services.can_run(user, obj, _today().year, _today())
    return False


def _sits_in(user, body: Body) -> bool:
    return bool(user.is_authenticated) and (
        user.is_admin or services.is_member(user, body, _today()))


@rule("council.plan")
def plan(user, obj=None) -> bool:
    """Plan a meeting, change it, set its agenda and invite guests: for the Conseil, this
    year's designated president and director (rule 2) and admins; for a collective, its
    members and admins."""
    return _runs(user, obj)


@rule("council.convene")
def convene(user, meeting=None) -> bool:
    """Send the convocation (rule 4): the same people who run the meeting. An animator, or a
    director who is not this year's runner, cannot convene the Conseil."""
    return isinstance(meeting, Meeting) and _runs_meeting(user, meeting)


@rule("council.record")
def record(user, meeting=None) -> bool:
    """Record attendance, decisions and minutes of a meeting: the people who run it."""
    return isinstance(meeting, Meeting) and _runs_meeting(user, meeting)


@rule("council.publish")
def publish(user, meeting=None) -> bool:
    """Publish a meeting's decisions and minutes: for the Conseil, only the runners
    designated for that year and admins (rule 2); for a collective, its members."""
    return isinstance(meeting, Meeting) and _runs_meeting(user, meeting)


@rule("council.designate")
def designate(user, obj=None) -> bool:
    """Record the Conseil's yearly designations: admins and this year's runners."""
    if not user.is_authenticated:
        return False
    return user.is_admin or services.is_runner(user, _today().year, _today())


@rule("council.name_representative")
def name_representative(user, seat=None) -> bool:
    """Record a representative: admins, and a president or director for their own seat
    (``seat`` is an (organisation, role) pair, or None to ask whether they may at all)."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    roles = user.roles_of("president", "director")
    if seat is None:
        return bool(roles)
    organisation, role = seat
    return any(r.organisation_id == organisation.id and r.kind == role for r in roles)


@rule("council.see_meeting")
def see_meeting(user, meeting=None) -> bool:
    """Everyone sees a meeting once convened or held; before, its body's members, its
    runners and admins see it being prepared."""
    if not isinstance(meeting, Meeting):
        return False
    if meeting.convened or meeting.is_past():
        return True
    return _sits_in(user, meeting.body) or _runs_meeting(user, meeting)


@rule("council.see_guests")
def see_guests(user, meeting=None) -> bool:
    """Guests' names are shown to the body's members, its runners and admins only."""
    return isinstance(meeting, Meeting) and (_sits_in(user, meeting.body)
                                             or _runs_meeting(user, meeting))


@rule("council.answer")
def answer(user, meeting=None) -> bool:
    """A convened member answers present, excused or represented, until the meeting."""
    if not (isinstance(meeting, Meeting) and user.is_authenticated and meeting.convened):
        return False
    if meeting.is_past() or meeting.cancelled_at is not None:
        return False
    return any(r.user_id == user.id for r in meeting.convocation.recipients)


@rule("council.read_minutes")
def read_minutes(user, minutes=None) -> bool:
    """Published minutes: everyone when the meeting's minutes are public, the body's members
    (and admins) when members-only. Drafts: the meeting's runners."""
    if not isinstance(minutes, Minutes):
        return False
    meeting = minutes.meeting
    if minutes.published_at is None:
        return _runs_meeting(user, meeting)
    if meeting.minutes_visibility == "public":
        return True
    return _sits_in(user, meeting.body) or _runs_meeting(user, meeting)


@rule("council.see_decision")
def see_decision(user, decision=None) -> bool:
    """Published decisions are public (the register); drafts are seen by the runners."""
    if not isinstance(decision, Decision):
        return False
    return decision.published_at is not None or _runs_meeting(user, decision.meeting)
