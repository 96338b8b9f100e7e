"""The WeChat front end without Rasa: signatures, 安全模式 round trip, XML in and out,
de-duplication, numbered options and splits, the shared access token, the 48-hour window
for operator replies and notifications — against the real endpoint and the real wechatpy
client pointed at the fake API."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from wechatpy import parse_message

import handoff
import registry
from common import texts
from tests.wechat.conftest import StartFront, eventually
from tests.wechat.fake_api import APP_ID, APP_SECRET, FakeWeChatApi
from tests.wechat.helpers import AES_KEY, event_xml, media_xml, new_openid, signature, text_xml
from wechat import render, store
from wechat.api import ApiClient, ApiError
from wechat.inbound import classify

# ---------------------------------------------------------------- signatures and bodies


async def test_the_server_url_check_echoes_only_with_our_signature(start_front: StartFront) -> None:
    async with start_front() as wx:
        query = wx.platform.query()
        async with httpx.AsyncClient() as client:
            good = await client.get(wx.platform.url, params={**query, "echostr": "echo-123"})
            bad = await client.get(wx.platform.url, params={**query, "signature": "0" * 40, "echostr": "echo-123"})
        assert (good.status_code, good.text) == (200, "echo-123")
        assert bad.status_code == 403 and "echo-123" not in bad.text


async def test_a_bad_signature_is_refused_before_anything_is_read(start_front: StartFront) -> None:
    openid = new_openid()
    async with start_front() as wx:
        query = {**wx.platform.query(), "signature": signature("wrong-token", "1", "2")}
        posted = await wx.platform.post(event_xml(openid, "subscribe"), query=query)
        assert posted.status == 403
        assert wx.db.scalar("SELECT COUNT(*) FROM wx_seen") == 0  # no turn, no de-duplication key
        assert store.last_message_at(wx.db, f"wx-{openid}") is None


async def test_malformed_xml_gets_400(start_front: StartFront) -> None:
    async with start_front() as wx:
        for body in ("<xml><MsgType>text", "not xml at all", "<xml><Content>no type</Content></xml>", ""):
            posted = await wx.platform.post(body)
            assert posted.status == 400, body


async def test_a_1_mb_body_is_refused(start_front: StartFront) -> None:
    openid = new_openid()
    async with start_front() as wx:
        huge = text_xml(openid, "补贴" * 350_000)  # about 2 MB of UTF-8
        assert len(huge.encode()) > 1_000_000
        posted = await wx.platform.post(huge)
        assert posted.status == 413
        assert wx.db.scalar("SELECT COUNT(*) FROM wx_seen") == 0


async def test_encrypted_mode_round_trip_and_a_tampered_message(start_front: StartFront) -> None:
    openid = new_openid()
    async with start_front(aes_key=AES_KEY) as wx:
        posted = await wx.platform.post(event_xml(openid, "subscribe"))
        assert posted.status == 200 and "<Encrypt>" in posted.body and "欢迎" not in posted.body
        assert posted.text == texts.WX_WELCOME  # decrypted by the platform with the same key
        assert posted.reply.target == openid
        # the right URL signature, but an Encrypt block signed with another token
        query = wx.platform.query()
        from wechatpy.crypto import WeChatCrypto

        forged = WeChatCrypto("other-token", AES_KEY, APP_ID).encrypt_message(
            event_xml(new_openid(), "subscribe"), query["nonce"], query["timestamp"]
        )
        async with httpx.AsyncClient() as client:
            response = await client.post(
                wx.platform.url,
                params={**query, "encrypt_type": "aes", "msg_signature": "f" * 40},
                content=forged.encode(),
            )
        assert response.status_code == 403


# ---------------------------------------------------------------- XML in and out


def test_what_each_kind_of_message_becomes() -> None:
    openid = new_openid()
    text = classify(parse_message(text_xml(openid, "有哪些课程", msg_id=42)))
    assert (text.key, text.text, text.sender_id) == ("msg:42", "有哪些课程", f"wx-{openid}")
    heard = classify(parse_message(media_xml(openid, "voice", "<Recognition><![CDATA[职工疗休养补贴]]></Recognition>")))
    assert heard.text == "职工疗休养补贴"
    unheard = classify(parse_message(media_xml(openid, "voice", "<Recognition><![CDATA[]]></Recognition>")))
    assert (unheard.text, unheard.reply) == (None, texts.WX_VOICE_UNREADABLE)
    for kind, word in (("image", "图片"), ("video", "视频"), ("location", "位置"), ("link", "链接")):
        other = classify(parse_message(media_xml(openid, kind)))
        assert other.text is None and word in (other.reply or "") and "补贴" in (other.reply or "")
    sticker = classify(parse_message(text_xml(openid, "[微笑][强]")))
    assert sticker.reply == texts.WX_STICKER_REPLY
    click = classify(parse_message(event_xml(openid, "CLICK", "UH_COURSES")))
    assert click.text == "/ask_course_list" and click.key.startswith(f"evt:{openid}:")
    assert classify(parse_message(event_xml(openid, "subscribe"))).event == "subscribe"
    assert classify(parse_message(event_xml(openid, "unsubscribe"))).event == "unsubscribe"


def test_buttons_become_numbered_options_and_the_number_their_payload() -> None:
    replies = [
        {"text": "想了解哪方面？", "buttons": [{"title": "补贴政策", "payload": "/ask_subsidy"}]},
        {"buttons": [{"title": "课程培训", "payload": "/ask_course_list"}, texts.HUMAN_BUTTON]},
    ]
    plain = render.render(replies)
    assert plain.options == [
        {"title": "补贴政策", "payload": "/ask_subsidy"},
        {"title": "课程培训", "payload": "/ask_course_list"},
        {"title": "转人工", "payload": "/request_human"},
    ]
    joined = "\n".join(plain.texts)
    assert "1. 补贴政策" in joined and "2. 课程培训" in joined and "3. 转人工" in joined
    linked = "\n".join(render.render(replies, links=True).texts)
    assert 'href="weixin://bizmsgmenu?msgmenucontent=3&amp;msgmenuid=3"' in linked
    for typed in ("3", "3.", "３", " 3 ", "转人工", "3 转人工"):
        assert render.choose(typed, plain.options) == "/request_human", typed
    for typed in ("4", "0", "2 个人", "转人工吧", "13812345678"):
        assert render.choose(typed, plain.options) is None, typed
    assert render.choose("1", []) is None


def test_a_long_reply_is_split_at_sentence_ends_within_wechats_limit() -> None:
    sentence = "职工疗休养补贴按照规定的标准发放，具体以工会通知为准。"
    parts = render.render([{"text": sentence * 120}]).parts()
    assert len(parts) > 1
    assert all(render.fits(part) for part in parts)
    assert all(part.endswith("。") for part in parts)
    assert "".join(parts) == sentence * 120


# ---------------------------------------------------------------- de-duplication


def test_a_message_is_taken_once_across_processes(tmp_path) -> None:
    first, second = store.open_db(tmp_path / "handoff.db"), store.open_db(f"sqlite:///{tmp_path / 'handoff.db'}")
    from common.clock import FixedClock

    now = FixedClock.on(__import__("datetime").date(2026, 11, 16)).now()
    assert store.take_message(first, "msg:1", "wx-a", now) is None
    again = store.take_message(second, "msg:1", "wx-a", now)
    assert again is not None and again.state == "running"
    store.finish_seen(first, "msg:1", "passive", "<xml>reply</xml>")
    assert store.take_message(second, "msg:1", "wx-a", now) == store.Seen("passive", "<xml>reply</xml>")
    assert store.take_message(second, "msg:2", "wx-a", now) is None
    assert store.forget_seen_before(first, now + timedelta(days=1)) == 2
    first.close()
    second.close()


async def test_the_same_event_three_times_is_answered_once(start_front: StartFront, wx_api) -> None:
    openid = new_openid()
    async with start_front() as wx:
        xml = event_xml(openid, "subscribe", created=1_763_260_000)
        replies = [await wx.platform.post(xml) for _ in range(3)]
        assert [r.text for r in replies] == [texts.WX_WELCOME] * 3  # the same passive reply, for a lost answer
        assert wx.db.scalar("SELECT COUNT(*) FROM wx_seen") == 1
        assert wx_api.messages == []  # and nothing by customer-service message


# ---------------------------------------------------------------- the access token


async def test_one_token_for_every_process_refreshed_once_when_refused(tmp_path, wx_api: FakeWeChatApi, clock) -> None:
    import asyncio

    db_a, db_b = store.open_db(tmp_path / "h.db"), store.open_db(tmp_path / "h.db")
    a = ApiClient(APP_ID, APP_SECRET, db=db_a, clock=clock, base_url=wx_api.base_url)
    b = ApiClient(APP_ID, APP_SECRET, db=db_b, clock=clock, base_url=wx_api.base_url)
    await asyncio.to_thread(a.send_text, "oUH-a", "一")
    await asyncio.to_thread(b.send_text, "oUH-b", "二")
    assert wx_api.tokens_issued == ["token-1"]  # the second process used the first one's token

    wx_api.expired.add("token-1")  # WeChat says 42001
    await asyncio.to_thread(b.send_text, "oUH-b", "三")
    assert wx_api.tokens_issued == ["token-1", "token-2"]
    assert [m["text"]["content"] for m in wx_api.messages] == ["一", "二", "三"]
    await asyncio.to_thread(a.send_text, "oUH-a", "四")  # a picks up b's new token
    assert wx_api.tokens_issued == ["token-1", "token-2"]

    clock.advance(seconds=7200 - 200)  # inside the refresh margin: refreshed before expiry
    await asyncio.to_thread(a.send_text, "oUH-a", "五")
    assert wx_api.tokens_issued[-1] == "token-3"

    wx_api.refuse_every_token = True  # even a fresh one: one refresh, one retry, then an error
    with pytest.raises(ApiError) as refused:
        await asyncio.to_thread(a.send_text, "oUH-a", "六")
    assert refused.value.errcode == 40001
    assert len(wx_api.tokens_issued) == 4  # exactly one refresh, no loop
    db_a.close()
    db_b.close()


# ---------------------------------------------------------------- the 48-hour window


def _open_ticket(db, sender: str, now) -> handoff.Ticket:
    ticket = handoff.request_ticket(
        db, sender_id=sender, display_name="微信用户0001", reason="request_human", staffed=True, now=now
    )
    opened = handoff.mark_posted(db, ticket.id, now)
    assert opened is not None
    return opened


async def test_an_operator_reply_after_48_hours_is_refused_with_a_note(start_front: StartFront, wx_api) -> None:
    openid = new_openid()
    sender = f"wx-{openid}"
    async with start_front() as wx:
        store.record_message(wx.db, sender, wx.clock.now())
        ticket = _open_ticket(wx.db, sender, wx.clock.now())
        handoff.add_operator_reply(wx.db, ticket, "您好，补贴已受理。", author="operator:7", now=wx.clock.now())
        assert await wx_api.wait_for(openid) == [texts.OPERATOR_PREFIX + "您好，补贴已受理。"]

        wx.clock.advance(hours=49)
        handoff.add_operator_reply(wx.db, ticket, "还需要补一份材料。", author="operator:7", now=wx.clock.now())
        await eventually(lambda: [m for m in handoff.ticket_messages(wx.db, ticket.id) if m.direction == "note"])
        (note,) = [m for m in handoff.ticket_messages(wx.db, ticket.id) if m.direction == "note"]
        assert "48 小时" in note.text and "还需要补一份材料。" in note.text
        assert handoff.undelivered_for_ticket(wx.db, ticket.id) == []  # given up, with the reason kept
        assert wx_api.texts_to(openid) == [texts.OPERATOR_PREFIX + "您好，补贴已受理。"]


async def test_notifications_inside_the_window_by_template_outside_or_waiting(
    start_front: StartFront, wx_api, tmp_path
) -> None:
    inside, outside = new_openid(), new_openid()
    reg_url = f"sqlite:///{tmp_path / 'registry.db'}"
    async with start_front(registry=reg_url, template_id="TPL-1") as wx:
        store.record_message(wx.db, f"wx-{inside}", wx.clock.now())
        with registry.registry(reg_url) as reg:
            registry.queue_notification(reg, f"wx-{inside}", "好消息：候补转正。", kind="promotion", clock=wx.clock)
            registry.queue_notification(reg, f"wx-{outside}", "您的补贴申请已通过。", clock=wx.clock)
        assert await wx_api.wait_for(inside) == ["好消息：候补转正。"]
        await eventually(lambda: wx_api.templates)
        (template,) = wx_api.templates
        assert template["touser"] == outside and template["template_id"] == "TPL-1"
        assert template["data"]["keyword1"]["value"] == "您的补贴申请已通过。"

    waiting = new_openid()
    async with start_front(registry=reg_url) as wx:  # no template id: it waits
        with registry.registry(reg_url) as reg:
            registry.queue_notification(reg, f"wx-{waiting}", "候补转正。", clock=wx.clock)
        await wx.front.deliver_once()
        assert wx_api.texts_to(waiting) == []
        with registry.registry(reg_url) as reg:
            (pending,) = registry.pending_notifications(reg, sender_id=f"wx-{waiting}")
        assert pending.text == "候补转正。"
        # the worker writes again: the window is open, and the notification goes out
        store.record_message(wx.db, f"wx-{waiting}", wx.clock.now())
        wx.clock.advance(minutes=2)
        assert await wx_api.wait_for(waiting) == ["候补转正。"]


# ---------------------------------------------------------------- never stuck


async def test_what_the_assistant_cannot_read_gets_a_short_answer(start_front: StartFront) -> None:
    openid = new_openid()
    async with start_front() as wx:
        photo = await wx.platform.post(
            media_xml(openid, "image", "<PicUrl>http://x/1.jpg</PicUrl><MediaId>m1</MediaId>")
        )
        assert "图片" in photo.text and "转人工" in photo.text
        voice = await wx.platform.post(media_xml(openid, "voice", "<MediaId>m2</MediaId><Format>amr</Format>"))
        assert voice.text == texts.WX_VOICE_UNREADABLE
        assert (await wx.platform.post(event_xml(openid, "unsubscribe"))).body == "success"
        assert not store.is_subscribed(wx.db, f"wx-{openid}")


async def test_rasa_down_offers_a_person_and_the_typed_number_opens_a_ticket(start_front: StartFront) -> None:
    openid = new_openid()
    async with start_front("http://127.0.0.1:9") as wx:  # nothing listens there
        posted = await wx.platform.post(text_xml(openid, "学历提升班是什么？"))
        assert texts.NO_TIMELY_REPLY in posted.text and "1. 转人工" in posted.text
        posted = await wx.platform.post(text_xml(openid, "1"))
        ticket = handoff.open_ticket_of(wx.db, f"wx-{openid}")
        assert ticket is not None and ticket.reason == "rasa_unavailable"
        assert texts.HANDOFF_NOTICE["request_human"] in posted.text and texts.WX_HANDOFF_STAFFED in posted.text
        # in the ticket: to the operators; "结束人工" back to the bot
        assert (await wx.platform.post(text_xml(openid, "还在吗"))).body == "success"
        assert [m.text for m in handoff.ticket_messages(wx.db, ticket.id) if m.direction == "from_worker"] == ["还在吗"]
        posted = await wx.platform.post(text_xml(openid, "结束人工"))
        assert posted.text == texts.WX_HANDOFF_CLOSED_BY_WORKER
        assert handoff.open_ticket_of(wx.db, f"wx-{openid}") is None
