"""The French catalogue is complete, and translations keep their placeholders."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _catalogue(language):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def _forms(value) -> tuple:
    """Singular and plural forms alike, as a tuple."""
    return value if isinstance(value, tuple) else (value,)


def test_french_catalogue_is_complete_and_not_fuzzy():
    # A fuzzy header makes `pybabel compile` skip the whole catalogue.
    assert not _catalogue("fr").fuzzy
    missing = [m.id for m in _catalogue("fr")
               if m.id and (not all(_forms(m.string)) or m.fuzzy)]
    assert missing == []


def test_french_translations_keep_their_placeholders():
    wrong = [m.id for m in _catalogue("fr") if m.id
             for source, translation in zip(
                 _forms(m.id) * len(_forms(m.string)), _forms(m.string), strict=False)
             if translation and set(PLACEHOLDER.findall(source))
             != set(PLACEHOLDER.findall(translation))]
    assert wrong == []


def test_every_string_in_the_code_is_in_the_catalogue():
    """Extracting the strings again finds nothing the French catalogue lacks."""
    from babel.messages.extract import extract_from_dir

    known = {_forms(m.id)[0] for m in _catalogue("fr") if m.id}
    keywords = {"_": None, "_l": None, "gettext": None, "ngettext": (1, 2),
                "lazy_gettext": None}
    method_map = [("participation/**.py", "python"), ("templates/**.html", "jinja2"),
                  ("templates/**.txt", "jinja2")]
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map=method_map,
                                                 keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    assert sorted(found - known) == []
