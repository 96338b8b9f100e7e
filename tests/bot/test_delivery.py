"""Telegram's bad moments (429, 5xx) and flooding workers."""

from __future__ import annotations

import time

import pytest
from bot_test_ids import OPS_CHAT, OTHER_WORKER_ID, WORKER_ID

from bot import texts

W = WORKER_ID


def delivered(tg, chat_id: int, text: str) -> int:
    return sum(1 for t in tg.texts_to(chat_id) if t == text)


async def test_429_then_success_delivers_exactly_once(tg, rasa, app, worker):
    tg.fail_next(2, 429, methods="sendMessage", retry_after=1)
    started = time.monotonic()
    tg.user_text(worker, "你好")
    await tg.wait_for(lambda: delivered(tg, W, "收到：你好"), timeout=10)
    await tg.settle(0.5)
    assert delivered(tg, W, "收到：你好") == 1
    attempts = tg.calls_of("sendMessage", ok=None, chat_id=W)
    assert [c.status for c in attempts] == [429, 429, 200]
    assert time.monotonic() - started >= 2  # waited retry_after each time


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_then_success_delivers_exactly_once(tg, rasa, app, worker, status):
    tg.fail_next(3, status, methods="sendMessage")
    tg.user_text(worker, "你好")
    await tg.wait_for(lambda: delivered(tg, W, "收到：你好"), timeout=10)
    await tg.settle(0.5)
    assert delivered(tg, W, "收到：你好") == 1
    assert [c.status for c in tg.calls_of("sendMessage", ok=None, chat_id=W)] == [status] * 3 + [200]


async def test_operator_relay_survives_a_bad_moment(tg, rasa, app, worker, operator):
    tg.user_text(worker, "/human")
    await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(W))
    header = [m for m in tg.sent_to(OPS_CHAT) if "工单 #1" in m.get("text", "")][0]
    tg.fail_next(1, 429, methods="sendMessage", retry_after=1)
    tg.fail_next(1, 502, methods="sendMessage")
    tg.user_text(operator, "您好", chat_id=OPS_CHAT, thread_id=header["message_thread_id"])
    await tg.wait_for(lambda: delivered(tg, W, texts.OPERATOR_PREFIX + "您好"), timeout=10)
    await tg.settle(0.5)
    assert delivered(tg, W, texts.OPERATOR_PREFIX + "您好") == 1


async def test_a_flooding_worker_does_not_delay_another(tg, rasa, app, worker, other_worker):
    rasa.delays[f"tg-{W}"] = 0.5
    for n in range(10):
        tg.user_text(worker, f"刷屏{n}")
    await tg.wait_for(lambda: rasa.messages_from(f"tg-{W}"))
    started = time.monotonic()
    tg.user_text(other_worker, "请问工会卡怎么办？")
    await tg.wait_for(lambda: "收到：请问工会卡怎么办？" in tg.texts_to(OTHER_WORKER_ID))
    assert time.monotonic() - started < 0.5  # not queued behind the flood
    assert len(rasa.messages_from(f"tg-{W}")) < 4  # the flood is still being worked through

    await tg.wait_for(lambda: len([t for t in tg.texts_to(W) if t.startswith("收到：刷屏")]) == 4, timeout=10)
    await tg.settle(0.7)
    # one turn in flight plus a small queue, in order; the rest dropped with one notice
    assert rasa.messages_from(f"tg-{W}") == ["刷屏0", "刷屏1", "刷屏2", "刷屏3"]
    assert tg.texts_to(W).count(texts.SLOW_DOWN) == 1
    # one Rasa request at a time for this worker
    times = [r["at"] for r in rasa.received if r["sender"] == f"tg-{W}"]
    assert all(b - a >= 0.45 for a, b in zip(times, times[1:]))

    # drained: the worker is served normally again
    tg.user_text(worker, "好了")
    await tg.wait_for(lambda: "收到：好了" in tg.texts_to(W), timeout=5)
