"""End-to-end fixtures: the real Telegram front end (``bot.app.build_application``) against
the fake Telegram Bot API (``tests/bot/fake_bot_api.py``) and the real Rasa server + action
server with the trained model (the session fixture ``rasa_stack`` in ``tests/conftest.py``).

Every test gets fresh Telegram user ids (so its Rasa conversations ``tg-<id>`` are new in the
session-wide tracker store), a fresh fake Bot API, its own ``UH_DATA_DIR`` for the front
end's ``handoff.db`` and a front end on a fixed clock.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import App, build_application, running
from bot.config import Config
from bot.hours import StaffedHours
from common.clock import FixedClock
from tests.bot.fake_bot_api import FakeBotApi
from tests.bot.helpers import TODAY
from tests.bot_e2e.helpers import OPS_CHAT, RasaApi

_user_ids = itertools.count(8_100_001)


def new_user_id() -> int:
    return next(_user_ids)


@pytest.fixture
async def tg() -> AsyncIterator[FakeBotApi]:
    fake = await FakeBotApi().start()
    fake.add_group(OPS_CHAT, "工会人工服务", forum=True)
    yield fake
    await fake.stop()


@pytest.fixture
def operator(tg: FakeBotApi) -> dict:
    user = tg.make_user(new_user_id(), "王", "老师")
    tg.set_member(OPS_CHAT, user["id"], "member")
    return user


@pytest.fixture
def worker(tg: FakeBotApi) -> dict:
    return tg.make_user(new_user_id(), "张", "三")


@pytest.fixture
def rasa_api(rasa_stack) -> RasaApi:
    return RasaApi(rasa_stack.rasa_url, rasa_stack.token)


@pytest.fixture
def config(tmp_path: Path, tg: FakeBotApi, rasa_stack) -> Config:
    """Production settings (Rasa timeout, flood limits, poll interval), test servers."""
    return Config(
        telegram_token="123456:E2E-TOKEN",
        telegram_base_url=tg.base_url,
        operator_chat_id=OPS_CHAT,
        rasa_url=rasa_stack.rasa_url,
        rasa_token=rasa_stack.token,
        data_dir=tmp_path / "data",
        staffed_hours=StaffedHours.parse("always"),
        send_retry_delay=0.05,
        clock=FixedClock.on(TODAY),
    )


@pytest.fixture
def make_app() -> Callable[[Config], App]:
    return build_application


@pytest.fixture
async def app(config: Config) -> AsyncIterator[App]:
    application = build_application(config)
    async with running(application):
        yield application
