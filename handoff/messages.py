"""A ticket's conversation, and the outbox of what must reach the worker.

Every message of a hand-off is kept with its ticket (``handoff_messages``): what the worker
wrote (numbers masked, :func:`common.privacy.redact`), the operators' replies and notes,
and what the bot told the worker. The console's inbox and the WeChat front end read the
same rows; a ticket's transcript is deleted with it (retention, 删除我的数据).

An operator's reply is stored once per ``source`` (``tg:<chat>:<message id>`` for Telegram):
when a webhook is delivered twice — to two front ends, or again after a front end died —
the second copy finds the first and is not sent again. The reply is queued in
``handoff_outbox`` in the same transaction; the worker's channel front end claims it with a
lease and sends it (:mod:`common.outbox`: once, in order, and what a crash means).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from common import outbox
from common.database import Database, retrying
from common.privacy import redact
from handoff.models import Direction, Message, OutboxItem, Ticket

__all__ = [
    "OUTBOX",
    "OperatorReply",
    "add_message",
    "add_operator_reply",
    "add_worker_message",
    "claim_for_client",
    "claim_outbox",
    "drained_by_front_end",
    "give_up_outbox",
    "mark_outbox_delivered",
    "queue_for_worker",
    "release_outbox",
    "renew_outbox",
    "ticket_messages",
    "undelivered_for_ticket",
]

OUTBOX = "handoff_outbox"
MAX_TEXT = 4000
#: Conversations whose channel has a front end of its own that drains the outbox (``bot/``
#: ``tg-``, ``wechat/`` ``wx-``) and pushes to the worker. Every other conversation is a
#: client of Rasa's REST channel, which hands the worker's items over in its responses
#: (:func:`claim_for_client`).
FRONT_END_PREFIXES = ("tg-", "wx-")


def _at(moment: datetime) -> str:
    return moment.isoformat()


def add_message(
    db: Database,
    ticket_id: int,
    direction: Direction,
    text: str,
    *,
    now: datetime,
    author: str | None = None,
    source: str | None = None,
) -> int | None:
    """Keep one message of the ticket's conversation; its id, or None when ``source`` was
    stored already (a duplicate delivery)."""
    return db.scalar(
        "INSERT INTO handoff_messages (ticket_id, direction, author, text, source, created_at) "
        "VALUES (:ticket, :direction, :author, :text, :source, :now) ON CONFLICT DO NOTHING RETURNING id",
        {
            "ticket": int(ticket_id),
            "direction": direction,
            "author": author,
            "text": (text or "")[:MAX_TEXT],
            "source": source,
            "now": _at(now),
        },
    )


@retrying
def add_worker_message(
    db: Database, ticket_id: int, text: str, *, now: datetime, source: str | None = None
) -> int | None:
    """What the worker wrote during the ticket, numbers masked as the operators saw it."""
    return add_message(db, ticket_id, "from_worker", redact(text), now=now, author="worker", source=source)


def queue_for_worker(
    db: Database, ticket: Ticket, *, kind: str, text: str, now: datetime, payload: dict[str, Any] | None = None
) -> int:
    """Put something for the ticket's worker in the outbox (inside the caller's
    transaction, or one of its own); its id."""
    return int(
        db.scalar(
            "INSERT INTO handoff_outbox (ticket_id, sender_id, kind, text, payload, created_at) "
            "VALUES (:ticket, :sender, :kind, :text, :payload, :now) RETURNING id",
            {
                "ticket": ticket.id,
                "sender": ticket.sender_id,
                "kind": kind,
                "text": (text or "")[:MAX_TEXT],
                "payload": json.dumps(payload, ensure_ascii=False) if payload else None,
                "now": outbox._at(now),
            },
        )
    )


@dataclass(frozen=True)
class OperatorReply:
    message_id: int
    outbox_id: int


@retrying
def add_operator_reply(
    db: Database,
    ticket: Ticket,
    text: str,
    *,
    author: str,
    now: datetime,
    source: str | None = None,
    payload: dict[str, Any] | None = None,
) -> OperatorReply | None:
    """An operator answered: keep it and queue it for the worker, in one transaction.
    None if this ``source`` was stored already (the same reply delivered twice)."""
    with db.transaction():
        message_id = add_message(db, ticket.id, "to_worker", text, now=now, author=author, source=source)
        if message_id is None:
            return None
        outbox_id = queue_for_worker(db, ticket, kind="operator_reply", text=text, now=now, payload=payload)
    return OperatorReply(int(message_id), outbox_id)


@retrying
def undelivered_for_ticket(db: Database, ticket_id: int) -> list[int]:
    """Outbox items of a ticket not delivered (nor given up) yet, oldest first."""
    rows = db.execute(
        "SELECT id FROM handoff_outbox WHERE ticket_id = :id AND delivered_at IS NULL AND failed_at IS NULL "
        "ORDER BY id",
        {"id": int(ticket_id)},
    )
    return [int(row[0]) for row in rows]


@retrying
def ticket_messages(db: Database, ticket_id: int) -> list[Message]:
    rows = db.query("SELECT * FROM handoff_messages WHERE ticket_id = :id ORDER BY id", {"id": int(ticket_id)})
    return [Message.from_row(row) for row in rows]


# ---------------------------------------------------------------- the outbox


@retrying
def claim_outbox(
    db: Database,
    owner: str,
    now: datetime,
    *,
    prefixes: tuple[str, ...] = (),
    limit: int = 50,
    lease: timedelta = outbox.LEASE,
    only: int | None = None,
) -> list[OutboxItem]:
    """Claim what is due for the workers of ``prefixes`` (``("tg-",)``), the oldest of each
    worker first; ``only``: just that one item (a front end delivering the reply it has
    just stored), if it is due and nothing older of that worker is waiting."""
    rows = outbox.claim(db, OUTBOX, owner, now, prefixes=prefixes, limit=limit, lease=lease, only=only)
    return [OutboxItem.from_row(row) for row in rows]


@retrying
def renew_outbox(db: Database, item_id: int, owner: str, now: datetime, lease: timedelta = outbox.LEASE) -> bool:
    return outbox.renew(db, OUTBOX, item_id, owner, now, lease)


@retrying
def mark_outbox_delivered(db: Database, item_id: int, now: datetime) -> bool:
    return outbox.mark_delivered(db, OUTBOX, item_id, now)


@retrying
def release_outbox(db: Database, item_id: int, owner: str, error: str, retry_at: datetime) -> bool:
    return outbox.release(db, OUTBOX, item_id, owner, error, retry_at)


@retrying
def give_up_outbox(db: Database, item_id: int, error: str, now: datetime) -> bool:
    return outbox.give_up(db, OUTBOX, item_id, error, now)


def drained_by_front_end(sender_id: str) -> bool:
    """True when a channel front end (not the REST channel) delivers this worker's items."""
    return sender_id.startswith(FRONT_END_PREFIXES)


