"""A ticket's life: asked for (``pending``), in front of the operators (``open``), closed.

The front end of the worker's channel decides *when* (a hand-off payload from Rasa,
``/human``) and does the channel's part (posting to the operators' chat, pausing Rasa); this
module keeps the state every front end shares. Each change is one statement or one
transaction guarded by the status it expects, so two front ends (or a front end and the
console) acting on one ticket at once cannot both close it, both post it, or open a second
one for the same worker.

Why ``pending`` (issue #17, item 4): posting can fail in many ways (Telegram down, an answer
the client cannot parse, a missing right). A pending ticket is not a hand-off: the worker
stays with the bot and is told so; the front end retries posting (:func:`claim_unposted`)
until the operators' chat is back, and only a posted ticket opens.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from common.database import Database, retrying
from common.outbox import LEASE
from handoff.messages import queue_for_worker
from handoff.models import Ticket

__all__ = [
    "TicketAlreadyOpen",
    "cancel_request",
    "channel_of",
    "claim_unposted",
    "close_ticket",
    "defer_posting",
    "get_ticket",
    "list_tickets",
    "live_ticket",
    "mark_answered",
    "mark_posted",
    "open_count",
    "open_ticket_of",
    "pending_resumes",
    "request_ticket",
    "resume_recorded",
    "set_paused",
    "tickets_opened_on",
]


class TicketAlreadyOpen(RuntimeError):
    """The worker already has a live (pending or open) ticket."""


def _at(moment: datetime) -> str:
    return moment.isoformat()


def channel_of(sender_id: str) -> str:
    """``tg-123`` → ``tg``: the channel a conversation id belongs to."""
    prefix, dash, _ = sender_id.partition("-")
    return prefix if dash and prefix else "other"


def _one(db: Database, where: str, params: dict[str, object]) -> Ticket | None:
    row = db.one(f"SELECT * FROM handoff_tickets WHERE {where}", params)
    return Ticket.from_row(row) if row else None


@retrying
def get_ticket(db: Database, ticket_id: int) -> Ticket | None:
    return _one(db, "id = :id", {"id": int(ticket_id)})


@retrying
def live_ticket(db: Database, sender_id: str) -> Ticket | None:
    """The worker's pending or open ticket, if any."""
    return _one(db, "sender_id = :sender AND status IN ('pending', 'open')", {"sender": sender_id})


@retrying
def open_ticket_of(db: Database, sender_id: str) -> Ticket | None:
    """The worker's open ticket (the operators have it): their messages go there."""
    return _one(db, "sender_id = :sender AND status = 'open'", {"sender": sender_id})


@retrying
def request_ticket(
    db: Database,
    *,
    sender_id: str,
    display_name: str,
    reason: str,
    staffed: bool,
    now: datetime,
    transcript: str = "",
    owner: str | None = None,
    lease: timedelta = LEASE,
) -> Ticket:
    """A new ``pending`` ticket. Raises :class:`TicketAlreadyOpen` if the worker has a live
    one (the database's unique index decides, so two front ends cannot both make one).
    ``owner``: the front end posting it now (others' retries leave it alone meanwhile)."""
    if not sender_id:
        raise ValueError("sender_id is required")
    row = db.one(
        "INSERT INTO handoff_tickets (sender_id, channel, display_name, reason, status, opened_at, staffed, "
        "transcript, post_claimed_by, post_claimed_until) "
        "SELECT :sender, :channel, :name, :reason, 'pending', :now, :staffed, :transcript, :owner, :until "
        "WHERE NOT EXISTS (SELECT 1 FROM handoff_tickets WHERE sender_id = :sender "
        "AND status IN ('pending', 'open')) "
        "ON CONFLICT DO NOTHING RETURNING *",
        {
            "sender": sender_id,
            "channel": channel_of(sender_id),
            "name": display_name,
            "reason": reason,
            "now": _at(now),
            "staffed": int(bool(staffed)),
            "transcript": transcript,
            "owner": owner,
            "until": _at(now + lease) if owner else None,
        },
    )
    if row is None:
        raise TicketAlreadyOpen(sender_id)
    return Ticket.from_row(row)


@retrying
def mark_posted(db: Database, ticket_id: int, now: datetime, *, transcript: str | None = None) -> Ticket | None:
    """The operators have it: ``pending`` → ``open``. None if it was not pending (cancelled
    meanwhile, or posted by another front end)."""
    row = db.one(
        "UPDATE handoff_tickets SET status = 'open', posted_at = :now, post_claimed_by = NULL, "
        "post_claimed_until = NULL, last_error = NULL, transcript = COALESCE(:transcript, transcript) "
        "WHERE id = :id AND status = 'pending' RETURNING *",
        {"now": _at(now), "id": int(ticket_id), "transcript": transcript},
    )
    return Ticket.from_row(row) if row else None


@retrying
def defer_posting(db: Database, ticket_id: int, error: str, retry_at: datetime) -> Ticket | None:
    """Posting failed: stay ``pending``, try again from ``retry_at`` (any front end)."""
    row = db.one(
        "UPDATE handoff_tickets SET post_attempts = post_attempts + 1, next_post_at = :retry, "
        "last_error = :error, post_claimed_by = NULL, post_claimed_until = NULL "
        "WHERE id = :id AND status = 'pending' RETURNING *",
        {"retry": _at(retry_at), "error": error[:500], "id": int(ticket_id)},
    )
    return Ticket.from_row(row) if row else None


