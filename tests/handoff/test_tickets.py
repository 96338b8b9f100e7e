"""A ticket's life in the shared store: pending until posted, open, closed; one live ticket
per worker whatever the number of front ends."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from common.clock import FixedClock
from common.database import Database
from handoff import (
    TicketAlreadyOpen,
    cancel_request,
    claim_outbox,
    claim_unposted,
    close_ticket,
    defer_posting,
    get_ticket,
    list_tickets,
    live_ticket,
    mark_answered,
    mark_posted,
    open_count,
    open_handoff,
    open_ticket_of,
    pending_resumes,
    request_ticket,
    resume_recorded,
    tickets_opened_on,
)

SENDER = "tg-5001"


def ask(db: Database, clock: FixedClock, sender: str = SENDER, reason: str = "request_human"):
    return request_ticket(db, sender_id=sender, display_name="张 三", reason=reason, staffed=True, now=clock.now())


def test_a_ticket_opens_only_once_it_is_posted(db: Database, clock: FixedClock) -> None:
    ticket = ask(db, clock)
    assert (ticket.status, ticket.channel, ticket.sender_id) == ("pending", "tg", SENDER)
    assert live_ticket(db, SENDER) == ticket
    assert open_ticket_of(db, SENDER) is None  # not with the operators: the worker stays with the bot
    opened = mark_posted(db, ticket.id, clock.now(), transcript="👤 你好")
    assert opened is not None and opened.is_open and opened.transcript == "👤 你好"
    assert mark_posted(db, ticket.id, clock.now()) is None  # posted once
    assert open_ticket_of(db, SENDER) == opened
    assert [t.id for t in list_tickets(db)] == [ticket.id] and open_count(db) == 1
    mark_answered(db, ticket.id, clock.now())
    assert get_ticket(db, ticket.id).answered_at == clock.now().isoformat()


def test_one_live_ticket_per_worker(db: Database, clock: FixedClock) -> None:
    ask(db, clock)
    with pytest.raises(TicketAlreadyOpen):
        ask(db, clock)
    ask(db, clock, sender="tg-5002")  # someone else may
    assert tickets_opened_on(db, "2026-11-16") == 2


def test_two_front_ends_asking_at_once_make_one_ticket(db: Database, store_url: str, clock: FixedClock) -> None:
    barrier = threading.Barrier(8)
    made: list[int] = []
    refused: list[str] = []

    def front_end() -> None:
        own = open_handoff(store_url)
        barrier.wait(timeout=60)
        try:
            made.append(ask(own, clock).id)
        except TicketAlreadyOpen:
            refused.append("x")

    threads = [threading.Thread(target=front_end) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(made) == 1 and len(refused) == 7


def test_closing_queues_the_notice_and_asks_for_the_resume(db: Database, clock: FixedClock) -> None:
    ticket = mark_posted(db, ask(db, clock).id, clock.now())
    closed = close_ticket(db, ticket.id, closed_by="operator:42", now=clock.now(), notice="工作人员已结束本次人工服务")
    assert closed is not None and (closed.status, closed.closed_by, closed.resume_pending) == (
        "closed",
        "operator:42",
        1,
    )
    assert close_ticket(db, ticket.id, closed_by="operator:43", now=clock.now()) is None  # closed once
    (notice,) = claim_outbox(db, "fe-1", clock.now(), prefixes=("tg-",))
    assert (notice.kind, notice.sender_id, notice.text) == ("closed", SENDER, "工作人员已结束本次人工服务")
    assert [t.id for t in pending_resumes(db, SENDER)] == [ticket.id]
    resume_recorded(db, ticket.id)
    assert pending_resumes(db) == []
    ask(db, clock)  # a new hand-off may start


def test_a_ticket_that_cannot_be_posted_is_retried_later_by_any_front_end(db: Database, clock: FixedClock) -> None:
    ticket = ask(db, clock)
    deferred = defer_posting(
        db, ticket.id, "TypeError: getChat answer could not be parsed", clock.now() + timedelta(seconds=30)
    )
    assert deferred.status == "pending" and deferred.post_attempts == 1 and "getChat" in deferred.last_error
    assert claim_unposted(db, "fe-1", clock.now(), channel="tg") == []  # not before the retry time
    clock.advance(seconds=30)
    (claimed,) = claim_unposted(db, "fe-1", clock.now(), channel="tg")
    assert claimed.id == ticket.id
    assert claim_unposted(db, "fe-2", clock.now(), channel="tg") == []  # fe-1 holds it
    assert claim_unposted(db, "wx-fe", clock.now(), channel="wx") == []  # not WeChat's
    clock.advance(minutes=3)  # fe-1 died while posting: the lease ran out
    assert [t.id for t in claim_unposted(db, "fe-2", clock.now(), channel="tg")] == [ticket.id]
    assert mark_posted(db, ticket.id, clock.now()).is_open


def test_a_request_that_is_given_up_frees_the_worker(db: Database, clock: FixedClock) -> None:
    ticket = ask(db, clock)
    assert cancel_request(db, ticket.id, clock.now()).status == "closed"
    assert cancel_request(db, ticket.id, clock.now()) is None
    assert mark_posted(db, ticket.id, clock.now()) is None  # a late post does not reopen it
    assert live_ticket(db, SENDER) is None
    ask(db, clock)
