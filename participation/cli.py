"""Command-line tools: ``flask demo load``, ``flask users create-admin``, ``flask outbox send``."""

import time

import click
import sqlalchemy as sa
from flask import Flask

from participation.core.models import utcnow
from participation.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(demo)
    app.cli.add_command(users)
    app.cli.add_command(outbox)
    app.cli.add_command(proposals)
    app.cli.add_command(notifications)
    app.cli.add_command(consultations)


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


@click.group(help="The email outbox.")
def outbox():
    pass


@outbox.command("send", help="Send the emails that are due (run it every minute).")
@click.option("--loop", type=int, default=0, help="Keep running, waking every N seconds.")
def outbox_send(loop):
    from participation.core.mail import deliver_due

    while True:
        counts = deliver_due()
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
