"""Deleting an account erases the person everywhere: after a life of using every part of the
site, no text column of any table still holds their email, pseudonym, name or phone.

What stays by the charter (published ideas, comments, votes counted, attendance, the audit
and moderation logs) stays without anything that identifies them.
"""

from datetime import timedelta

import sqlalchemy as sa

from participation.accounts import services as accounts
from participation.consultations import services as consultations
from participation.core.mail import OutboxMessage
from participation.extensions import db
from participation.notifications import services as notifications
from participation.projects import services as projects
from participation.proposals import services as proposals
from tests import factories
from tests.consultations import helpers as consultation_helpers
from tests.projects import helpers as project_helpers

EMAIL = "zephyrine.quillard@example.net"
PSEUDONYM = "Zéphyrine Quillard"
PHONE = "06 98 76 54 32"
ASSISTED = "Marcel Quillardeau"
# Lower-case needles; "quillard" catches the pseudonym, its key, the name typed in
# free text and the assisted account's pseudonym.
NEEDLES = ("quillard", "zephyrine", "zéphyrine", "06 98 76 54 32", "0698765432",
           "zephyrine.quillard@example.net")


def find_everywhere() -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text-like column of every table holding a needle."""
    found = []
    connection = db.session.connection()
    inspector = sa.inspect(connection)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            kind = column["type"]
            if not isinstance(kind, sa.String | sa.Text | sa.JSON | sa.types.NullType) \
                    and "JSON" not in type(kind).__name__.upper():
                continue
            as_text = sa.func.lower(sa.cast(sa.column(column["name"]), sa.Text))
            for needle in NEEDLES:
                # JSON may escape accents: the ASCII needles cover those columns.
                hit = connection.execute(sa.select(sa.literal(1)).select_from(sa.table(table))
                                         .where(as_text.contains(needle)).limit(1)).first()
                if hit:
                    found.append((table, column["name"], needle))
    return found


def test_a_deleted_account_leaves_no_trace_of_the_person(session, now, animator, admin):
    t0 = now - timedelta(days=3)
    person = factories.UserFactory(pseudonym=PSEUDONYM, email=EMAIL)
    matisse = project_helpers.centre("Matisse")
    accounts.verify_residence(animator, person, matisse, person.commune, t0)
    # Ideas: one published (stays, signed "former participant"), one draft with a
    # phone number in it (private work: goes).
    published = factories.proposal(person, title="Un jardin partagé rue Mollien",
                                   body="Pour cultiver ensemble.", moderator=animator)
    factories.proposal(person, status="draft", title="Appelez-moi",
                       body=f"Je suis {PSEUDONYM}, joignable au {PHONE}.")
    waiting = factories.proposal(person, status="submitted", title="En attente",
                                 body=f"Contact : {EMAIL}")
    # Around someone else's idea: support, comment, a reply to them, a report.
    other = factories.UserFactory(pseudonym="Voisine")
    theirs = factories.proposal(other, title="Des bancs", moderator=animator)
    proposals.set_support(person, theirs, True, t0)
    comment = proposals.add_comment(person, theirs, "Bonne idée, je soutiens.", t0)
    proposals.add_comment(other, theirs, "Merci !", t0, parent=comment)
    proposals.report(person, theirs, "other", f"Rappelez-moi au {PHONE}", t0)
    proposals.add_comment(other, published, "J’aime beaucoup.", t0)
    proposals.set_support(other, published, True, t0)
    # A shared project: registration with a message, help offered.
    project = project_helpers.make_project(animator, t0 - timedelta(days=2))
    projects.join(project, person, project_helpers.opened(t0 - timedelta(days=2)),
                  message=f"{PSEUDONYM}, {PHONE}")
    projects.offer_help(project, person, "time",
                        f"Je peux aider le samedi, appelez {PHONE}", t0)
    # A vote.
    consultation = consultation_helpers.make_consultation(animator, t0 - timedelta(days=2))
    consultations.cast_ballot(consultation, person, consultation_helpers.answers(consultation),
                              consultation_helpers.during(consultation))
    # Notifications and preferences, a login, a password change, an email change asked.
    notifications.set_preferences(person, {"comments": "email"})
    accounts.authenticate(EMAIL, factories.PASSWORD, t0)
    accounts.change_password(person, factories.PASSWORD, "un autre mot de passe solide")
    accounts.request_email_change(person, "zephyrine.quillard@example.com",
                                  "un autre mot de passe solide")
    # Emails already delivered to them stay in the outbox as "sent".
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.recipient == EMAIL)
                       .values(status="sent", sent_at=t0))
    # An assisted account made for a relative at the desk, who later sets a password.
    relative, code = accounts.create_assisted_account(
        animator, pseudonym=ASSISTED, commune=person.commune, birth_year=1950,
        centre=matisse, now=t0)
    accounts.redeem_setup_code(ASSISTED, code, "mot de passe de Marcel", t0)
    projects.register_for(animator, project, relative, project_helpers.opened(
        t0 - timedelta(days=2)), message=f"Inscrit par {PSEUDONYM}")
    db.session.commit()
    assert find_everywhere(), "the scenario should have left the person's data around"

    accounts.delete_account(person, "un autre mot de passe solide", now)
    accounts.delete_account(relative, "mot de passe de Marcel", now)
    db.session.commit()

    left = find_everywhere()
    assert left == [], "\n".join(map(str, left))
    # What stays by the charter stays, anonymous.
    db.session.refresh(published)
    assert published.status == "published" and published.author.display_name != PSEUDONYM
    assert db.session.get(type(waiting), waiting.id) is None
    assert db.session.get(type(comment), comment.id).body == "Bonne idée, je soutiens."
