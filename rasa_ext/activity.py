"""Read-only looks at Rasa's ``events`` table for the staff console: how many workers
talked to the bot each day and how many questions they asked, and one worker's
conversation (导出我的数据, the office's "everything held").

Why here: the tracker store is the Rasa server's (this package is its only writer); the
console and ``scripts/worker_data`` read it through these functions rather than writing
SQL on Rasa's table themselves. No Rasa import, so the console stays light. Plain
SQLAlchemy on SQLite (read-only) or the shared PostgreSQL.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from common.clock import china_tz

__all__ = ["QUESTION_ACTIONS", "daily_activity", "export_conversation"]

#: The actions that answer a question (the denominator of "share answered").
TZ = china_tz()

QUESTION_ACTIONS = ("action_answer_question", "action_default_fallback")


def _engine(url: str) -> sa.engine.Engine:
    return sa.create_engine(url, future=True, poolclass=sa.pool.NullPool)


def _rows(url: str, sql: str, params: dict[str, Any]) -> list[Any]:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("events"):
                return []
            return list(conn.execute(sa.text(sql), params).fetchall())
    finally:
        engine.dispose()


def daily_activity(url: str, since: date, until: date) -> dict[str, dict[str, int]]:
    """Per Ningbo day from ``since`` to ``until`` (inclusive): distinct conversations with
    a message from the worker, their messages, and the questions the bot answered or
    failed to answer (the actions above). Days without activity are absent."""
    start = datetime.combine(since, datetime.min.time(), TZ).astimezone(timezone.utc).timestamp()
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), TZ).astimezone(timezone.utc).timestamp()
    rows = _rows(
        url,
        "SELECT sender_id, type_name, action_name, timestamp FROM events "
        "WHERE timestamp >= :start AND timestamp < :end AND (type_name = 'user' OR "
        "(type_name = 'action' AND action_name IN ('action_answer_question', 'action_default_fallback')))",
        {"start": start, "end": end},
    )
    senders: dict[str, set[str]] = defaultdict(set)
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"workers": 0, "messages": 0, "questions": 0})
    for sender_id, type_name, _action, stamp in rows:
        day = datetime.fromtimestamp(float(stamp), TZ).date().isoformat()
        if type_name == "user":
            senders[day].add(str(sender_id))
            out[day]["messages"] += 1
        else:
            out[day]["questions"] += 1
    for day, who in senders.items():
        out[day]["workers"] = len(who)
    return dict(out)


def export_conversation(url: str, sender_id: str) -> list[dict[str, Any]]:
    """What the worker and the bot said in the conversation (every session), oldest first:
    the worker's part of 导出我的数据."""
    rows = _rows(
        url,
        "SELECT type_name, timestamp, data FROM events WHERE sender_id = :sender "
        "AND type_name IN ('user', 'bot') ORDER BY id",
        {"sender": sender_id},
    )
    said = []
    for type_name, timestamp, data in rows:
        text = (json.loads(data or "{}") or {}).get("text")
        if text:
            said.append({"who": "worker" if type_name == "user" else "bot", "timestamp": timestamp, "text": text})
    return said
