"""A worker and the real bot: the Telegram front end, the trained model and the action server."""

from __future__ import annotations

import pytest

from bot import relay, tickets
from bot.app import services_of
from bot.formatting import tg_len
from common import texts
from tests.bot.helpers import keyboard
from tests.bot_e2e.helpers import (
    OPS_CHAT,
    WAIT,
    assert_sane_delivery,
    sender,
    ticket_header,
    with_keyboard,
)

pytestmark = pytest.mark.slow


async def test_course_question_gets_the_answer_and_a_button_goes_to_rasa(tg, app, worker, rasa_api):
    W = worker["id"]
    # what the course is: the whole entry, with its next steps (an attribute question gets one line)
    tg.user_text(worker, "PLC编程是什么")
    answer = (await tg.wait_for(lambda: with_keyboard(tg, W), timeout=WAIT))[0]
    # the real answer from the knowledge base, with its source
    assert "PLC" in answer["text"] and "依据" in answer["text"]
    assert rasa_api.user_texts(sender(worker)) == ["PLC编程是什么"]
    buttons = keyboard(answer)
    titles = [b["text"] for b in buttons]
    assert "其他课程" in titles and texts.HUMAN_BUTTON["title"] in titles
    # the payloads stay in handoff.db; Telegram's callback data carries a short key
    assert all(len(b["callback_data"].encode()) <= 64 and "/" not in b["callback_data"] for b in buttons)
    assert tg.calls_of("sendChatAction", chat_id=W, action="typing")

    before = len(tg.sent_to(W))
    other = next(b for b in buttons if b["text"] == "其他课程")
    tg.press(worker, answer, other["callback_data"])
    await tg.wait_for(lambda: len(tg.sent_to(W)) > before, timeout=WAIT)
    # the button's payload reached the real Rasa as the worker's next message
    assert rasa_api.user_texts(sender(worker)) == ["PLC编程是什么", "/ask_course_list"]
    # the press was answered and the keyboard edited away, showing the choice
    assert tg.calls_of("answerCallbackQuery")
    pressed = tg.messages[(W, answer["message_id"])]
    assert "reply_markup" not in pressed
    assert pressed["text"].endswith(texts.BUTTON_CHOSEN.format(title="其他课程"))
    assert pressed["text"].startswith(answer["text"])
    # and Rasa's answer to it (the course list) reached the worker
    reply = tg.sent_to(W)[before]
    assert "课" in reply["text"]

    # the spent keyboard cannot be pressed again (a refused press is answered, nothing else)
    tg.press(worker, answer, other["callback_data"])
    await tg.wait_for(lambda: tg.calls_of("answerCallbackQuery", text=texts.BUTTON_EXPIRED))
    assert rasa_api.user_texts(sender(worker)) == ["PLC编程是什么", "/ask_course_list"]
    assert_sane_delivery(tg, W)


async def test_a_sticker_gets_the_short_chinese_reply_and_nothing_reaches_rasa(tg, app, worker, rasa_api):
    W = worker["id"]
    tg.user_sticker(worker)
    await tg.wait_for(lambda: tg.texts_to(W), timeout=WAIT)
    # the worker can go on with a question (after the sticker: one worker's messages in order)
    tg.user_text(worker, "PLC编程在哪学")
    await tg.wait_for(lambda: with_keyboard(tg, W), timeout=WAIT)
    assert tg.texts_to(W)[0] == texts.TEXT_ONLY
    assert rasa_api.user_texts(sender(worker)) == ["PLC编程在哪学"]  # the sticker never reached Rasa
    assert_sane_delivery(tg, W)


async def test_a_10000_character_message_is_answered_and_relayed_whole_in_a_ticket(tg, app, worker, rasa_api):
    W = worker["id"]
    question = "PLC编程在哪学？我想了解一下课程的时间地点和报名方式。"
    text = (question * 400)[:10000]
    tg.user_text(worker, text)
    await tg.wait_for(lambda: with_keyboard(tg, W), timeout=WAIT)  # the answer's last part has the buttons
    assert "PLC" in "".join(tg.texts_to(W))  # the real answer, not an apology
    assert_sane_delivery(tg, W)
    # Rasa got the first sentences only (its NLU slows down steeply with length)
    (received,) = rasa_api.user_texts(sender(worker))
    assert received == relay.for_rasa(text) and text.startswith(received)
    assert tg_len(received) <= relay.MAX_RASA_TEXT

    # during a hand-off the operators get all of it, in parts Telegram accepts
    tg.user_text(worker, "转人工")
    await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(W), timeout=WAIT)
    header = ticket_header(tg)
    tg.user_text(worker, text)
    prefix = "💬 张 三（#1）：\n"

    def relayed_parts() -> list[str]:
        ops = tg.texts_to(OPS_CHAT)
        return ops[ops.index(header["text"]) + 1 :]

    whole = (prefix + text).replace("\n", "")
    await tg.wait_for(lambda: "".join(relayed_parts()).replace("\n", "") == whole, timeout=WAIT)
    relayed = relayed_parts()
    assert len(relayed) >= 3 and all(tg_len(p) <= 4096 for p in relayed)
    assert "".join(relayed).replace("\n", "") == (prefix + text).replace("\n", "")
    assert not tg.calls_of("sendMessage", ok=False)
    assert rasa_api.user_texts(sender(worker)) == [received, "转人工"]


async def test_two_unanswerable_questions_in_a_row_open_a_ticket(tg, app, worker, rasa_api):
    W = worker["id"]
    sid = sender(worker)
    # two knowledge questions the knowledge base has no answer for
    tg.user_text(worker, "工会会费每个月交多少")
    first = (await tg.wait_for(lambda: with_keyboard(tg, W), timeout=WAIT))[0]
    assert "🤔" in first["text"]  # not sure / cannot answer: offers entries and a person
    assert texts.HUMAN_BUTTON["title"] in [b["text"] for b in keyboard(first)]
    assert ticket_header(tg) is None

    tg.user_text(worker, "职工疗休养怎么申请")
    await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(W), timeout=WAIT)
    # the real action_handoff sent the hand-off payload with reason "fallback"
    assert any("这个问题我暂时答不好，已为您转接工会工作人员" in t for t in tg.texts_to(W))
    header = ticket_header(tg)
    assert header is not None and "原因：小助手连续答不上来" in header["text"]
    assert "👤 工会会费每个月交多少" in header["text"]
    assert header["message_thread_id"]
    topic = tg.calls_of("createForumTopic")[-1]
    assert topic.params["name"] == "#1 张 三·小助手连续答不上来"
    assert rasa_api.paused(sid) and rasa_api.pause_resume(sid) == ["pause"]
    ticket = tickets.get(services_of(app).db, 1)
    assert ticket is not None
    assert (ticket.sender_id, ticket.reason, ticket.status) == (sid, "fallback", "open")
