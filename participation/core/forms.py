"""Form helpers shared by every domain."""

from datetime import UTC
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField
from wtforms import fields as wtf
from wtforms.widgets import CheckboxInput, ListWidget

from participation.core.http import MAX_ID
from participation.core.text import clean_line

OTHER_COMMUNE = "other"


def strip_line(value):
    """WTForms filter: one clean line (no control or invisible characters)."""
    return clean_line(value) if isinstance(value, str) else value


def fill_communes(field, communes, with_other=True) -> None:
    """Fill a SelectField with the communes (and "another commune" for people elsewhere)."""
    field.choices = [("", _l("Choose…"))] + [(str(c.id), str(c)) for c in communes]
    if with_other:
        field.choices.append((OTHER_COMMUNE, _l("Another commune")))


PARIS = ZoneInfo("Europe/Paris")


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (no JavaScript, each with its label)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def to_utc(value):
    """A time typed in Europe/Paris (datetime-local field), as stored (UTC)."""
    return value.replace(tzinfo=PARIS).astimezone(UTC) if value else None


def to_paris(value):
    """A stored time, for a datetime-local field in Europe/Paris."""
    return value.astimezone(PARIS).replace(tzinfo=None) if value else None


def to_id(value) -> int:
    """``coerce`` of the fields that post a database id: beyond any id is no choice at all
    (SQLite cannot even compare such numbers)."""
    number = int(value)
    if not 0 <= number <= MAX_ID:
        raise ValueError(f"not an id: {value}")
    return number


# Dates people may mean. Year 1 or 9999 come from slips of the finger or from attacks,
# and the conversions to and from Paris time fail at the ends of Python's calendar.
FIRST_YEAR, LAST_YEAR = 1900, 2200


class _Plausible:
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not FIRST_YEAR <= self.data.year <= LAST_YEAR:
            self.data = None
            raise ValueError(str(_l("Give a date between the years %(first)d and %(last)d.",
                                    first=FIRST_YEAR, last=LAST_YEAR)))


class DateField(_Plausible, wtf.DateField):
    """A day, between the years 1900 and 2200."""


class DateTimeLocalField(_Plausible, wtf.DateTimeLocalField):
    """A day and time typed in Paris time, between the years 1900 and 2200."""
