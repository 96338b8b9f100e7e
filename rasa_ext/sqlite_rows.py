"""The two statements of a cached turn on SQLite, on the pooled sqlite3 connection itself.

Why (py-spy under 50 workers, docs/bench-ablation.md): with the tracker cache on, a turn
touches the database twice — the sender's last event id before the turn, the new rows
after it — and SQLAlchemy's ORM session, statement construction and result machinery
around those two small statements cost more of the Rasa server's event loop than SQLite's
own work. Here they are plain SQL on the DBAPI connection SQLAlchemy's pool hands out (with
its PRAGMAs, returned to the pool afterwards, rolled back there if anything went wrong).

Only :mod:`rasa_ext.tracker_store` calls these: it owns the events table, and PostgreSQL
keeps going through SQLAlchemy. The columns are Rasa's (``SQLTrackerStore.SQLEvent``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")
INSERT = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
LAST_ID = "SELECT max(id) FROM events WHERE sender_id = ?"
AFTER = "SELECT count(*), max(id) FROM events WHERE sender_id = ? AND id > ?"


def last_id(engine: sa.engine.Engine, sender_id: str) -> int | None:
    """The sender's greatest event id (None: no events)."""
    connection = engine.raw_connection()
    try:
        row = connection.execute(LAST_ID, (sender_id,)).fetchone()
        return None if row is None else row[0]
    finally:
        connection.close()


def append_after(engine: sa.engine.Engine, sender_id: str, after_id: int, rows: Sequence[dict[str, Any]]) -> int | None:
    """Insert ``rows`` for ``sender_id`` and commit only if they are now exactly the rows
    after ``after_id``; returns the new greatest id, or None (nothing written) when another
    writer got there first. The check runs inside the inserts' transaction."""
    connection = engine.raw_connection()
    try:
        if rows:
            connection.executemany(INSERT, [tuple(row[name] for name in COLUMNS) for row in rows])
        count, greatest = connection.execute(AFTER, (sender_id, after_id)).fetchone()
        if count != len(rows) or (rows and greatest is None):
            connection.rollback()
            return None
        connection.commit()
        return int(greatest) if rows else after_id
    finally:
        connection.close()
