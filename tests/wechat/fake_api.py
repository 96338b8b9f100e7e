"""A small fake of the WeChat API on 127.0.0.1, for the real wechatpy client to talk to.

It issues access tokens (``GET /cgi-bin/token``), accepts customer-service messages
(``POST /cgi-bin/message/custom/send``) and template messages
(``POST /cgi-bin/message/template/send``) and records them. A test can expire a token
(the next call with it gets 42001, as WeChat answers), or refuse customer-service messages
to a worker (45015: outside the 48-hour window).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from aiohttp import web
from typing_extensions import Self

from tests.support import free_port

APP_ID = "wx0123456789abcdef"
APP_SECRET = "s3cret-for-tests"


class LocalServer:
    """An aiohttp server on a free 127.0.0.1 port; subclasses add their routes."""

    def __init__(self) -> None:
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> Self:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class FakeWeChatApi(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.tokens_issued: list[str] = []
        self.expired: set[str] = set()
        self.refuse_every_token = False  # 40001 whatever the token (a wrong AppSecret elsewhere…)
        self.refuse_window: set[str] = set()  # openids outside the 48-hour window
        self.messages: list[dict[str, Any]] = []  # customer-service messages, as posted
        self.templates: list[dict[str, Any]] = []
        self.menus: list[dict[str, Any]] = []
        self._counter = itertools.count(1)
        self._changed = asyncio.Condition()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/"

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom)
        app.router.add_post("/cgi-bin/message/template/send", self._template)
        app.router.add_post("/cgi-bin/menu/create", self._menu)

    async def _token(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("appid") != APP_ID or q.get("secret") != APP_SECRET or q.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        token = f"token-{next(self._counter)}"
        self.tokens_issued.append(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    def _check_token(self, request: web.Request) -> dict[str, Any] | None:
        token = request.query.get("access_token", "")
        if token in self.expired:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if token not in self.tokens_issued or self.refuse_every_token:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        return None

    async def _custom(self, request: web.Request) -> web.Response:
        refused = self._check_token(request)
        if refused:
            return web.json_response(refused)
        body = json.loads(await request.read())
        if body.get("touser") in self.refuse_window:
            return web.json_response({"errcode": 45015, "errmsg": "response out of time limit"})
        await self._record(self.messages, body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _template(self, request: web.Request) -> web.Response:
        refused = self._check_token(request)
        if refused:
            return web.json_response(refused)
        await self._record(self.templates, json.loads(await request.read()))
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": next(self._counter)})

    async def _menu(self, request: web.Request) -> web.Response:
        refused = self._check_token(request)
        if refused:
            return web.json_response(refused)
        await self._record(self.menus, json.loads(await request.read()))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _record(self, into: list[dict[str, Any]], body: dict[str, Any]) -> None:
        async with self._changed:
            into.append(body)
            self._changed.notify_all()

    def texts_to(self, openid: str) -> list[str]:
        return [m["text"]["content"] for m in self.messages if m.get("touser") == openid and m.get("msgtype") == "text"]

    async def wait_for(self, openid: str, count: int = 1, timeout: float = 60.0) -> list[str]:
        """The customer-service texts to ``openid`` once there are ``count`` of them."""

        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.texts_to(openid)) >= count)

        await asyncio.wait_for(enough(), timeout)
        return self.texts_to(openid)
