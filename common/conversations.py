"""What a worker and the bot said, read from Rasa's ``events`` table: the conversation part
of 导出我的数据.

The Rasa server owns that table (``rasa_ext``, through Rasa's tracker store); this module
only reads it, so that both the staff command (``scripts/worker_data.py``) and the worker's
own request in the chat (``actions/data_export.py``, in the action server, which must not
load Rasa) give the same copy. Plain SQLAlchemy: SQLite (``tracker.db``) and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from common import settings
from common.database import sqlite_path


def tracker_url(configured: settings.Settings | None = None) -> str:
    """Where the conversations are: the shared PostgreSQL (``UH_DATABASE_URL``) or the
    embedded ``tracker.db`` (what the endpoints files configure Rasa with)."""
    configured = configured or settings.load()
    return configured.database_url or f"sqlite:///{configured.tracker_db}"


def export_conversation(url: str, sender_id: str) -> list[dict[str, Any]]:
    """What the worker and the bot said in the conversation (every session), oldest first.
    A SQLite file that is not there yet is not created by looking."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return []
    engine = sa.create_engine(url, future=True, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("events"):
                return []
            rows = conn.execute(
                sa.text(
                    "SELECT type_name, timestamp, data FROM events WHERE sender_id = :sender "
                    "AND type_name IN ('user', 'bot') ORDER BY id"
                ),
                {"sender": sender_id},
            ).fetchall()
    finally:
        engine.dispose()
    said = []
    for type_name, timestamp, data in rows:
        text = (json.loads(data or "{}") or {}).get("text")
        if text:
            said.append({"who": "worker" if type_name == "user" else "bot", "timestamp": timestamp, "text": text})
    return said
