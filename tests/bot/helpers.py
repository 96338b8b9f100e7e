"""Helpers of the front end's tests (``tests.bot.helpers``): waiting without sleeping.

Every wait here polls for a condition under a generous deadline. To show that something
did *not* happen, a test sends a later message through the same lane (one worker's
messages, one operator's messages and one chat's deliveries are handled in order) and
waits for that one: whatever the earlier message caused has happened by then.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from common.texts import OPERATOR_PREFIX
from tests.bot.bot_test_ids import OPS_CHAT
from tests.bot.fake_bot_api import FakeBotApi

#: Generous: a loaded 2-core machine runs four test suites at once.
DEADLINE = 30.0
#: The day the front end's tests run on (a Monday; ``FixedClock.on(TODAY)`` is 10:00 in Ningbo).
TODAY = date(2026, 11, 16)


async def eventually(predicate: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    """``predicate()``'s first truthy value, re-checked on every turn of the event loop."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s")
        await asyncio.sleep(0.01)


def keyboard(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def worker_round_trip(tg: FakeBotApi, worker: dict[str, Any], text: str = "同步一下") -> None:
    """A message from ``worker`` answered by the fake Rasa (it echoes ``收到：…``)."""
    tg.user_text(worker, text)
    await tg.wait_for(lambda: f"收到：{text}" in tg.texts_to(worker["id"]), timeout=DEADLINE)


async def operator_round_trip(
    tg: FakeBotApi, operator: dict[str, Any], worker_chat: int, text: str = "请稍等", **where: Any
) -> None:
    """A reply from ``operator`` to a ticket (``thread_id=`` or ``reply_to=``), delivered to the worker."""
    tg.user_text(operator, text, chat_id=OPS_CHAT, **where)
    await tg.wait_for(lambda: OPERATOR_PREFIX + text in tg.texts_to(worker_chat), timeout=DEADLINE)
