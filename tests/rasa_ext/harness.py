"""What the Rasa-extension tests run Rasa with: the REST channel served by a real Sanic
server on 127.0.0.1 (registered the way ``rasa run`` registers channels), and counters of
the work the speed-ups save, taken inside Rasa's own code."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import rasa.shared.utils.common
from aiohttp import web
from jsonschema import validators
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import register
from rasa.shared.core.events import Event
from sanic import Sanic

from rasa_ext.channels import RestInput

#: Every speed-up UH_RASA_SPEEDUPS knows, in the order they are installed (a literal, so a
#: change to rasa_ext.speedups.FEATURES shows in the tests), and the Rasa patches among them.
EVERY_SPEEDUP = [
    "fastval",
    "evcache",
    "payload",
    "parsecache",
    "keepalive",
    "fastcopy",
    "priorstates",
    "rulematch",
    "trackercache",
]
EVERY_PATCH = [name for name in EVERY_SPEEDUP if name != "trackercache"]


class RasaWork:
    """How often Rasa checked the action-reply schema against its meta-schema (what
    ``fastval`` saves), walked the ``Event`` class tree to find an event's class (what
    ``evcache`` saves) and opened an aiohttp client session, each with its own connection
    pool (what ``keepalive`` saves). Counted by wrapping the library functions Rasa calls
    for them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.schema_checks = 0
        self.event_class_walks = 0
        self.sessions_opened = 0
        session_init = aiohttp.ClientSession.__init__
        validator_class = validators.validator_for(RemoteAction.action_response_format_spec())
        check_schema = validator_class.check_schema
        all_subclasses = rasa.shared.utils.common.all_subclasses

        def counted_check(schema: object, *args: object, **kwargs: object) -> None:
            self.schema_checks += 1
            check_schema(schema, *args, **kwargs)

        def counted_walk(cls: type) -> list[type]:
            if cls is Event:  # not its recursive calls for the subclasses
                self.event_class_walks += 1
            return all_subclasses(cls)

        def counted_session(session: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
            self.sessions_opened += 1
            session_init(session, *args, **kwargs)

        monkeypatch.setattr(aiohttp.ClientSession, "__init__", counted_session)
        monkeypatch.setattr(validator_class, "check_schema", staticmethod(counted_check))
        monkeypatch.setattr(rasa.shared.utils.common, "all_subclasses", counted_walk)

    def reset(self) -> None:
        self.schema_checks = self.event_class_walks = self.sessions_opened = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def serve_on_loopback(app: web.Application) -> tuple[web.AppRunner, int]:
    """``app`` (a stand-in server of a test) on a free port of 127.0.0.1; stop it with
    ``await runner.cleanup()``."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]


@contextlib.asynccontextmanager
async def served_channel(agent: Any, channel: RestInput | None = None) -> AsyncIterator[str]:
    """``channel`` (default: a new one) in front of ``agent`` (anything with Rasa's
    ``handle_message`` and, for the apology, ``tracker_store``); yields the channel's URL.

    Sanic's test mode, for the duration: it lets one process start several apps (outside
    it Sanic rewrites its request handler for the first app and fails on the second).
    """
    test_mode = Sanic.test_mode
    Sanic.test_mode = True
    try:
        app = Sanic(f"uh-test-{uuid.uuid4().hex[:12]}")
        app.ctx.agent = agent
        register([channel or RestInput()], app, route="/webhooks/")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()
        await server.before_start()
        await server.after_start()
        try:
            yield f"http://127.0.0.1:{port}/webhooks/rest"
        finally:
            await server.before_stop()
            server.close()
            await server.wait_closed()
            await server.after_stop()
    finally:
        Sanic.test_mode = test_mode
