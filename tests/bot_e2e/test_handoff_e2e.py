"""Hand-off to a person end to end: the real action_handoff, the real tracker, the operators' group."""

from __future__ import annotations

import pytest

from bot import tickets
from bot.app import running, services_of
from bot.tickets import Ticket
from common import texts
from tests.bot_e2e.conftest import new_user_id
from tests.bot_e2e.helpers import (
    OPS_CHAT,
    WAIT,
    RasaApi,
    assert_sane_delivery,
    sender,
    ticket_header,
    with_keyboard,
)

pytestmark = pytest.mark.slow

HANDOFF_TEXT = texts.HANDOFF_NOTICE["request_human"]  # what the real action_handoff says


def open_ticket_of(app, worker: dict) -> Ticket | None:
    return tickets.open_for_user(services_of(app).db, worker["id"])


async def ask_for_a_person(tg, worker: dict, words: str = "转人工") -> dict:
    tg.user_text(worker, words)
    await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(worker["id"]), timeout=WAIT)
    header = ticket_header(tg)
    assert header is not None
    return header


async def test_ticket_round_trip_through_the_real_rasa(tg, app, worker, operator, rasa_api: RasaApi):
    W, sid = worker["id"], sender(worker)
    tg.user_text(worker, "PLC编程在哪学")
    await tg.wait_for(lambda: with_keyboard(tg, W), timeout=WAIT)

    # "转人工" → the real action_handoff's text and custom payload → a ticket
    header = await ask_for_a_person(tg, worker)
    assert HANDOFF_TEXT in tg.texts_to(W)
    topic = tg.calls_of("createForumTopic")
    assert len(topic) == 1 and topic[0].params["name"] == "#1 张 三·用户要求转人工"
    thread = header["message_thread_id"]
    assert thread == tg.messages[(OPS_CHAT, header["message_id"])]["message_thread_id"]
    body = header["text"]
    assert f"用户：张 三（{sid}）" in body and "原因：用户要求转人工" in body
    # the transcript comes from the real tracker: both sides, the worker's words in order
    # an attribute question is answered with that attribute (issue #13), not the whole entry
    assert body.index("👤 PLC编程在哪学") < body.index("🤖 PLC编程的地点") < body.index("👤 转人工")
    assert "🤖 " + HANDOFF_TEXT in body
    # Rasa's conversation is paused (a pause event after the last user message)
    tracker = rasa_api.tracker(sid)
    assert tracker["paused"]
    events = [e["event"] for e in tracker["events"]]
    assert events[-1] == "pause" and "user" not in events[events.index("pause") :]
    users_before = rasa_api.user_texts(sid)
    assert users_before == ["PLC编程在哪学", "转人工"]

    # an operator answers in the ticket's topic → the worker gets it
    tg.user_text(operator, "您好，我是工会的王老师，请问有什么可以帮您？", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "您好，我是工会的王老师，请问有什么可以帮您？" in tg.texts_to(W))

    # the worker answers → relayed to the operators, NOT to Rasa
    tg.user_text(worker, "PLC课程可以周六上吗？")
    relayed = await tg.wait_for(lambda: [m for m in tg.sent_to(OPS_CHAT) if "PLC课程可以周六上吗" in m.get("text", "")])
    assert relayed[0]["text"] == "💬 张 三（#1）：\nPLC课程可以周六上吗？"
    assert relayed[0]["message_thread_id"] == thread
    # relaying is all the front end does with it: once relayed, nothing more goes to Rasa
    assert rasa_api.user_texts(sid) == users_before  # no new user event while paused
    assert rasa_api.paused(sid)
    assert rasa_api.pause_resume(sid) == ["pause"]

    # /done → the worker is told, a resume event is recorded, the topic closes
    tg.user_text(operator, "/done", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(W))
    await tg.wait_for(lambda: tg.calls_of("closeForumTopic", message_thread_id=thread))
    assert rasa_api.pause_resume(sid) == ["pause", "resume"]
    assert not rasa_api.paused(sid)
    assert open_ticket_of(app, worker) is None

    # the worker's next question is answered by the bot again
    before = len(tg.sent_to(W))
    tg.user_text(worker, "PLC编程在哪学")
    answer = await tg.wait_for(lambda: [m for m in tg.sent_to(W)[before:] if m.get("reply_markup")], timeout=WAIT)
    assert "PLC" in answer[0]["text"] and "依据" in answer[0]["text"]
    assert rasa_api.user_texts(sid) == users_before + ["PLC编程在哪学"]
    assert_sane_delivery(tg, W)


