"""A double tap on "Create my account" (PostgreSQL only: SQLite serialises writers)."""

import pytest
import sqlalchemy as sa

from participation.accounts.models import User
from participation.extensions import db, limiter
from tests.accounts.test_views import _register_form
from tests.concurrency import at_once, delete_people, skip_unless_postgresql


@pytest.fixture
def signups(app):
    skip_unless_postgresql(app)
    with app.app_context():
        limiter.reset()
        yield
        db.session.rollback()
        delete_people(list(db.session.scalars(sa.select(User.id).where(
            User.pseudonym_key.in_(["nora", "nora bis"]) | User.email.in_(
                ["nora@example.org", "nora.bis@example.org"])))))
        db.session.commit()
        limiter.reset()


@pytest.mark.parametrize("second", [{}, {"email": "nora.bis@example.org"}])
def test_two_signups_at_once_make_one_account_and_no_error_page(app, signups, second):
    """Same email twice: one account, both see the "check your emails" page (nobody learns
    the address has an account). Same pseudonym, other email: the second is asked for
    another pseudonym, its input kept."""
    forms = [_register_form(), _register_form(**second)] * 2
    clients = [app.test_client() for _ in forms]
    responses = at_once([lambda c=c, f=f: c.post("/inscription", data=f)
                         for c, f in zip(clients, forms, strict=True)])
    statuses = [getattr(r, "status_code", r) for r in responses]
    assert set(statuses) <= {200, 302} and 500 not in statuses, statuses
    if not second:
        assert statuses == [302] * 4
    else:
        # Whichever email won the pseudonym, the others are asked for another one, with
        # the email they typed kept.
        for response, form in zip(responses, forms, strict=True):
            if response.status_code == 200:
                assert "déjà utilisé" in response.text and form["email"] in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)
                             .where(User.pseudonym_key == "nora")) == 1
