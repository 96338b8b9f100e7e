"""The notifications outbox: promoted waiting-list workers are told, in the same
transaction as the promotion; front ends claim the messages with a lease, so each is
sent by one of them, in order per worker."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from common.clock import FixedClock
from registry import (
    Database,
    cancel_enrollment,
    claim_notifications,
    delete_worker_data,
    enroll,
    forget_delivered_notifications,
    give_up_notification,
    mark_notification_delivered,
    open_registry,
    pending_notifications,
    queue_notification,
    release_notification,
    renew_notification,
)
from tests.registry.helpers import CommitRefused, commits_fail, register


def test_queue_list_and_mark_delivered(db: Database) -> None:
    first = queue_notification(db, "tg-1", "你好")
    second = queue_notification(db, "tg-2", "第二条", kind="promotion", ref="BM2026-000001")
    assert [n.id for n in pending_notifications(db)] == [first, second]
    assert [n.id for n in pending_notifications(db, sender_id="tg-2")] == [second]
    assert mark_notification_delivered(db, first) is True
    assert mark_notification_delivered(db, first) is False  # once
    assert mark_notification_delivered(db, 999) is False
    (left,) = pending_notifications(db)
    assert (left.sender_id, left.kind, left.ref, left.text) == ("tg-2", "promotion", "BM2026-000001", "第二条")
    assert db.scalar("SELECT delivered_at FROM notifications WHERE id = :id", {"id": first})


@pytest.mark.parametrize(("sender", "text"), [("", "x"), ("tg-1", " ")])
def test_queue_needs_a_sender_and_a_text(db: Database, sender: str, text: str) -> None:
    with pytest.raises(ValueError):
        queue_notification(db, sender, text)


def test_a_promotion_queues_a_message_for_the_promoted_worker(db: Database) -> None:
    register(db, "a", "b")
    seat = enroll(db, "a", "c1", "PLC编程", capacity=1).number
    waiting = enroll(db, "b", "c1", "PLC编程", capacity=1).number
    assert pending_notifications(db) == []
    cancel_enrollment(db, "a", seat)
    (note,) = pending_notifications(db)
    assert (note.sender_id, note.kind, note.ref) == ("b", "promotion", waiting)
    assert "PLC编程" in note.text and waiting in note.text


def test_a_raised_capacity_tells_everyone_promoted(db: Database) -> None:
    register(db, "a", "b", "c")
    for sender in "abc":
        enroll(db, sender, "c1", "课程", capacity=1)
    register(db, "d")
    enroll(db, "d", "c1", "课程", capacity=3)  # b and c get seats first
    assert sorted(n.sender_id for n in pending_notifications(db)) == ["b", "c"]


def test_the_message_rolls_back_with_the_promotion(db: Database) -> None:
    register(db, "a", "b")
    seat = enroll(db, "a", "c1", "课程", capacity=1).number
    enroll(db, "b", "c1", "课程", capacity=1)
    with commits_fail(db):  # the promotion and its message written, then the COMMIT fails
        with pytest.raises(CommitRefused):
            cancel_enrollment(db, "a", seat)
    assert pending_notifications(db) == []
    assert sorted(r["status"] for r in db["enrollments"].rows) == ["enrolled", "waitlisted"]


def test_deleting_data_tells_the_promoted_and_drops_own_messages(db: Database) -> None:
    register(db, "a", "b")
    queue_notification(db, "a", "给a的旧消息")
    enroll(db, "a", "c1", "课程", capacity=1)
    waiting = enroll(db, "b", "c1", "课程", capacity=1).number
    delete_worker_data(db, "a")
    assert [(n.sender_id, n.ref) for n in pending_notifications(db)] == [("b", waiting)]
    assert db.scalar("SELECT COUNT(*) FROM notifications WHERE sender_id = 'a'") == 0


# ------------------------------------------------------------------ claims (several front ends)


def test_a_claim_takes_each_workers_oldest_message_once(db: Database, clock: FixedClock) -> None:
    a1 = queue_notification(db, "tg-1", "a1")
    b1 = queue_notification(db, "tg-2", "b1")
    a2 = queue_notification(db, "tg-1", "a2")
    queue_notification(db, "wx-3", "微信的")
    claimed = claim_notifications(db, "fe-1", prefixes=("tg-",), clock=clock)
    assert [n.id for n in claimed] == [a1, b1]  # a2 waits for a1: one worker's in order
    assert [n.attempts for n in claimed] == [1, 1]
    assert claim_notifications(db, "fe-2", prefixes=("tg-",), clock=clock) == []  # leased to fe-1
    assert renew_notification(db, a1, "fe-1", clock=clock)
    assert not renew_notification(db, a1, "fe-2", clock=clock)  # not theirs: they must not send
    assert mark_notification_delivered(db, a1, clock=clock)
    assert [n.id for n in claim_notifications(db, "fe-2", prefixes=("tg-",), clock=clock)] == [a2]
    assert [n.text for n in claim_notifications(db, "wx-fe", prefixes=("wx-",), clock=clock)] == ["微信的"]


def test_a_lease_that_runs_out_goes_to_another_front_end(db: Database, clock: FixedClock) -> None:
    note = queue_notification(db, "tg-1", "候补转正")
    assert [n.id for n in claim_notifications(db, "fe-1", clock=clock)] == [note]  # …and fe-1 dies
    clock.advance(seconds=119)
    assert claim_notifications(db, "fe-2", clock=clock) == []
    clock.advance(seconds=2)
    (again,) = claim_notifications(db, "fe-2", clock=clock)
    assert (again.id, again.attempts) == (note, 2)  # a second attempt: fe-1 may have sent it
    assert not renew_notification(db, note, "fe-1", clock=clock)  # fe-1, back, must not send
    assert renew_notification(db, note, "fe-2", clock=clock)


def test_a_failed_send_waits_and_a_hopeless_one_stops_holding_the_queue(db: Database, clock: FixedClock) -> None:
    first = queue_notification(db, "tg-1", "第一条")
    second = queue_notification(db, "tg-1", "第二条")
    claim_notifications(db, "fe-1", clock=clock)
    assert release_notification(db, first, "fe-1", "Forbidden: bot was blocked", clock.now() + timedelta(seconds=30))
    assert claim_notifications(db, "fe-2", clock=clock) == []  # not before the retry time
    clock.advance(seconds=30)
    assert [n.id for n in claim_notifications(db, "fe-2", clock=clock)] == [first]
    assert give_up_notification(db, first, "not a chat", clock=clock)
    assert [n.id for n in claim_notifications(db, "fe-2", clock=clock)] == [second]
    row = db.one("SELECT last_error, failed_at, delivered_at FROM notifications WHERE id = :id", {"id": first})
    assert row["last_error"] == "not a chat" and row["failed_at"] and row["delivered_at"] is None


def test_front_ends_claiming_at_once_never_share_a_message(db: Database, store_url: str, clock: FixedClock) -> None:
    ids = [queue_notification(db, f"tg-{i}", f"消息{i}") for i in range(60)]
    barrier = threading.Barrier(6)
    taken: list[list[int]] = []
    errors: list[BaseException] = []

    def front_end(name: str) -> None:
        try:
            own = open_registry(store_url)
            mine: list[int] = []
            barrier.wait(timeout=60)
            while batch := claim_notifications(own, name, limit=7, clock=clock):
                mine += [n.id for n in batch]
            taken.append(mine)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=front_end, args=(f"fe-{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    everything = [i for mine in taken for i in mine]
    assert sorted(everything) == ids  # every message claimed, none twice


def test_retention_forgets_only_old_delivered_messages(db: Database, clock: FixedClock) -> None:
    old = queue_notification(db, "tg-1", "旧的", clock=clock)
    mark_notification_delivered(db, old, clock=clock)
    waiting = queue_notification(db, "tg-2", "还没送到", clock=clock)
    clock.advance(days=200)
    recent = queue_notification(db, "tg-3", "新的", clock=clock)
    mark_notification_delivered(db, recent, clock=clock)
    cutoff = (clock.now() - timedelta(days=180)).isoformat(timespec="seconds")
    assert forget_delivered_notifications(db, cutoff) == 1
    assert sorted(r["id"] for r in db["notifications"].rows) == [waiting, recent]
