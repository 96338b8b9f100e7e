"""The notifications outbox: messages for a worker who is not talking to the bot now.

A waiting-list promotion happens while *another* worker cancels (or deletes their data,
or staff raise a course's capacity), so the promoted worker must be told later. The
registry writes the message here in the same transaction as the promotion; the front
ends deliver it. Several front ends (Telegram in webhook mode behind a load balancer, a
WeChat front end later) share the outbox through claims with a lease
(:mod:`common.outbox`)::

    from registry import registry, claim_notifications, renew_notification, mark_notification_delivered

    with registry() as db:
        for note in claim_notifications(db, "frontend-1", prefixes=("tg-",)):
            if renew_notification(db, note.id, "frontend-1"):     # still ours: send it
                await bot.send_message(int(note.sender_id[3:]), note.text)
                mark_notification_delivered(db, note.id)

Only the oldest undelivered message of each worker is claimable, so their messages arrive
in order. A send that fails is released for a later attempt
(:func:`release_notification`); one that can never succeed is given up
(:func:`give_up_notification`) and stays in the table, undelivered, with the reason. What a
front end dying in the middle means is in :mod:`common.outbox`. A worker who deletes their
data loses their undelivered messages with it; delivered ones are deleted by the retention
task (:func:`forget_delivered_notifications`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from common import outbox
from common.clock import Clock, default_clock
from common.database import retrying
from registry.database import Database, now, write_transaction
from registry.models import Notification, Promotion

__all__ = [
    "claim_notifications",
    "forget_delivered_notifications",
    "give_up_notification",
    "insert_notification",
    "mark_notification_delivered",
    "pending_notifications",
    "promotion_text",
    "queue_notification",
    "release_notification",
    "renew_notification",
]

TABLE = "notifications"


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
    return int(
        db.scalar(
            "INSERT INTO notifications (sender_id, kind, ref, text, created_at) "
            "VALUES (:sender, :kind, :ref, :text, :stamp) RETURNING id",
            {"sender": sender_id, "kind": kind, "ref": ref, "text": text.strip(), "stamp": stamp},
        )
    )


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
    if db.in_transaction:
        return insert_notification(db, sender_id, text, kind=kind, ref=ref, stamp=stamp)
    with write_transaction(db):
        return insert_notification(db, sender_id, text, kind=kind, ref=ref, stamp=stamp)


@retrying
def pending_notifications(db: Database, limit: int = 100, sender_id: str | None = None) -> list[Notification]:
    """Undelivered messages (given-up ones included), oldest first (optionally only one
    worker's). A look for staff and tests; front ends claim (:func:`claim_notifications`)."""
    where, params = "delivered_at IS NULL", {"limit": int(limit)}
    if sender_id is not None:
        where += " AND sender_id = :sender"
        params["sender"] = sender_id  # type: ignore[assignment]
    rows = db.query(f"SELECT * FROM notifications WHERE {where} ORDER BY id LIMIT :limit", params)
    return [Notification.from_row(row) for row in rows]


def _moment(clock: Clock | None) -> datetime:
    return (clock or default_clock()).now()


@retrying
def claim_notifications(
    db: Database,
    owner: str,
    *,
    prefixes: tuple[str, ...] = (),
    limit: int = 50,
    lease: timedelta = outbox.LEASE,
    clock: Clock | None = None,
) -> list[Notification]:
    """Claim up to ``limit`` messages for ``owner`` (a front end): the oldest undelivered
    one of each worker whose ``sender_id`` starts with one of ``prefixes`` (all if empty)."""
    rows = outbox.claim(db, TABLE, owner, _moment(clock), prefixes=prefixes, limit=limit, lease=lease)
    return [Notification.from_row(row) for row in rows]


@retrying
def renew_notification(
    db: Database, notification_id: int, owner: str, *, lease: timedelta = outbox.LEASE, clock: Clock | None = None
) -> bool:
    """Right before sending: extend ``owner``'s claim. False: not ours any more (the lease
    ran out and another front end took it) or already delivered — do not send."""
    return outbox.renew(db, TABLE, notification_id, owner, _moment(clock), lease)


@retrying
def mark_notification_delivered(db: Database, notification_id: int, *, clock: Clock | None = None) -> bool:
    """Record that a message was sent; False if it was unknown or already delivered."""
    return outbox.mark_delivered(db, TABLE, notification_id, _moment(clock))


@retrying
def release_notification(db: Database, notification_id: int, owner: str, error: str, retry_at: datetime) -> bool:
    """A send failed: another attempt (by any front end) from ``retry_at`` on."""
    return outbox.release(db, TABLE, notification_id, owner, error, retry_at)


@retrying
def give_up_notification(db: Database, notification_id: int, error: str, *, clock: Clock | None = None) -> bool:
    """Never deliverable (not a chat any front end knows): stop trying, keep the reason."""
    return outbox.give_up(db, TABLE, notification_id, error, _moment(clock))


@retrying
def forget_delivered_notifications(db: Database, before: str) -> int:
    """Retention: delete messages delivered (or given up) before ``before`` (a stamp as
    written in ``*_at``); returns how many."""
    result = db.execute(
        "DELETE FROM notifications WHERE (delivered_at IS NOT NULL AND delivered_at < :before) "
        "OR (failed_at IS NOT NULL AND failed_at < :before)",
        {"before": before},
    )
    return result.rowcount
