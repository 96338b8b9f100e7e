"""A ticket's conversation and the outbox to the worker: stored once per source, delivered
once, in order."""

from __future__ import annotations

from datetime import timedelta

from common.clock import FixedClock
from common.database import Database
from handoff import (
    add_message,
    add_operator_reply,
    add_worker_message,
    claim_outbox,
    mark_outbox_delivered,
    mark_posted,
    release_outbox,
    renew_outbox,
    request_ticket,
    ticket_messages,
)


def open_ticket(db: Database, clock: FixedClock, sender: str = "tg-5001"):
    ticket = request_ticket(
        db, sender_id=sender, display_name="张 三", reason="request_human", staffed=True, now=clock.now()
    )
    return mark_posted(db, ticket.id, clock.now())


def test_the_conversation_is_kept_with_numbers_masked(db: Database, clock: FixedClock) -> None:
    ticket = open_ticket(db, clock)
    add_worker_message(db, ticket.id, "我的手机13812345678", now=clock.now(), source="tg:5001:7")
    add_operator_reply(db, ticket, "您好", author="operator:42", now=clock.now(), source="tg:-100:9")
    add_message(db, ticket.id, "note", "//老会员", now=clock.now(), author="operator:42")
    messages = ticket_messages(db, ticket.id)
    assert [(m.direction, m.text) for m in messages] == [
        ("from_worker", "我的手机138****5678"),
        ("to_worker", "您好"),
        ("note", "//老会员"),
    ]
    assert "13812345678" not in str(messages)


def test_a_reply_delivered_twice_is_stored_and_queued_once(db: Database, clock: FixedClock) -> None:
    ticket = open_ticket(db, clock)
    first = add_operator_reply(db, ticket, "请稍等", author="operator:42", now=clock.now(), source="tg:-100:9")
    again = add_operator_reply(db, ticket, "请稍等", author="operator:42", now=clock.now(), source="tg:-100:9")
    assert first is not None and again is None
    assert [item.id for item in claim_outbox(db, "fe-1", clock.now())] == [first.outbox_id]
    assert claim_outbox(db, "fe-2", clock.now()) == []


def test_replies_reach_the_worker_in_order_whichever_front_end_sends(db: Database, clock: FixedClock) -> None:
    ticket = open_ticket(db, clock)
    replies = [
        add_operator_reply(db, ticket, f"第{n}句", author="operator:42", now=clock.now(), source=f"tg:-100:{n}")
        for n in range(3)
    ]
    # fe-2 stored the second reply and wants to send it at once: the first is not out yet
    assert claim_outbox(db, "fe-2", clock.now(), only=replies[1].outbox_id) == []
    (first,) = claim_outbox(db, "fe-1", clock.now(), only=replies[0].outbox_id)
    assert renew_outbox(db, first.id, "fe-1", clock.now())
    assert mark_outbox_delivered(db, first.id, clock.now())
    (second,) = claim_outbox(db, "fe-2", clock.now())
    assert second.text == "第1句"
    assert release_outbox(db, second.id, "fe-2", "NetworkError", clock.now() + timedelta(seconds=5))
    assert claim_outbox(db, "fe-1", clock.now()) == []  # the worker's queue waits for the retry
    clock.advance(seconds=5)
    assert [i.text for i in claim_outbox(db, "fe-1", clock.now())] == ["第1句"]


def test_other_channels_are_left_to_their_front_ends(db: Database, clock: FixedClock) -> None:
    tg = open_ticket(db, clock, "tg-1")
    wx = open_ticket(db, clock, "wx-oAbC")
    add_operator_reply(db, tg, "给电报", author="operator:1", now=clock.now())
    add_operator_reply(db, wx, "给微信", author="console:2", now=clock.now())
    assert [i.text for i in claim_outbox(db, "tg-fe", clock.now(), prefixes=("tg-",))] == ["给电报"]
    assert [i.text for i in claim_outbox(db, "wx-fe", clock.now(), prefixes=("wx-",))] == ["给微信"]


def test_two_replicas_racing_for_a_rest_workers_items_hand_each_over_once(store_url: str, clock: FixedClock) -> None:
    """Issue #15: two Rasa replicas answering one REST worker at the same moment (the poll
    and a message, say) claim and mark in their own connections: every item is handed over
    exactly once, and each replica's share is in order."""
    import concurrent.futures
    import contextlib
    import threading

    from handoff import claim_for_client, open_handoff

    db = open_handoff(store_url)
    try:
        ticket = open_ticket(db, clock, sender="web-race")
        assert ticket is not None
        for n in range(30):
            add_operator_reply(db, ticket, f"第{n}条", author="console:wang", now=clock.now(), source=f"race:{n}")
    finally:
        db.close()
    handed: dict[str, list[int]] = {"rasa-a": [], "rasa-b": []}
    start = threading.Barrier(2)

    def replica(owner: str) -> None:
        with contextlib.closing(open_handoff(store_url)) as own:
            start.wait(timeout=60)
            for _ in range(40):
                for item in claim_for_client(own, "web-race", owner, clock.now()):
                    handed[owner].append(item.id)
                    mark_outbox_delivered(own, item.id, clock.now())

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(replica, owner) for owner in handed]:
            done.result(timeout=120)
    everything = handed["rasa-a"] + handed["rasa-b"]
    assert len(everything) == 30 and len(set(everything)) == 30
    assert all(ids == sorted(ids) for ids in handed.values())
