"""Forms for preparing a consultation, and reading a ballot from what was posted."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from participation.consultations.models import DEFAULT_GRADES, JUDGMENT, QUESTION_KINDS
from participation.core.forms import CheckboxesField, DateTimeLocalField, strip_line


class ConsultationForm(FlaskForm):
    # A centre's id, or "conseil" for the Conseil itself.
    organisation = SelectField(_l("Organised by"), validators=[InputRequired()])
    title = StringField(_l("Title"), filters=[strip_line],
                        validators=[InputRequired(_l("Give the consultation a title.")),
                                    Length(max=160)])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=10000)],
        description=_l("Why you ask, and what will be done with the answers. Markdown "
                       "allowed."))
    opens_at = DateTimeLocalField(_l("Opens on (Paris time)"), format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired(_l("Give a date and time."))])
    closes_at = DateTimeLocalField(_l("Closes on (Paris time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(_l("Give a date and time."))])
    communes = CheckboxesField(_l("Who lives in"), coerce=int,
                               validators=[InputRequired(_l("Choose at least one commune."))])
    verified_only = BooleanField(
        _l("Only residents whose address was verified at a centre"))
    min_age = IntegerField(_l("Minimum age (optional)"),
                           validators=[Optional(), NumberRange(min=0, max=120)])
    paired_listing = BooleanField(
        _l("After closing, list each tracker beside its ballot's content"),
        description=_l("Warning: anyone can then check every ballot, but a voter can also "
                       "be made to show how they voted, by showing their receipt. Leave "
                       "unticked unless you have a reason."))


class QuestionForm(FlaskForm):
    kind = RadioField(_l("Kind of question"),
                      choices=[(k, v) for k, v in QUESTION_KINDS.items()],
                      validators=[InputRequired(_l("Choose the kind of question."))])
    text = StringField(_l("Question"), filters=[strip_line],
                       validators=[InputRequired(_l("Write the question.")), Length(max=300)])
    options = TextAreaField(_l("Options, one per line"),
                            validators=[InputRequired(_l("Give at least two options, one "
                                                         "per line."))])
    max_choices = IntegerField(_l("Maximum number of choices (several choices only)"),
                               validators=[Optional(), NumberRange(min=1, max=50)])
    grades = TextAreaField(_l("Grades, best first, one per line (majority judgment only)"),
                           default="\n".join(DEFAULT_GRADES))


def read_answers(consultation, formdata) -> dict:
    """The answers as posted on a ballot form (checked afterwards by the service)."""
    from participation.consultations.services import ballot_shape

    answers: dict = {}
    for question in ballot_shape(consultation).questions:
        name = f"q{question.id}"
        if question.kind == JUDGMENT:
            grades = {}
            for option in question.options:
                value = formdata.get(f"{name}_o{option.id}", "")
                if value != "":
                    grades[str(option.id)] = value
            answers[str(question.id)] = grades
        else:
            answers[str(question.id)] = [v for v in formdata.getlist(name) if v]
    return answers
