"""The staff console's inbox and the Telegram topic agree (issue #15): a reply or a close
made in the web console reaches the worker through this front end, the conversation is
resumed in Rasa, and the Telegram operators see it in the ticket's topic."""

from __future__ import annotations

from dataclasses import replace

from bot.app import running, services_of
from common import texts
from handoff import close_ticket, reply_if_open
from tests.bot.bot_test_ids import OPS_CHAT, WORKER_ID
from tests.bot.test_handoff import open_ticket

W = WORKER_ID
SENDER = f"tg-{W}"
CONSOLE = {"mirror": "console", "author": "李 老师"}


async def test_a_console_reply_and_close_show_in_the_topic(tg, rasa, config, make_app, clock, worker):
    async with running(make_app(replace(config, notify_interval=0.05))) as app:
        header = await open_ticket(tg, rasa, worker, phone_first=False)
        thread = header["message_thread_id"]
        svc = services_of(app)

        reply = reply_if_open(
            svc.db, 1, "您好，补贴下月发放。", author="console:li", now=clock.now(), source="console:1", payload=CONSOLE
        )
        assert reply.status == "sent"
        await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "您好，补贴下月发放。" in tg.texts_to(W))
        mirrored = await tg.wait_for(
            lambda: [m for m in tg.sent_to(OPS_CHAT) if m.get("text", "").startswith("💻 李 老师（在后台回复）")]
        )
        assert mirrored[0]["message_thread_id"] == thread and "您好，补贴下月发放。" in mirrored[0]["text"]

        closed = close_ticket(
            svc.db, 1, closed_by="console:li", now=clock.now(), notice=texts.HANDOFF_CLOSED_BY_OPERATOR, payload=CONSOLE
        )
        assert closed is not None
        await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(W))
        await tg.wait_for(lambda: tg.calls_of("closeForumTopic", message_thread_id=thread))
        assert any(t.startswith("✅ 工单 #1 已关闭（李 老师，在后台）") for t in tg.texts_to(OPS_CHAT))
        assert rasa.events_for(SENDER) == ["pause", "resume"]  # resumed before the worker heard it


async def test_a_telegram_reply_is_not_mirrored_back(tg, rasa, app, worker, operator):
    header = await open_ticket(tg, rasa, worker, phone_first=False)
    tg.user_text(operator, "我来回复", chat_id=OPS_CHAT, thread_id=header["message_thread_id"])
    await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "我来回复" in tg.texts_to(W))
    assert not any("在后台" in t for t in tg.texts_to(OPS_CHAT))
