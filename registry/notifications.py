"""The notifications outbox: messages for a worker who is not talking to the bot now.

A waiting-list promotion happens while *another* worker cancels (or deletes their data,
or staff raise a course's capacity), so the promoted worker must be told later. The
registry writes the message here in the same transaction as the promotion; the front end
(``bot/``) polls the outbox, sends each message to the worker's chat and marks it
delivered::

    from registry import registry, pending_notifications, mark_notification_delivered

    with registry() as db:
        for note in pending_notifications(db):
            if note.sender_id.startswith("tg-"):
                await bot.send_message(int(note.sender_id[3:]), note.text)
            mark_notification_delivered(db, note.id)

Delivery is at least once: mark a message only after sending it. A worker who deletes
their data loses their undelivered messages with it.
"""

from __future__ import annotations

from sqlite_utils import Database

from common.clock import Clock
from registry.database import now, write_transaction
from registry.models import Notification, Promotion

__all__ = [
    "insert_notification",
    "mark_notification_delivered",
    "pending_notifications",
    "promotion_text",
    "queue_notification",
]


def promotion_text(promotion: Promotion) -> str:
    """What a worker reads when they get a seat from the waiting list."""
    return (
        f"好消息 🎉 您候补的「{promotion.course_name}」有名额了，已自动转为正式报名，"
        f"报名号 {promotion.enrollment_no}。\n"
        "如果不能参加，请发“我的报名”取消，把名额让给其他职工。"
    )


def insert_notification(db: Database, sender_id: str, text: str, *, kind: str, ref: str | None, stamp: str) -> int:
    """Write one outbox row in the caller's open transaction; returns its id."""
    if not sender_id:
        raise ValueError("sender_id is required")
    if not text or not text.strip():
        raise ValueError("text is required")
    cursor = db.execute(
        "INSERT INTO notifications (sender_id, kind, ref, text, created_at) VALUES (?, ?, ?, ?, ?)",
        [sender_id, kind, ref, text.strip(), stamp],
    )
    return int(cursor.lastrowid or 0)


def queue_notification(
    db: Database,
    sender_id: str,
    text: str,
    *,
    kind: str = "message",
    ref: str | None = None,
    clock: Clock | None = None,
) -> int:
    """Put a message for ``sender_id`` in the outbox; returns its id.

    Inside an open transaction (e.g. the one promoting a waiting worker) the message
    commits or rolls back with it; otherwise it is written in a transaction of its own.
    """
    stamp = now(clock)
    if db.conn.in_transaction:
        return insert_notification(db, sender_id, text, kind=kind, ref=ref, stamp=stamp)
    with write_transaction(db):
        return insert_notification(db, sender_id, text, kind=kind, ref=ref, stamp=stamp)


def pending_notifications(db: Database, limit: int = 100, sender_id: str | None = None) -> list[Notification]:
    """Undelivered messages, oldest first (optionally only one worker's)."""
    where, params = "delivered_at IS NULL", []
    if sender_id is not None:
        where += " AND sender_id = ?"
        params.append(sender_id)
    rows = db.query(f"SELECT * FROM notifications WHERE {where} ORDER BY id LIMIT ?", [*params, int(limit)])
    return [Notification.from_row(row) for row in rows]


def mark_notification_delivered(db: Database, notification_id: int, *, clock: Clock | None = None) -> bool:
    """Record that a message was sent; False if it was unknown or already delivered."""
    stamp = now(clock)
    with write_transaction(db):
        cursor = db.execute(
            "UPDATE notifications SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
            [stamp, int(notification_id)],
        )
        return cursor.rowcount == 1
