"""Fixtures for the WeChat front end: the real callback endpoint (``wechat.app.running``) on
a free port, the real wechatpy client pointed at the fake API (``fake_api.py``), its own
hand-off store in ``tmp_path``, a fixed clock. The end-to-end tests add the real Rasa
server and action server with the trained model (``rasa_stack``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from bot.hours import StaffedHours
from bot.rasa_client import RasaClient
from common.clock import FixedClock
from common.database import Database
from tests.support import TODAY, free_port
from tests.wechat.fake_api import APP_ID, APP_SECRET, FakeWeChatApi
from tests.wechat.helpers import TOKEN, Platform
from wechat import store
from wechat.api import ApiClient
from wechat.app import WeChatApp, running
from wechat.server import CallbackConfig, CallbackServer
from wechat.service import FrontEnd


async def eventually(condition: Callable[[], object], timeout: float = 30.0) -> None:
    """Poll ``condition`` until it is true, with a generous deadline (never a fixed sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@dataclass
class Running:
    app: WeChatApp
    platform: Platform
    db: Database
    clock: FixedClock

    @property
    def front(self) -> FrontEnd:
        return self.app.front


@pytest.fixture
async def wx_api() -> AsyncIterator[FakeWeChatApi]:
    fake = await FakeWeChatApi().start()
    yield fake
    await fake.stop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.on(date.fromisoformat(TODAY[:10]))


StartFront = Callable[..., AbstractAsyncContextManager[Running]]


@pytest.fixture
def start_front(tmp_path: Path, wx_api: FakeWeChatApi, clock: FixedClock) -> StartFront:
    """``async with start_front(rasa_url, aes_key=None, registry=None) as running:``;
    ``handoff``: the stack's hand-off store (where the Rasa server's purge deletes)."""

    @asynccontextmanager
    async def start(
        rasa_url: str = "http://127.0.0.1:9",
        *,
        rasa_token: str | None = None,
        aes_key: str | None = None,
        registry: str | None = None,
        template_id: str | None = None,
        reply_seconds: float = 4.0,
        with_api: bool = True,
        handoff: Path | None = None,
        owner: str = "wx-test",
    ) -> AsyncIterator[Running]:
        db = store.open_db(handoff or tmp_path / "handoff.db")
        api = ApiClient(APP_ID, APP_SECRET, db=db, clock=clock, base_url=wx_api.base_url) if with_api else None
        front = FrontEnd(
            db=db,
            rasa=RasaClient(rasa_url, rasa_token, timeout=60.0),
            api=api,
            clock=clock,
            hours=StaffedHours.parse("always"),
            registry_location=registry or f"sqlite:///{tmp_path / 'registry.db'}",
            template_id=template_id,
            owner=owner,
        )
        config = CallbackConfig(token=TOKEN, app_id=APP_ID, aes_key=aes_key, reply_seconds=reply_seconds)
        app = WeChatApp(CallbackServer(config, front), front)
        port = free_port()
        async with running(app, "127.0.0.1", port, poll=0.05):
            platform = Platform(f"http://127.0.0.1:{port}/wechat", aes_key=aes_key, app_id=APP_ID)
            yield Running(app, platform, db, clock)

    return start
