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
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from participation.core.forms import strip_line
from participation.proposals.models import REPORT_REASONS
from participation.proposals.services import BODY_MAX, COMMENT_MAX, TITLE_MAX, TITLE_MIN

REQUIRED = _l("This field is required.")
WHOLE_CALAISIS = "all"


class ProposalForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip_line],
                        description=_l("In a few words: what would you like?"),
                        validators=[DataRequired(REQUIRED), Length(
                            min=TITLE_MIN, max=TITLE_MAX,
                            message=_l("Between %(min)d and %(max)d characters."))])
    body = TextAreaField(
        _l("Your idea"),
        description=_l("What, where, for whom, why. Plain paragraphs; links are allowed."),
        validators=[DataRequired(REQUIRED), Length(max=BODY_MAX)])
    theme = SelectField(_l("Theme"), validators=[DataRequired(REQUIRED)])
    commune = SelectField(_l("Where"), validators=[DataRequired(REQUIRED)])
    centre = SelectField(_l("Social centre that follows it"),
                         description=_l("Leave the suggested one if you do not know."),
                         validators=[Optional()])
    photo = FileField(_l("Photo (optional)"),
                      render_kw={"accept": "image/jpeg,image/png,image/webp"},
                      description=_l("JPEG, PNG or WebP, at most 8 MB. Its location data is "
                                     "removed."))
    remove_photo = BooleanField(_l("Remove the current photo"))


class ModerationForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[
        ("publish", _l("Publish")),
        ("changes", _l("Send back to the author to change it")),
        ("reject", _l("Do not publish"))], validators=[DataRequired(REQUIRED)])
    message = TextAreaField(_l("Message to the author"),
                            description=_l("Required to send back or not publish."),
                            validators=[Optional(), Length(max=2000)])


class AnswerForm(FlaskForm):
    status = RadioField(_l("Answer"), validators=[DataRequired(REQUIRED)])
    message = TextAreaField(_l("Public answer"),
                            description=_l("Everyone reads it; say what happens next."),
                            validators=[DataRequired(REQUIRED), Length(max=2000)])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(REQUIRED),
                                                         Length(max=COMMENT_MAX)])


class ReportForm(FlaskForm):
    reason = RadioField(_l("Why?"), choices=list(REPORT_REASONS.items()),
                        validators=[DataRequired(REQUIRED)])
    details = StringField(_l("Details (optional)"), filters=[strip_line],
                          validators=[Optional(), Length(max=500)])


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), filters=[strip_line], validators=[Optional(),
                                                                    Length(max=100)])
    commune = SelectField(_l("Commune"), validators=[Optional()])
    theme = SelectField(_l("Theme"), validators=[Optional()])
    centre = SelectField(_l("Centre"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=[("recent", _l("most recent")),
                                               ("supported", _l("most supported")),
                                               ("discussed", _l("most discussed"))],
                       validators=[Optional()])


class ThemeForm(FlaskForm):
    name_fr = StringField(_l("Name in French"), filters=[strip_line],
                          validators=[DataRequired(REQUIRED), Length(max=60)])
    name_en = StringField(_l("Name in English"), filters=[strip_line],
                          validators=[DataRequired(REQUIRED), Length(max=60)])
    position = IntegerField(_l("Position in lists"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=999)])
