"""Hand-off to the operators' group: tickets, relaying both ways, closing, restarts, staff commands."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from bot import tickets
from bot.app import running
from bot.db import open_db
from bot.hours import StaffedHours
from common import texts
from common.clock import CHINA_TZ, FixedClock
from knowledge.gaps import record_gap
from tests.bot.bot_test_ids import OPS_CHAT, STAFF_ID, WORKER_ID
from tests.bot.helpers import operator_round_trip

W = WORKER_ID
SENDER = f"tg-{W}"


def header_of(tg, ticket_id: int = 1) -> dict:
    return [m for m in tg.sent_to(OPS_CHAT) if f"工单 #{ticket_id}" in m.get("text", "")][0]


async def open_ticket(tg, rasa, worker, *, phone_first: bool = True) -> dict:
    """Chat a little (leaving a phone number in the transcript), then ask for a person."""
    if phone_first:
        tg.user_text(worker, "你好")
        await tg.wait_for(lambda: "收到：你好" in tg.texts_to(W))
        tg.user_text(worker, "我的电话是13812345678")
        await tg.wait_for(lambda: any("收到：我的电话" in t for t in tg.texts_to(W)))
    tg.user_text(worker, "/human")
    await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(W))
    return header_of(tg)


def assert_no_phone_numbers(tg) -> None:
    for text in tg.texts_to(OPS_CHAT):
        assert not re.search(r"\d{7,}", text.replace(str(OPS_CHAT), "")), text
        assert "13812345678" not in text


async def test_forum_ticket_round_trip(tg, rasa, app, worker, operator):
    header = await open_ticket(tg, rasa, worker)
    # one forum topic per ticket, named after the worker and the reason
    topic = tg.calls_of("createForumTopic")
    assert len(topic) == 1 and topic[0].params["name"] == "#1 张 三·用户要求转人工"
    thread = header["message_thread_id"]
    assert header["is_topic_message"]
    # the header: display name, sender id, reason, transcript from the tracker, numbers masked
    assert "用户：张 三（tg-5001）" in header["text"]
    assert "原因：用户要求转人工" in header["text"]
    assert "👤 你好" in header["text"] and "🤖 收到：你好" in header["text"]
    assert "138****5678" in header["text"]
    assert_no_phone_numbers(tg)
    # Rasa paused; the worker heard Rasa's hand-off text and how it works now
    assert rasa.events_for(SENDER) == ["pause"]
    assert "好的，已为您转接工会工作人员，请稍候，工作人员会在这里回复您。" in tg.texts_to(W)

    # an operator's reply in the topic reaches the worker
    tg.user_text(operator, "您好，我是工会的王老师，请问有什么可以帮您？", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "您好，我是工会的王老师，请问有什么可以帮您？" in tg.texts_to(W))

    # the worker's answer goes to the operators, not to Rasa
    sent_to_rasa = len(rasa.received)
    tg.user_text(worker, "我想问技能补贴，我手机13987654321")
    relayed = await tg.wait_for(lambda: [m for m in tg.sent_to(OPS_CHAT) if "我想问技能补贴" in m.get("text", "")])
    assert relayed[0]["message_thread_id"] == thread
    assert relayed[0]["text"] == "💬 张 三（#1）：\n我想问技能补贴，我手机139****4321"
    tg.user_photo(worker, caption="证书 13987654321")
    copied = await tg.wait_for(lambda: tg.calls_of("copyMessage"))
    assert copied[0].params["message_thread_id"] == thread
    assert copied[0].params["caption"] == "证书 139****4321"
    tg.user_text(worker, "/mydata")  # commands during a ticket do not reach Rasa either
    await tg.wait_for(lambda: texts.HANDOFF_IN_TICKET_COMMAND in tg.texts_to(W))
    assert len(rasa.received) == sent_to_rasa
    assert_no_phone_numbers(tg)

    # internal notes stay among the operators
    worker_messages = len(tg.sent_to(W))
    tg.user_text(operator, "//这位是老会员", chat_id=OPS_CHAT, thread_id=thread)
    await operator_round_trip(tg, operator, W, thread_id=thread)  # after the note, in order
    assert len(tg.sent_to(W)) == worker_messages + 1
    assert not any("这位是老会员" in t for t in tg.texts_to(W))

    # /done closes: the worker is told, Rasa resumes, the topic closes
    tg.user_text(operator, "/done", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(W))
    await tg.wait_for(lambda: tg.calls_of("closeForumTopic", message_thread_id=thread))
    assert rasa.events_for(SENDER) == ["pause", "resume"]
    assert any(t.startswith("✅ 工单 #1 已关闭（王 老师）") for t in tg.texts_to(OPS_CHAT))

    # back with the bot
    tg.user_text(worker, "谢谢")
    await tg.wait_for(lambda: "收到：谢谢" in tg.texts_to(W))
    assert rasa.messages_from(SENDER)[-1] == "谢谢"

    # a late operator reply in the closed topic is not delivered
    tg.user_text(operator, "还有问题吗？", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: texts.TICKET_ALREADY_CLOSED.format(id=1) in tg.texts_to(OPS_CHAT))
    assert texts.OPERATOR_PREFIX + "还有问题吗？" not in tg.texts_to(W)


async def test_non_forum_group_uses_a_header_that_operators_reply_to(tg, rasa, config, make_app, worker, operator):
    tg.add_group(OPS_CHAT, "工会人工服务", forum=False)
    async with running(make_app(config)):
        header = await open_ticket(tg, rasa, worker)
        assert not tg.calls_of("createForumTopic", ok=None)
        assert "message_thread_id" not in header
        assert texts.TICKET_HOWTO_REPLY in header["text"]
        assert_no_phone_numbers(tg)

        tg.user_text(operator, "请问您在哪个区工作？", chat_id=OPS_CHAT, reply_to=header)
        await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "请问您在哪个区工作？" in tg.texts_to(W))

        tg.user_text(worker, "海曙区")
        relayed = await tg.wait_for(lambda: [m for m in tg.sent_to(OPS_CHAT) if "海曙区" in m.get("text", "")])
        assert relayed[0]["reply_to_message"]["message_id"] == header["message_id"]

        # replying to the relayed message works too
        tg.user_text(operator, "好的，海曙区的补贴标准是……", chat_id=OPS_CHAT, reply_to=relayed[0])
        await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "好的，海曙区的补贴标准是……" in tg.texts_to(W))

        # operators chatting (not a reply to a ticket) are not relayed
        before = len(tg.sent_to(W))
        tg.user_text(operator, "今天谁值班？", chat_id=OPS_CHAT)
        await operator_round_trip(tg, operator, W, reply_to=header)  # after the chat, in order
        assert len(tg.sent_to(W)) == before + 1
        assert not any("今天谁值班" in t for t in tg.texts_to(W))

        tg.user_text(operator, "/done", chat_id=OPS_CHAT, reply_to=header)
        await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(W))
        assert rasa.events_for(SENDER) == ["pause", "resume"]
        assert not tg.calls_of("closeForumTopic", ok=None)


async def test_forum_topic_failure_falls_back_to_a_header(tg, rasa, app, worker):
    tg.fail_next(1, 400, methods="createForumTopic")
    header = await open_ticket(tg, rasa, worker, phone_first=False)
    assert "message_thread_id" not in header
    assert texts.TICKET_HOWTO_REPLY in header["text"]


async def test_a_restart_mid_ticket_keeps_the_ticket(tg, rasa, config, make_app, worker, operator):
    async with running(make_app(config)):
        header = await open_ticket(tg, rasa, worker)
    thread = header["message_thread_id"]

    async with running(make_app(config)):  # a new process: nothing in memory
        tg.user_text(operator, "重启后还在吗？", chat_id=OPS_CHAT, thread_id=thread)
        await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "重启后还在吗？" in tg.texts_to(W))
        sent_to_rasa = len(rasa.received)
        tg.user_text(worker, "在的")
        await tg.wait_for(lambda: any("在的" in t for t in tg.texts_to(OPS_CHAT)))
        assert len(rasa.received) == sent_to_rasa
        tg.user_text(operator, "/done", chat_id=OPS_CHAT, thread_id=thread)
        await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(W))
        assert rasa.events_for(SENDER) == ["pause", "resume"]


async def test_only_operators_answer_and_close(tg, rasa, app, worker, operator):
    header = await open_ticket(tg, rasa, worker, phone_first=False)
    thread = header["message_thread_id"]
    stranger = tg.make_user(8001, "路", "人")
    restricted = tg.make_user(8002, "禁", "言")
    tg.set_member(OPS_CHAT, 8002, "restricted")
    before = len(tg.sent_to(W))

    for user in (stranger, restricted):
        tg.user_text(user, "我来回答", chat_id=OPS_CHAT, thread_id=thread)
        tg.user_text(user, "/done", chat_id=OPS_CHAT, thread_id=thread)  # after the answer, in order
    await tg.wait_for(lambda: tg.texts_to(OPS_CHAT).count(texts.DONE_REFUSED) == 2)
    assert len(tg.sent_to(W)) == before  # nothing relayed, nothing closed
    assert rasa.events_for(SENDER) == ["pause"]
    tg.user_text(stranger, "/tickets", chat_id=OPS_CHAT)
    tg.user_text(operator, "/tickets", chat_id=OPS_CHAT)
    await tg.wait_for(lambda: any(t.startswith("待处理工单") for t in tg.texts_to(OPS_CHAT)))
    await operator_round_trip(tg, operator, W, thread_id=thread)
    assert sum(t.startswith("待处理工单") for t in tg.texts_to(OPS_CHAT)) == 1  # the operator's only

    # TELEGRAM_STAFF_IDS may answer and close without being a group member
    staff = tg.make_user(STAFF_ID, "赵", "主任")
    tg.user_text(staff, "我来处理", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: texts.OPERATOR_PREFIX + "我来处理" in tg.texts_to(W))
    tg.user_text(staff, "/done", chat_id=OPS_CHAT, thread_id=thread)
    await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(W))
    assert tg.calls_of("getChatMember", user_id=STAFF_ID) == []  # never looked up in the group


async def test_tickets_and_stats(tg, rasa, config, clock, app, worker, other_worker, operator):
    # what the action server records when it cannot answer (knowledge.gaps owns gaps.db)
    for question, when in [
        ("工会卡丢了怎么办", clock.now() - timedelta(hours=1)),
        ("疗休养", clock.now()),
        ("旧问题", datetime(2020, 1, 1, 9, 0, tzinfo=CHINA_TZ)),
    ]:
        assert record_gap(question, "tg-9", "no_hit", db_path=config.gaps_db_path, now=when)

    tg.user_text(other_worker, "你好")
    await tg.wait_for(lambda: "收到：你好" in tg.texts_to(other_worker["id"]))
    await open_ticket(tg, rasa, worker)

    tg.user_text(operator, "/tickets", chat_id=OPS_CHAT)
    listing = await tg.wait_for(lambda: [t for t in tg.texts_to(OPS_CHAT) if t.startswith("待处理工单")])
    assert "待处理工单（1）" in listing[0]
    assert "#1 张 三 · 用户要求转人工" in listing[0] and texts.TICKET_STATE_WAITING in listing[0]
    assert "https://t.me/c/1234567890/" in listing[0]

    tg.user_text(operator, "/stats", chat_id=OPS_CHAT)
    stats = await tg.wait_for(lambda: [t for t in tg.texts_to(OPS_CHAT) if t.startswith("📊")])
    assert "对话的职工：2 人" in stats[0]
    assert "转人工：1 次（当前未关闭 1 个）" in stats[0]
    assert "📊 今日统计（2026-11-16）" in stats[0]
    assert "未能回答的问题：今日 2 条（累计 3 条）" in stats[0]


async def test_stats_without_a_gaps_database(tg, rasa, app, operator):
    tg.user_text(operator, "/stats", chat_id=OPS_CHAT)
    stats = await tg.wait_for(lambda: [t for t in tg.texts_to(OPS_CHAT) if t.startswith("📊")])
    assert "未能回答的问题：暂无数据" in stats[0]
    assert "对话的职工：0 人" in stats[0]


async def test_outside_staffed_hours_the_worker_is_told_when(tg, rasa, config, make_app, worker):
    saturday = FixedClock(datetime(2024, 5, 11, 10, 0, tzinfo=CHINA_TZ))
    application = make_app(config, clock=saturday, staffed_hours=StaffedHours.parse("09:00-17:30"))
    async with running(application):
        tg.user_text(worker, "/human")
        notice = texts.HANDOFF_UNSTAFFED.format(hours="周一至周五 09:00-17:30", next_start="周一 09:00")
        await tg.wait_for(lambda: notice in tg.texts_to(W))
        assert "非工作时间提交" in header_of(tg)["text"]
        # the ticket waits: still open
        tg.user_text(worker, "那我周一再等回复")
        await tg.wait_for(lambda: any("那我周一再等回复" in t for t in tg.texts_to(OPS_CHAT)))


async def test_worker_can_end_the_hand_off_with_cancel(tg, rasa, app, worker):
    header = await open_ticket(tg, rasa, worker, phone_first=False)
    tg.user_text(worker, "/cancel")
    await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_WORKER in tg.texts_to(W))
    await tg.wait_for(lambda: texts.TICKET_CLOSED_BY_WORKER_OPS.format(id=1) in tg.texts_to(OPS_CHAT))
    await tg.wait_for(lambda: tg.calls_of("closeForumTopic", message_thread_id=header["message_thread_id"]))
    assert rasa.events_for(SENDER) == ["pause", "resume"]


async def test_a_second_request_while_open_does_not_open_another_ticket(tg, rasa, app, worker):
    await open_ticket(tg, rasa, worker, phone_first=False)
    tg.user_text(worker, "/human")
    await tg.wait_for(lambda: texts.HANDOFF_ALREADY_OPEN in tg.texts_to(W))
    assert len(tg.calls_of("createForumTopic")) == 1


async def test_rasa_fallback_handoff_reason(tg, rasa, app, worker):
    rasa.script = lambda sender, message: [
        {"text": "抱歉，这个问题我暂时答不好，已为您转接工会工作人员，请稍候。"},
        {"custom": {"handoff": {"reason": "fallback"}}},
    ]
    tg.user_text(worker, "疗休养怎么安排")
    await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(W))
    assert tg.calls_of("createForumTopic")[0].params["name"] == "#1 张 三·小助手连续答不上来"


async def test_resume_is_retried_when_rasa_was_down_at_closing(tg, rasa, app, worker, operator):
    header = await open_ticket(tg, rasa, worker, phone_first=False)
    rasa.mode = "error"  # Rasa fails every request (a stopped fake server made the bot's pooled connection hang)
    tg.user_text(operator, "/done", chat_id=OPS_CHAT, thread_id=header["message_thread_id"])
    await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(W))
    assert rasa.events_for(SENDER) == ["pause"]  # the resume could not be recorded
    rasa.mode = "ok"
    tg.user_text(worker, "又来了")
    # the paused conversation is resumed first, so Rasa answers instead of staying silent
    await tg.wait_for(lambda: "收到：又来了" in tg.texts_to(W))
    assert rasa.events_for(SENDER) == ["pause", "resume"]


async def test_without_an_operators_chat_the_worker_is_told(tg, rasa, config, make_app, worker):
    async with running(make_app(config, operator_chat_id=None)):
        tg.user_text(worker, "/human")
        await tg.wait_for(lambda: texts.HANDOFF_UNAVAILABLE in tg.texts_to(W))
    assert rasa.events_for(SENDER) == []


async def test_tickets_survive_in_sqlite_with_an_explicit_schema(tg, rasa, config, clock, app, worker):
    await open_ticket(tg, rasa, worker, phone_first=False)
    db = open_db(config.handoff_db_path)  # what another process (a restart) would see
    try:
        ticket = tickets.open_for_user(db, W)
        assert ticket is not None
        assert (ticket.sender_id, ticket.status, ticket.reason, ticket.paused) == (SENDER, "open", "request_human", 1)
        assert ticket.opened_at == clock.now().isoformat()
        with pytest.raises(tickets.TicketAlreadyOpen):  # one open ticket per worker, kept by the database
            tickets.create(
                db,
                user_id=W,
                chat_id=W,
                sender_id=SENDER,
                display_name="张 三",
                reason="request_human",
                opened_at=clock.now(),
                staffed=True,
                ops_chat_id=OPS_CHAT,
            )
        assert [t.id for t in tickets.list_open(db)] == [ticket.id]
    finally:
        db.close()


async def test_operator_messages_arrive_in_order_and_media_is_copied(tg, rasa, app, worker, operator):
    header = await open_ticket(tg, rasa, worker, phone_first=False)
    thread = header["message_thread_id"]
    tg.fail_next(1, 502, methods="sendMessage")  # the first reply is held up by a retry…
    for n in range(5):
        tg.user_text(operator, f"第{n}句", chat_id=OPS_CHAT, thread_id=thread)
    expected = [texts.OPERATOR_PREFIX + f"第{n}句" for n in range(5)]
    await tg.wait_for(lambda: [t for t in tg.texts_to(W) if t.startswith(texts.OPERATOR_PREFIX)] == expected)

    tg.user_photo(operator, caption="报名表样例")  # in the operator's private chat: not a ticket
    photo = tg.user_message(
        operator,
        chat_id=OPS_CHAT,
        thread_id=thread,
        caption="报名表样例",
        photo=[{"file_id": "p", "file_unique_id": "pu", "width": 9, "height": 9}],
    )
    copied = await tg.wait_for(lambda: tg.calls_of("copyMessage", chat_id=W))
    assert copied[0].params["from_chat_id"] == OPS_CHAT
    assert copied[0].params["message_id"] == photo["message_id"]

    tg.user_text(operator, "/tickets", chat_id=OPS_CHAT)
    listing = await tg.wait_for(lambda: [t for t in tg.texts_to(OPS_CHAT) if t.startswith("待处理工单")])
    assert texts.TICKET_STATE_ANSWERED in listing[0]


async def test_done_by_ticket_number_from_the_general_topic(tg, rasa, app, worker, operator):
    await open_ticket(tg, rasa, worker, phone_first=False)
    tg.user_text(operator, "/done", chat_id=OPS_CHAT)  # not in a topic, no number
    await tg.wait_for(lambda: texts.DONE_WHERE in tg.texts_to(OPS_CHAT))
    tg.user_text(operator, "/done #1", chat_id=OPS_CHAT)
    await tg.wait_for(lambda: texts.HANDOFF_CLOSED_BY_OPERATOR in tg.texts_to(W))
    tg.user_text(operator, "/done 1", chat_id=OPS_CHAT)
    await tg.wait_for(lambda: texts.TICKET_ALREADY_CLOSED.format(id=1) in tg.texts_to(OPS_CHAT))
    assert rasa.events_for(SENDER) == ["pause", "resume"]


async def test_operators_hear_when_a_reply_cannot_be_delivered(tg, rasa, app, worker, operator):
    header = await open_ticket(tg, rasa, worker, phone_first=False)
    tg.fail_next(1, 403, methods="sendMessage")  # the worker blocked the bot
    tg.user_text(operator, "您好？", chat_id=OPS_CHAT, thread_id=header["message_thread_id"])
    note = await tg.wait_for(
        lambda: [t for t in tg.texts_to(OPS_CHAT) if t.startswith("⚠️ 消息没能送达用户（工单 #1）")]
    )
    assert "blocked" in note[0]
