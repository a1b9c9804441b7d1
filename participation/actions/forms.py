"""Forms of the fiches action."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from participation.core.forms import CheckboxesField, DateField, strip_line, to_id
from participation.council.forms import NUMBERS, parse_numbers

REQUIRED = _l("This field is required.")


class SheetForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip_line],
                        validators=[DataRequired(REQUIRED), Length(max=160)])
    summary = TextAreaField(_l("Summary: what the action is"),
                            validators=[DataRequired(REQUIRED), Length(max=10_000)])
    context = TextAreaField(_l("Context (optional)"), validators=[Optional(),
                                                                 Length(max=10_000)])
    communes = CheckboxesField(_l("Communes concerned"), coerce=to_id, validate_choice=False)
    proposals = CheckboxesField(_l("Retained proposals it comes from"), coerce=to_id,
                              validate_choice=False)
    consultations = StringField(_l("Consultations concerned (numbers, optional)"),
                                filters=[strip_line],
                                validators=[Optional(), Length(max=200), NUMBERS])

    projects = StringField(_l("Shared projects that carry it out (numbers, optional)"),
                           filters=[strip_line],
                           validators=[Optional(), Length(max=200), NUMBERS])

    def consultation_ids(self) -> list[int]:
        return parse_numbers(self.consultations.data)

    def project_ids(self) -> list[int]:
        return parse_numbers(self.projects.data)


class ObjectiveForm(FlaskForm):
    text = StringField(_l("Objective"), filters=[strip_line],
                       validators=[DataRequired(REQUIRED), Length(max=300)])
    indicator = StringField(_l("Indicator"), filters=[strip_line],
                            validators=[DataRequired(REQUIRED), Length(max=300)])
    target = StringField(_l("Target"), filters=[strip_line],
                         validators=[DataRequired(REQUIRED), Length(max=200)])


class ActorForm(FlaskForm):
    organisation = SelectField(_l("Centre or partner"), coerce=to_id, validate_choice=False)
    group = StringField(_l("Or a group of inhabitants"), filters=[strip_line],
                        validators=[Optional(), Length(max=200)])
    role = StringField(_l("Role"), filters=[strip_line],
                       validators=[DataRequired(REQUIRED), Length(max=500)])
    is_lead = BooleanField(_l("Leads the action"))


MEANS_CHOICES = [("pooled", _l("Pooled between centres")),
                 ("requested", _l("Requested from a partner")), ("own", _l("Own means"))]


class MeansForm(FlaskForm):
    kind = SelectField(_l("Kind of means"), choices=MEANS_CHOICES)
    what = StringField(_l("What"), filters=[strip_line],
                       validators=[DataRequired(REQUIRED), Length(max=300)])
    organisation = SelectField(_l("From whom"), coerce=to_id, validate_choice=False)
    provider = StringField(_l("Or from whom, in words"), filters=[strip_line],
                           validators=[Optional(), Length(max=200)])
    amount = StringField(_l("Amount in euros (optional)"), filters=[strip_line],
                         validators=[Optional(), Length(max=20)])


class MilestoneForm(FlaskForm):
    title = StringField(_l("Milestone"), filters=[strip_line],
                        validators=[DataRequired(REQUIRED), Length(max=200)])
    due_on = DateField(_l("Date"), validators=[DataRequired(REQUIRED)])


class AgreementForm(FlaskForm):
    partner = SelectField(_l("Partner"), coerce=to_id, validate_choice=False)
    title = StringField(_l("Title of the agreement"), filters=[strip_line],
                        validators=[DataRequired(REQUIRED), Length(max=200)])
    signed_on = DateField(_l("Signed on"), validators=[DataRequired(REQUIRED)])
    file = FileField(_l("The signed agreement (PDF, at most 10 MB)"))


class RequestStatusForm(FlaskForm):
    status = SelectField(_l("Answer"), choices=[("requested", _l("requested")),
                                                ("granted", _l("granted")),
                                                ("refused", _l("refused"))])


class AbandonForm(FlaskForm):
    reason = TextAreaField(_l("Why is the action abandoned?"),
                           validators=[DataRequired(REQUIRED), Length(max=10_000)])


class CompleteForm(FlaskForm):
    evaluation = TextAreaField(_l("Evaluation: what was done, what it gave"),
                               validators=[DataRequired(REQUIRED), Length(max=10_000)])


class EmptyForm(FlaskForm):
    pass
