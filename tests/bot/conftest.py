"""Fixtures for the Telegram front end: a fake Bot API, a fake Rasa and the real Application.

The Application runs on a :class:`~common.clock.FixedClock` (a Monday morning in Ningbo):
no test depends on the day it runs, and a test that needs time to pass moves the clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_application, running
from bot.config import Config
from bot.hours import StaffedHours
from common.clock import Clock, FixedClock
from tests.bot.bot_test_ids import OPERATOR_ID, OPS_CHAT, OTHER_WORKER_ID, STAFF_ID, WORKER_ID
from tests.bot.fake_bot_api import FakeBotApi
from tests.bot.fake_rasa import FakeRasa
from tests.bot.helpers import TODAY


@pytest.fixture
async def tg() -> AsyncIterator[FakeBotApi]:
    fake = await FakeBotApi().start()
    fake.add_group(OPS_CHAT, "工会人工服务", forum=True)
    fake.set_member(OPS_CHAT, OPERATOR_ID, "member")
    yield fake
    await fake.stop()


@pytest.fixture
async def rasa() -> AsyncIterator[FakeRasa]:
    fake = await FakeRasa().start()
    yield fake
    await fake.stop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.on(TODAY)


@pytest.fixture
def config(tmp_path: Path, tg: FakeBotApi, rasa: FakeRasa, clock: FixedClock) -> Config:
    return Config(
        telegram_token="123456:TEST-TOKEN",
        telegram_base_url=tg.base_url,
        operator_chat_id=OPS_CHAT,
        staff_ids=frozenset({STAFF_ID}),
        rasa_url=rasa.url,
        rasa_token=rasa.token,
        rasa_timeout=1.5,
        data_dir=tmp_path / "data",
        staffed_hours=StaffedHours.parse("always"),
        send_retries=4,
        send_retry_delay=0.05,
        rate_limit_retries=4,
        clock=clock,
    )


@pytest.fixture
def make_app() -> Callable[..., App]:
    """``make_app(config, clock=None, **changes)`` → a fresh Application (restarts, variants)."""

    def make(config: Config, clock: Clock | None = None, **changes: Any) -> App:
        return build_application(replace(config, **changes) if changes else config, clock=clock)

    return make


@pytest.fixture
async def app(config: Config) -> AsyncIterator[App]:
    application = build_application(config)
    async with running(application):
        yield application


@pytest.fixture
def worker(tg: FakeBotApi) -> dict[str, Any]:
    return tg.make_user(WORKER_ID, "张", "三")


@pytest.fixture
def other_worker(tg: FakeBotApi) -> dict[str, Any]:
    return tg.make_user(OTHER_WORKER_ID, "李", "四")


@pytest.fixture
def operator(tg: FakeBotApi) -> dict[str, Any]:
    return tg.make_user(OPERATOR_ID, "王", "老师")
