"""A WeChat worker's ticket in the operators' Telegram group (issue #16): the WeChat front
end opens it in the shared hand-off store; the Telegram front end shows it in a topic once,
relays what the worker writes (and the WeChat front end's notes), and an operator's reply
there goes to the hand-off outbox for the WeChat front end to deliver — never to Telegram."""

from __future__ import annotations

import handoff
from bot.app import services_of
from common import texts
from tests.bot.bot_test_ids import OPS_CHAT
from tests.bot.helpers import eventually

SENDER = "wx-oUH0000000000000000000099001"


async def test_a_wechat_ticket_is_shown_relayed_answered_and_closed_from_the_group(tg, app, operator, clock):
    svc = services_of(app)
    db = svc.db
    pending = handoff.request_ticket(
        db,
        sender_id=SENDER,
        display_name="微信用户9001",
        reason="request_human",
        staffed=True,
        now=clock.now(),
        transcript="👤 转人工",
    )
    ticket = handoff.mark_posted(db, pending.id, clock.now())  # as the WeChat front end does
    assert ticket is not None
    handoff.add_worker_message(db, ticket.id, "我的电话13812345678，补贴到账了吗", now=clock.now(), source="wx:msg:1")

    await svc.notifications.poll_once()
    await svc.notifications.poll_once()  # a second round posts nothing twice
    headers = [m for m in tg.sent_to(OPS_CHAT) if f"工单 #{ticket.id}" in m.get("text", "")]
    assert len(headers) == 1 and SENDER in headers[0]["text"] and "👤 转人工" in headers[0]["text"]
    thread = headers[0]["message_thread_id"]
    relayed = [m["text"] for m in tg.sent_to(OPS_CHAT) if m.get("message_thread_id") == thread]
    assert sum("补贴到账了吗" in t for t in relayed) == 1
    assert not any("13812345678" in t for t in relayed)  # masked as stored

    handoff.add_message(db, ticket.id, "note", "⚠️ 这条回复没能发给微信用户", now=clock.now(), author="system:wechat")
    await svc.notifications.poll_once()
    assert any("没能发给微信用户" in m["text"] for m in tg.sent_to(OPS_CHAT) if m.get("message_thread_id") == thread)

    tg.user_text(operator, "您好，已在核对。", chat_id=OPS_CHAT, thread_id=thread)
    await eventually(lambda: handoff.undelivered_for_ticket(db, ticket.id))
    (item,) = [i for i in handoff.claim_outbox(db, "wx-test", clock.now(), prefixes=("wx-",))]
    assert (item.sender_id, item.kind, item.text) == (SENDER, "operator_reply", "您好，已在核对。")
    handoff.mark_outbox_delivered(db, item.id, clock.now())

    tg.user_text(operator, "/done", chat_id=OPS_CHAT, thread_id=thread)
    await eventually(lambda: not handoff.get_ticket(db, ticket.id).is_open)
    (closed,) = handoff.claim_outbox(db, "wx-test", clock.now(), prefixes=("wx-",))
    assert (closed.kind, closed.text) == ("closed", texts.HANDOFF_CLOSED_BY_OPERATOR)


async def shown_in_the_group(tg, svc, sender: str, clock) -> tuple[handoff.Ticket, int]:  # type: ignore[no-untyped-def]
    """A ticket its own front end opened in the shared store, once this front end has
    posted it in the operators' group; and its topic."""
    pending = handoff.request_ticket(
        svc.db, sender_id=sender, display_name="用户", reason="request_human", staffed=True, now=clock.now()
    )
    ticket = handoff.mark_posted(svc.db, pending.id, clock.now())
    assert ticket is not None
    await svc.notifications.poll_once()
    (header,) = [m for m in tg.sent_to(OPS_CHAT) if f"工单 #{ticket.id}" in m.get("text", "")]
    return ticket, header["message_thread_id"]


async def test_a_wechat_ticket_answered_and_closed_in_the_console_shows_in_its_topic(tg, app, clock):
    """Issue #15: the console's inbox and the topic agree for every channel — a reply and a
    close made in the console show in a WeChat ticket's topic as in a Telegram one's."""
    svc = services_of(app)
    db = svc.db
    ticket, thread = await shown_in_the_group(tg, svc, SENDER, clock)

    def in_topic() -> list[str]:
        return [m["text"] for m in tg.sent_to(OPS_CHAT) if m.get("message_thread_id") == thread]

    sent = handoff.reply_if_open(
        db, ticket.id, "您好，补贴下月发放。", author="console:wang", now=clock.now(), source="console:1:1:a"
    )
    assert sent.status == "sent"
    await svc.notifications.poll_once()
    await svc.notifications.poll_once()  # shown once
    assert [t for t in in_topic() if "在后台回复" in t] == ["💻 wang（在后台回复）：\n您好，补贴下月发放。"]

    handoff.close_ticket(
        db, ticket.id, closed_by="console:wang", now=clock.now(), notice=texts.HANDOFF_CLOSED_BY_OPERATOR
    )
    await svc.notifications.poll_once()
    await svc.notifications.poll_once()
    closes = [t for t in tg.texts_to(OPS_CHAT) if t.startswith(f"✅ 工单 #{ticket.id} 已关闭")]
    assert closes == [f"✅ 工单 #{ticket.id} 已关闭（wang，在后台）。"]
    assert tg.calls_of("closeForumTopic", message_thread_id=thread)
    # The WeChat front end still delivers both to the worker; Telegram sent them nowhere else.
    items = handoff.claim_outbox(db, "wx-test", clock.now(), prefixes=("wx-",))
    assert [i.kind for i in items] == ["operator_reply"]


async def test_a_web_chat_ticket_is_in_the_group_too_and_its_reply_waits_for_the_rest_channel(tg, app, operator, clock):
    """Every channel's tickets the same way: a REST client's ticket (neither tg- nor wx-)
    shows in the group; a reply in its topic is queued for the REST channel to hand over."""
    svc = services_of(app)
    db = svc.db
    web = "web-5a0c"
    ticket, thread = await shown_in_the_group(tg, svc, web, clock)
    tg.user_text(operator, "您好，请讲。", chat_id=OPS_CHAT, thread_id=thread)
    await eventually(lambda: handoff.undelivered_for_ticket(db, ticket.id))
    assert handoff.claim_outbox(db, "tg-test", clock.now(), prefixes=("tg-",)) == []  # not Telegram's to send
    (item,) = handoff.claim_for_client(db, web, "rasa-1", clock.now())
    assert (item.kind, item.text) == ("operator_reply", "您好，请讲。")
