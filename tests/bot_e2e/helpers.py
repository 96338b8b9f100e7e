"""Helpers of the end-to-end tests (importable as ``tests.bot_e2e.helpers``)."""

from __future__ import annotations

from typing import Any

import httpx

from common import texts
from tests.bot.fake_bot_api import FakeBotApi, tg_len

OPS_CHAT = -1009876543210  # the operators' group (a forum)
#: Seconds to wait for anything that goes through the real Rasa (a loaded 2-core machine).
WAIT = 60.0


class RasaApi:
    """Reads a conversation's tracker through the real Rasa server's HTTP API."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def tracker(self, sender_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/conversations/{sender_id}/tracker", params={"token": self.token}, timeout=30)
        response.raise_for_status()
        return response.json()

    def events(self, sender_id: str) -> list[dict[str, Any]]:
        return self.tracker(sender_id).get("events") or []

    def user_texts(self, sender_id: str) -> list[str]:
        return [e.get("text") or "" for e in self.events(sender_id) if e["event"] == "user"]

    def pause_resume(self, sender_id: str) -> list[str]:
        return [e["event"] for e in self.events(sender_id) if e["event"] in ("pause", "resume")]

    def paused(self, sender_id: str) -> bool:
        return bool(self.tracker(sender_id).get("paused"))


def sender(user: dict) -> str:
    return f"tg-{user['id']}"


def with_keyboard(tg: FakeBotApi, chat_id: int) -> list[dict]:
    return [m for m in tg.sent_to(chat_id) if m.get("reply_markup")]


def ticket_header(tg: FakeBotApi) -> dict | None:
    headers = [m for m in tg.sent_to(OPS_CHAT) if m.get("text", "").startswith("🆕 工单 #")]
    return headers[-1] if headers else None


def assert_sane_delivery(tg: FakeBotApi, chat_id: int) -> None:
    """Every message to ``chat_id`` was accepted, fits Telegram's limit, and none is an apology."""
    calls = tg.calls_of("sendMessage", ok=None, chat_id=chat_id)
    assert calls and all(c.ok for c in calls), tg.summary()
    for text in tg.texts_to(chat_id):
        assert 0 < tg_len(text) <= 4096
        assert text not in (texts.HANDLING_FAILED, texts.NO_REPLY_OFFER_PERSON), text
