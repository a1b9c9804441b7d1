"""Password policy: long enough, not one of the most common, no composition rules.

Following the CNIL and NIST advice: 12 characters at least, up to 128, any
character, and the passwords attackers try first are refused.
"""

import gzip
import re
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from participation.core.text import fold

MIN_LENGTH = 12
MAX_LENGTH = 128
_DATA = Path(__file__).parent / "data"


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(_DATA / "common-passwords.txt.gz", "rt", encoding="utf-8") as f:
        words = {line.strip() for line in f}
    words |= set((_DATA / "common-passwords-fr.txt").read_text(encoding="utf-8").split())
    return frozenset(fold(w) for w in words if w)


# Runs of keys people type without thinking; a password inside one of them is refused.
_SEQUENCES = tuple(s * 4 for s in (
    "0123456789", "9876543210", "abcdefghijklmnopqrstuvwxyz", "azertyuiopqsdfghjklmwxcvbn",
    "qwertyuiopasdfghjklzxcvbnm", "azertyuiop", "qwertyuiop",
))


def _is_sequence(folded: str) -> bool:
    return any(folded in sequence for sequence in _SEQUENCES)


def _core(password: str) -> str:
    """The password without the digits and signs people add at either end."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", fold(password))


def password_problem(password: str, *personal: str | None) -> str | None:
    """Why ``password`` is refused, in words, or None when it is fine.

    ``personal`` holds the person's email and pseudonym, which the password
    must not simply repeat.
    """
    if len(password) < MIN_LENGTH:
        return str(_l("Use at least %(n)d characters. A short sentence is easy to remember.",
                      n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return str(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    folded = fold(password)
    common = common_passwords()
    if (len(set(folded)) <= 2 or _is_sequence(folded) or folded in common
            or _core(password) in common):
        return str(_l("This password is among the most common ones, which are tried first. "
                      "Choose another, for example a few words that go together."))
    for item in personal:
        if item and len(item) >= 4:
            key = fold(item.split("@")[0])
            if key and (folded == key or _core(password) == key):
                return str(_l("Your password must not be your pseudonym or your email."))
    return None
