"""Queued registry notifications (waiting-list promotions) delivered by the front end.

The real Application against the fake Bot API, with a real registry database in the
test's data directory (``config.data_dir/registry.db``, as ``$UH_DATA_DIR`` in production),
written and read only through the registry's own functions. Retries are scheduled on the
Application's clock, a :class:`~common.clock.FixedClock`: a failed message is sent again
only when the test moves the clock on, however often the poller runs meanwhile.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace

import pytest

from bot import notifications
from bot.app import running, services_of
from bot.notifications import NotificationUpdate, chat_id_for
from registry import (
    Database,
    cancel_enrollment,
    enroll,
    open_registry,
    pending_notifications,
    queue_notification,
    save_worker,
)
from tests.bot.bot_test_ids import OTHER_WORKER_ID, WORKER_ID
from tests.bot.helpers import DEADLINE

W = WORKER_ID
FAST = 0.1  # seconds between polls in these tests (and the first retry's delay)


@pytest.fixture
def registry_db(config):
    db = open_registry(config.registry_db_path)
    yield db
    db.close()


@pytest.fixture
def fast(config):
    return replace(config, notify_interval=FAST)


def delivered(db: Database, note_id: int) -> bool:
    return note_id not in {n.id for n in pending_notifications(db)}


def count(tg, chat_id: int, text: str) -> int:
    return sum(1 for t in tg.texts_to(chat_id) if t == text)


def attempts(tg, chat_id: int = W) -> int:
    return len(tg.calls_of("sendMessage", ok=None, chat_id=chat_id))


async def nothing_more_to_send(app) -> None:
    """A poll now queues nothing, and nothing is being sent: no message can still go out."""
    delivery = services_of(app).notifications
    assert await delivery.poll_once() == 0
    assert not delivery.in_flight


async def settled_after_attempt(tg, app, number: int) -> None:
    """Wait until send attempt ``number`` was made and its outcome recorded."""
    delivery = services_of(app).notifications
    await tg.wait_for(lambda: attempts(tg) >= number and not delivery.in_flight, timeout=DEADLINE)
    assert attempts(tg) == number


def promote(db: Database, waiting: str, leaving: str = "tg-999") -> str:
    """A real promotion: ``leaving`` takes the only seat, ``waiting`` waits, ``leaving`` cancels."""
    for i, sender in enumerate((leaving, waiting)):
        save_worker(
            db, sender, name=("王五", "张三")[i], phone=f"1380000000{i}", employer="宁波测试有限公司", district="海曙区"
        )
    first = enroll(db, leaving, "jxgf_plc", "PLC编程入门", capacity=1)
    second = enroll(db, waiting, "jxgf_plc", "PLC编程入门", capacity=1)
    assert (first.status, second.status) == ("enrolled", "waitlisted")
    assert first.enrollment is not None
    result = cancel_enrollment(db, leaving, first.enrollment.enrollment_no)
    assert [p.sender_id for p in result.promoted] == [waiting]
    (note,) = pending_notifications(db, sender_id=waiting)
    return note.text


def test_chat_id_for_sender_ids():
    assert chat_id_for("tg-5001") == 5001
    assert chat_id_for("local-alice") is None
    assert chat_id_for("tg-") is None
    assert chat_id_for("tg-12x") is None
    assert chat_id_for("it-1234") is None


async def test_waiting_list_promotion_reaches_the_worker_exactly_once(tg, make_app, fast, registry_db):
    text = promote(registry_db, f"tg-{W}")
    assert "已自动转为正式报名" in text
    app = make_app(fast)
    async with running(app):
        await tg.wait_for(lambda: count(tg, W, text))
        await tg.wait_for(lambda: not pending_notifications(registry_db))
        await nothing_more_to_send(app)
    assert count(tg, W, text) == 1
    assert attempts(tg) == 1


async def test_only_telegram_conversations_are_sent_and_the_rest_stay_pending(tg, make_app, fast, registry_db):
    local = queue_notification(registry_db, "local-alice", "终端里的职工")
    odd = queue_notification(registry_db, "tg-abc", "不是用户号")
    mine = [queue_notification(registry_db, f"tg-{W}", f"第{i}条") for i in range(3)]
    other = queue_notification(registry_db, f"tg-{OTHER_WORKER_ID}", "给李四")
    app = make_app(fast)
    async with running(app):
        await tg.wait_for(lambda: all(delivered(registry_db, n) for n in (*mine, other)))
        await nothing_more_to_send(app)
    assert tg.texts_to(W) == ["第0条", "第1条", "第2条"]  # one worker's messages in order
    assert tg.texts_to(OTHER_WORKER_ID) == ["给李四"]
    assert {n.id for n in pending_notifications(registry_db)} == {local, odd}
    assert len(tg.calls_of("sendMessage", ok=None)) == 4


async def test_many_skipped_messages_do_not_starve_telegram_ones(tg, make_app, fast, registry_db):
    for i in range(notifications.BATCH + 5):
        queue_notification(registry_db, f"local-{i}", "终端")
    mine = queue_notification(registry_db, f"tg-{W}", "轮到您了")
    async with running(make_app(fast)):
        await tg.wait_for(lambda: delivered(registry_db, mine), timeout=DEADLINE)
    assert tg.texts_to(W) == ["轮到您了"]


async def test_a_failed_send_is_retried_on_the_next_poll(tg, make_app, fast, clock, registry_db):
    note = queue_notification(registry_db, f"tg-{W}", "候补转正通知")
    tg.fail_next(1, 403, methods="sendMessage")  # e.g. the worker had blocked the bot for a moment
    app = make_app(fast)
    async with running(app):
        await settled_after_attempt(tg, app, 1)
        assert await services_of(app).notifications.poll_once() == 0  # not yet: waits FAST
        clock.advance(seconds=FAST)
        await tg.wait_for(lambda: delivered(registry_db, note))
        await nothing_more_to_send(app)
    assert [c.status for c in tg.calls_of("sendMessage", ok=None, chat_id=W)] == [403, 200]
    assert count(tg, W, "候补转正通知") == 1


async def test_telegram_down_for_a_while_then_delivered_once(tg, make_app, fast, clock, registry_db):
    note = queue_notification(registry_db, f"tg-{W}", "候补转正通知")
    # more 502s than one send's own retries (send_retries=4): the send fails, the next poll retries
    tg.fail_next(7, 502, methods="sendMessage")
    app = make_app(fast)
    async with running(app):
        await settled_after_attempt(tg, app, 5)  # the first send: 1 + 4 retries
        clock.advance(seconds=FAST)
        await tg.wait_for(lambda: delivered(registry_db, note), timeout=DEADLINE)
        await nothing_more_to_send(app)
    statuses = [c.status for c in tg.calls_of("sendMessage", ok=None, chat_id=W)]
    assert statuses == [502] * 7 + [200]
    assert count(tg, W, "候补转正通知") == 1


async def test_a_blocked_worker_is_retried_less_and_less_often(tg, make_app, fast, clock, registry_db):
    queue_notification(registry_db, f"tg-{W}", "候补转正通知")
    tg.fail_next(1000, 403, methods="sendMessage")
    app = make_app(fast)
    delivery = services_of(app).notifications
    async with running(app):
        await settled_after_attempt(tg, app, 1)
        # the waits double: 0.1, 0.2, 0.4, 0.8 s … (up to MAX_RETRY_DELAY)
        for attempt, wait in enumerate([0.1, 0.2, 0.4, 0.8], start=2):
            clock.advance(seconds=wait - 0.01)
            assert await delivery.poll_once() == 0  # not yet
            clock.advance(seconds=0.01)
            await settled_after_attempt(tg, app, attempt)
    assert len(pending_notifications(registry_db)) == 1


async def test_sent_but_not_marked_is_marked_later_not_sent_again(tg, make_app, fast, registry_db, monkeypatch):
    note = queue_notification(registry_db, f"tg-{W}", "候补转正通知")
    app = make_app(fast)
    outbox = services_of(app).notifications.outbox
    real_mark = outbox.mark_delivered
    failures: list[int] = []

    async def flaky_mark(notification_id: int, now) -> bool:
        if not failures:
            failures.append(notification_id)
            raise sqlite3.OperationalError("database is locked")
        return await real_mark(notification_id, now)

    monkeypatch.setattr(outbox, "mark_delivered", flaky_mark)
    async with running(app):
        await tg.wait_for(lambda: delivered(registry_db, note))
        await nothing_more_to_send(app)
    assert failures == [note]
    assert count(tg, W, "候补转正通知") == 1


async def test_not_queued_twice_while_a_send_is_in_progress(tg, make_app, config, registry_db):
    note = queue_notification(registry_db, f"tg-{W}", "候补转正通知")
    app = make_app(config, notify_interval=0)  # no background polls: the test polls
    delivery = services_of(app).notifications
    async with running(app):
        assert not delivery.running
        gate = asyncio.Event()

        async def hung_send() -> None:
            await gate.wait()

        # the worker's delivery lane is busy (as if a send hung): the message waits in it
        busy = asyncio.create_task(delivery.lanes.run(W, hung_send))
        await tg.wait_for(lambda: delivery.lanes.pending(W) == 1)
        assert await delivery.poll_once() == 1
        await tg.wait_for(lambda: delivery.lanes.pending(W) == 2)  # taken by the handler, waiting
        assert await delivery.poll_once() == 0  # still sending: not queued again
        assert not tg.calls_of("sendMessage", ok=None, chat_id=W)
        gate.set()
        await busy
        await tg.wait_for(lambda: delivered(registry_db, note))
        await nothing_more_to_send(app)
    assert count(tg, W, "候补转正通知") == 1


async def test_restart_delivers_only_what_is_still_pending(tg, make_app, fast, registry_db):
    first = queue_notification(registry_db, f"tg-{W}", "第一条")
    async with running(make_app(fast)):
        await tg.wait_for(lambda: delivered(registry_db, first))
    second = queue_notification(registry_db, f"tg-{W}", "第二条")  # while the bot is down
    app = make_app(fast)
    async with running(app):
        await tg.wait_for(lambda: delivered(registry_db, second))
        await nothing_more_to_send(app)
    assert tg.texts_to(W) == ["第一条", "第二条"]


async def test_no_registry_no_file_and_the_poller_stops_with_the_app(tg, make_app, fast, worker):
    app = make_app(fast)
    delivery = services_of(app).notifications
    async with running(app):
        assert delivery.running
        assert await delivery.poll_once() == 0  # no registry yet: nothing to send
        tg.user_text(worker, "你好")  # the rest of the bot is unaffected
        await tg.wait_for(lambda: "收到：你好" in tg.texts_to(W))
    assert not delivery.running
    assert not fast.registry_db_path.exists()  # the front end never creates the registry


async def test_a_message_not_claimed_by_this_front_end_is_not_sent(tg, config, app, worker):
    """The fence: a NotificationUpdate whose claim is not ours (another front end's, or
    none at all) is dropped, not sent."""
    await app.update_queue.put(NotificationUpdate(notification_id=1, sender_id=f"tg-{W}", chat_id=W, text="手工推送"))
    await tg.wait_for(lambda: not services_of(app).notifications.in_flight)
    tg.user_text(worker, "同步一下")  # handled after the update above
    await tg.wait_for(lambda: "收到：同步一下" in tg.texts_to(W))
    assert "手工推送" not in tg.texts_to(W)
    assert not config.registry_db_path.exists()  # looking at the outbox of no registry creates none
