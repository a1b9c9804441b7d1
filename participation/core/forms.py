"""Form helpers shared by every domain."""

from datetime import UTC
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

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
