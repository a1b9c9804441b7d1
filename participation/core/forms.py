"""Form helpers shared by every domain."""

from flask_babel import lazy_gettext as _l

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