async def test_restarting_the_front_end_mid_ticket_keeps_it(tg, config, make_app, worker, operator, rasa_api):
    W, sid = worker["id"], sender(worker)
    async with running(make_app(config)):
        tg.user_text(worker, "/human")  # the command sends /request_human to the real Rasa
        await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(W), timeout=WAIT)
        assert HANDOFF_TEXT in tg.texts_to(W)
        header = ticket_header(tg)
        thread = header["message_thread_id"]
    assert rasa_api.paused(sid)

    # while the front end is down, the operator answers (Telegram keeps the update)
    tg.user_text(operator, "我是李老师，您请讲。", chat_id=OPS_CHAT, thread_id=thread)

    app = make_app(config)  # a new Application on the same UH_DATA_DIR
    async with running(app):
        await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "我是李老师，您请讲。" in tg.texts_to(W), timeout=WAIT)
        ticket = open_ticket_of(app, worker)
        assert ticket is not None and ticket.id == 1 and ticket.thread_id == thread

        tg.user_text(worker, "我想申请学历提升补贴")
        relayed = await tg.wait_for(
            lambda: [m for m in tg.sent_to(OPS_CHAT) if "我想申请学历提升补贴" in m.get("text", "")]
        )
        assert relayed[0]["message_thread_id"] == thread
        assert rasa_api.user_texts(sid) == ["/request_human"]  # still not to Rasa

        tg.user_text(operator, "/done", chat_id=OPS_CHAT, thread_id=thread)
        await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(W))
        assert rasa_api.pause_resume(sid) == ["pause", "resume"]

        before = len(tg.sent_to(W))
        tg.user_text(worker, "PLC编程在哪学")
        await tg.wait_for(lambda: [m for m in tg.sent_to(W)[before:] if "PLC" in m.get("text", "")], timeout=WAIT)
    assert len(tg.calls_of("createForumTopic")) == 1  # the same ticket, not a new one
    assert_sane_delivery(tg, W)


async def test_a_non_operator_cannot_close_or_answer_a_ticket(tg, app, worker, operator, rasa_api):
    W, sid = worker["id"], sender(worker)
    header = await ask_for_a_person(tg, worker)
    thread = header["message_thread_id"]
    stranger = tg.make_user(new_user_id(), "路", "人")  # in the group's chat, but not a member
    tg.set_member(OPS_CHAT, stranger["id"], "left")

    tg.user_text(stranger, "我来替你回答", chat_id=OPS_CHAT, thread_id=thread)
    tg.user_text(stranger, "/done", chat_id=OPS_CHAT, thread_id=thread)  # after the answer: one lane
    await tg.wait_for(lambda: texts.DONE_REFUSED in tg.texts_to(OPS_CHAT))
    tg.user_text(stranger, "/done 1", chat_id=OPS_CHAT)
    await tg.wait_for(lambda: tg.texts_to(OPS_CHAT).count(texts.DONE_REFUSED) == 2)

    # the ticket stays open, Rasa stays paused, the worker heard nothing of it
    ticket = open_ticket_of(app, worker)
    assert ticket is not None and ticket.id == 1
    assert rasa_api.paused(sid) and rasa_api.pause_resume(sid) == ["pause"]
    assert texts.HANDOFF_CLOSED_BY_OPERATOR not in tg.texts_to(W)
    assert not any("我来替你回答" in t for t in tg.texts_to(W))

    # relaying still works both ways, and the real operator can close it
    tg.user_text(worker, "还有人在吗？")
    await tg.wait_for(lambda: any("还有人在吗？" in t for t in tg.texts_to(OPS_CHAT)))
    tg.user_text(operator, "在的，请讲。", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "在的，请讲。" in tg.texts_to(W))
    tg.user_text(operator, "/done", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(W))
    assert rasa_api.pause_resume(sid) == ["pause", "resume"]
    assert rasa_api.user_texts(sid) == ["转人工"]
