"""What the console's operators' inbox needs from the hand-off store: the queue (first come
first served), a reply that only goes to a ticket still open, and the period figures of
the dashboard.

A reply from the web is the same as a reply in the Telegram topic: one message row and
one outbox item in one transaction (:func:`handoff.add_operator_reply`'s rows); the
worker's own front end (``tg-`` the Telegram one, ``wx-`` the WeChat one) delivers it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from common.database import Database, retrying
from handoff.messages import add_message, queue_for_worker
from handoff.models import Ticket
from handoff.tickets import get_ticket

__all__ = ["WebReply", "handoff_period", "inbox_tickets", "reply_if_open"]


@retrying
def inbox_tickets(db: Database, state: str = "open", *, limit: int = 200) -> list[Ticket]:
    """``open``: the tickets with the operators and those still being posted (``pending``),
    oldest request first — what came in overnight is answered in arrival order.
    ``closed``: the most recently closed first."""
    if state == "closed":
        sql = "SELECT * FROM handoff_tickets WHERE status = 'closed' ORDER BY closed_at DESC, id DESC LIMIT :limit"
    else:
        sql = "SELECT * FROM handoff_tickets WHERE status IN ('open', 'pending') ORDER BY opened_at, id LIMIT :limit"
    return [Ticket.from_row(r) for r in db.query(sql, {"limit": int(limit)})]


@dataclass(frozen=True)
class WebReply:
    """``status``: ``sent`` (queued for the worker), ``duplicate`` (this ``source`` was
    stored already: the same form sent twice) or ``not_open`` (closed meanwhile)."""

    status: str
    ticket: Ticket | None = None
    outbox_id: int | None = None


@retrying
def reply_if_open(
    db: Database,
    ticket_id: int,
    text: str,
    *,
    author: str,
    now: datetime,
    source: str,
    payload: dict[str, Any] | None = None,
) -> WebReply:
    """An operator's reply from the console, stored and queued only while the ticket is
    open (under its row lock, so a close in Telegram at the same moment wins or loses
    cleanly), and the ticket marked answered on its first reply. ``payload``: for the
    worker's front end (the console's ``{"mirror": "console", …}``)."""
    with db.transaction():
        if not db.lock_row("handoff_tickets", "id", int(ticket_id)):
            return WebReply("not_open")
        ticket = get_ticket(db, ticket_id)
        if ticket is None or not ticket.is_open:
            return WebReply("not_open", ticket)
        message_id = add_message(db, ticket.id, "to_worker", text, now=now, author=author, source=source)
        if message_id is None:
            return WebReply("duplicate", ticket)
        outbox_id = queue_for_worker(db, ticket, kind="operator_reply", text=text, now=now, payload=payload)
        db.execute(
            "UPDATE handoff_tickets SET answered_at = :now WHERE id = :id AND answered_at IS NULL",
            {"now": now.isoformat(), "id": ticket.id},
        )
    return WebReply("sent", get_ticket(db, ticket.id), outbox_id)


@retrying
def handoff_period(db: Database, since: str, until: str) -> dict[str, object]:
    """Hand-offs asked for per day from ``since`` to ``until`` (``YYYY-MM-DD``) and the
    median minutes from the request to the first operator reply (None: none answered)."""
    rows = db.query(
        "SELECT opened_at, answered_at FROM handoff_tickets WHERE substr(opened_at, 1, 10) BETWEEN :since AND :until",
        {"since": since, "until": until},
    )
    per_day: dict[str, int] = {}
    waits: list[float] = []
    for row in rows:
        day = str(row["opened_at"])[:10]
        per_day[day] = per_day.get(day, 0) + 1
        if row["answered_at"]:
            opened = datetime.fromisoformat(str(row["opened_at"]))
            answered = datetime.fromisoformat(str(row["answered_at"]))
            waits.append(max((answered - opened).total_seconds() / 60, 0.0))
    return {
        "per_day": per_day,
        "answered": len(waits),
        "median_minutes": statistics.median(waits) if waits else None,
    }
