"""The cost of the hash chains: appending audit entries one transaction each (as requests
do), then ``verify`` over the whole chain.

Run: .venv/bin/python benchmarks/chain.py [number of entries] [database URL]
Default: 20,000 entries in a fresh SQLite file under /tmp. Prints the time per append
(with and without the chain hook, same loop) and the time and peak Python memory of
verifying every chain. Not part of `make test`.
"""

import os
import sys
import tempfile
import time
import tracemalloc

import flask_migrate
import sqlalchemy as sa


def main(count: int, url: str | None) -> None:
    from participation import create_app
    from participation.config import TestConfig
    from participation.core import audit, chain
    from participation.extensions import db

    path = None
    if url is None:
        handle, path = tempfile.mkstemp(suffix=".sqlite3", prefix="chain-bench-")
        os.close(handle)
        url = f"sqlite:///{path}"
    app = create_app(type("Bench", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        flask_migrate.upgrade()

        def append(n):
            started = time.perf_counter()
            for i in range(n):
                audit.record(None, "territory.commune_changed", commune=f"Commune {i}")
                db.session.commit()
            return (time.perf_counter() - started) / n

        with_chain = append(count)
        sa.event.remove(sa.orm.Session, "after_flush", chain._append_new_entries)
        without = append(min(count, 2000))
        sa.event.listen(sa.orm.Session, "after_flush", chain._append_new_entries)
        db.session.execute(sa.delete(audit.AuditEntry).where(audit.AuditEntry.chain_seq.is_(None)))
        db.session.commit()

        tracemalloc.start()
        started = time.perf_counter()
        reports = chain.verify_all()
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert all(r.intact for r in reports), reports
        print(f"append, one transaction each: {with_chain * 1000:.2f} ms with the chain, "
              f"{without * 1000:.2f} ms without")
        print(f"verify {sum(r.entries for r in reports)} entries: {elapsed:.2f} s, "
              f"peak {peak / 1024 / 1024:.1f} MiB")
        db.session.remove()
        db.engine.dispose()
    if path:
        os.remove(path)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000,
         sys.argv[2] if len(sys.argv) > 2 else None)
