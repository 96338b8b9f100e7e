"""导出我的数据 / 删除我的数据 and retention on the hand-off store."""

from __future__ import annotations

import json
from datetime import timedelta

from common.clock import FixedClock
from common.database import Database
from handoff import (
    add_operator_reply,
    add_worker_message,
    close_ticket,
    export_sender,
    forget_closed_before,
    forget_sender,
    live_ticket,
    mark_posted,
    request_ticket,
)


def handoff_of(db: Database, clock: FixedClock, sender: str, *, close: bool = True):
    ticket = request_ticket(
        db,
        sender_id=sender,
        display_name="张 三",
        reason="request_human",
        staffed=True,
        now=clock.now(),
        transcript="👤 我的手机138****5678",
    )
    ticket = mark_posted(db, ticket.id, clock.now())
    add_worker_message(db, ticket.id, "证书号106471202405001234", now=clock.now())
    add_operator_reply(db, ticket, "收到", author="operator:1", now=clock.now())
    if close:
        close_ticket(db, ticket.id, closed_by="operator:1", now=clock.now(), notice="已结束")
    return ticket


def test_the_export_holds_every_ticket_and_message(db: Database, clock: FixedClock) -> None:
    handoff_of(db, clock, "tg-1")
    handoff_of(db, clock, "tg-2")
    data = export_sender(db, "tg-1")
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    (ticket,) = data["tickets"]
    assert ticket["transcript"] == "👤 我的手机138****5678"
    assert [m["direction"] for m in ticket["messages"]] == ["from_worker", "to_worker"]
    assert [m["kind"] for m in data["messages_to_you"]] == ["operator_reply", "closed"]
    assert "tg-2" not in json.dumps(data)


def test_forgetting_a_worker_removes_transcripts_and_outbox(db: Database, clock: FixedClock) -> None:
    handoff_of(db, clock, "tg-1")
    handoff_of(db, clock, "tg-1", close=False)  # a second, live one
    handoff_of(db, clock, "tg-2")
    assert forget_sender(db, "tg-1") == {"tickets": 2, "messages": 4, "outbox": 3}
    assert export_sender(db, "tg-1") == {"tickets": [], "messages_to_you": []}
    assert live_ticket(db, "tg-1") is None
    for table in ("handoff_tickets", "handoff_messages", "handoff_outbox"):
        assert "106471202405001234" not in str(db[table].rows)
    assert len(export_sender(db, "tg-2")["tickets"]) == 1


def test_retention_keeps_recent_and_open_tickets(db: Database, clock: FixedClock) -> None:
    handoff_of(db, clock, "tg-old")
    handoff_of(db, clock, "tg-still-open", close=False)
    clock.advance(days=200)
    handoff_of(db, clock, "tg-recent")
    cutoff = (clock.now() - timedelta(days=180)).isoformat()
    counts = forget_closed_before(db, cutoff)
    assert counts == {"tickets": 1, "messages": 2, "outbox": 2}
    assert {r["sender_id"] for r in db["handoff_tickets"].rows} == {"tg-still-open", "tg-recent"}
