"""What a message from WeChat *is*, from wechatpy's parsed message: text for Rasa, a
fixed reply (what the assistant cannot read), or an event.

De-duplication needs a key that is the same on every retry of one message: its ``MsgId``,
or — events have none — the sender and ``CreateTime`` (with the event, since a menu click
and a follow can share a second).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from common import texts
from wechat import render

PREFIX = "wx-"
#: The longest text taken from one message (WeChat allows 2048 bytes; a forged callback may
#: carry anything the body cap lets through).
MAX_TEXT = 2000
#: WeChat's built-in emoji arrive as text: "[微笑]", "/::)"; a message of only those is a sticker.
_STICKER = re.compile(r"^(?:\[[^\[\]\s]{1,6}\]|/::?\S{1,3})+$")


@dataclass(frozen=True)
class Inbound:
    key: str  # the de-duplication key
    openid: str
    text: str | None = None  # what goes to Rasa (or to the ticket)
    reply: str | None = None  # answered without Rasa
    reply_note: str = ""  # what a ticket's transcript keeps for it
    event: str | None = None  # subscribe | unsubscribe | click | …

    @property
    def sender_id(self) -> str:
        return f"{PREFIX}{self.openid}"

    @property
    def source(self) -> str:
        """Where it came from, for the ticket's transcript (stored once per source)."""
        return f"wx:{self.key}"


def classify(message: Any) -> Inbound:
    """``message``: what ``wechatpy.parse_message`` returned."""
    openid = str(message.source or "")
    msg_id = getattr(message, "id", None)
    kind = str(message.type or "").lower()
    key = f"msg:{msg_id}" if msg_id else f"evt:{openid}:{message.create_time.timestamp():.0f}:{kind}"
    if kind == "text":
        content = str(message.content or "")
        if _STICKER.match(content.strip()):
            return Inbound(key, openid, reply=texts.WX_STICKER_REPLY, reply_note=content[:100])
        return Inbound(key, openid, text=content[:MAX_TEXT])
    if kind == "voice":
        heard = str(getattr(message, "recognition", None) or "").strip()
        if heard:
            return Inbound(key, openid, text=heard[:MAX_TEXT])
        return Inbound(
            key,
            openid,
            reply=texts.WX_VOICE_UNREADABLE,
            reply_note=texts.RELAY_MEDIA_NOTE.format(kind="语音", caption=""),
        )
    if kind == "event":
        event = str(getattr(message, "event", "") or "").lower()
        key = f"evt:{openid}:{message.create_time.timestamp():.0f}:{event}"
        if event in ("subscribe", "subscribe_scan"):
            return Inbound(key, openid, event="subscribe")
        if event == "unsubscribe":
            return Inbound(key, openid, event="unsubscribe")
        if event == "click":
            event_key = str(getattr(message, "key", "") or "")
            payload = render.MENU_PAYLOADS.get(event_key) or (event_key if event_key.startswith("/") else None)
            return Inbound(key, openid, text=payload, event="click")
        return Inbound(key, openid, event=event or "unknown")
    label = texts.WX_UNSUPPORTED.get(kind, "消息")
    note = texts.RELAY_MEDIA_NOTE.format(kind=label, caption=_caption(message))
    return Inbound(key, openid, reply=texts.WX_UNSUPPORTED_REPLY.format(kind=label), reply_note=note)


def _caption(message: Any) -> str:
    """What the operators can learn from a link or a place, without opening anything."""
    for name in ("title", "label", "url"):
        value = getattr(message, name, None)
        if value:
            return str(value)[:200]
    return ""
