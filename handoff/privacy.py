"""A worker's hand-offs: their copy (导出我的数据), forgetting them (删除我的数据), and
forgetting everyone's old ones (retention)."""

from __future__ import annotations

from typing import Any

from common.database import Database, retrying

__all__ = ["export_sender", "forget_closed_before", "forget_sender"]


@retrying
def export_sender(db: Database, sender_id: str) -> dict[str, Any]:
    """Every ticket of ``sender_id`` with its transcript, its messages (both directions)
    and what was queued for the worker, as JSON-ready rows. One read transaction."""
    with db.transaction(write=False):
        tickets = db.query(
            "SELECT id, reason, status, opened_at, posted_at, answered_at, closed_at, closed_by, transcript "
            "FROM handoff_tickets WHERE sender_id = :sender ORDER BY id",
            {"sender": sender_id},
        )
        for ticket in tickets:
            ticket["messages"] = db.query(
                "SELECT direction, author, text, created_at FROM handoff_messages WHERE ticket_id = :id ORDER BY id",
                {"id": ticket["id"]},
            )
        queued = db.query(
            "SELECT ticket_id, kind, text, created_at, delivered_at FROM handoff_outbox "
            "WHERE sender_id = :sender ORDER BY id",
            {"sender": sender_id},
        )
    return {"tickets": tickets, "messages_to_you": queued}


@retrying
def forget_sender(db: Database, sender_id: str) -> dict[str, int]:
    """删除我的数据: every ticket of the worker (transcripts, messages) and everything
    queued for them, in one transaction; how many rows of each. A live ticket goes too
    (the worker is talking to the bot, or they could not have asked)."""
    mine = {"sender": sender_id}
    with db.transaction():
        outbox = db.execute("DELETE FROM handoff_outbox WHERE sender_id = :sender", mine).rowcount
        messages = db.execute(
            "DELETE FROM handoff_messages WHERE ticket_id IN "
            "(SELECT id FROM handoff_tickets WHERE sender_id = :sender)",
            mine,
        ).rowcount
        tickets = db.execute("DELETE FROM handoff_tickets WHERE sender_id = :sender", mine).rowcount
    db.checkpoint()
    return {"tickets": tickets, "messages": messages, "outbox": outbox}


@retrying
def forget_closed_before(db: Database, before: str) -> dict[str, int]:
    """Retention: tickets closed before ``before`` (an ISO time), with their
    messages, and delivered or given-up outbox items older than that."""
    cutoff = {"before": before}
    with db.transaction():
        old = "SELECT id FROM handoff_tickets WHERE status = 'closed' AND COALESCE(closed_at, opened_at) < :before"
        outbox = db.execute(
            f"DELETE FROM handoff_outbox WHERE ticket_id IN ({old}) "
            "OR (delivered_at IS NOT NULL AND delivered_at < :before) "
            "OR (failed_at IS NOT NULL AND failed_at < :before)",
            cutoff,
        ).rowcount
        messages = db.execute(f"DELETE FROM handoff_messages WHERE ticket_id IN ({old})", cutoff).rowcount
        tickets = db.execute(
            "DELETE FROM handoff_tickets WHERE status = 'closed' AND COALESCE(closed_at, opened_at) < :before", cutoff
        ).rowcount
    db.checkpoint()
    return {"tickets": tickets, "messages": messages, "outbox": outbox}
