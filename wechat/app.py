"""Building and running the WeChat front end from the settings: the callback server, the
delivery poller, one shared store, one Rasa client, one API client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from bot.hours import StaffedHours
from bot.rasa_client import RasaClient
from common.clock import Clock
from common.settings import Settings
from wechat import store
from wechat.api import ApiClient
from wechat.server import CallbackConfig, CallbackServer
from wechat.service import FrontEnd, instance_name

log = logging.getLogger(__name__)

#: How often the poller looks for operator replies and notifications to send.
POLL_SECONDS = 2.0


@dataclass
class WeChatApp:
    server: CallbackServer
    front: FrontEnd

    async def poll_forever(self, every: float = POLL_SECONDS) -> None:
        while True:
            await self.front.deliver_once()
            await asyncio.sleep(every)


def build(settings: Settings, *, clock: Clock | None = None) -> WeChatApp:
    """Everything the front end needs, from one reading of the settings."""
    wx = settings.wechat
    if wx.token is None:
        raise ValueError("WECHAT_TOKEN is not set")
    clock = clock or settings.clock
    db = store.open_db(settings.handoff_url)
    api = None
    if wx.app_id and wx.app_secret:
        api = ApiClient(wx.app_id, wx.app_secret, db=db, clock=clock, base_url=wx.api_base_url)
    front = FrontEnd(
        db=db,
        rasa=RasaClient(settings.rasa_url, settings.rasa_token, timeout=max(settings.rasa_timeout, 30.0)),
        api=api,
        clock=clock,
        hours=StaffedHours.parse(settings.staffed_hours),
        registry_location=settings.registry_url,
        template_id=wx.template_id,
        owner=instance_name(settings.instance),
    )
    config = CallbackConfig(token=wx.token, app_id=wx.app_id, aes_key=wx.aes_key, reply_seconds=wx.reply_seconds)
    return WeChatApp(CallbackServer(config, front), front)


@contextlib.asynccontextmanager
async def running(app: WeChatApp, host: str, port: int, *, poll: float = POLL_SECONDS) -> AsyncIterator[int]:
    """Serve the callback and run the poller until the block ends; yields the port."""
    runner = web.AppRunner(app.server.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = port or runner.addresses[0][1]
    poller = asyncio.create_task(app.poll_forever(poll))
    log.info("WeChat callback on http://%s:%s/wechat", host, bound)
    try:
        yield bound
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        await runner.cleanup()
        await app.front.rasa.close()
        app.front.close()
