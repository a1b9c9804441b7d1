"""The Conseil des Centres Sociaux du Calaisis and its two collectives.

Bodies (the Conseil, the collectif des présidents, the collectif des
directeurs), mandates (representatives sitting for a role holder, and the
yearly designations of the Conseil's runners), meetings with their agenda and
guests, convocations and who they went to, members' answers and attendance,
the numbered decisions register and the minutes.

Times are stored in UTC and shown in Europe/Paris; rules about dates take
``now`` as an argument (see services.py).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import User
from participation.core.chain import ChainedMixin, chained
from participation.core.models import TimestampMixin, UTCDateTime, utcnow
from participation.extensions import db
from participation.territory.models import Organisation

PARIS = ZoneInfo("Europe/Paris")

COUNCIL, PRESIDENTS, DIRECTORS = "council", "presidents", "directors"
BODY_KINDS = {
    COUNCIL: _l("Conseil des Centres Sociaux du Calaisis"),
    PRESIDENTS: _l("Presidents' collective"),
    DIRECTORS: _l("Directors' collective"),
}
# Which seats sit in each body: (kind of organisation, role on it). The charter
# gives representatives to presidents and directors, not to the federal delegate.
SEATS = {
    COUNCIL: (("centre", "president"), ("centre", "director"), ("federation", "president"),
              ("federation", "federal_delegate")),
    PRESIDENTS: (("centre", "president"),),
    DIRECTORS: (("centre", "director"),),
}
REPRESENTABLE_ROLES = ("president", "director")

REPRESENTATIVE, DESIGNATION = "representative", "designation"
ANSWERS = {
    "present": _l("present"),
    "excused": _l("excused"),
    "represented": _l("represented"),
}
VISIBILITIES = {"public": _l("public"), "members": _l("members only")}


class Body(db.Model):
    """The Conseil or one of its two collectives (rows made by the migration).

    ``slug`` is the part of their pages' addresses (/conseil/collectifs/<slug>).
    """

    __tablename__ = "council_bodies"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('council', 'presidents', 'directors')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)

    @property
    def name(self) -> str:
        return str(BODY_KINDS[self.kind])

    @property
    def is_council(self) -> bool:
        return self.kind == COUNCIL

    def __str__(self) -> str:
        return self.name


class Mandate(TimestampMixin, db.Model):
    """A seat held by someone other than the role holder, or a yearly designation.

    - ``representative``: ``user`` sits in ``body`` for the ``seat`` role
      (president or director) of ``organisation`` from ``starts_on`` to
      ``ends_on`` (open when empty), in place of the role holder. Recorded as
      such: the members page says for whom they sit.
    - ``designation``: the Conseil designated ``user`` as the president
      (``seat`` = president) or director who runs it for ``year``, by
      ``decision``. Only the designated runners (and admins) convene the
      Conseil and publish its register and minutes for that year. The period is
      the calendar year; ending it early sets ``ends_on`` before 31 December.
    """

    __tablename__ = "council_mandates"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('representative', 'designation')", name="kind_known"),
        sa.CheckConstraint("seat IN ('president', 'director')", name="seat_known"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_in_order"),
        sa.CheckConstraint(
            "(kind = 'designation' AND year IS NOT NULL AND decision_id IS NOT NULL) OR "
            "(kind = 'representative' AND year IS NULL AND decision_id IS NULL)",
            name="designation_has_year_and_decision"),
        sa.Index("ix_council_mandates_kind_year", "kind", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("council_bodies.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    seat: Mapped[str] = mapped_column(sa.String(20))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    year: Mapped[int | None] = mapped_column(sa.Integer)
    decision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council_decisions.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    body: Mapped[Body] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    decision: Mapped["Decision | None"] = relationship(foreign_keys=[decision_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    def in_force(self, today: date) -> bool:
        """Whether the mandate runs on ``today`` (a Paris calendar date)."""
        return self.starts_on <= today and (self.ends_on is None or today <= self.ends_on)

    def ended_early(self, today: date) -> bool:
        """A designation stopped before the end of its year (ends_on passed)."""
        return (self.ends_on is not None and self.ends_on < date(self.year, 12, 31)
                and today > self.ends_on)


class Meeting(TimestampMixin, db.Model):
    """A meeting of a body: when (stored UTC, shown in Paris), where, how long.

    There is no fixed place (the charter): each meeting names its own.
    ``minutes_visibility`` says who reads the minutes once published.
    """

    __tablename__ = "council_meetings"
    __table_args__ = (
        sa.CheckConstraint("duration_minutes BETWEEN 15 AND 720", name="duration_plausible"),
        sa.CheckConstraint("minutes_visibility IN ('public', 'members')",
                           name="visibility_known"),
        sa.Index("ix_council_meetings_body_starts", "body_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("council_bodies.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(sa.Integer, default=120)
    place: Mapped[str] = mapped_column(sa.String(200))
    minutes_visibility: Mapped[str] = mapped_column(sa.String(10), default="public")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    body: Mapped[Body] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position",
        cascade="all, delete-orphan")
    convocation: Mapped["Convocation | None"] = relationship(back_populates="meeting",
                                                             uselist=False)
    decisions: Mapped[list["Decision"]] = relationship(back_populates="meeting",
                                                       order_by="Decision.number")
    minutes: Mapped["Minutes | None"] = relationship(back_populates="meeting", uselist=False,
                                                     foreign_keys="Minutes.meeting_id")

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(PARIS)

    @property
    def year(self) -> int:
        return self.local_start.year

    @property
    def convened(self) -> bool:
        return self.convocation is not None

    def is_past(self, now: datetime | None = None) -> bool:
        return self.starts_at <= (now or utcnow())


class AgendaItem(TimestampMixin, db.Model):
    """An item on a meeting's agenda, in order, with who presents it."""

    __tablename__ = "council_agenda_items"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_meetings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str | None] = mapped_column(sa.Text)
    presenter: Mapped[str | None] = mapped_column(sa.String(120))

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    guests: Mapped[list["Guest"]] = relationship(back_populates="item", order_by="Guest.id",
                                                 cascade="all, delete-orphan")
    links: Mapped[list["Link"]] = relationship(
        order_by="Link.id", cascade="all, delete-orphan",
        primaryjoin="Link.agenda_item_id == AgendaItem.id")


