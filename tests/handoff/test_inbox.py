"""The console inbox's functions (handoff/inbox.py): the queue in arrival order, a web
reply that reaches the worker's outbox once and never a closed ticket, the period figures."""

from __future__ import annotations

from datetime import timedelta

from common.clock import FixedClock
from common.database import Database
from handoff import (
    claim_outbox,
    close_ticket,
    handoff_period,
    inbox_tickets,
    mark_posted,
    reply_if_open,
    request_ticket,
    ticket_messages,
)


def _open(db: Database, clock: FixedClock, sender: str, *, staffed: bool = True):
    ticket = request_ticket(
        db, sender_id=sender, display_name="张 三", reason="request_human", staffed=staffed, now=clock.now()
    )
    return mark_posted(db, ticket.id, clock.now())


def test_overnight_tickets_come_first_come_first_served(db: Database, clock: FixedClock) -> None:
    late = _open(db, clock, "wx-b", staffed=False)
    clock.advance(hours=2)
    early_pending = request_ticket(
        db, sender_id="tg-1", display_name="李 四", reason="fallback", staffed=False, now=clock.now()
    )
    clock.advance(hours=1)
    third = _open(db, clock, "tg-2")
    assert [t.id for t in inbox_tickets(db)] == [late.id, early_pending.id, third.id]
    close_ticket(db, late.id, closed_by="console:staff1", now=clock.now())
    clock.advance(minutes=1)
    close_ticket(db, third.id, closed_by="operator:9", now=clock.now())
    assert [t.id for t in inbox_tickets(db, "closed")] == [third.id, late.id]
    assert [t.id for t in inbox_tickets(db)] == [early_pending.id]


def test_a_web_reply_is_queued_once_for_the_workers_channel(db: Database, clock: FixedClock) -> None:
    ticket = _open(db, clock, "wx-openid1")
    clock.advance(minutes=7)
    sent = reply_if_open(
        db, ticket.id, "您好，补贴下月发放。", author="console:王芳", now=clock.now(), source="console:1"
    )
    again = reply_if_open(
        db, ticket.id, "您好，补贴下月发放。", author="console:王芳", now=clock.now(), source="console:1"
    )
    assert sent.status == "sent" and again.status == "duplicate"
    assert sent.ticket is not None and sent.ticket.answered_at is not None
    assert [m.text for m in ticket_messages(db, ticket.id)] == ["您好，补贴下月发放。"]
    assert claim_outbox(db, "tg-frontend", clock.now(), prefixes=("tg-",)) == []
    items = claim_outbox(db, "wx-frontend", clock.now(), prefixes=("wx-",))
    assert [(i.kind, i.text) for i in items] == [("operator_reply", "您好，补贴下月发放。")]
    figures = handoff_period(db, "2026-11-01", "2026-11-30")
    assert figures["per_day"] == {"2026-11-16": 1} and figures["median_minutes"] == 7


def test_no_reply_reaches_a_closed_ticket(db: Database, clock: FixedClock) -> None:
    ticket = _open(db, clock, "tg-5")
    close_ticket(db, ticket.id, closed_by="operator:1", now=clock.now() + timedelta(seconds=1))
    assert (
        reply_if_open(db, ticket.id, "还在吗", author="console:x", now=clock.now(), source="console:2").status
        == "not_open"
    )
    assert reply_if_open(db, 999, "x", author="console:x", now=clock.now(), source="console:3").status == "not_open"
    assert claim_outbox(db, "tg", clock.now(), prefixes=("tg-",)) == []
