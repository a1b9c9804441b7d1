"""Tamper evidence: the records that are history are hash-chained.

The audit log (staff acts and, in a chain of its own, security events), the
moderation log (proposal events) and the Conseil's register of decisions: each
entry holds ``prev_hash`` (the hash of the entry before it in its chain), its
place ``chain_seq`` and ``hash`` = sha256 over a canonical serialisation of its
fields that never change and ``prev_hash``. A session hook computes them in the
same transaction as the insert, after taking a lock on the chain's head row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers anyway), so
two concurrent writers get consecutive places.

``flask audit verify`` recomputes every chain and names the first entry that
does not match. Removals that the rules allow leave a trace that verify
follows: a purge of old security events moves the chain's base (the place and
hash of the last purged entry) in the head row; erasing an account's
unpublished proposals leaves a tombstone (place and hashes, no content) for
each of their events.

This does not stop someone who controls the database and the code from
rewriting a whole chain; it makes a change to one row, a deleted row, or a
row slipped in by hand visible.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, attributes, mapped_column

from participation.core.models import UTCDateTime, utcnow
from participation.extensions import db

GENESIS = "0" * 64


class ChainHead(db.Model):
    """The end of one chain (its last place and hash) and its base after purges."""

    __tablename__ = "chain_heads"

    name: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)
    # Place and hash of the last entry purged by the retention rules (0 and GENESIS if none).
    base_seq: Mapped[int] = mapped_column(sa.Integer, default=0)
    base_hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)


class ChainTombstone(db.Model):
    """The place and hashes of a chained entry that the rules let us erase (no content)."""

    __tablename__ = "chain_tombstones"
    __table_args__ = (sa.UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(sa.String(20))
    seq: Mapped[int] = mapped_column(sa.Integer)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChainedMixin:
    """Columns of a chained entry; set by the hook, never by hand."""

    chain_seq: Mapped[int | None] = mapped_column(sa.Integer)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))


@dataclass(frozen=True)
class Chain:
    name: str
    model: type
    fields: tuple[str, ...]
    label: str
    # Which rows of the table belong to this chain (None: all of them).
    column: str | None = None
    value: str | None = None

    def holds(self, instance) -> bool:
        return self.column is None or getattr(instance, self.column) == self.value

    def rows(self):
        query = sa.select(self.model)
        if self.column is not None:
            query = query.where(getattr(self.model, self.column) == self.value)
        return query


CHAINS: dict[str, Chain] = {}


def chained(name: str, fields: tuple[str, ...], label: str, column: str | None = None,
            value: str | None = None):
    """Class decorator: entries of this model form the chain ``name`` (or, with
    ``column``/``value``, the rows whose ``column`` equals ``value`` do)."""

    def register(model):
        CHAINS[name] = Chain(name, model, fields, label, column, value)
        return model

    return register


def _plain(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:  # a SQLite value read without its type
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def entry_hash(chain: str, seq: int, prev_hash: str, fields: dict) -> str:
    """sha256 of the canonical JSON of an entry (sorted keys, no spaces, UTF-8)."""
    document = {"chain": chain, "seq": seq, "prev": prev_hash, "fields": _plain(fields)}
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fields(chain: Chain, instance) -> dict:
    return {name: getattr(instance, name) for name in chain.fields}


def lock_head(connection, name: str) -> dict:
    """The head row of chain ``name``, locked until the end of the transaction."""
    table = ChainHead.__table__
    query = sa.select(table).where(table.c.name == name).with_for_update()
    row = connection.execute(query).mappings().first()
    if row is None:
        # Chains exist from the migration on; this covers a table emptied by hand.
        if connection.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        connection.execute(insert(table).values(name=name, seq=0, hash=GENESIS, base_seq=0,
                                                base_hash=GENESIS).on_conflict_do_nothing())
        row = connection.execute(query).mappings().first()
    return dict(row)


@sa.event.listens_for(Session, "after_flush")
def _append_new_entries(session, flush_context) -> None:
    pending: dict[str, list] = {}
    for instance in session.new:
        for chain in CHAINS.values():
            if isinstance(instance, chain.model) and chain.holds(instance):
                pending.setdefault(chain.name, []).append(instance)
    if not pending:
        return
    connection = session.connection()
    heads = ChainHead.__table__
    # Always lock heads in the same order, so two writers cannot deadlock.
    for name in sorted(pending):
        chain = CHAINS[name]
        head = lock_head(connection, name)
        seq, previous = head["seq"], head["hash"]
        table = chain.model.__table__
        for instance in sorted(pending[name], key=lambda i: i.id):
            seq += 1
            digest = entry_hash(name, seq, previous, _fields(chain, instance))
            connection.execute(table.update().where(table.c.id == instance.id)
                               .values(chain_seq=seq, prev_hash=previous, hash=digest))
            for key, value in (("chain_seq", seq), ("prev_hash", previous), ("hash", digest)):
                attributes.set_committed_value(instance, key, value)
            previous = digest
        connection.execute(heads.update().where(heads.c.name == name)
                           .values(seq=seq, hash=previous))


def erase_entries(model, *where) -> int:
    """Delete chained rows the rules let go (with a person's unpublished proposals),
    leaving a tombstone per entry so the chain still verifies. Returns how many."""
    chain_by_name = {c.name: c for c in CHAINS.values() if c.model is model}
    rows = db.session.scalars(sa.select(model).where(*where)).all()
    for row in rows:
        chain = next(c for c in chain_by_name.values() if c.holds(row))
        if row.chain_seq is not None:
            db.session.add(ChainTombstone(chain=chain.name, seq=row.chain_seq,
                                          prev_hash=row.prev_hash, hash=row.hash))
        db.session.delete(row)
    db.session.flush()
    return len(rows)


def purge_before(name: str, cutoff: datetime, time_field: str = "created_at") -> int:
    """Delete the entries of chain ``name`` older than ``cutoff`` (a prefix of the chain:
    everything up to the last entry older than the cutoff), moving the chain's base to
    the last one removed. Flushed, not committed."""
    chain = CHAINS[name]
    model = chain.model
    connection = db.session.connection()
    lock_head(connection, name)
    last = db.session.execute(
        chain.rows().with_only_columns(model.chain_seq)
        .where(getattr(model, time_field) < cutoff, model.chain_seq.is_not(None))
        .order_by(model.chain_seq.desc()).limit(1)).scalar()
    if last is None:
        return 0
    base_hash = db.session.scalar(chain.rows().with_only_columns(model.hash)
                                  .where(model.chain_seq == last))
    doomed = chain.rows().with_only_columns(model.id).where(model.chain_seq <= last)
    count = db.session.execute(sa.delete(model).where(model.id.in_(doomed.scalar_subquery()))
                               .execution_options(synchronize_session=False)).rowcount
    db.session.execute(sa.delete(ChainTombstone).where(ChainTombstone.chain == name,
                                                       ChainTombstone.seq <= last))
    db.session.execute(sa.update(ChainHead).where(ChainHead.name == name)
                       .values(base_seq=last, base_hash=base_hash))
    db.session.flush()
    return count


@dataclass
class Report:
    chain: str
    label: str
    entries: int
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify(name: str) -> Report:
    """Recompute chain ``name`` from its base; the first entry that does not match is named."""
    chain = CHAINS[name]
    model = chain.model
    head = db.session.execute(sa.select(ChainHead.__table__)
                              .where(ChainHead.name == name)).first()
    base_seq = head.base_seq if head else 0
    expected_hash = head.base_hash if head else GENESIS
    tombstones = {t.seq: t for t in db.session.scalars(
        sa.select(ChainTombstone).where(ChainTombstone.chain == name))}
    report = Report(name, chain.label, 0)
    kind = f"{model.__tablename__} id"

    unchained = db.session.scalar(chain.rows().with_only_columns(model.id)
                                  .where(model.chain_seq.is_(None)).order_by(model.id).limit(1))
    columns = [model.id, model.chain_seq, model.prev_hash, model.hash,
               *(getattr(model, f) for f in chain.fields)]
    rows = db.session.execute(chain.rows().with_only_columns(*columns)
                              .where(model.chain_seq.is_not(None))
                              .order_by(model.chain_seq, model.id)
                              .execution_options(yield_per=1000))
    expected_seq = base_seq + 1
    problem = None
    for row in rows:
        while expected_seq < row.chain_seq and expected_seq in tombstones:
            tomb = tombstones.pop(expected_seq)
            if tomb.prev_hash != expected_hash:
                problem = f"erased entry #{expected_seq}: its link does not match"
                break
            expected_hash, expected_seq = tomb.hash, expected_seq + 1
        if problem:
            break
        where = f"{kind} {row.id} (#{row.chain_seq})"
        if row.chain_seq < expected_seq:
            problem = f"{where}: a second entry at the same place (inserted by hand?)"
        elif row.chain_seq > expected_seq:
            problem = (f"{where}: entries #{expected_seq} to #{row.chain_seq - 1} before it "
                       f"are missing (deleted?)")
        elif row.prev_hash != expected_hash:
            problem = f"{where}: its link to the entry before does not match"
        elif entry_hash(name, row.chain_seq, row.prev_hash, _fields(chain, row)) != row.hash:
            problem = f"{where}: altered (its content does not match its hash)"
        if problem:
            break
        report.entries += 1
        expected_hash, expected_seq = row.hash, expected_seq + 1
    if problem is None:
        while expected_seq in tombstones:
            tomb = tombstones.pop(expected_seq)
            if tomb.prev_hash != expected_hash:
                problem = f"erased entry #{expected_seq}: its link does not match"
                break
            expected_hash, expected_seq = tomb.hash, expected_seq + 1
    if problem is None and unchained is not None:
        problem = f"{kind} {unchained}: not in the chain (inserted by hand?)"
    if problem is None and head is not None and (head.seq, head.hash) != (
            expected_seq - 1, expected_hash):
        problem = (f"the chain ends at #{expected_seq - 1} but its head says #{head.seq}: "
                   f"the last entries were deleted or changed")
    report.problem = problem
    return report


def verify_all() -> list[Report]:
    return [verify(name) for name in sorted(CHAINS)]
