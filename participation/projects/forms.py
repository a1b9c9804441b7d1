"""Forms of shared projects: preparing one, joining, and the organisers' tools."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from participation.core.forms import CheckboxesField, DateTimeLocalField, strip_line, to_id
from participation.projects.models import HELP_KINDS
from participation.projects.services import MAX_COMPANIONS

REQUIRED = _l("This field is required.")
WHEN = _l("Give a date and time.")
FORMAT = "%Y-%m-%dT%H:%M"


class ProjectForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip_line],
                        validators=[InputRequired(_l("Give the project a title.")),
                                    Length(max=160)])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=20000)],
        description=_l("What, for whom, what it costs, what to bring. Markdown allowed."))
    theme = SelectField(_l("Theme"), validators=[Optional()])
    centres = CheckboxesField(_l("Centres taking part"), coerce=to_id,
                              validators=[InputRequired(_l("Choose at least one centre "
                                                           "taking part."))])
    communes = CheckboxesField(_l("Communes concerned"), coerce=to_id,
                               validators=[InputRequired(_l("Choose at least one commune "
                                                            "concerned."))])
    place = StringField(_l("Place"), filters=[strip_line],
                        validators=[Optional(), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts on (Paris time)"), format=FORMAT,
                                   validators=[InputRequired(WHEN)])
    ends_at = DateTimeLocalField(_l("Ends on (Paris time)"), format=FORMAT,
                                 validators=[InputRequired(WHEN)])
    registration_opens_at = DateTimeLocalField(_l("Registration opens on (Paris time)"),
                                               format=FORMAT, validators=[InputRequired(WHEN)])
    registration_closes_at = DateTimeLocalField(_l("Registration closes on (Paris time)"),
                                                format=FORMAT,
                                                validators=[InputRequired(WHEN)])
    capacity = IntegerField(_l("Number of places (optional)"),
                            description=_l("People coming with a participant take a place "
                                           "too. Leave empty for no limit."),
                            validators=[Optional(), NumberRange(min=1, max=10000)])
    min_age = IntegerField(_l("Minimum age (optional)"),
                           validators=[Optional(), NumberRange(min=0, max=120)])
    max_age = IntegerField(_l("Maximum age (optional)"),
                           validators=[Optional(), NumberRange(min=0, max=120)])
    contact = StringField(_l("Contact"), filters=[strip_line],
                          description=_l("A name, a phone number or an email for questions."),
                          validators=[Optional(), Length(max=200)])
    proposals = StringField(_l("Proposals it answers (optional)"), filters=[strip_line],
                            description=_l("Their numbers, separated by spaces or commas "
                                           "(the number is at the end of the proposal's "
                                           "address)."),
                            validators=[Optional(), Length(max=200)])
    photo = FileField(_l("Picture (optional)"),
                      render_kw={"accept": "image/jpeg,image/png,image/webp"},
                      description=_l("JPEG, PNG or WebP, at most 8 MB. Its location data is "
                                     "removed."))
    remove_photo = BooleanField(_l("Remove the current picture"))


class JoinForm(FlaskForm):
    companions = IntegerField(_l("People coming with you"), default=0,
                              description=_l("Children or adults who come with you; each "
                                             "takes a place."),
                              validators=[Optional(), NumberRange(
                                  min=0, max=MAX_COMPANIONS,
                                  message=_l("Between %(min)d and %(max)d."))])
    message = TextAreaField(_l("A message for the organisers (optional)"),
                            validators=[Optional(), Length(max=2000)])


class SessionForm(FlaskForm):
    title = StringField(_l("Title (optional)"), filters=[strip_line],
                        validators=[Optional(), Length(max=160)])
    starts_at = DateTimeLocalField(_l("Starts on (Paris time)"), format=FORMAT,
                                   validators=[InputRequired(WHEN)])
    ends_at = DateTimeLocalField(_l("Ends on (Paris time)"), format=FORMAT,
                                 validators=[InputRequired(WHEN)])
    place = StringField(_l("Place"), filters=[strip_line],
                        description=_l("Leave empty for the project's place."),
                        validators=[Optional(), Length(max=200)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Why is it cancelled?"),
                           description=_l("Everyone registered or waiting reads it."),
                           validators=[InputRequired(REQUIRED), Length(max=2000)])


class MessageForm(FlaskForm):
    subject = StringField(_l("Subject"), filters=[strip_line],
                          validators=[InputRequired(REQUIRED), Length(max=150)])
    body = TextAreaField(_l("Message"), validators=[InputRequired(REQUIRED),
                                                    Length(max=10000)])


class NewsForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip_line],
                        validators=[InputRequired(REQUIRED), Length(max=160)])
    body = TextAreaField(_l("News"), description=_l("Markdown allowed."),
                         validators=[InputRequired(REQUIRED), Length(max=10000)])


class HelpForm(FlaskForm):
    kind = RadioField(_l("I can offer"), choices=list(HELP_KINDS.items()),
                      validators=[InputRequired(_l("Choose what you offer."))])
    text = TextAreaField(_l("What exactly?"),
                         description=_l("For example: “I can drive on Saturday”, “I speak "
                                        "English”, “I can lend a tent”."),
                         validators=[InputRequired(REQUIRED), Length(max=2000)])


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    commune = SelectField(_l("Commune"), validators=[Optional()])
    centre = SelectField(_l("Centre"), validators=[Optional()])
    theme = SelectField(_l("Theme"), validators=[Optional()])
    open = BooleanField(_l("Only projects open for registration"))
