"""Under overload the action server can save a sign-up while the answer reaches the worker
too late (the front end gave up after RASA_TIMEOUT) or as an error (a proxy or load
balancer in between). The worker then gets an apology — which must say that the sign-up
may already be saved and how to check it (“我的报名”), not that it failed.

Real stack, the real Telegram front end (as a child process, against the fake Bot API),
and a small proxy between the front end and Rasa that lets Rasa finish the turn and then
answers late or with an error."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from common import texts
from registry import get_enrollments, open_registry
from scripts.stack import Stack
from tests.rasa_ext.harness import serve_on_loopback
from tests.robustness.conftest import ensure_actions_running
from tests.robustness.telegram import FrontEnd, keyboard, telegram_front_end

pytestmark = pytest.mark.slow

RASA_TIMEOUT = 20.0  # generous for the ordinary turns on a busy machine


class LateProxy:
    """Forwards everything to Rasa. In ``late`` mode a webhook turn is handled by Rasa to
    the end (in a task the front end's disconnect cannot cancel), then answered only after
    the front end gave up; in ``error`` mode it is answered with a 502 instead."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.mode = "pass"
        self.finished: list[asyncio.Task] = []
        self.release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> LateProxy:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300))
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def stop(self) -> None:
        self.release.set()
        for task in self.finished:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 120)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, method: str, path_qs: str, body: bytes, headers: dict) -> tuple[int, bytes, str]:
        assert self._session is not None
        async with self._session.request(method, self.target + path_qs, data=body, headers=headers) as resp:
            return resp.status, await resp.read(), resp.headers.get("Content-Type", "application/json")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
        mode = self.mode if request.path == "/webhooks/rest/webhook" else "pass"
        task = asyncio.ensure_future(self._forward(request.method, request.path_qs, body, headers))
        if mode != "pass":
            self.finished.append(task)
        status, data, content_type = await asyncio.shield(task)
        if mode == "late":
            with contextlib.suppress(asyncio.TimeoutError):  # the front end gives up meanwhile
                await asyncio.wait_for(self.release.wait(), RASA_TIMEOUT + 10)
        elif mode == "error":
            return web.Response(status=502, text="bad gateway")
        return web.Response(status=status, body=data, content_type=content_type.split(";")[0])


async def press(front: FrontEnd, user: dict, replies: list[dict], title: str, timeout: float = 90.0) -> list[dict]:
    found = next(
        ((message, button) for message in reversed(replies) for button in keyboard(message) if title in button["text"]),
        None,
    )
    if found is None:
        raise AssertionError(f"no button {title!r} in {[b['text'] for m in replies for b in keyboard(m)]}")
    message, button = found
    chat = user["id"]
    before = len(front.tg.sent_to(chat))
    front.tg.press(user, message, button["callback_data"])
    await front.tg.wait_for(lambda: len(front.tg.sent_to(chat)) > before, timeout=timeout)
    await front.tg.settle(quiet=1.0, timeout=timeout)
    return front.tg.sent_to(chat)[before:]


def joined(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


async def test_a_sign_up_saved_while_the_answer_was_late(private_stack: Stack, tmp_path: Path) -> None:
    await asyncio.to_thread(ensure_actions_running, private_stack)
    proxy = await LateProxy(private_stack.rasa_url).start()
    try:
        async with telegram_front_end(
            private_stack, tmp_path / "bot", rasa_url=proxy.url, rasa_timeout=RASA_TIMEOUT
        ) as front:
            worker = front.tg.make_user(5301, "周", "七")
            sender = f"tg-{worker['id']}"
            assert "姓名" in joined(await front.ask(worker, "我想报名PLC编程"))
            assert "手机号" in joined(await front.ask(worker, "周七"))
            assert "单位" in joined(await front.ask(worker, "13812345566"))
            replies = await front.ask(worker, "宁波永发机械有限公司")
            replies = await press(front, worker, replies, "北仑区")
            replies = await press(front, worker, replies, "是")
            assert "确认报名「PLC编程」吗" in joined(replies)

            # the confirmation turn: Rasa and the action server finish it, the answer is late
            proxy.mode = "late"
            sorry = await press(front, worker, replies, "确认报名", timeout=RASA_TIMEOUT + 60)
            proxy.mode = "pass"
            assert texts.NO_REPLY_OFFER_PERSON in [m.get("text") for m in sorry], sorry
            assert "报名成功" not in joined(sorry)
            said = joined(sorry)
            assert "可能已经办好了" in said and "我的报名" in said and "失败" not in said
            await asyncio.wait_for(asyncio.gather(*proxy.finished), 120)

            # it was saved, and 我的报名 shows it (as the apology says)
            registry = await asyncio.to_thread(open_registry, private_stack.data / "registry.db")
            try:
                (saved,) = [e for e in get_enrollments(registry, sender) if e.course_id == "jxgf_plc"]
            finally:
                registry.close()
            assert saved.status in ("enrolled", "waitlisted")
            records = joined(await front.ask(worker, "我的报名"))
            assert saved.enrollment_no in records and "PLC编程" in records

            # an error answer (a proxy or balancer in between) gets the same apology
            proxy.mode = "error"
            sorry = await front.ask(worker, "谢谢")
            proxy.mode = "pass"
            assert texts.NO_REPLY_OFFER_PERSON in [m.get("text") for m in sorry], sorry
    finally:
        await proxy.stop()
