"""Data for the two-server test, written through the services into the database
named by DATABASE_URL: voters, an open consultation, published proposals.

Run by tests/cluster/test_two_servers.py as
``python -m tests.cluster.seed VOTERS IDEAS EMAILS``; prints what the test needs as JSON.
"""

import json
import sys
from datetime import timedelta

import sqlalchemy as sa

from participation import create_app
from participation.core.mail import OutboxMessage
from participation.core.models import utcnow
from participation.extensions import db
from participation.territory.models import Centre
from tests import factories
from tests.consultations.helpers import make_consultation


def main(voters: int, ideas: int, emails: int) -> dict:
    app = create_app()
    with app.app_context():
        now = utcnow()
        matisse = db.session.scalar(sa.select(Centre).where(Centre.short_name == "Matisse"))
        organiser = factories.staff("animator", matisse, pseudonym="Animatrice du test")
        people = [factories.UserFactory(pseudonym=f"Votant {i}") for i in range(voters)]
        # Announced two days ago: open since yesterday, for a week.
        consultation = make_consultation(organiser, now - timedelta(days=2))
        proposals = [factories.proposal(organiser, title=f"Idée partagée numéro {i}",
                                        now=now - timedelta(days=1))
                     for i in range(ideas)]
        # Emails waiting in the outbox, for senders running side by side.
        db.session.add_all([OutboxMessage(recipient=f"lecteur{i}@example.org",
                                          subject=f"Message {i}", body_text=f"Message {i}\n")
                            for i in range(emails)])
        db.session.commit()
        single, approval, judgment = consultation.questions
        return {
            "password": factories.PASSWORD,
            "voters": [p.email for p in people],
            "consultation": consultation.id,
            # A ballot as the form posts it: first option, two stands, three grades.
            "ballot": {
                f"q{single.id}": [str(single.options[0].id)],
                f"q{approval.id}": [str(o.id) for o in approval.options[:2]],
                **{f"q{judgment.id}_o{o.id}": [str(g)]
                   for g, o in enumerate(judgment.options)},
            },
            "proposals": [p.id for p in proposals],
        }


if __name__ == "__main__":
    print(json.dumps(main(*(int(arg) for arg in sys.argv[1:4]))))
