"""Counting the SQL statements a page runs, for the fixed-query-count tests."""

from contextlib import contextmanager

import sqlalchemy as sa

from participation.extensions import db


@contextmanager
def count_queries():
    """Collect the statements sent to the database inside the ``with`` block."""
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def queries_for(client, url) -> int:
    """How many statements ``url`` runs, after a first visit warms one-time caches."""
    client.get(url)
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)
