"""Command-line tools: ``flask demo load``, ``flask users create-admin``, ``flask outbox send``."""

import time

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from participation.core.models import utcnow
from participation.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(demo)
    app.cli.add_command(users)
    app.cli.add_command(outbox)
    app.cli.add_command(proposals)
    app.cli.add_command(notifications)
    app.cli.add_command(consultations)
    app.cli.add_command(audit)
    app.cli.add_command(accounts)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.group(help="Demonstration data.")
def demo():
    pass


@demo.command("load", help="Load the demo data (only into a database without accounts).")
@click.option("--if-empty", is_flag=True, help="Do nothing, quietly, when accounts exist.")
@click.option("--scale", type=click.Choice(["territory"]), default=None,
              help="Add, on top of the demo, the whole territory over three years "
                   "(85,000 accounts, 500,000 supports, 200,000 ballots...): for benchmarks.")
@click.option("--scale-factor", type=click.FloatRange(min=0.0001, max=10), default=1.0,
              show_default=True, help="Shrink or grow the --scale data set.")
def demo_load(if_empty, scale, scale_factor):
    from participation.accounts.models import User
    from participation.demo import load_demo

    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        if if_empty:
            return
        raise click.ClickException("the database already has accounts; demo data not loaded")
    from participation.core.mail import OutboxMessage

    now = utcnow()
    load_demo(now)
    if scale:
        from participation.scale import load_scale

        started = time.perf_counter()
        load_scale(now, scale, scale_factor, echo=click.echo)
        click.echo(f"Scale data set '{scale}' (factor {scale_factor:g}) made in "
                   f"{time.perf_counter() - started:.0f} s.")
    # The demo's example.org people get no email: the notifications stay in the site.
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    click.echo("Demo data loaded. Every demo account uses the password demo-calaisis-2026.")


@click.group(help="Accounts.")
def users():
    pass


@users.command("create-admin", help="Make EMAIL an administrator (creating the account).")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              prompt_required=False, default=None,
              help="Password for a new account (asked when --password is given empty).")
def create_admin(email, password):
    from participation.accounts.services import make_admin
    from participation.core.errors import DomainError

    try:
        user, created = make_admin(email, utcnow(), password)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    if created and not password:
        click.echo(f"Created {user.email}; use 'mot de passe oublié' to choose a password.")
    else:
        click.echo(f"{user.email} is an administrator.")


@users.command("reset-2fa",
               help="Remove the two-step verification of EMAIL (phone and recovery codes lost). "
                    "An admin sets it up again at the next login.")
@click.argument("email")
def reset_two_factor(email):
    from participation.accounts import security
    from participation.accounts.models import User
    from participation.accounts.services import normalise_email

    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.has_two_factor:
        raise click.ClickException(f"No account with two-step verification has {email}.")
    security.reset(user)
    db.session.commit()
    click.echo(f"Two-step verification removed for {user.email}; it is logged in the audit log.")


@click.group(help="The email outbox.")
def outbox():
    pass


@outbox.command("send", help="Send the emails that are due (run it every minute).")
@click.option("--loop", type=int, default=0, help="Keep running, waking every N seconds.")
@click.option("--seconds", type=float, default=50, show_default=True,
              help="Keep sending batches of 200 for up to this long while some are due.")
def outbox_send(loop, seconds):
    from participation.core.mail import deliver_for

    while True:
        counts = deliver_for(seconds)
        click.echo(f"sent {counts['sent']}, to retry {counts['retry']}, "
                   f"failed {counts['failed']}")
        if not loop:
            break
        time.sleep(loop)


@outbox.command("retry-failed", help="Queue again the emails that gave up.")
def outbox_retry():
    from participation.core.mail import retry_failed

    count = retry_failed()
    db.session.commit()
    click.echo(f"{count} message(s) queued again")


@click.group(help="Proposals.")
def proposals():
    pass


@proposals.command("remind", help="Remind animators of answers due, tell directors of late "
                                  "ones (run it daily).")
def proposals_remind():
    from participation.proposals.services import send_answer_reminders

    counts = send_answer_reminders(utcnow())
    db.session.commit()
    click.echo(f"reminded {counts['reminded']}, overdue {counts['overdue']}")


@click.group(help="Notifications.")
def notifications():
    pass


@notifications.command("digest", help="Send the weekly summaries (run it once a week).")
def notifications_digest():
    from participation.notifications.services import send_digests

    count = send_digests(utcnow())
    db.session.commit()
    click.echo(f"{count} summary email(s) queued")


@click.group(help="Consultations.")
def consultations():
    pass


@consultations.command("notify", help="Tell eligible inhabitants of openings and the last "
                                      "day to vote (run it hourly).")
def consultations_notify():
    from participation.consultations.services import send_notices

    counts = send_notices(utcnow())
    db.session.commit()
    click.echo(f"opening notices {counts['opened']}, reminders {counts['reminded']}")


@click.group(help="The audit, moderation and decision logs.")
def audit():
    pass


@audit.command("verify", help="Recompute the hash chains; name the first altered entry "
                              "(exit code 1 when one does not match).")
@with_appcontext
def audit_verify():
    from participation.core.chain import verify_all

    broken = 0
    for report in verify_all():
        if report.intact:
            click.echo(f"{report.chain}: {report.entries} entries, intact ({report.label})")
        else:
            broken += 1
            click.echo(f"{report.chain}: ALTERED after {report.entries} good entries: "
                       f"{report.problem}", err=True)
    if broken:
        raise SystemExit(1)


@audit.command("purge-security", help="Delete security events older than "
                                      "SECURITY_LOG_RETENTION_DAYS (run it daily).")
@with_appcontext
def audit_purge_security():
    from participation.accounts.retention import purge_security_log

    count = purge_security_log(utcnow())
    db.session.commit()
    click.echo(f"{count} security event(s) older than the retention period deleted")


@click.group(help="Accounts: retention.")
def accounts():
    pass


@accounts.command("purge-inactive", help="Warn accounts unused for nearly "
                                          "ACCOUNT_RETENTION_DAYS, erase those whose time is "
                                          "up (run it daily).")
@with_appcontext
def accounts_purge_inactive():
    from participation.accounts import retention

    now = utcnow()
    warned = retention.warn_inactive(now)
    db.session.commit()
    erased = 0
    for user_id in retention.inactive_to_erase(now):
        # One transaction per account: an error on one leaves the others done.
        if retention.erase_inactive(user_id, now):
            erased += 1
        db.session.commit()
    click.echo(f"warned {warned}, erased {erased}")
    for admin in retention.inactive_admins(now):
        click.echo(f"administrator {admin.email} has not logged in for the whole retention "
                   f"period: not erased automatically", err=True)


@click.command("backup", help="Write a consistent copy of the database to FILE (SQLite "
                              "online backup, or pg_dump custom format on PostgreSQL).")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file):
    from participation.core.backup import BackupError, backup

    try:
        kind = backup(file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {file} ({kind}).")


@click.command("restore", help="Bring back the database saved in FILE by 'flask backup'.")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(file, force):
    from participation.core.backup import BackupError, restore

    try:
        restore(file, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Database restored from {file}.")
