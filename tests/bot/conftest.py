"""Fixtures for the Telegram front end: a fake Bot API, a fake Rasa and the real Application."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # bot_test_ids, fake_bot_api, fake_rasa (importlib mode)
if str(HERE.parent.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent.parent))  # the repository root, for `import bot`

from bot_test_ids import OPERATOR_ID, OPS_CHAT, OTHER_WORKER_ID, STAFF_ID, WORKER_ID  # noqa: E402
from fake_bot_api import FakeBotApi  # noqa: E402
from fake_rasa import FakeRasa  # noqa: E402

from bot.app import build_application, running  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.hours import StaffedHours  # noqa: E402


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
def config(tmp_path: Path, tg: FakeBotApi, rasa: FakeRasa) -> Config:
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
    )


@pytest.fixture
def make_app():
    """``make_app(config, **changes)`` → a fresh Application (for restarts and variants)."""

    def make(config: Config, clock=None, **changes):
        return build_application(replace(config, **changes) if changes else config, clock=clock)

    return make


@pytest.fixture
async def app(config: Config):
    application = build_application(config)
    async with running(application):
        yield application


@pytest.fixture
def worker(tg: FakeBotApi) -> dict:
    return tg.make_user(WORKER_ID, "张", "三")


@pytest.fixture
def other_worker(tg: FakeBotApi) -> dict:
    return tg.make_user(OTHER_WORKER_ID, "李", "四")


@pytest.fixture
def operator(tg: FakeBotApi) -> dict:
    return tg.make_user(OPERATOR_ID, "王", "老师")