@retrying
def claim_for_client(
    db: Database, sender_id: str, owner: str, now: datetime, *, lease: timedelta = outbox.LEASE, limit: int = 20
) -> list[OutboxItem]:
    """What is waiting for one worker whose client fetches it (the REST channel: in the
    reply to their next message, or when the client polls), oldest first, claimed for
    ``owner`` with a lease; the caller marks each delivered once it is in the response.

    REST is request/response: the worker's client is reachable only while it asks. Two
    replicas answering the same worker at once cannot both hand an item over: claims of
    this table are serialised (the lock :mod:`common.outbox` takes), and while any of the
    worker's items is leased (to any request) none is claimable here — so the worker's
    items also arrive in order. A lease that ran out (the replica died before marking)
    makes the items claimable again: delivered at least once."""
    if drained_by_front_end(sender_id):
        return []
    # Most turns have nothing waiting: a read (no write lock) says so.
    if not db.scalar(
        "SELECT 1 FROM handoff_outbox WHERE sender_id = :sender AND delivered_at IS NULL AND failed_at IS NULL LIMIT 1",
        {"sender": sender_id},
    ):
        return []
    taken = outbox.claim_waiting(db, OUTBOX, sender_id, owner, now, lease=lease, limit=limit)
    return [OutboxItem.from_row(row) for row in taken]
