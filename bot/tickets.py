"""Hand-off tickets in ``handoff.db``: plain functions over a sqlite-utils ``Database``.

:mod:`bot.handoff` decides *when* a ticket opens, what is relayed and when it closes; this
module only stores and finds tickets (and counts the day's activity for ``/stats``). All
state lives in the database, so a restart of the front end loses no open ticket and no
message mapping. With :mod:`bot.db` (the schema) and :mod:`bot.buttons` it is the only way
into ``handoff.db``: nothing else runs SQL on that file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class Ticket:
    id: int
    user_id: int
    chat_id: int
    sender_id: str
    display_name: str  # phone-like parts masked
    reason: str  # request_human | fallback | form_failures | rasa_unavailable
    status: str
    opened_at: str
    answered_at: str | None
    closed_at: str | None
    closed_by: str | None
    ops_chat_id: int
    thread_id: int | None
    header_message_id: int | None
    staffed: int
    paused: int
    resume_pending: int

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Ticket:
        values: dict[str, Any] = {f.name: row.get(f.name) for f in fields(cls)}
        return cls(**values)


class TicketAlreadyOpen(RuntimeError):
    """The worker already has an open ticket."""


def _one(db: Database, sql: str, params: list[Any]) -> Ticket | None:
    rows = list(db.query(sql, params))
    return Ticket.from_row(rows[0]) if rows else None


def get(db: Database, ticket_id: int) -> Ticket | None:
    return _one(db, "SELECT * FROM tickets WHERE id = ?", [ticket_id])


def open_for_user(db: Database, user_id: int) -> Ticket | None:
    return _one(db, "SELECT * FROM tickets WHERE user_id = ? AND status = 'open'", [user_id])


def create(
    db: Database,
    *,
    user_id: int,
    chat_id: int,
    sender_id: str,
    display_name: str,
    reason: str,
    opened_at: datetime,
    staffed: bool,
    ops_chat_id: int,
) -> Ticket:
    record = {
        "user_id": user_id,
        "chat_id": chat_id,
        "sender_id": sender_id,
        "display_name": display_name,
        "reason": reason,
        "status": "open",
        "opened_at": opened_at.isoformat(),
        "staffed": int(staffed),
        "ops_chat_id": ops_chat_id,
        "paused": 0,
        "resume_pending": 0,
    }
    try:
        with db.conn:
            table = db.table("tickets").insert(record)
    except sqlite3.IntegrityError as exc:  # the one-open-ticket-per-worker index
        raise TicketAlreadyOpen(user_id) from exc
    return _existing(db, int(table.last_pk or 0))


def _existing(db: Database, ticket_id: int) -> Ticket:
    """A ticket this module has just written (so it is there)."""
    ticket = get(db, ticket_id)
    if ticket is None:
        raise LookupError(f"ticket #{ticket_id} vanished")
    return ticket


def update(db: Database, ticket_id: int, **changes: Any) -> Ticket:
    with db.conn:
        db.table("tickets").update(ticket_id, changes)
    return _existing(db, ticket_id)


def delete(db: Database, ticket_id: int) -> None:
    """Remove a ticket that never reached the operators (opening failed)."""
    with db.conn:
        db.execute("DELETE FROM ticket_messages WHERE ticket_id = ?", [ticket_id])
        db.execute("DELETE FROM tickets WHERE id = ?", [ticket_id])


def close(db: Database, ticket_id: int, *, closed_by: str, closed_at: datetime) -> Ticket | None:
    """Close an open ticket; ``None`` if it was not open (closed twice, by two operators)."""
    with db.conn:
        cursor = db.execute(
            "UPDATE tickets SET status = 'closed', closed_at = ?, closed_by = ?, resume_pending = 1 "
            "WHERE id = ? AND status = 'open'",
            [closed_at.isoformat(), closed_by, ticket_id],
        )
    if cursor.rowcount == 0:
        return None
    return get(db, ticket_id)


def mark_answered(db: Database, ticket: Ticket, when: datetime) -> None:
    if not ticket.answered_at:
        with db.conn:
            db.execute(
                "UPDATE tickets SET answered_at = ? WHERE id = ? AND answered_at IS NULL",
                [when.isoformat(), ticket.id],
            )


def list_open(db: Database) -> list[Ticket]:
    return [Ticket.from_row(r) for r in db.query("SELECT * FROM tickets WHERE status = 'open' ORDER BY id")]


def pending_resumes(db: Database, user_id: int | None = None) -> list[Ticket]:
    sql = "SELECT * FROM tickets WHERE status = 'closed' AND resume_pending = 1"
    params: list[Any] = []
    if user_id is not None:
        sql += " AND user_id = ?"
        params.append(user_id)
    return [Ticket.from_row(r) for r in db.query(sql + " ORDER BY id", params)]


def remember_message(
    db: Database, ticket_id: int, ops_chat_id: int, ops_message_id: int, kind: str, when: datetime
) -> None:
    with db.conn:
        db.table("ticket_messages").insert(
            {
                "ops_chat_id": ops_chat_id,
                "ops_message_id": ops_message_id,
                "ticket_id": ticket_id,
                "kind": kind,
                "created_at": when.isoformat(),
            },
            pk=("ops_chat_id", "ops_message_id"),
            replace=True,
        )


def by_ops_message(db: Database, ops_chat_id: int, ops_message_id: int) -> Ticket | None:
    return _one(
        db,
        "SELECT t.* FROM tickets t JOIN ticket_messages m ON m.ticket_id = t.id "
        "WHERE m.ops_chat_id = ? AND m.ops_message_id = ?",
        [ops_chat_id, ops_message_id],
    )


def by_thread(db: Database, ops_chat_id: int, thread_id: int) -> Ticket | None:
    """The ticket of a forum topic (the newest one, should a topic ever be reused)."""
    return _one(
        db,
        "SELECT * FROM tickets WHERE ops_chat_id = ? AND thread_id = ? ORDER BY id DESC LIMIT 1",
        [ops_chat_id, thread_id],
    )


# --- activity and statistics -------------------------------------------------------------


def record_activity(db: Database, user_id: int, when: datetime) -> None:
    day = when.date().isoformat()
    with db.conn:
        db.execute(
            "INSERT INTO activity (day, user_id, messages, last_at) VALUES (?, ?, 1, ?) "
            "ON CONFLICT(day, user_id) DO UPDATE SET messages = messages + 1, last_at = excluded.last_at",
            [day, user_id, when.isoformat()],
        )


def _count(db: Database, sql: str, params: list[Any]) -> int:
    return int(db.execute(sql, params).fetchone()[0])


def conversations_on(db: Database, day: str) -> int:
    """Workers who wrote to the bot on ``day`` (``YYYY-MM-DD``, Ningbo)."""
    return _count(db, "SELECT COUNT(*) FROM activity WHERE day = ?", [day])


def handoffs_on(db: Database, day: str) -> int:
    return _count(db, "SELECT COUNT(*) FROM tickets WHERE substr(opened_at, 1, 10) = ?", [day])


def open_count(db: Database) -> int:
    return _count(db, "SELECT COUNT(*) FROM tickets WHERE status = 'open'", [])
