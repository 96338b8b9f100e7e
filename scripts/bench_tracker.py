"""The bounded tracker store plus two indexes (benchmark system option ``+idx``; proposed
for ``rasa_ext/tracker_store.py``).

Rasa loads a conversation with ``WHERE sender_id = ? AND timestamp >= (SELECT
max(timestamp) ... WHERE sender_id = ? AND type_name = 'session_started')`` and counts the
stored events of the current session the same way on every save. With only Rasa's index
on ``sender_id`` both read *every* event the conversation ever had, so even with bounded
sessions a turn still gets a little slower as a Telegram chat (which never ends) grows.
``(sender_id, type_name, timestamp)`` answers the sub-query from the index and
``(sender_id, timestamp)`` lets the outer query start at the session's first event.
Created with IF NOT EXISTS when the store starts, so existing databases get them too.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from rasa_ext.tracker_store import BoundedSQLTrackerStore

INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_events_sender_type_ts ON events (sender_id, type_name, timestamp)",
    "CREATE INDEX IF NOT EXISTS ix_events_sender_ts ON events (sender_id, timestamp)",
)


class IndexedBoundedSQLTrackerStore(BoundedSQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self.engine.begin() as connection:
            for statement in INDEXES:
                connection.execute(sa.text(statement))
