"""Who a rate limit counts: a person when logged in, else an address.

The public computers of a centre share one address: counting what logged-in people do
per person keeps one busy contributor from locking out the room, and stops one account
from flooding wherever it connects from.
"""

from flask_limiter.util import get_remote_address
from flask_login import current_user


def person_or_address() -> str:
    if current_user and current_user.is_authenticated:
        return f"person|{current_user.id}"
    return get_remote_address()
