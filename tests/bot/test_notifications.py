"""Queued registry notifications (waiting-list promotions) delivered by the front end.

The real Application against the fake Bot API, with a real registry database in the
test's data directory (``config.data_dir/registry.db``, as ``$UH_DATA_DIR`` in production).
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace

import pytest
from bot_test_ids import OTHER_WORKER_ID, WORKER_ID
from sqlite_utils import Database

from bot.app import running, services_of
from bot.notifications import NotificationUpdate, chat_id_for
from registry import (
    cancel_enrollment,
    enroll,
    open_registry,
    pending_notifications,
    queue_notification,
    save_worker,
)

W = WORKER_ID
FAST = 0.1  # seconds between polls in these tests


@pytest.fixture
def registry_db(config):
    db = open_registry(config.registry_db_path)
    yield db
    db.close()


@pytest.fixture
def fast(config):
    return replace(config, notify_interval=FAST)


def delivered_ids(db: Database) -> set[int]:
    return {row["id"] for row in db.query("SELECT id FROM notifications WHERE delivered_at IS NOT NULL")}


def count(tg, chat_id: int, text: str) -> int:
    return sum(1 for t in tg.texts_to(chat_id) if t == text)


def promote(db: Database, waiting: str, leaving: str = "tg-999") -> str:
    """A real promotion: ``leaving`` takes the only seat, ``waiting`` waits, ``leaving`` cancels."""
    for i, sender in enumerate((leaving, waiting)):
        save_worker(
            db, sender, name=("王五", "张三")[i], phone=f"1380000000{i}", employer="宁波测试有限公司", district="海曙区"
        )
    first = enroll(db, leaving, "jxgf_plc", "PLC编程入门", capacity=1)
    second = enroll(db, waiting, "jxgf_plc", "PLC编程入门", capacity=1)
    assert (first.status, second.status) == ("enrolled", "waitlisted")
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
    async with running(make_app(fast)):
        await tg.wait_for(lambda: count(tg, W, text))
        await tg.wait_for(lambda: not pending_notifications(registry_db))
        await asyncio.sleep(FAST * 5)  # several more polls: nothing is sent again
    assert count(tg, W, text) == 1
    assert len(tg.calls_of("sendMessage", chat_id=W)) == 1
    assert not pending_notifications(registry_db)


async def test_only_telegram_conversations_are_sent_and_the_rest_stay_pending(tg, make_app, fast, registry_db):
    local = queue_notification(registry_db, "local-alice", "终端里的职工")
    odd = queue_notification(registry_db, "tg-abc", "不是用户号")
    mine = [queue_notification(registry_db, f"tg-{W}", f"第{i}条") for i in range(3)]
    other = queue_notification(registry_db, f"tg-{OTHER_WORKER_ID}", "给李四")
    async with running(make_app(fast)):
        await tg.wait_for(lambda: delivered_ids(registry_db) == {*mine, other})
        await asyncio.sleep(FAST * 3)
    assert tg.texts_to(W) == ["第0条", "第1条", "第2条"]  # one worker's messages in order
    assert tg.texts_to(OTHER_WORKER_ID) == ["给李四"]
    assert {n.id for n in pending_notifications(registry_db)} == {local, odd}
    assert len(tg.calls_of("sendMessage", ok=None)) == 4


async def test_many_skipped_messages_do_not_starve_telegram_ones(tg, make_app, fast, registry_db):
    from bot import notifications

    for i in range(notifications.BATCH + 5):
        queue_notification(registry_db, f"local-{i}", "终端")
    mine = queue_notification(registry_db, f"tg-{W}", "轮到您了")
    async with running(make_app(fast)):
        await tg.wait_for(lambda: mine in delivered_ids(registry_db), timeout=10)
    assert tg.texts_to(W) == ["轮到您了"]


async def test_a_failed_send_is_retried_on_the_next_poll(tg, make_app, fast, registry_db):
    note = queue_notification(registry_db, f"tg-{W}", "候补转正通知")
    tg.fail_next(1, 403, methods="sendMessage")  # e.g. the worker had blocked the bot for a moment
    async with running(make_app(fast)):
        await tg.wait_for(lambda: note in delivered_ids(registry_db))
        await asyncio.sleep(FAST * 3)
    assert [c.status for c in tg.calls_of("sendMessage", ok=None, chat_id=W)] == [403, 200]
    assert count(tg, W, "候补转正通知") == 1


async def test_telegram_down_for_a_while_then_delivered_once(tg, make_app, fast, registry_db):
    note = queue_notification(registry_db, f"tg-{W}", "候补转正通知")
    # more 502s than one send's own retries (send_retries=4): the send fails, the next poll retries
    tg.fail_next(7, 502, methods="sendMessage")
    async with running(make_app(fast)):
        await tg.wait_for(lambda: note in delivered_ids(registry_db), timeout=15)
        await asyncio.sleep(FAST * 3)
    statuses = [c.status for c in tg.calls_of("sendMessage", ok=None, chat_id=W)]
    assert statuses == [502] * 7 + [200]
    assert count(tg, W, "候补转正通知") == 1


async def test_a_blocked_worker_is_retried_less_and_less_often(tg, make_app, fast, registry_db):
    queue_notification(registry_db, f"tg-{W}", "候补转正通知")
    tg.fail_next(1000, 403, methods="sendMessage")
    async with running(make_app(fast)):
        await asyncio.sleep(FAST * 30)
    attempts = len(tg.calls_of("sendMessage", ok=None, chat_id=W))
    # backing off 0.1, 0.2, 0.4, 0.8, 1.6 s…: about 5 attempts in 3 s, not 30
    assert 3 <= attempts <= 7
    assert len(pending_notifications(registry_db)) == 1


async def test_sent_but_not_marked_is_marked_later_not_sent_again(tg, make_app, fast, registry_db):
    note = queue_notification(registry_db, f"tg-{W}", "候补转正通知")
    app = make_app(fast)
    outbox = services_of(app).notifications.outbox
    real_mark = outbox.mark_delivered
    failures = []

    async def flaky_mark(notification_id):
        if not failures:
            failures.append(notification_id)
            raise sqlite3.OperationalError("database is locked")
        return await real_mark(notification_id)

    outbox.mark_delivered = flaky_mark
    async with running(app):
        await tg.wait_for(lambda: note in delivered_ids(registry_db))
        await asyncio.sleep(FAST * 3)
    assert failures == [note]
    assert count(tg, W, "候补转正通知") == 1


async def test_not_queued_twice_while_a_send_is_in_progress(tg, make_app, config, registry_db):
    note = queue_notification(registry_db, f"tg-{W}", "候补转正通知")
    app = make_app(config, notify_interval=3600)  # no background polls: the test polls
    delivery = services_of(app).notifications
    async with running(app):
        gate = asyncio.Event()
        # the worker's delivery lane is busy (as if a send hung): the message waits in it
        busy = asyncio.create_task(delivery.lanes.run(W, gate.wait))
        await asyncio.sleep(0)
        assert await delivery.poll_once() == 1
        await asyncio.sleep(0.1)
        assert await delivery.poll_once() == 0  # still sending: not queued again
        assert not tg.calls_of("sendMessage", ok=None, chat_id=W)
        gate.set()
        await busy
        await tg.wait_for(lambda: note in delivered_ids(registry_db))
        assert await delivery.poll_once() == 0
    assert count(tg, W, "候补转正通知") == 1


async def test_restart_delivers_only_what_is_still_pending(tg, make_app, fast, registry_db):
    first = queue_notification(registry_db, f"tg-{W}", "第一条")
    async with running(make_app(fast)):
        await tg.wait_for(lambda: first in delivered_ids(registry_db))
    second = queue_notification(registry_db, f"tg-{W}", "第二条")  # while the bot is down
    async with running(make_app(fast)):
        await tg.wait_for(lambda: second in delivered_ids(registry_db))
        await asyncio.sleep(FAST * 3)
    assert tg.texts_to(W) == ["第一条", "第二条"]


async def test_no_registry_no_file_and_the_poller_stops_with_the_app(tg, make_app, fast, worker):
    app = make_app(fast)
    delivery = services_of(app).notifications
    async with running(app):
        await asyncio.sleep(FAST * 3)
        task = delivery._task
        assert task is not None and not task.done()
        tg.user_text(worker, "你好")  # the rest of the bot is unaffected
        await tg.wait_for(lambda: "收到：你好" in tg.texts_to(W))
    assert task.done()
    assert not fast.registry_db_path.exists()  # the front end never creates the registry


async def test_a_notification_update_put_in_the_queue_is_sent(tg, app):
    """A NotificationUpdate put into the queue by hand is sent like a polled one."""
    await app.update_queue.put(NotificationUpdate(notification_id=1, sender_id=f"tg-{W}", chat_id=W, text="手工推送"))
    await tg.wait_for(lambda: "手工推送" in tg.texts_to(W))
