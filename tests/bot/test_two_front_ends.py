"""Two Telegram front ends in webhook mode behind one webhook, sharing one store: tickets,
operator replies and the outboxes (issue #17, item 2). On SQLite (one machine) and, with
``make test-scale``, on PostgreSQL (front ends on different machines).

The fake Bot API plays Telegram and the load balancer: it POSTs each update to the front
ends in turn and, when one does not answer 200, to the other — as Telegram delivers an
update again that got no answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest

from bot import tickets
from bot.app import App, build_application, services_of
from bot.config import Config
from bot.webhook import serve_webhook
from common import texts
from registry import open_registry, pending_notifications, queue_notification
from tests.bot.bot_test_ids import OPS_CHAT, WORKER_ID
from tests.bot.helpers import DEADLINE, eventually
from tests.scale.postgres import BACKENDS, postgres_server, postgres_url
from tests.support import free_port

__all__ = ["postgres_server", "postgres_url"]

W = WORKER_ID
SECRET = "webhook-secret"


@dataclass
class FrontEnd:
    name: str
    app: App
    url: str
    stop: asyncio.Event
    task: asyncio.Task


@pytest.fixture(params=BACKENDS)
def shared_config(request: pytest.FixtureRequest, config: Config) -> Config:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return replace(config, database_url=url, notify_interval=0.1)


@contextlib.asynccontextmanager
async def front_ends(tg, config: Config, count: int = 2) -> AsyncIterator[list[FrontEnd]]:
    started: list[FrontEnd] = []
    try:
        for index in range(count):
            port = free_port()
            name = "ab"[index]
            cfg = replace(
                config,
                mode="webhook",
                webhook_url=f"https://bot.example.org/tg/{name}",
                webhook_listen="127.0.0.1",
                webhook_port=port,
                webhook_secret=SECRET,
                instance=f"fe-{name}",
            )
            app = build_application(cfg)
            stop, listening = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(serve_webhook(app, cfg, stop, listening))
            await asyncio.wait_for(listening.wait(), DEADLINE)
            started.append(FrontEnd(name, app, f"http://127.0.0.1:{port}/tg/{name}", stop, task))
        tg.use_webhooks([fe.url for fe in started], SECRET)
        yield started
    finally:
        for fe in started:
            fe.stop.set()
        for fe in started:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(fe.task, DEADLINE)


def handled_by(tg, update: dict) -> list[str]:
    return [target for uid, target, status in tg.webhook_attempts if uid == update["update_id"] and status == 200]


async def test_two_front_ends_share_tickets_and_a_reply_reaches_the_worker_once(
    tg, rasa, shared_config, worker, operator
):
    async with front_ends(tg, shared_config) as (a, b):
        tg.user_text(worker, "/human")  # to A (the balancer's first)
        await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(W), timeout=DEADLINE)
        header = [m for m in tg.sent_to(OPS_CHAT) if "工单 #1" in m.get("text", "")][0]
        thread = header["message_thread_id"]

        # the worker's next message reaches B, which relays it into the same topic
        to_rasa = len(rasa.messages_from(f"tg-{W}"))
        message = tg.user_text(worker, "我想问技能补贴")
        relayed = await tg.wait_for(lambda: [m for m in tg.sent_to(OPS_CHAT) if "我想问技能补贴" in m.get("text", "")])
        assert relayed[0]["message_thread_id"] == thread
        assert len(rasa.messages_from(f"tg-{W}")) == to_rasa  # not to Rasa: a person has it
        assert (await tg.wait_for(lambda: handled_by(tg, message), timeout=DEADLINE))[0].endswith("/tg/b")

        # an operator's reply: handled by one front end, then delivered again to the other
        # (Telegram got no answer in time) — the worker reads it once
        reply = tg.user_text(operator, "您好，请讲", chat_id=OPS_CHAT, thread_id=thread)
        await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "您好，请讲" in tg.texts_to(W), timeout=DEADLINE)
        update = {"update_id": reply["update_id"], "message": {k: v for k, v in reply.items() if k != "seq"}}
        for fe in (a, b):
            tg.redeliver(update, target=fe.url)
        await tg.wait_for(lambda: len(handled_by(tg, update)) == 3, timeout=DEADLINE)
        tg.user_text(operator, "还在吗", chat_id=OPS_CHAT, thread_id=thread)  # a later one, in order
        await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "还在吗" in tg.texts_to(W), timeout=DEADLINE)
        assert tg.texts_to(W).count(texts.OPERATOR_PREFIX + "您好，请讲") == 1

        # /done on whichever front end: closed once, the worker told once, Rasa resumed
        tg.user_text(operator, "/done", chat_id=OPS_CHAT, thread_id=thread)
        await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(W), timeout=DEADLINE)
        # resumed: by the closer, and possibly once more by the other front end's sweep of
        # unrecorded resumes racing it (a second resume is a no-op in Rasa; never none)
        events = rasa.events_for(f"tg-{W}")
        assert events[:2] == ["pause", "resume"] and set(events[1:]) == {"resume"}
        await eventually(lambda: not any(services_of(fe.app).notifications.in_flight for fe in (a, b)))
        assert tg.texts_to(W).count(texts.HANDOFF_CLOSED_BY_OPERATOR) == 1
        assert tickets.open_for_user(services_of(b.app).db, W) is None


async def test_the_outbox_is_delivered_exactly_once_by_two_front_ends(tg, rasa, shared_config):
    location = shared_config.registry_location
    db = open_registry(location)
    try:
        ids = [queue_notification(db, f"tg-{7000 + i}", f"候补转正通知{i}") for i in range(30)]
        ids += [queue_notification(db, "tg-7000", f"第{n}条后续通知") for n in range(3)]
        async with front_ends(tg, shared_config):
            await eventually(lambda: not pending_notifications(db), timeout=60)
        sent = Counter((c.params["chat_id"], c.params["text"]) for c in tg.calls_of("sendMessage"))
        assert len(sent) == len(ids) and set(sent.values()) == {1}  # every message once
        assert [t for t in tg.texts_to(7000)] == ["候补转正通知0", "第0条后续通知", "第1条后续通知", "第2条后续通知"]
        claimed_by = {row["claimed_by"] for row in db.query("SELECT claimed_by FROM notifications")}
        assert claimed_by == {None}  # every claim ended in delivered
    finally:
        db.close()


async def test_a_ticket_a_front_end_could_not_post_is_posted_by_the_other(tg, rasa, shared_config, worker, clock):
    tg.fail_next(5, 502, methods="sendMessage", chat_id=OPS_CHAT)  # one send with its retries
    async with front_ends(tg, shared_config) as (a, b):
        tg.user_text(worker, "/human")
        await tg.wait_for(lambda: texts.HANDOFF_DEFERRED in tg.texts_to(W), timeout=DEADLINE)
        a.stop.set()  # A goes away; its ticket is not lost
        await asyncio.wait_for(a.task, DEADLINE)
        clock.advance(seconds=31)
        await services_of(b.app).notifications.poll_once()
        await tg.wait_for(lambda: texts.HANDOFF_READY_LATER in tg.texts_to(W), timeout=DEADLINE)
        assert len([m for m in tg.sent_to(OPS_CHAT) if "工单 #1" in m.get("text", "")]) == 1