class Guest(TimestampMixin, db.Model):
    """A person invited for one agenda item (rule 5): recorded, with no vote.

    Guests are not members: they get no convocation and give no answer; their
    names are shown to the body's members, not publicly.
    """

    __tablename__ = "council_guests"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_agenda_items.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    organisation: Mapped[str | None] = mapped_column(sa.String(160))
    reason: Mapped[str] = mapped_column(sa.String(300))

    item: Mapped[AgendaItem] = relationship(back_populates="guests")


class Convocation(db.Model):
    """The convocation of a meeting: when it went out, by whom, and to whom.

    One per meeting; sent at least 10 full days ahead (rule 4, see
    ``services.send_convocation``). ``ics_uid`` identifies the invitation in
    the members' calendars.
    """

    __tablename__ = "council_convocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("council_meetings.id"), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    ics_uid: Mapped[str] = mapped_column(sa.String(120))

    meeting: Mapped[Meeting] = relationship(back_populates="convocation")
    sent_by: Mapped[User] = relationship()
    recipients: Mapped[list["ConvocationRecipient"]] = relationship(
        back_populates="convocation", order_by="ConvocationRecipient.id",
        cascade="all, delete-orphan")


class ConvocationRecipient(db.Model):
    """One member a convocation went to, with the address and seat at that time."""

    __tablename__ = "council_convocation_recipients"
    __table_args__ = (sa.UniqueConstraint("convocation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    convocation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_convocations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    email: Mapped[str] = mapped_column(sa.String(254))
    seat: Mapped[str] = mapped_column(sa.String(300))
    # Emptied when the outbox row goes (e.g. the member deleted their account before it left).
    outbox_message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox_messages.id", ondelete="SET NULL"))

    convocation: Mapped[Convocation] = relationship(back_populates="recipients")
    user: Mapped[User] = relationship()


class Attendance(TimestampMixin, db.Model):
    """A member's answer to a convocation, then whether they attended.

    ``answer`` is given by the member beforehand (present, excused, or
    represented by someone named in ``represented_by``); ``attended`` is
    recorded by the runners at the meeting.
    """

    __tablename__ = "council_attendances"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "user_id"),
        sa.CheckConstraint("answer IS NULL OR answer IN ('present', 'excused', 'represented')",
                           name="answer_known"),
        sa.CheckConstraint("answer != 'represented' OR represented_by IS NOT NULL",
                           name="represented_names_someone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("council_meetings.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    answer: Mapped[str | None] = mapped_column(sa.String(12))
    represented_by: Mapped[str | None] = mapped_column(sa.String(120))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended: Mapped[bool | None] = mapped_column(sa.Boolean)

    meeting: Mapped[Meeting] = relationship()
    user: Mapped[User] = relationship(lazy="joined")

    @property
    def answer_label(self) -> str:
        return str(ANSWERS[self.answer]) if self.answer else ""


@chained("decisions", ("body_id", "meeting_id", "year", "number", "title", "text", "votes_for",
                       "votes_against", "votes_abstaining", "action_sheet_id",
                       "validates_action_sheet_id", "recorded_by_id", "created_at"),
         "register of decisions")
class Decision(ChainedMixin, TimestampMixin, db.Model):
    """A decision taken in a meeting, numbered per body and year (``2027-004``).

    ``published_at`` makes it part of the public register. Rule 6: a decision
    of the directors' collective names, in ``action_sheet_id``, a fiche action
    that a Conseil decision validated; a Conseil decision that validates a
    fiche action names it in ``validates_action_sheet_id`` (rule 7).

    Both are foreign keys to ``action_sheets``. Recording a Conseil decision
    that validates a fiche makes the fiche validated in the same transaction
    (``participation.actions.services.validate_by_decision``).
    """

    __tablename__ = "council_decisions"
    __table_args__ = (
        sa.UniqueConstraint("body_id", "year", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint("votes_for >= 0 AND votes_against >= 0 AND votes_abstaining >= 0",
                           name="votes_not_negative"),
        sa.Index("ix_council_decisions_published", "published_at"),
        sa.Index("uq_council_decisions_chain_seq", "chain_seq", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("council_bodies.id"))
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("council_meetings.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("council_agenda_items.id", ondelete="SET NULL"))
    year: Mapped[int] = mapped_column(sa.Integer)
    number: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    votes_for: Mapped[int] = mapped_column(sa.Integer, default=0)
    votes_against: Mapped[int] = mapped_column(sa.Integer, default=0)
    votes_abstaining: Mapped[int] = mapped_column(sa.Integer, default=0)
    action_sheet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("action_sheets.id"))
    validates_action_sheet_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("action_sheets.id"), index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    body: Mapped[Body] = relationship(lazy="joined")
    meeting: Mapped[Meeting] = relationship(back_populates="decisions")
    agenda_item: Mapped[AgendaItem | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    links: Mapped[list["Link"]] = relationship(
        order_by="Link.id", cascade="all, delete-orphan",
        primaryjoin="Link.decision_id == Decision.id")

    @property
    def reference(self) -> str:
        return f"{self.year}-{self.number:03d}"


LINK_KINDS = {
    "proposal": _l("proposal"),
    "consultation": _l("consultation"),
    "shared_project": _l("shared project"),
    "action_sheet": _l("fiche action"),
}


class Link(db.Model):
    """What an agenda item or a decision concerns: a proposal, consultation, shared
    project or fiche action, by its number.

    ``target_id`` has no foreign key, since it points into one of several tables
    (some built by later issues); ``council.links`` turns it into a page address
    when the domain that owns the target has registered how.
    """

    __tablename__ = "council_links"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('proposal', 'consultation', 'shared_project', "
                           "'action_sheet')", name="kind_known"),
        sa.CheckConstraint("(agenda_item_id IS NULL) != (decision_id IS NULL)",
                           name="one_owner"),
        sa.CheckConstraint("target_id >= 1", name="target_positive"),
        sa.Index("ix_council_links_target", "kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("council_agenda_items.id", ondelete="CASCADE"), index=True)
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("council_decisions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    target_id: Mapped[int] = mapped_column(sa.Integer)

    @property
    def kind_label(self) -> str:
        return str(LINK_KINDS[self.kind])


class Minutes(TimestampMixin, db.Model):
    """The minutes of a meeting (Markdown, shown sanitised).

    Published by the runners; read by everyone or by the body's members only,
    as the meeting's ``minutes_visibility`` says. Approved at a later meeting
    (``approved_in_meeting``), as the approval of the previous minutes.
    """

    __tablename__ = "council_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("council_meetings.id"), unique=True)
    text: Mapped[str] = mapped_column(sa.Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_in_meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("council_meetings.id"))
    written_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="minutes",
                                            foreign_keys=[meeting_id])
    approved_in_meeting: Mapped[Meeting | None] = relationship(
        foreign_keys=[approved_in_meeting_id])
    written_by: Mapped[User | None] = relationship()
