"""Two Telegram front ends (real ``python -m bot`` processes, webhook mode) on the shared
PostgreSQL, over the two Rasa replicas (issue #17, items 2 and 3): a ticket opened on one is
answered through the other, an operator's reply reaches the worker once, the outbox goes out
once, and a front end killed in the middle of a turn loses nothing. Run with
``make test-scale``."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from common import texts
from registry import open_registry, pending_notifications, queue_notification
from tests.bot.fake_bot_api import FakeBotApi
from tests.scale.conftest import Cluster
from tests.scale.front_ends import OPERATOR, OPS_CHAT, SECRET, FrontEnd, front_end_env

pytestmark = pytest.mark.scale

DEADLINE = 120.0


@pytest.fixture
async def tg() -> AsyncIterator[FakeBotApi]:
    fake = await FakeBotApi().start()
    fake.add_group(OPS_CHAT, "工会人工服务", forum=True)
    fake.set_member(OPS_CHAT, OPERATOR, "member")
    yield fake
    await fake.stop()


@pytest.fixture
async def front_ends(tg: FakeBotApi, cluster: Cluster, tmp_path: Path) -> AsyncIterator[list[FrontEnd]]:
    shared = (cluster.token, cluster.database_url, cluster.knowledge)
    ends = [
        FrontEnd(
            name, tmp_path, {**front_end_env(tg.base_url, stack.rasa_url, *shared), "UH_OUTBOX_LEASE_SECONDS": "10"}
        )
        for name, stack in (("a", cluster.a), ("b", cluster.b))
    ]
    try:
        for fe in ends:
            await asyncio.to_thread(fe.start)
        tg.use_webhooks([fe.url for fe in ends], SECRET)
        yield ends
    finally:
        for fe in ends:
            await asyncio.to_thread(fe.stop)


def delivered_to(tg: FakeBotApi, update: dict, target: str) -> bool:
    return any(
        uid == update["update_id"] and url == target and status == 200 for uid, url, status in tg.webhook_attempts
    )


async def test_a_ticket_is_shared_by_the_front_ends(tg: FakeBotApi, front_ends: list[FrontEnd]) -> None:
    a, b = front_ends
    worker_id = 60_000 + uuid.uuid4().int % 10_000
    worker = tg.make_user(worker_id, "周", "十")
    operator = tg.make_user(OPERATOR, "王", "老师")

    tg._next_target = 0
    tg.user_text(worker, "转人工")  # A: the real Rasa hands off, A posts the ticket
    await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(worker_id), timeout=DEADLINE)
    header = [m for m in tg.sent_to(OPS_CHAT) if f"tg-{worker_id}" in m.get("text", "")][0]
    thread = header["message_thread_id"]

    tg._next_target = 1
    message = tg.user_text(worker, "我想问技能补贴")  # B relays it into A's topic
    relayed = await tg.wait_for(
        lambda: [m for m in tg.sent_to(OPS_CHAT) if "我想问技能补贴" in m.get("text", "")], timeout=DEADLINE
    )
    assert relayed[0]["message_thread_id"] == thread
    await tg.wait_for(lambda: delivered_to(tg, message, b.url), timeout=DEADLINE)

    reply = tg.user_text(operator, "您好，我是王老师", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "您好，我是王老师" in tg.texts_to(worker_id), timeout=DEADLINE)
    for fe in (a, b):  # Telegram delivers the reply again, to both
        tg.redeliver(
            {"update_id": reply["update_id"], "message": {k: v for k, v in reply.items() if k != "seq"}}, fe.url
        )
    await tg.wait_for(lambda: sum(delivered_to(tg, reply, fe.url) for fe in (a, b)) >= 2, timeout=DEADLINE)
    tg.user_text(operator, "/done", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(worker_id), timeout=DEADLINE)
    assert tg.texts_to(worker_id).count(texts.OPERATOR_PREFIX + "您好，我是王老师") == 1

    tg.user_text(worker, "劳模先进班的学费谁出")  # back with the bot, on either front end
    await tg.wait_for(lambda: any("全额" in t for t in tg.texts_to(worker_id)), timeout=DEADLINE)


async def test_a_front_end_killed_mid_turn_loses_nothing(
    tg: FakeBotApi, front_ends: list[FrontEnd], cluster: Cluster
) -> None:
    """A is inside the worker's turn (it said "typing", its Rasa replica is slow) when it is
    SIGKILLed: Telegram gets no answer and delivers the update again, to B, which answers."""
    a, b = front_ends
    worker_id = 70_000 + uuid.uuid4().int % 10_000
    worker = tg.make_user(worker_id, "吴", "一")
    os.killpg(cluster.a.rasa_proc.pid, signal.SIGSTOP)  # A's replica: the turn waits there
    try:
        tg._next_target = 0
        message = tg.user_text(worker, "职工书屋示范点有几家")
        await tg.wait_for(lambda: tg.calls_of("sendChatAction", chat_id=worker_id), timeout=DEADLINE)  # A is in it
        await asyncio.to_thread(a.kill)
        answer = await tg.wait_for(lambda: [t for t in tg.texts_to(worker_id) if "书屋" in t], timeout=DEADLINE)
    finally:
        os.killpg(cluster.a.rasa_proc.pid, signal.SIGCONT)
    await tg.wait_for(lambda: delivered_to(tg, message, b.url), timeout=DEADLINE)
    assert len(answer) == 1  # the worker was answered once, by B
    tg._next_target = 1
    tg.user_text(worker, "劳模先进班的学费谁出")  # the conversation goes on
    await tg.wait_for(lambda: any("全额" in t for t in tg.texts_to(worker_id)), timeout=DEADLINE)


async def test_the_outbox_goes_out_once_though_a_front_end_is_killed(
    tg: FakeBotApi, front_ends: list[FrontEnd], cluster: Cluster
) -> None:
    """A claims every message (B is frozen meanwhile) and is SIGKILLed while sending: once
    A's leases run out (UH_OUTBOX_LEASE_SECONDS, 10 s here) B sends the rest. Nothing is
    lost; a message goes out twice only if A had handed it to Telegram before dying (its
    second attempt shows it)."""
    a, b = front_ends
    base = 80_000 + uuid.uuid4().int % 5_000
    tg.latency["sendMessage"] = 0.5  # a slow Telegram: A dies with sends under way
    b.signal(signal.SIGSTOP)
    try:
        with open_registry(cluster.database_url) as db:
            ids = [queue_notification(db, f"tg-{base + i}", f"候补转正通知 {i}") for i in range(40)]
            await tg.wait_for(
                lambda: db.scalar("SELECT COUNT(*) FROM notifications WHERE claimed_by = 'fe-a'"), timeout=DEADLINE
            )
            await asyncio.to_thread(a.kill)
            b.signal(signal.SIGCONT)
            deadline = asyncio.get_running_loop().time() + DEADLINE
            while {n.id for n in pending_notifications(db)} & set(ids):
                assert asyncio.get_running_loop().time() < deadline, "not every notification was delivered"
                await asyncio.sleep(0.5)
            texts_sent = [c.params["text"] for c in tg.calls_of("sendMessage")]
            sent = Counter(t for t in texts_sent if str(t).startswith("候补转正通知"))
            attempts = {r["text"]: r["attempts"] for r in db.query("SELECT text, attempts FROM notifications")}
    finally:
        b.signal(signal.SIGCONT)
        tg.latency.clear()
    assert set(sent) == {f"候补转正通知 {i}" for i in range(40)}  # none lost
    twice = [text for text, count in sent.items() if count > 1]
    assert all(attempts[text] >= 2 for text in twice), twice  # only where A may have sent it
    assert all(count <= 2 for count in sent.values())
