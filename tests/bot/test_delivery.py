"""Telegram's bad moments (429, 5xx) and flooding workers."""

from __future__ import annotations

import logging

import pytest

from bot.app import running
from common import texts
from tests.bot.bot_test_ids import OPS_CHAT, OTHER_WORKER_ID, WORKER_ID
from tests.bot.helpers import operator_round_trip, worker_round_trip

W = WORKER_ID


def delivered(tg, chat_id: int, text: str) -> int:
    return sum(1 for t in tg.texts_to(chat_id) if t == text)


async def test_429_then_success_delivers_exactly_once(tg, rasa, app, worker, caplog):
    caplog.set_level(logging.INFO, logger="telegram.ext.AIORateLimiter")
    tg.fail_next(2, 429, methods="sendMessage", retry_after=1)
    tg.user_text(worker, "你好")
    await tg.wait_for(lambda: delivered(tg, W, "收到：你好"), timeout=30)
    await worker_round_trip(tg, worker)  # anything the first turn still had to send is sent by now
    assert delivered(tg, W, "收到：你好") == 1
    attempts = tg.calls_of("sendMessage", ok=None, chat_id=W)
    assert [c.status for c in attempts] == [429, 429, 200, 200]
    # each time it waited as long as Telegram asked (retry_after=1, plus PTB's 0.1 s)
    waits = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Rate limit hit")]
    assert waits == ["Rate limit hit. Retrying after 1.100000 seconds"] * 2


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_then_success_delivers_exactly_once(tg, rasa, app, worker, status):
    tg.fail_next(3, status, methods="sendMessage")
    tg.user_text(worker, "你好")
    await tg.wait_for(lambda: delivered(tg, W, "收到：你好"), timeout=30)
    await worker_round_trip(tg, worker)
    assert delivered(tg, W, "收到：你好") == 1
    assert [c.status for c in tg.calls_of("sendMessage", ok=None, chat_id=W)] == [status] * 3 + [200, 200]


async def test_operator_relay_survives_a_bad_moment(tg, rasa, app, worker, operator):
    tg.user_text(worker, "/human")
    await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(W))
    header = [m for m in tg.sent_to(OPS_CHAT) if "工单 #1" in m.get("text", "")][0]
    thread = header["message_thread_id"]
    tg.fail_next(1, 429, methods="sendMessage", retry_after=1)
    tg.fail_next(1, 502, methods="sendMessage")
    tg.user_text(operator, "您好", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: delivered(tg, W, texts.OPERATOR_PREFIX + "您好"), timeout=30)
    await operator_round_trip(tg, operator, W, thread_id=thread)  # the same operator's lane
    assert delivered(tg, W, texts.OPERATOR_PREFIX + "您好") == 1


async def test_a_flooding_worker_does_not_delay_another(tg, rasa, config, make_app, worker, other_worker):
    held = rasa.hold(f"tg-{W}")  # the worker's first turn stays with Rasa until released
    try:
        async with running(make_app(config, rasa_timeout=60)):  # …without the client giving up
            for n in range(10):
                tg.user_text(worker, f"刷屏{n}")
            # one turn in flight plus a small queue; the rest dropped with one notice
            await tg.wait_for(lambda: texts.SLOW_DOWN in tg.texts_to(W))
            await tg.wait_for(lambda: rasa.messages_from(f"tg-{W}") == ["刷屏0"])

            # another worker is answered while the flood is still stuck at its first turn
            tg.user_text(other_worker, "请问工会卡怎么办？")
            await tg.wait_for(lambda: "收到：请问工会卡怎么办？" in tg.texts_to(OTHER_WORKER_ID))
            assert rasa.messages_from(f"tg-{W}") == ["刷屏0"]

            held.set()
            await tg.wait_for(lambda: len([t for t in tg.texts_to(W) if t.startswith("收到：刷屏")]) == 4, timeout=30)
            # in order, one Rasa request at a time for this worker
            assert [t for t in tg.texts_to(W) if t.startswith("收到：")] == [f"收到：刷屏{n}" for n in range(4)]
            assert rasa.messages_from(f"tg-{W}") == ["刷屏0", "刷屏1", "刷屏2", "刷屏3"]
            assert rasa.most_at_once[f"tg-{W}"] == 1
            assert tg.texts_to(W).count(texts.SLOW_DOWN) == 1

            # drained: the worker is served normally again
            await worker_round_trip(tg, worker, "好了")
            assert rasa.messages_from(f"tg-{W}")[-1] == "好了"
    finally:
        held.set()  # a failed assertion must not leave the app's shutdown waiting for the held turn
