"""A worker talking to the bot: the real Application against the fake Bot API and fake Rasa."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

import aiohttp
import pytest

from bot import relay
from bot.app import running
from bot.webhook import SECRET_HEADER, serve_webhook
from common import texts
from tests.bot.bot_test_ids import OPS_CHAT, WORKER_ID
from tests.bot.fake_bot_api import MESSAGE_DATE
from tests.bot.fake_rasa import LONG_ANSWER
from tests.bot.helpers import DEADLINE, keyboard

W = WORKER_ID


def last_with_keyboard(tg, chat_id=W) -> dict:
    return [m for m in tg.sent_to(chat_id) if m.get("reply_markup")][-1]


async def ask(tg, worker, text, count=1):
    """Send ``text``; wait until ``count`` more bot messages reached the worker."""
    before = len(tg.sent_to(W))
    tg.user_text(worker, text)
    await tg.wait_for(lambda: len(tg.sent_to(W)) >= before + count)
    return tg.sent_to(W)[before:]


async def test_question_gets_replies_and_a_keyboard(tg, rasa, app, worker):
    replies = await ask(tg, worker, "有哪些补贴？")
    assert replies[0]["text"] == "收到：有哪些补贴？"
    assert rasa.received[-1]["sender"] == f"tg-{W}"
    assert rasa.received[-1]["metadata"] == {"display_name": "张 三"}
    assert tg.calls_of("sendChatAction", chat_id=W, action="typing")

    await ask(tg, worker, "/start")
    menu = last_with_keyboard(tg)
    assert menu["text"] == "您好！我是工会小助手。想了解什么？"
    assert [b["text"] for b in keyboard(menu)] == ["补贴政策", "课程培训", "读书活动"]
    assert rasa.messages_from(f"tg-{W}")[-1] == "/greet"


async def test_pressing_a_button_sends_its_payload_and_removes_the_keyboard(tg, rasa, app, worker):
    await ask(tg, worker, "/start")
    menu = last_with_keyboard(tg)
    tg.press(worker, menu, keyboard(menu)[0]["callback_data"])
    await tg.wait_for(lambda: rasa.messages_from(f"tg-{W}")[-1] == "/ask_subsidy")
    subsidies = await tg.wait_for(lambda: [m for m in tg.sent_to(W) if m.get("text") == "补贴政策有这些："])
    # answered first, then the keyboard edited away, showing the choice
    methods = [c.method for c in tg.calls if c.method in ("answerCallbackQuery", "editMessageText")]
    assert methods[:2] == ["answerCallbackQuery", "editMessageText"]
    edited = tg.messages[(W, menu["message_id"])]
    assert "reply_markup" not in edited
    assert edited["text"].endswith("☑️ 您选择了：补贴政策")

    # a payload far longer than Telegram's 64-byte callback data still goes through
    long_button = keyboard(subsidies[0])[0]
    assert len(long_button["callback_data"].encode()) <= 64
    tg.press(worker, subsidies[0], long_button["callback_data"])
    await tg.wait_for(
        lambda: rasa.messages_from(f"tg-{W}")[-1] == '/ask_general{"kb_id":"faq_职工技能提升补贴申请条件与流程说明"}'
    )
    answer = await tg.wait_for(lambda: [m for m in tg.sent_to(W) if "宁波市总工会" in m.get("text", "")])
    # the two Rasa texts arrive as one message, the Markdown link rendered as a link
    assert answer[0]["text"].startswith("技能提升补贴")
    # shown as written: Markdown is never interpreted (workers' typed values are echoed)
    assert "详见[宁波市总工会](https://www.nbzgh.gov.cn/)。" in answer[0]["raw_text"]


async def test_a_stale_or_forged_button_is_refused(tg, rasa, app, worker):
    await ask(tg, worker, "/start")
    menu = last_with_keyboard(tg)
    data = keyboard(menu)[1]["callback_data"]
    tg.press(worker, menu, keyboard(menu)[0]["callback_data"])
    await tg.wait_for(lambda: "补贴政策有这些：" in tg.texts_to(W))
    sent_before = len(rasa.received)

    tg.press(worker, menu, data)  # the same keyboard again (an old client still showing it)
    tg.press(worker, menu, "b:not-a-real-key")
    tg.press(worker, menu, "/ask_course_list")
    # a refused press is answered and nothing else: its handler is done once it is answered
    await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery", text=texts.BUTTON_EXPIRED)) == 3)
    assert len(rasa.received) == sent_before


@pytest.mark.parametrize(
    "command, payload",
    [
        ("/start", "/greet"),
        ("/human", "/request_human"),
        ("/cancel", "/stop"),
        ("/mydata", "/my_data"),
    ],
)
async def test_commands_reach_rasa_as_intents(tg, rasa, app, worker, command, payload):
    await ask(tg, worker, command)
    assert rasa.messages_from(f"tg-{W}") == [payload]


async def test_help_is_answered_by_the_front_end(tg, rasa, app, worker):
    replies = await ask(tg, worker, "/help")
    assert "/human" in replies[0]["text"] and "/mydata" in replies[0]["text"]
    assert rasa.received == []
    replies = await ask(tg, worker, "/frobnicate")
    assert replies[0]["text"] == texts.UNKNOWN_COMMAND


async def test_stickers_photos_and_edits_get_a_short_chinese_note(tg, rasa, app, worker):
    tg.user_sticker(worker)
    await tg.wait_for(lambda: tg.texts_to(W) == [texts.TEXT_ONLY])
    tg.user_photo(worker, caption="看看这个")
    await tg.wait_for(lambda: tg.texts_to(W) == [texts.TEXT_ONLY] * 2)
    tg.user_message(worker, location={"latitude": 29.87, "longitude": 121.54})
    tg.user_message(worker, contact={"phone_number": "13812345678", "first_name": "张"})
    await tg.wait_for(lambda: len(tg.texts_to(W)) == 4)
    original = tg.user_text(worker, "你好")
    await tg.wait_for(lambda: len(tg.texts_to(W)) == 5)
    tg.user_edit(worker, original, "你好呀")
    await tg.wait_for(lambda: tg.texts_to(W)[-1] == texts.MESSAGE_EDITED)
    assert rasa.messages_from(f"tg-{W}") == ["你好"]


async def test_a_10000_character_message_reaches_rasa_shortened_and_a_long_echo_is_split(tg, rasa, app, worker):
    rasa.script = lambda sender, message: [{"text": "您说：" + message * 5}]
    text = ("我想咨询一下补贴的问题。" * 834)[:10000]
    tg.user_text(worker, text)
    # Rasa gets the first sentences (its NLU slows down steeply with length)
    received = relay.for_rasa(text)
    assert text.startswith(received) and received.endswith("。")
    assert relay.MAX_RASA_TEXT - 12 < len(received) <= relay.MAX_RASA_TEXT
    await tg.wait_for(lambda: "".join(tg.texts_to(W)) == "您说：" + received * 5)
    assert rasa.messages_from(f"tg-{W}") == [received]
    parts = tg.texts_to(W)
    assert all(len(p) <= 4096 for p in parts)
    assert "".join(parts) == "您说：" + received * 5
    assert not tg.calls_of("sendMessage", ok=False)


async def test_a_long_rasa_answer_is_split_on_sentence_boundaries(tg, rasa, app, worker):
    assert len(LONG_ANSWER) > 4096
    tg.user_text(worker, "长答案")
    await tg.wait_for(lambda: sum(len(t) for t in tg.texts_to(W)) >= len(LONG_ANSWER))
    parts = tg.texts_to(W)
    assert len(parts) >= 2
    assert all(0 < len(p) <= 4096 and p.endswith("。") for p in parts)
    assert "".join(parts) == LONG_ANSWER


async def test_images_are_sent_as_photos(tg, rasa, app, worker):
    tg.user_text(worker, "图片")
    photo = await tg.wait_for(lambda: tg.calls_of("sendPhoto"))
    assert photo[0].params["photo"] == "https://example.org/flow.png"
    assert tg.texts_to(W)[0] == "报名流程如下："


@pytest.mark.parametrize("trouble", ["down", "error", "empty", "hang"])
async def test_rasa_trouble_gives_an_apology_and_a_person_then_recovers(tg, rasa, app, worker, trouble):
    if trouble == "down":
        await rasa.stop()
    else:
        rasa.mode = trouble
    tg.user_text(worker, "请问怎么报名？")
    # rasa_timeout is 1.5 s in the tests; a hanging Rasa would answer only after 60 s
    apology = await tg.wait_for(
        lambda: [m for m in tg.sent_to(W) if m.get("text") == texts.NO_REPLY_OFFER_PERSON], timeout=DEADLINE
    )
    assert [b["text"] for b in keyboard(apology[0])] == [texts.HUMAN_BUTTON["title"]]

    if trouble == "down":
        await rasa.start()  # same port
    rasa.mode = "ok"
    replies = await ask(tg, worker, "请问怎么报名？")
    assert replies[-1]["text"] == "收到：请问怎么报名？"


async def test_the_person_button_works_even_while_rasa_is_down(tg, rasa, app, worker):
    await rasa.stop()
    tg.user_text(worker, "在吗")
    apology = await tg.wait_for(lambda: [m for m in tg.sent_to(W) if m.get("text") == texts.NO_REPLY_OFFER_PERSON])
    tg.press(worker, apology[0], keyboard(apology[0])[0]["callback_data"])
    header = await tg.wait_for(lambda: [m for m in tg.sent_to(OPS_CHAT) if "工单 #1" in m.get("text", "")])
    assert "小助手故障" in header[0]["text"]
    assert texts.TRANSCRIPT_UNAVAILABLE in header[0]["text"]
    await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(W))


async def test_other_groups_get_one_message_and_the_bot_leaves(tg, rasa, app, worker):
    group = tg.add_group(-100555, "某某车间群")
    tg.bot_added_to_group(group, worker)
    await tg.wait_for(lambda: tg.calls_of("leaveChat", chat_id=-100555))
    assert tg.texts_to(-100555) == [texts.GROUP_NOT_SUPPORTED]
    tg.user_text(worker, "大家好", chat_id=-100555)
    await tg.wait_for(lambda: len(tg.calls_of("leaveChat", chat_id=-100555)) == 2)
    assert rasa.received == []


async def test_an_unexpected_error_is_logged_and_the_worker_gets_an_apology(tg, rasa, app, worker, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(relay, "deliver", broken)
    tg.user_text(worker, "你好")
    await tg.wait_for(lambda: texts.HANDLING_FAILED in tg.texts_to(W))
    assert "Error while handling an update" in caplog.text
    monkeypatch.undo()
    replies = await ask(tg, worker, "你好")  # and it carries on
    assert replies[-1]["text"] == "收到：你好"


async def test_webhook_mode_feeds_updates_from_telegram_posts(tg, rasa, config, make_app, worker):
    webhook_config = replace(
        config,
        mode="webhook",
        webhook_url="https://bot.example.org/tg/hook",
        webhook_port=_free_port(),
        webhook_secret="s3cret",
    )
    application = make_app(webhook_config)
    assert application.updater is None
    stop, listening = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(serve_webhook(application, webhook_config, stop, listening))
    await asyncio.wait_for(listening.wait(), DEADLINE)
    assert tg.webhook is not None
    assert tg.webhook["url"] == "https://bot.example.org/tg/hook"
    assert tg.webhook["secret_token"] == "s3cret"
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": MESSAGE_DATE,
            "chat": {"id": W, "type": "private", "first_name": "张"},
            "from": worker,
            "text": "你好",
        },
    }
    url = f"http://127.0.0.1:{webhook_config.webhook_port}/tg/hook"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=update, headers={SECRET_HEADER: "wrong"}) as response:
            assert response.status == 403
        async with session.post(url, json=update, headers={SECRET_HEADER: "s3cret"}) as response:
            assert response.status == 200
    await tg.wait_for(lambda: "收到：你好" in tg.texts_to(W))
    stop.set()
    await asyncio.wait_for(server, DEADLINE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_application_can_be_restarted_from_the_same_config(tg, rasa, config, make_app, worker):
    for round_ in range(2):
        async with running(make_app(config)):
            replies = await ask(tg, worker, f"第{round_}次")
            assert replies[-1]["text"] == f"收到：第{round_}次"


async def test_unhandled_update_types_do_not_disturb_the_bot(tg, rasa, app, worker):
    now = MESSAGE_DATE
    tg.push(
        {
            "channel_post": {
                "message_id": 1,
                "date": now,
                "text": "频道消息",
                "chat": {"id": -100777, "type": "channel", "title": "频道"},
            }
        }
    )
    tg.push({"inline_query": {"id": "iq1", "from": worker, "query": "补贴", "offset": ""}})
    tg.push({"chosen_inline_result": {"result_id": "r1", "from": worker, "query": "补贴"}})
    tg.push(
        {
            "edited_channel_post": {
                "message_id": 1,
                "date": now,
                "edit_date": now,
                "text": "改",
                "chat": {"id": -100777, "type": "channel", "title": "频道"},
            }
        }
    )
    tg.user_message(worker, new_chat_title="x")  # a service message in a private chat
    replies = await ask(tg, worker, "还在吗")
    assert replies[-1]["text"] == "收到：还在吗"
    assert rasa.messages_from(f"tg-{W}") == ["还在吗"]


async def test_webhook_drops_an_update_it_cannot_parse(tg, rasa, config, make_app):
    webhook_config = replace(
        config,
        mode="webhook",
        webhook_url="https://bot.example.org/hook",
        webhook_port=_free_port(),
        webhook_secret="s",
    )
    stop, listening = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(serve_webhook(make_app(webhook_config), webhook_config, stop, listening))
    await asyncio.wait_for(listening.wait(), DEADLINE)
    url = f"http://127.0.0.1:{webhook_config.webhook_port}/hook"
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, json={"update_id": 5, "poll": {"id": "x"}}, headers={SECRET_HEADER: "s"}
        ) as response:
            assert response.status == 200  # acknowledged, not redelivered for ever
        async with session.get(f"http://127.0.0.1:{webhook_config.webhook_port}/healthz") as response:
            assert await response.text() == "ok"
    stop.set()
    await asyncio.wait_for(server, DEADLINE)
