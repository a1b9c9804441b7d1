"""No log line holds a password, a token or the content of a vote, and user-controlled text
cannot forge log lines."""

import io
import json
import logging
import re

import sqlalchemy as sa

from participation.consultations.models import Ballot
from participation.core.audit import AuditEntry
from participation.core.logs import one_line
from participation.extensions import db
from tests import factories
from tests.consultations.helpers import form_data
from tests.consultations.test_views import open_now

PASSWORD = "cheval batterie agrafe correcte 42"
NEW_PASSWORD = "une toute nouvelle phrase secrète 7"


def _link(outbox, email):
    return re.search(r"http://localhost(/\S+)", outbox(email)[-1].body_text).group(1)


def test_a_full_flow_leaves_no_secret_in_the_logs(client, outbox, caplog, animator):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    email = "nora.logs@example.org"
    # Registration, confirmation.
    response = client.post("/inscription", data={
        "pseudonym": "Nora Logs", "email": email, "password": PASSWORD,
        "commune": str(factories._commune("Calais").id), "birth_year": "1992",
        "consent": "y"})
    assert response.status_code == 302
    confirm = _link(outbox, email)
    client.get(confirm)
    client.post("/deconnexion")
    # A failed login, a login, a reset, a login with the new password.
    client.post("/connexion", data={"login": email, "password": PASSWORD + "x"})
    client.post("/connexion", data={"login": email, "password": PASSWORD})
    client.post("/deconnexion")
    client.post("/mot-de-passe-oublie", data={"email": email})
    reset = _link(outbox, email)
    assert client.post(reset, data={"password": NEW_PASSWORD}).status_code == 302
    client.post("/deconnexion")
    response = client.post("/connexion", data={"login": email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    session_cookie = client.get_cookie("session").value
    # A vote.
    consultation = open_now(animator)
    data = form_data(consultation, single=1)
    response = client.post(f"/consultations/{consultation.id}/voter/confirmer", data=data)
    assert response.status_code == 200
    receipt = re.search(r'class="code receipt">([A-Z0-9-]+)<', response.text).group(1)
    ballot = db.session.scalar(sa.select(Ballot).where(Ballot.consultation_id == consultation.id))

    secrets = {
        "password": PASSWORD, "new password": NEW_PASSWORD,
        "confirmation token": confirm.rsplit("/", 1)[-1],
        "reset token": reset.rsplit("/", 1)[-1],
        "session cookie": session_cookie,
        "ballot content": ballot.answers, "ballot tracker": ballot.id,
        "receipt": receipt,
    }
    for value in secrets.values():
        assert len(value) >= 8
    logged = caplog.text
    audit = json.dumps([[e.action, e.details] for e in db.session.scalars(sa.select(AuditEntry))],
                       ensure_ascii=False)
    assert "security.login" in logged and "security.password_reset" in audit  # it did log
    leaks = [name for name, value in secrets.items() if value in logged or value in audit]
    assert leaks == []
    # The vote's choices (option labels) are not in the logs either.
    assert "Samedi" not in logged and "Samedi" not in audit


def test_user_text_cannot_forge_a_log_line(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("participation.tests.forgery")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        forged = "Nora\r\nINFO audit account.admin_created: actor 1"
        logger.warning("login failed for %s", forged)
        logger.warning("subject %(subject)s", {"subject": "a\nb"})
        logger.warning(f"inline {forged}")  # noqa: G004 - what careless code would do
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("error on %s", "/path\n")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == r"WARNING login failed for Nora\r\nINFO audit account.admin_created: actor 1"
    assert lines[1] == r"WARNING subject a\nb"
    assert lines[2].startswith("WARNING inline Nora\\r\\nINFO")
    assert lines[3] == r"ERROR error on /path\n"
    assert lines[4] == "Traceback (most recent call last):"  # tracebacks keep their lines
    assert not any(line.startswith("INFO") for line in lines)


def test_one_line_escapes_controls_and_keeps_the_rest():
    assert one_line("a\tb\u2028c\x1b[31m\x00é") == "a\tb\\u2028c\\x1b[31m\\x00é"
