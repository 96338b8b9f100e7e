"""``keepalive``: Rasa's ``EndpointConfig.request`` (the call every custom action makes)
against a stand-in endpoint on 127.0.0.1. With the patch the calls share one TCP
connection and still send exactly what Rasa sends (headers, basic auth, token); a
connection the server dropped, or a session closed, is replaced, not reused; stopping the
served Rasa app closes what was kept. Without it, every call opens its own connection."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from rasa_ext import patches
from tests.rasa_ext.harness import serve_on_loopback, served_channel


class Endpoint:
    """A stand-in endpoint: echoes each call and records the client's end of the TCP
    connection and what the request carried."""

    def __init__(self) -> None:
        self.peers: list[object] = []
        self.seen: list[dict[str, Any]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _webhook(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        self.peers.append(request.transport.get_extra_info("peername"))
        self.seen.append(
            {
                "authorization": request.headers.get("Authorization"),
                "x-union": request.headers.get("X-Union"),
                "token": request.query.get("token"),
                "body": await request.json(),
            }
        )
        return web.json_response({"events": [], "responses": [{"text": f"第{len(self.peers)}次"}]})

    async def start(self, port: int = 0) -> Endpoint:
        app = web.Application()
        app.router.add_post("/webhook", self._webhook)
        if port:
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", port).start()
            self.port = port
        else:
            self._runner, self.port = await serve_on_loopback(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def config(self) -> EndpointConfig:
        """A new config each time, as Rasa's actions hold their own copies."""
        return EndpointConfig(
            url=f"http://127.0.0.1:{self.port}/webhook",
            headers={"X-Union": "ningbo"},
            basic_auth={"username": "rasa", "password": "s3cret"},
            token="t0k",
        )


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    server = await Endpoint().start()
    try:
        yield server
    finally:
        await server.stop()
        await patches.close_kept_sessions()


async def calls(endpoint: Endpoint, n: int) -> list[Any]:
    return [await endpoint.config().request(json={"n": i}, method="post", timeout=10) for i in range(n)]


async def test_calls_share_one_connection_and_send_what_rasa_sends(endpoint: Endpoint) -> None:
    with patches.applied(["keepalive"]):
        kept = await calls(endpoint, 3)
        assert await patches.close_kept_sessions() == 1
    kept_peers, kept_seen = list(endpoint.peers), list(endpoint.seen)
    endpoint.peers.clear()
    endpoint.seen.clear()
    plain = await calls(endpoint, 3)

    assert len(set(kept_peers)) == 1
    assert len(set(endpoint.peers)) == 3  # Rasa as shipped: a new connection per call
    assert [r["responses"] for r in kept] == [r["responses"] for r in plain]
    assert kept_seen == endpoint.seen
    auth = "Basic " + base64.b64encode(b"rasa:s3cret").decode()
    assert kept_seen[0] == {"authorization": auth, "x-union": "ningbo", "token": "t0k", "body": {"n": 0}}


async def test_a_dropped_connection_or_closed_session_is_replaced(endpoint: Endpoint) -> None:
    with patches.applied(["keepalive"]):
        await calls(endpoint, 1)
        port = endpoint.port
        await endpoint.stop()  # the server goes away (a restart): its connections close
        await endpoint.start(port)
        second = await calls(endpoint, 1)
        assert second[0]["responses"] == [{"text": "第2次"}]
        assert len(set(endpoint.peers)) == 2

        (session,) = patches.kept_sessions()
        await session.close()  # a session someone closed is never handed out again
        third = await calls(endpoint, 1)
        assert third[0]["responses"] == [{"text": "第3次"}]
        assert patches.kept_sessions()[0] is not session


async def test_stopping_the_served_app_closes_the_kept_sessions(
    endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UH_RASA_SPEEDUPS", "keepalive")
    async with served_channel(object()):
        assert patches.installed() == ["keepalive"]
        await calls(endpoint, 2)  # as a custom action would, on the server's loop
        (session,) = patches.kept_sessions()
        assert not session.closed
    assert session.closed
    assert patches.kept_sessions() == []


def _tracker_body() -> dict[str, Any]:
    """What a custom action call carries: the tracker's state and the domain."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

    from tests.support import REPO

    domain = Domain.load(str(REPO / "domain"))
    tracker = DialogueStateTracker.from_events(
        "wx-oAbc/1", [SessionStarted(), ActionExecuted("action_listen")], domain.slots
    )
    tracker.update(UserUttered('劳模班学费谁出？/\\"é', {"name": "ask_subsidy", "confidence": 0.1234567890123}))
    tracker.update(SlotSet("worker_name", "小王 <a href='https://x/y'>"))
    tracker.update(BotUttered("全额 ✅", {"buttons": [{"title": "报名", "payload": '/enroll{"course":"PLC"}'}]}))
    return {"tracker": tracker.current_state(EventVerbosity.ALL), "domain": domain.as_dict(), "big": 2**70, "nan": None}


async def test_a_tracker_goes_to_the_action_server_as_the_same_document(endpoint: Endpoint) -> None:
    body = _tracker_body()
    with patches.applied(["keepalive"]):
        await endpoint.config().request(json=body, method="post", timeout=10)
    await endpoint.config().request(json=body, method="post", timeout=10)
    kept, plain = endpoint.seen
    assert kept["body"] == plain["body"] == json.loads(json.dumps(body))
    assert patches.request_json(body) != json.dumps(body)  # ujson wrote it (no spaces)
    assert json.loads(patches.request_json(body)) == json.loads(json.dumps(body))
    assert patches.request_json({"n": float("nan"), "b": 2**80}) == '{"n":NaN,"b":1208925819614629174706176}'
    with pytest.raises(TypeError):  # refused as json.dumps refuses it
        patches.request_json({"raw": b"bytes"})
