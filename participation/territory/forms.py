from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from participation.core.forms import strip_line

REQUIRED = _l("This field is required.")


class CommuneForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip_line],
                       validators=[DataRequired(REQUIRED), Length(max=80)])
    postal_code = StringField(_l("Postal code"), filters=[strip_line], validators=[
        DataRequired(REQUIRED), Regexp(r"^\d{5}$", message=_l("Five digits."))])
    population = IntegerField(_l("Population (optional)"), validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("A number of inhabitants."))])


class OrganisationForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[("centre", _l("Social centre")),
                                            ("federation", _l("Federation")),
                                            ("partner", _l("Partner"))])
    name = StringField(_l("Full name"), filters=[strip_line],
                       validators=[DataRequired(REQUIRED), Length(max=160)])
    short_name = StringField(_l("Short name"), filters=[strip_line],
                             validators=[DataRequired(REQUIRED), Length(max=60)])
    commune = SelectField(_l("Commune"))
    town = StringField(_l("Town, if outside our communes"), filters=[strip_line],
                       validators=[Optional(), Length(max=80)])
    address = StringField(_l("Address"), filters=[strip_line],
                          validators=[Optional(), Length(max=200)])
    email = EmailField(_l("Email"), filters=[strip_line], validators=[
        Optional(), Length(max=254), Email(_l("Write an email address like name@example.org."),
                                           check_deliverability=False)])
    phone = StringField(_l("Phone"), filters=[strip_line], validators=[Optional(), Length(max=30)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
