"""Tamper evidence: the audit log, the moderation log and the register of decisions are
hash-chained, and ``flask audit verify`` names the first entry changed behind the
application's back."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.accounts import services as accounts
from participation.accounts.models import User
from participation.core import audit, chain
from participation.core.audit import AuditEntry
from participation.core.models import utcnow
from participation.council import services as council_services
from participation.council.models import COUNCIL, Decision
from participation.extensions import db
from participation.proposals.models import ProposalEvent
from tests import factories


def rechain_leftovers():
    """Tests that commit for real (browser, concurrency) clean up with raw DELETEs, which a
    chain rightly reports; inside this test's transaction, chain what is there afresh."""
    for name, spec in chain.CHAINS.items():
        if chain.verify(name).intact:
            continue
        model = spec.model
        seq, previous = 0, chain.GENESIS
        for row in db.session.scalars(spec.rows().order_by(model.id)):
            seq += 1
            row.chain_seq, row.prev_hash = seq, previous
            row.hash = previous = chain.entry_hash(name, seq, previous, chain._fields(spec, row))
        db.session.execute(sa.update(chain.ChainHead).where(chain.ChainHead.name == name)
                           .values(seq=seq, hash=previous, base_seq=0, base_hash=chain.GENESIS))
        db.session.execute(sa.delete(chain.ChainTombstone)
                           .where(chain.ChainTombstone.chain == name))
        db.session.flush()
        assert chain.verify(name).intact


@pytest.fixture
def demo(session, admin, animator, now):
    """A small history in each chain: proposals moderated, staff acts, decisions."""
    rechain_leftovers()
    author = factories.UserFactory()
    for n, status in enumerate(("published", "submitted", "draft", "retained")):
        factories.proposal(author, status=status, title=f"Idée numéro {n}", moderator=animator)
    for n in range(4):
        audit.record(admin, "territory.commune_changed", commune=f"Commune {n}")
    body = council_services.get_body(COUNCIL)
    meeting = council_services.plan_meeting(body, admin, starts_at=now - timedelta(days=20),
                                             place="Salle Matisse, Calais")
    for n in range(4):
        council_services.record_decision(meeting, admin, title=f"Décision {n}",
                                         text="Le Conseil décide.", now=now, votes_for=5)
    db.session.commit()


def problems():
    return {r.chain: r.problem for r in chain.verify_all() if not r.intact}


def test_every_write_is_chained_and_verifies(demo):
    reports = {r.chain: r for r in chain.verify_all()}
    assert all(r.intact for r in reports.values()), reports
    assert reports["moderation"].entries >= 10
    assert reports["decisions"].entries > 3
    assert reports["audit"].entries > 3
    events = db.session.scalars(sa.select(ProposalEvent).order_by(ProposalEvent.chain_seq)).all()
    assert all(e.hash and len(e.hash) == 64 for e in events)
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]


@pytest.mark.parametrize("table, column, value", [
    ("proposal_events", "message", "Rien à signaler"),
    ("council_decisions", "votes_for", 99),
    ("council_decisions", "text", "Le Conseil décide autre chose."),
    ("audit_entries", "action", "account.role_revoked"),
])
def test_a_row_altered_with_raw_sql_is_named(app, demo, table, column, value):
    victim = db.session.execute(sa.text(
        f"SELECT id FROM {table} ORDER BY id LIMIT 1 OFFSET 2")).scalar()  # noqa: S608
    db.session.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),  # noqa: S608
                       {"v": value, "id": victim})
    db.session.commit()
    found = problems()
    assert len(found) == 1
    (problem,) = found.values()
    assert f"{table} id {victim} " in problem and "altered" in problem

    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"{table} id {victim} " in result.output


def test_the_details_of_an_audit_entry_are_covered(demo):
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).first()
    db.session.execute(sa.text("UPDATE audit_entries SET details = :d WHERE id = :id"),
                       {"d": '{"role": "director"}', "id": entry.id})
    db.session.commit()
    assert f"audit_entries id {entry.id} " in problems()["audit"]


def test_a_deleted_entry_and_a_forged_one_are_named(demo):
    events = db.session.scalars(sa.select(ProposalEvent).order_by(ProposalEvent.chain_seq)
                                .limit(6)).all()
    gone, after = events[3], events[4]
    db.session.execute(sa.text("DELETE FROM proposal_events WHERE id = :id"), {"id": gone.id})
    db.session.commit()
    problem = problems()["moderation"]
    assert f"proposal_events id {after.id} " in problem and "missing" in problem


