"""A front end killed mid-turn does not lose the worker's message.

A real ``python -m wechat`` process takes a message (its de-duplication row), sends it to
Rasa, and is killed with SIGKILL before it answers. WeChat's retry of the same ``MsgId``
then reaches another front end on the same shared store: it must answer the worker, not
``success`` (the message taken) and silence. Rasa here is a small fake on 127.0.0.1 that
holds the first request (the turn "under way" when the kill comes) and keeps a tracker,
so both ways a kill can land are covered: before Rasa ran the turn (it is run again) and
after (it is answered from the tracker, not run twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from common.clock import FixedClock
from tests.support import REPO, TODAY, free_port
from tests.wechat.conftest import StartFront, eventually
from tests.wechat.fake_api import APP_ID, APP_SECRET, FakeWeChatApi, LocalServer
from tests.wechat.helpers import TOKEN, Platform, new_openid, text_xml
from wechat import store

ANSWER = "学历提升班由宁波广播电视大学承办，补助 1000 元。"
CLOCK_START = FixedClock.on(date.fromisoformat(TODAY[:10])).now()


class FakeRasa(LocalServer):
    """Rasa's REST channel and tracker API. ``hang``: the first message is never answered
    (the front end is killed while it waits); ``ran``: Rasa ran the turn and stored it
    before the front end died."""

    def __init__(self, *, ran: bool) -> None:
        super().__init__()
        self.ran = ran
        self.received: list[dict[str, Any]] = []
        self.events: dict[str, list[dict[str, Any]]] = {}
        self._never = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        app.router.add_post("/conversations/{sender}/tracker/events", self._append)

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        sender = body["sender"]
        first = len(self.received) == 1
        if first and self.ran or not first:
            self.events.setdefault(sender, []).extend(
                [
                    {"event": "user", "text": body["message"], "metadata": body.get("metadata") or {}},
                    {"event": "action", "name": "action_answer_question"},
                    {"event": "bot", "text": ANSWER, "data": {}},
                ]
            )
        if first:
            await self._never.wait()  # the front end is killed before this answers
        return web.json_response([{"recipient_id": sender, "text": ANSWER}])

    def release(self) -> None:
        self._never.set()

    async def _tracker(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"sender_id": request.match_info["sender"], "events": self.events.get(request.match_info["sender"], [])}
        )

    async def _append(self, request: web.Request) -> web.Response:
        return web.json_response({})


@contextlib.contextmanager
def wechat_process(
    tmp_path: Path, rasa_url: str, api: FakeWeChatApi, instance: str | None = "wx-killed"
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``python -m wechat`` on a free port, its store in ``tmp_path`` (the test's too)."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "UH_", "RASA_", "TELEGRAM_"))},
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_API_BASE_URL": api.base_url,
        "WECHAT_PORT": str(port),
        "RASA_URL": rasa_url,
        "UH_DATA_DIR": str(tmp_path),
        "UH_TODAY": TODAY,
        **({"UH_INSTANCE": instance} if instance else {}),
    }
    log = (tmp_path / "wechat-process.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "wechat"], cwd=REPO, env=env, stdout=log, stderr=log)
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        log.close()


async def healthy(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(f"{url}/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


async def kill_mid_turn(
    tmp_path: Path, rasa: FakeRasa, api: FakeWeChatApi, xml: str, instance: str | None = "wx-killed"
) -> None:
    """The real front end takes ``xml``, sends it to Rasa, and is killed while it waits."""
    with wechat_process(tmp_path, rasa.url, api, instance) as (process, url):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not await healthy(url):
            assert process.poll() is None, (tmp_path / "wechat-process.log").read_text()
            assert loop.time() < deadline, "python -m wechat did not start"
            await asyncio.sleep(0.05)
        platform = Platform(f"{url}/wechat")
        first = asyncio.ensure_future(platform.post(xml))
        await eventually(lambda: len(rasa.received) == 1)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        with contextlib.suppress(httpx.HTTPError):
            await first  # WeChat got no answer: it retries


@pytest.mark.parametrize("ran", [False, True], ids=["before-rasa-ran-it", "after-rasa-ran-it"])
async def test_a_retry_after_the_front_end_was_killed_mid_turn_is_answered(
    tmp_path: Path, start_front: StartFront, wx_api: FakeWeChatApi, ran: bool
) -> None:
    rasa = await FakeRasa(ran=ran).start()
    try:
        openid = new_openid()
        xml = text_xml(openid, "学历提升班是什么？", msg_id=9_200_000_001)
        await kill_mid_turn(tmp_path, rasa, wx_api, xml)
        taken = store.open_db(tmp_path / "handoff.db")
        row = taken.one("SELECT state, owner FROM wx_seen WHERE key = 'msg:9200000001'")
        taken.close()
        assert row == {"state": "running", "owner": "wx-killed"}  # taken, never answered

        async with start_front(rasa.url) as wx:
            wx.clock.advance(minutes=10)  # the killed taker's lease has long run out
            retry = await wx.platform.post(xml)  # WeChat's retry reaches a live front end
            assert retry.status == 200 and retry.text == ANSWER, retry.body
            # one Rasa turn in all: run again only if the first never ran
            assert len(rasa.received) == (1 if ran else 2)
            assert rasa.received[-1]["metadata"]["wechat_key"] == "msg:9200000001"
            late = await wx.platform.post(xml)  # a further retry: the stored reply, no turn
            assert late.text == ANSWER and len(rasa.received) == (1 if ran else 2)
            assert wx.db.one("SELECT state FROM wx_seen WHERE key = 'msg:9200000001'") == {"state": "passive"}
    finally:
        await rasa.stop()


async def test_a_retry_while_the_taker_is_alive_waits_for_its_answer(
    start_front: StartFront, wx_api: FakeWeChatApi
) -> None:
    """The lease is renewed while the turn runs: a retry of a slow, live turn is not run
    again, and the answer comes by customer-service message."""
    rasa = await FakeRasa(ran=False).start()
    try:
        openid = new_openid()
        xml = text_xml(openid, "学历提升班是什么？", msg_id=9_200_000_002)
        async with start_front(rasa.url, reply_seconds=0.2) as wx:
            first = await wx.platform.post(xml)
            assert first.body == "success"
            wx.clock.advance(seconds=5)  # within the lease the heartbeat keeps renewing
            second = await wx.platform.post(xml)
            assert second.body == "success" and len(rasa.received) == 1
            row = wx.db.one("SELECT state, owner FROM wx_seen WHERE key = 'msg:9200000002'")
            assert row == {"state": "running", "owner": "wx-test"}
            rasa.release()
            assert await wx_api.wait_for(openid) == [ANSWER]
            await eventually(lambda: wx.db.scalar("SELECT state FROM wx_seen WHERE key = 'msg:9200000002'") == "pushed")
    finally:
        await rasa.stop()


@pytest.mark.parametrize("instance", ["wx-1", None], ids=["restarted-UH_INSTANCE", "dead-pid-on-this-host"])
async def test_a_retry_right_after_a_restart_is_answered_before_the_lease_runs_out(
    tmp_path: Path, start_front: StartFront, wx_api: FakeWeChatApi, instance: str | None
) -> None:
    """One front end, restarted at once (systemd): WeChat's retries can come before the dead
    taker's lease runs out. A claim by this very instance name that this process does not
    hold, or by a process of this machine that has ended, is taken over at once."""
    rasa = await FakeRasa(ran=False).start()
    try:
        openid = new_openid()
        xml = text_xml(openid, "学历提升班是什么？", msg_id=9_200_000_003)
        await kill_mid_turn(tmp_path, rasa, wx_api, xml, instance)
        taken = store.open_db(tmp_path / "handoff.db")
        dead = taken.scalar("SELECT owner FROM wx_seen WHERE key = 'msg:9200000003'")
        taken.close()
        assert dead == instance or str(dead).startswith("wx@")
        async with start_front(rasa.url, owner=instance or "wx-other") as wx:
            # no clock advance: the killed taker's lease is still running
            retry = await wx.platform.post(xml)
            assert retry.text == ANSWER, retry.body
            assert len(rasa.received) == 2
    finally:
        await rasa.stop()


async def test_a_claim_by_a_live_process_elsewhere_waits_for_its_lease(
    tmp_path: Path, start_front: StartFront, wx_api: FakeWeChatApi
) -> None:
    """Another machine's taker (or a live one here) is never presumed dead: only its lease says."""
    from datetime import timedelta

    db = store.open_db(tmp_path / "handoff.db")
    openid = new_openid()
    store.take_message(
        db, "msg:9200000004", f"wx-{openid}", CLOCK_START, owner="wx@elsewhere:4242", lease=timedelta(seconds=8)
    )
    store.take_message(
        db,
        "msg:9200000005",
        f"wx-{openid}",
        CLOCK_START,
        owner=f"wx@{socket.gethostname()}:{os.getpid()}",
        lease=timedelta(seconds=8),
    )
    db.close()
    rasa = await FakeRasa(ran=False).start()
    try:
        async with start_front(rasa.url, owner="wx-other") as wx:
            for msg_id in (9_200_000_004, 9_200_000_005):
                retry = await wx.platform.post(text_xml(openid, "学历提升班是什么？", msg_id=msg_id))
                assert retry.body == "success"
            assert rasa.received == []
    finally:
        await rasa.stop()
