"""The period chosen on the dashboard (a GET form: bookmarkable, no CSRF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

FIRST_YEAR = 2020


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Period"), choices=[("quarter", _l("a quarter")),
                                             ("year", _l("a whole year"))],
                       validators=[InputRequired(_l("Choose a quarter or a year."))])
    year = IntegerField(_l("Year"), validators=[
        InputRequired(_l("Enter a year, for example 2026.")),
        NumberRange(min=FIRST_YEAR, max=2100,
                    message=_l("Enter a year from %(min)s to %(max)s."))])
    quarter = SelectField(_l("Quarter (for a quarter)"),
                          choices=[("1", _l("1st quarter (January to March)")),
                                   ("2", _l("2nd quarter (April to June)")),
                                   ("3", _l("3rd quarter (July to September)")),
                                   ("4", _l("4th quarter (October to December)"))],
                          validators=[Optional()])