def test_a_row_slipped_in_by_hand_is_named(demo):
    proposal_id = db.session.scalar(sa.select(ProposalEvent.proposal_id).limit(1))
    db.session.execute(sa.text(
        "INSERT INTO proposal_events (proposal_id, kind, status, public, created_at) "
        "VALUES (:p, 'published', 'published', :t, :c)"),
        {"p": proposal_id, "t": True, "c": utcnow()})
    forged = db.session.scalar(sa.select(sa.func.max(ProposalEvent.id)))
    db.session.commit()
    problem = problems()["moderation"]
    assert f"proposal_events id {forged}:" in problem and "not in the chain" in problem


def test_the_last_entry_deleted_is_seen_through_the_head(demo):
    last = db.session.scalar(sa.select(sa.func.max(Decision.id)))
    db.session.execute(sa.text("DELETE FROM council_links WHERE decision_id = :id"),
                       {"id": last})
    db.session.execute(sa.text("UPDATE council_mandates SET decision_id = NULL "
                               "WHERE decision_id = :id"), {"id": last})
    db.session.execute(sa.text("DELETE FROM council_decisions WHERE id = :id"), {"id": last})
    db.session.commit()
    assert "last entries were deleted" in problems()["decisions"]


def test_erasing_an_account_with_rejected_ideas_leaves_tombstones(demo, now):
    author = factories.UserFactory()
    rejected = factories.proposal(author, status="submitted")
    event_ids = [e.id for e in db.session.scalars(
        sa.select(ProposalEvent).where(ProposalEvent.proposal_id == rejected.id))]
    assert event_ids
    accounts.delete_account(author, factories.PASSWORD, now)
    db.session.commit()
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(ProposalEvent)
                                 .where(ProposalEvent.id.in_(event_ids)))
    assert problems() == {}
    tombstones = db.session.scalar(sa.select(sa.func.count()).select_from(chain.ChainTombstone))
    assert tombstones == len(event_ids)


def test_security_events_have_a_chain_of_their_own(demo, now):
    person = factories.UserFactory()
    accounts.authenticate(person.email, factories.PASSWORD, now)
    with pytest.raises(Exception):  # noqa: B017
        accounts.authenticate(person.email, "mauvais", now)
    db.session.commit()
    kinds = dict(db.session.execute(sa.select(AuditEntry.action, AuditEntry.kind)
                                    .where(AuditEntry.subject_id == person.id)).all())
    assert kinds == {"security.login": "security", "security.login_failed": "security"}
    assert chain.verify("security").entries >= 2
    assert problems() == {}


def test_verify_passes_on_the_command_line(app, demo):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "moderation:" in result.output and "intact" in result.output


def test_concurrent_writers_get_consecutive_places(app):
    """Two transactions appending at once: the head row lock orders them."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises every writer)")
    with app.app_context():
        staff_id = factories.UserFactory(pseudonym="Chaîne concurrente").id
        db.session.commit()
        db.session.remove()
    barrier = threading.Barrier(6)
    errors = []

    def write(n):
        with app.app_context():
            try:
                barrier.wait()
                for _ in range(5):
                    actor = db.session.get(User, staff_id)
                    audit.record(actor, "territory.commune_changed", commune=f"Test {n}")
                    db.session.commit()
            except Exception as error:  # noqa: BLE001
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        try:
            assert errors == []
            rows = db.session.execute(sa.select(AuditEntry.chain_seq, AuditEntry.prev_hash,
                                                AuditEntry.hash)
                                      .where(AuditEntry.actor_id == staff_id)
                                      .order_by(AuditEntry.chain_seq)).all()
            assert len(rows) == 30
            assert [r.chain_seq for r in rows] == list(range(rows[0].chain_seq,
                                                             rows[0].chain_seq + 30))
            assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
        finally:
            db.session.execute(sa.delete(AuditEntry).where(AuditEntry.actor_id == staff_id))
            db.session.execute(sa.text("DELETE FROM users WHERE id = :id"), {"id": staff_id})
            db.session.commit()


def test_purging_old_security_events_keeps_the_chain_verifiable(demo, now):
    person = factories.UserFactory()
    for _ in range(3):
        audit.record(person, "security.login", person)
    db.session.flush()
    old = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.kind == "security")
                             .order_by(AuditEntry.chain_seq)).all()
    for entry in old[:2]:
        entry.created_at = now - timedelta(days=400)  # chained fields: rewrite their hashes
    db.session.flush()
    rechain_leftovers()
    assert problems() == {}
    expected_base = old[1].chain_seq
    removed = chain.purge_before("security", now - timedelta(days=365))
    db.session.commit()
    assert removed == 2
    assert problems() == {}
    head = db.session.get(chain.ChainHead, "security")
    assert head.base_seq == expected_base
