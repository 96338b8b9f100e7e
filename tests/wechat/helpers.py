"""What the WeChat platform does to our endpoint: signed XML callbacks, plaintext or
安全模式, and reading the passive reply back — with wechatpy's own signer and crypto."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

TOKEN = "uh-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
ACCOUNT = "gh_union_helper"

_msg_ids = itertools.count(7_000_000_000_000_000_001)
_openids = itertools.count(1)


def new_openid() -> str:
    """A fresh 28-character openid (a new Rasa conversation ``wx-…``)."""
    return f"oUH{next(_openids):025d}"


def signature(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, *extra)
    return str(signer.signature)


def text_xml(openid: str, content: str, *, msg_id: int | None = None, created: int = 1_763_258_400) -> str:
    msg_id = next(_msg_ids) if msg_id is None else msg_id
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(openid: str, event: str, key: str = "", *, created: int = 1_763_258_400) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def media_xml(openid: str, kind: str, extra: str = "") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>1763258400</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{extra}"
        f"<MsgId>{next(_msg_ids)}</MsgId></xml>"
    )


@dataclass
class Posted:
    status: int
    body: str
    reply: Any = None  # the parsed passive reply (wechatpy message), if any

    @property
    def text(self) -> str:
        return str(getattr(self.reply, "content", "") or "")


@dataclass
class Platform:
    """Posts callbacks as the WeChat servers do."""

    url: str  # http://127.0.0.1:port/wechat
    token: str = TOKEN
    aes_key: str | None = None
    app_id: str = "wx0123456789abcdef"
    timeout: float = 30.0
    _timestamps: itertools.count = field(default_factory=lambda: itertools.count(1_763_258_400))

    def query(self) -> dict[str, str]:
        timestamp, nonce = str(next(self._timestamps)), secrets.token_hex(6)
        return {"signature": signature(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}

    async def post(self, xml: str, *, query: dict[str, str] | None = None, encrypt: bool | None = None) -> Posted:
        params = query or self.query()
        body = xml.encode("utf-8")
        crypto = None
        if encrypt if encrypt is not None else self.aes_key is not None:
            assert self.aes_key is not None
            crypto = WeChatCrypto(self.token, self.aes_key, self.app_id)
            wrapped = crypto.encrypt_message(xml, params["nonce"], params["timestamp"])
            parsed = parse_xml_fields(wrapped)
            params = {**params, "encrypt_type": "aes", "msg_signature": parsed["MsgSignature"]}
            body = wrapped.encode("utf-8")
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(self.url, params=params, content=body)
        posted = Posted(response.status_code, response.text)
        if response.status_code == 200 and response.text not in ("success", ""):
            xml_reply = response.text
            if crypto is not None:
                fields = parse_xml_fields(xml_reply)
                xml_reply = crypto.decrypt_message(
                    xml_reply, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"]
                )
            posted.reply = parse_message(xml_reply)
        return posted


def parse_xml_fields(xml: str) -> dict[str, str]:
    import xmltodict

    return dict(xmltodict.parse(xml)["xml"])
