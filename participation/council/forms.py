"""Forms of the Conseil: meetings, agenda, guests, answers, decisions, minutes, mandates."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from participation.core.forms import CheckboxesField, DateField, strip_line
from participation.core.http import MAX_ID

REQUIRED = _l("This field is required.")
NUMBERS = Regexp(r"^[\d\s,;]*$", message=_l("Numbers only, separated by commas."))


def parse_numbers(value: str | None) -> list[int]:
    """``"12, 4 7"`` → ``[12, 4, 7]`` (for the links fields)."""
    cleaned = (value or "").replace(",", " ").replace(";", " ").split()
    return [int(n) for n in cleaned if n.isdecimal() and 0 < int(n) <= MAX_ID]


class _Links:
    proposals = StringField(_l("Proposals concerned (numbers, optional)"), filters=[strip_line],
                            validators=[Optional(), Length(max=200), NUMBERS])
    consultations = StringField(_l("Consultations concerned (numbers, optional)"),
                                filters=[strip_line],
                                validators=[Optional(), Length(max=200), NUMBERS])
    shared_projects = StringField(_l("Shared projects concerned (numbers, optional)"),
                                  filters=[strip_line],
                                  validators=[Optional(), Length(max=200), NUMBERS])

    def links(self) -> dict[str, list[int]]:
        return {"proposal": parse_numbers(self.proposals.data),
                "consultation": parse_numbers(self.consultations.data),
                "shared_project": parse_numbers(self.shared_projects.data)}


VISIBILITY_CHOICES = [("public", _l("Public: everyone reads them")),
                      ("members", _l("Members only: the body's members and administrators"))]


class MeetingForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Give the date, as DD/MM/YYYY."))])
    time = TimeField(_l("Time (Paris)"), validators=[InputRequired(_l("Give the time."))])
    duration_minutes = IntegerField(
        _l("Expected length, in minutes"), default=120,
        validators=[InputRequired(REQUIRED), NumberRange(min=15, max=720, message=_l(
            "Between %(min)s and %(max)s minutes."))])
    place = StringField(_l("Place"), filters=[strip_line],
                        description=_l("The charter sets no fixed place: say where, with the "
                                       "address."),
                        validators=[DataRequired(REQUIRED), Length(max=200)])
    minutes_visibility = RadioField(_l("Who reads the minutes"), choices=VISIBILITY_CHOICES,
                                    default="public", validators=[InputRequired(REQUIRED)])


class AgendaItemForm(_Links, FlaskForm):
    title = StringField(_l("Title"), filters=[strip_line],
                        validators=[DataRequired(REQUIRED), Length(max=200)])
    text = TextAreaField(_l("What it is about (optional)"),
                         description=_l("Simple formatting: *italics*, **bold**, lists with -."),
                         validators=[Optional(), Length(max=10_000)])
    presenter = StringField(_l("Presented by (optional)"), filters=[strip_line],
                            validators=[Optional(), Length(max=120)])
    action_sheets = StringField(_l("Fiches action concerned (numbers, optional)"),
                                filters=[strip_line],
                                validators=[Optional(), Length(max=200), NUMBERS])

    def links(self) -> dict[str, list[int]]:
        return {**super().links(), "action_sheet": parse_numbers(self.action_sheets.data)}


class GuestForm(FlaskForm):
    name = StringField(_l("Name of the guest"), filters=[strip_line],
                       validators=[DataRequired(REQUIRED), Length(max=120)])
    organisation = StringField(_l("Organisation (optional)"), filters=[strip_line],
                               validators=[Optional(), Length(max=160)])
    reason = StringField(_l("Why this person is invited"), filters=[strip_line],
                         description=_l("Guests take part in the discussion of this item; "
                                        "they do not vote."),
                         validators=[DataRequired(REQUIRED), Length(max=300)])


class AnswerForm(FlaskForm):
    answer = RadioField(_l("Your answer"), choices=[
        ("present", _l("I will be present")),
        ("excused", _l("I am excused")),
        ("represented", _l("I will be represented"))],
        validators=[InputRequired(_l("Choose an answer."))])
    represented_by = StringField(_l("Represented by (name)"), filters=[strip_line],
                                 validators=[Optional(), Length(max=120)])


class AttendanceForm(FlaskForm):
    present = CheckboxesField(_l("Present at the meeting"), coerce=int)


class DecisionForm(_Links, FlaskForm):
    title = StringField(_l("Title"), filters=[strip_line],
                        validators=[DataRequired(REQUIRED), Length(max=200)])
    text = TextAreaField(_l("What was decided, and why"),
                         description=_l("Inhabitants read this in the public register: write "
                                        "plainly. Simple formatting: *italics*, **bold**, lists "
                                        "with -."),
                         validators=[DataRequired(REQUIRED), Length(max=20_000)])
    agenda_item = SelectField(_l("Agenda item"), coerce=int)
    votes_for = IntegerField(_l("Votes for"), default=0,
                             validators=[InputRequired(REQUIRED), NumberRange(min=0, max=99)])
    votes_against = IntegerField(_l("Votes against"), default=0,
                                 validators=[InputRequired(REQUIRED), NumberRange(min=0, max=99)])
    votes_abstaining = IntegerField(_l("Abstentions"), default=0, validators=[
        InputRequired(REQUIRED), NumberRange(min=0, max=99)])
    action_sheet_id = IntegerField(_l("Fiche action (number)"), validators=[
        Optional(), NumberRange(min=1, message=_l("A fiche action number."))])
    validates_action_sheet = BooleanField(_l("This decision validates the fiche action"))


class MinutesForm(FlaskForm):
    text = TextAreaField(_l("Minutes"),
                         description=_l("Simple formatting: *italics*, **bold**, lists with -. "
                                        "No images, no HTML."),
                         validators=[DataRequired(REQUIRED), Length(max=100_000)])
    visibility = RadioField(_l("Who reads the minutes"), choices=VISIBILITY_CHOICES,
                            validators=[InputRequired(REQUIRED)])


class DesignationForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(REQUIRED),
                                                NumberRange(min=2000, max=2100)])
    seat = SelectField(_l("Designated as"), choices=[
        ("president", _l("the president who runs the Conseil")),
        ("director", _l("the director who runs the Conseil"))])
    person = SelectField(_l("Member of the Conseil"), coerce=int)
    decision = SelectField(_l("Decision of the Conseil that designated them"), coerce=int)


class RepresentativeForm(FlaskForm):
    body = SelectField(_l("Body"))
    seat = SelectField(_l("Seat"), description=_l("The role held by the person represented."))
    person = StringField(_l("Email or pseudonym of the representative"), filters=[strip_line],
                         validators=[DataRequired(REQUIRED), Length(max=254)])
    starts_on = DateField(_l("From"), validators=[InputRequired(REQUIRED)])
    ends_on = DateField(_l("Until (optional)"), validators=[Optional()])


class RegisterFilterForm(FlaskForm):
    class Meta:
        csrf = False

    body = SelectField(_l("Body"), validators=[Optional()])
    year = SelectField(_l("Year"), validators=[Optional()])
