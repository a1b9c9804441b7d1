"""Command-line tools an operator runs on the server."""

import sqlalchemy as sa

from participation.accounts.models import User
from participation.core.audit import AuditEntry
from participation.core.mail import OutboxMessage, queue_email
from participation.extensions import db


def test_create_admin_makes_a_new_account(app, session):
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "Chef@Example.org"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "chef@example.org"))
    assert user.is_admin and user.password_hash is None
    assert "mot de passe oublié" in result.output
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.subject_id
                                                               == user.id)) \
        == "account.admin_created"


def test_create_admin_promotes_an_existing_account(app, session, inhabitant):
    result = app.test_cli_runner().invoke(args=["users", "create-admin", inhabitant.email])
    assert result.exit_code == 0
    db.session.refresh(inhabitant)
    assert inhabitant.is_admin


def test_create_admin_refuses_a_weak_password(app, session):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "x@example.org", "--password", "azertyuiop123"])
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(User).where(User.email == "x@example.org")) is None


def test_reset_2fa_removes_it_and_logs_it(app, session, admin):
    from tests.factories import with_two_factor

    with_two_factor(admin)
    result = app.test_cli_runner().invoke(args=["users", "reset-2fa", admin.email])
    assert result.exit_code == 0, result.output
    db.session.refresh(admin)
    assert not admin.has_two_factor and admin.totp_secret is None
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.subject_id == admin.id).order_by(AuditEntry.id.desc())) \
        == "account.two_factor_reset"
    again = app.test_cli_runner().invoke(args=["users", "reset-2fa", admin.email])
    assert again.exit_code != 0


def test_outbox_send_reports_what_it_did(app, session, inhabitant):
    queue_email(inhabitant.email, "reset_password", "fr", user=inhabitant, reset_url="x",
                minutes=60)
    db.session.commit()
    app.config["MAIL_TRANSPORT"] = "console"
    try:
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
    finally:
        app.config["MAIL_TRANSPORT"] = "smtp"
    assert result.exit_code == 0
    assert "sent 1" in result.output
    assert db.session.scalar(sa.select(OutboxMessage.status)) == "sent"


def test_reminders_and_digests_commands(app, session, inhabitant):
    from datetime import timedelta

    from participation.core.models import utcnow
    from tests import factories

    proposal = factories.proposal(inhabitant, status="submitted")
    from participation.proposals.services import publish

    publish(proposal, inhabitant, utcnow() - timedelta(days=40))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["proposals", "remind"])
    assert result.exit_code == 0 and "overdue 1" in result.output
    result = app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert result.exit_code == 0 and "summary" in result.output
