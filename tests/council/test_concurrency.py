"""Two runners sending the same convocation at once, each on its own connection
(PostgreSQL only): one sends it, the other is told it has already gone out."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from participation.core.errors import DomainError
from participation.core.mail import OutboxMessage
from participation.council import services
from participation.council.models import (
    COUNCIL,
    AgendaItem,
    Attendance,
    Convocation,
    ConvocationRecipient,
    Meeting,
)
from participation.extensions import db
from tests import factories
from tests.concurrency import at_once, delete_people, skip_unless_postgresql
from tests.council.conftest import centre, paris


@pytest.fixture
def meeting(app):
    """A Conseil meeting with its agenda and three members, committed; removed after."""
    skip_unless_postgresql(app)
    with app.app_context():
        admin = factories.UserFactory(is_admin=True)
        members = [factories.staff("president", centre("Espace Fort")),
                   factories.staff("director", centre("Jacques Yves Cousteau"))]
        made = services.plan_meeting(services.get_body(COUNCIL), admin,
                                     starts_at=paris(2027, 4, 2, 18, 30), place="Salle Matisse")
        services.add_agenda_item(made, title="Budget commun")
        db.session.commit()
        ids = made.id, admin.id, [admin.id] + [m.id for m in members]
        db.session.remove()
    yield ids
    with app.app_context():
        convocation_ids = sa.select(Convocation.id).where(Convocation.meeting_id == ids[0])
        messages = list(db.session.scalars(
            sa.select(ConvocationRecipient.outbox_message_id)
            .where(ConvocationRecipient.convocation_id.in_(convocation_ids))))
        db.session.execute(sa.delete(ConvocationRecipient)
                           .where(ConvocationRecipient.convocation_id.in_(convocation_ids)))
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id.in_(messages)))
        db.session.execute(sa.delete(Convocation).where(Convocation.meeting_id == ids[0]))
        db.session.execute(sa.delete(Attendance).where(Attendance.meeting_id == ids[0]))
        db.session.execute(sa.delete(AgendaItem).where(AgendaItem.meeting_id == ids[0]))
        db.session.execute(sa.delete(Meeting).where(Meeting.id == ids[0]))
        delete_people(ids[2])
        db.session.commit()


def test_two_runners_sending_one_convocation_send_it_once(app, meeting):
    meeting_id, admin_id, _ = meeting
    sent_at = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)

    def send():
        from participation.accounts.models import User

        with app.app_context():
            try:
                services.send_convocation(db.session.get(Meeting, meeting_id),
                                          db.session.get(User, admin_id), sent_at)
                db.session.commit()
                return "sent"
            except DomainError as error:
                db.session.rollback()
                return str(error.message)
            finally:
                db.session.remove()

    outcomes = at_once([send] * 4)
    assert sorted(outcomes, key=str) == sorted(
        ["sent"] + ["La convocation à cette réunion est déjà partie."] * 3, key=str), \
        outcomes
    with app.app_context():
        [convocation] = db.session.scalars(sa.select(Convocation)
                                           .where(Convocation.meeting_id == meeting_id))
        emails = db.session.scalar(
            sa.select(sa.func.count()).select_from(ConvocationRecipient)
            .where(ConvocationRecipient.convocation_id == convocation.id))
        assert emails >= 2
        assert emails == db.session.scalar(
            sa.select(sa.func.count()).select_from(Attendance)
            .where(Attendance.meeting_id == meeting_id))