@retrying
def claim_unposted(
    db: Database,
    owner: str,
    now: datetime,
    *,
    channel: str,
    limit: int = 10,
    lease: timedelta = LEASE,
) -> list[Ticket]:
    """Pending tickets of ``channel`` due for another posting attempt, claimed for
    ``owner`` until the lease ends (another front end skips them meanwhile)."""
    params = {"now": _at(now), "channel": channel, "limit": int(limit)}
    claimed = []
    with db.transaction():
        rows = db.query(
            "SELECT id FROM handoff_tickets WHERE status = 'pending' AND channel = :channel "
            "AND (next_post_at IS NULL OR next_post_at <= :now) "
            "AND (post_claimed_until IS NULL OR post_claimed_until < :now) ORDER BY id LIMIT :limit",
            params,
        )
        for row in rows:
            updated = db.one(
                "UPDATE handoff_tickets SET post_claimed_by = :owner, post_claimed_until = :until "
                "WHERE id = :id AND status = 'pending' AND (post_claimed_until IS NULL OR post_claimed_until < :now) "
                "RETURNING *",
                {"owner": owner, "until": _at(now + lease), "id": row["id"], "now": _at(now)},
            )
            if updated:
                claimed.append(Ticket.from_row(updated))
    return claimed


@retrying
def cancel_request(db: Database, ticket_id: int, now: datetime, *, closed_by: str = "system") -> Ticket | None:
    """Give up a ``pending`` ticket (the worker withdrew, or it could not be posted for too
    long). None if it was not pending."""
    row = db.one(
        "UPDATE handoff_tickets SET status = 'closed', closed_at = :now, closed_by = :by, "
        "post_claimed_by = NULL, post_claimed_until = NULL WHERE id = :id AND status = 'pending' RETURNING *",
        {"now": _at(now), "by": closed_by, "id": int(ticket_id)},
    )
    return Ticket.from_row(row) if row else None


@retrying
def close_ticket(
    db: Database,
    ticket_id: int,
    *,
    closed_by: str,
    now: datetime,
    notice: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Ticket | None:
    """Close an open ticket (None if it was not open: closed twice, by two operators).
    The conversation must be resumed in Rasa (``resume_pending``); ``notice``, if given, is
    queued for the worker in the same transaction (the console closes tickets too, and the
    worker's front end tells them), with ``payload`` for that front end."""
    with db.transaction():
        row = db.one(
            "UPDATE handoff_tickets SET status = 'closed', closed_at = :now, closed_by = :by, resume_pending = 1 "
            "WHERE id = :id AND status = 'open' RETURNING *",
            {"now": _at(now), "by": closed_by, "id": int(ticket_id)},
        )
        if row is None:
            return None
        ticket = Ticket.from_row(row)
        if notice:
            queue_for_worker(db, ticket, kind="closed", text=notice, now=now, payload=payload)
    return ticket


@retrying
def set_paused(db: Database, ticket_id: int, paused: bool = True) -> None:
    db.execute("UPDATE handoff_tickets SET paused = :p WHERE id = :id", {"p": int(paused), "id": int(ticket_id)})


@retrying
def resume_recorded(db: Database, ticket_id: int) -> None:
    """The resume event reached Rasa."""
    db.execute("UPDATE handoff_tickets SET resume_pending = 0 WHERE id = :id", {"id": int(ticket_id)})


@retrying
def pending_resumes(
    db: Database, sender_id: str | None = None, *, channel: str | None = None, closed_before: datetime | None = None
) -> list[Ticket]:
    """Closed tickets whose conversation is not resumed in Rasa yet.

    ``closed_before`` leaves the recent closes to whoever closed them (the periodic sweep of
    every front end would otherwise post the same resume while the closer is posting it)."""
    where, params = "status = 'closed' AND resume_pending = 1", {}
    if closed_before is not None:
        where += " AND closed_at < :before"
        params["before"] = _at(closed_before)
    if sender_id is not None:
        where += " AND sender_id = :sender"
        params["sender"] = sender_id
    if channel is not None:
        where += " AND channel = :channel"
        params["channel"] = channel
    return [Ticket.from_row(r) for r in db.query(f"SELECT * FROM handoff_tickets WHERE {where} ORDER BY id", params)]


@retrying
def mark_answered(db: Database, ticket_id: int, now: datetime) -> None:
    db.execute(
        "UPDATE handoff_tickets SET answered_at = :now WHERE id = :id AND answered_at IS NULL",
        {"now": _at(now), "id": int(ticket_id)},
    )


@retrying
def list_tickets(db: Database, status: str = "open", *, channel: str | None = None) -> list[Ticket]:
    where, params = "status = :status", {"status": status}
    if channel is not None:
        where += " AND channel = :channel"
        params["channel"] = channel
    return [Ticket.from_row(r) for r in db.query(f"SELECT * FROM handoff_tickets WHERE {where} ORDER BY id", params)]


@retrying
def open_count(db: Database) -> int:
    return int(db.scalar("SELECT COUNT(*) FROM handoff_tickets WHERE status = 'open'"))


@retrying
def tickets_opened_on(db: Database, day: str) -> int:
    """Hand-offs asked for on ``day`` (``YYYY-MM-DD``, Ningbo), posted or not."""
    return int(db.scalar("SELECT COUNT(*) FROM handoff_tickets WHERE substr(opened_at, 1, 10) = :day", {"day": day}))
