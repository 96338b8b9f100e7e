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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from common.clock import china_tz
from common.conversations import export_conversation as export_conversation  # the console's data-rights page
from common.database import sqlite_path
from common.privacy import redact

__all__ = ["QUESTION_ACTIONS", "Activity", "export_conversation", "period_activity"]

#: The actions that answer a question (the denominator of "share answered").
TZ = china_tz()

QUESTION_ACTIONS = ("action_answer_question", "action_default_fallback")


def _engine(url: str) -> sa.engine.Engine:
    return sa.create_engine(url, future=True, poolclass=sa.pool.NullPool)


def _rows(url: str, sql: str, params: dict[str, Any], expanding: str | None = None) -> list[Any]:
    """The rows of a read of ``events``; none when the store (or the table) is not there
    yet — a SQLite file is never created by looking."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return []
    statement = sa.text(sql)
    if expanding:
        statement = statement.bindparams(sa.bindparam(expanding, expanding=True))
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("events"):
                return []
            return list(conn.execute(statement, params).fetchall())
    finally:
        engine.dispose()


@dataclass
class Activity:
    """What the conversations of a period show: per Ningbo day, the conversations with a
    message from the worker (``workers``), their ``messages`` and the ``questions`` the bot
    answered or failed to answer; and the questions asked most (numbers masked)."""

    days: dict[str, dict[str, int]] = field(default_factory=dict)
    top_questions: list[tuple[str, int]] = field(default_factory=list)
    workers: int = 0  # distinct conversations with a message from the worker, whole period


def period_activity(url: str, since: date, until: date, *, top: int = 10) -> Activity:
    """The conversations from ``since`` to ``until`` (inclusive, Ningbo days). A question
    is the worker's message that the bot answered with one of :data:`QUESTION_ACTIONS`."""
    start = datetime.combine(since, time.min, TZ).astimezone(timezone.utc).timestamp()
    end = datetime.combine(until + timedelta(days=1), time.min, TZ).astimezone(timezone.utc).timestamp()
    rows = _rows(
        url,
        "SELECT sender_id, type_name, action_name, timestamp, data FROM events "
        "WHERE timestamp >= :start AND timestamp < :end AND (type_name = 'user' OR "
        "(type_name = 'action' AND action_name IN :actions)) ORDER BY id",
        {"start": start, "end": end, "actions": QUESTION_ACTIONS},
        expanding="actions",
    )
    senders: dict[str, set[str]] = defaultdict(set)
    days: dict[str, dict[str, int]] = defaultdict(lambda: {"workers": 0, "messages": 0, "questions": 0})
    last_text: dict[str, str] = {}
    asked: Counter[str] = Counter()
    for sender_id, type_name, _action, stamp, data in rows:
        day = datetime.fromtimestamp(float(stamp), TZ).date().isoformat()
        if type_name == "user":
            senders[day].add(str(sender_id))
            days[day]["messages"] += 1
            text = str((json.loads(data or "{}") or {}).get("text") or "").strip()
            last_text[str(sender_id)] = "" if text.startswith("/") else redact(text)[:60]
        else:
            days[day]["questions"] += 1
            text = last_text.pop(str(sender_id), "")
            if text:
                asked[text] += 1
    for day, who in senders.items():
        days[day]["workers"] = len(who)
    everyone = set().union(*senders.values()) if senders else set()
    return Activity(dict(days), asked.most_common(top), len(everyone))
