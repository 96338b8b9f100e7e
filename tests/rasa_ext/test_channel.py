"""The hardened REST channel (rasa_ext/channels.py) served by a real Sanic server on
127.0.0.1, registered as ``rasa run`` registers it, in front of a stand-in agent: a reply
passes through as Rasa's, silence becomes an apology (or the hand-off when the worker
asked for a person), bad requests get a clear 400, odd input is cleaned. And the apology
must not tell a worker whose sign-up may have been saved that it failed."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from common.texts import CHANNEL_APOLOGY, HANDOFF_NOTICE, HUMAN_BUTTON, MAY_BE_SAVED
from rasa_ext import patches
from rasa_ext.channels import MAX_MESSAGE_CHARS, RestInput
from tests.rasa_ext.harness import EVERY_PATCH, served_channel

APOLOGY_REPLY = {"text": CHANNEL_APOLOGY, "buttons": [HUMAN_BUTTON]}


class StandInAgent:
    """Rasa's agent as the channel sees it: handles a message (answers ``answers[text]``,
    raises for "boom", says nothing otherwise) and keeps trackers in a tracker store."""

    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.messages: list[UserMessage] = []
        self.answers: dict[str, str] = {"你好": "您好！"}

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        intent = message.text[1:] if (message.text or "").startswith("/") else "ask_general"
        tracker.update(UserUttered(message.text, {"name": intent, "confidence": 1.0}))
        await self.tracker_store.save(tracker)
        if message.text == "boom":
            raise RuntimeError("the lock store is unreachable")
        if message.text in self.answers:
            await message.output_channel.send_text_message(message.sender_id, self.answers[message.text])

    async def pause(self, sender_id: str) -> None:
        tracker = await self.tracker_store.get_or_create_tracker(sender_id)
        tracker.update(ConversationPaused())
        await self.tracker_store.save(tracker)


@pytest.fixture
def agent() -> StandInAgent:
    return StandInAgent()


async def post(url: str, body: Any = None, content: bytes | None = None, content_type: str = "application/json"):
    async with httpx.AsyncClient(timeout=30) as client:
        if content is None:
            content = json.dumps(body, ensure_ascii=False).encode()
        return await client.post(f"{url}/webhook", content=content, headers={"Content-Type": content_type})


def replies(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [{k: v for k, v in reply.items() if k != "recipient_id"} for reply in response.json()]


# ------------------------------------------------------------------ replies


async def test_a_reply_passes_through_as_rasas(agent: StandInAgent) -> None:
    async with served_channel(agent) as url:
        response = await post(url, {"sender": "tg-1", "message": "你好"})
        assert response.json() == [{"recipient_id": "tg-1", "text": "您好！"}]
        async with httpx.AsyncClient() as client:
            health = await client.get(f"{url}/")
        assert health.json() == {"status": "ok"}


@pytest.mark.parametrize("text", ["确认报名", "boom"], ids=["no-reply", "handling-failed"])
async def test_silence_becomes_the_apology(agent: StandInAgent, text: str, caplog: pytest.LogCaptureFixture) -> None:
    async with served_channel(agent) as url:
        with caplog.at_level(logging.WARNING, logger="rasa_ext"):
            response = await post(url, {"sender": "tg-1", "message": text})
    assert replies(response) == [APOLOGY_REPLY]
    cause = "handling it failed" if text == "boom" else "is the action server down?"
    assert any(cause in r.getMessage() for r in caplog.records), caplog.text


async def test_asking_for_a_person_hands_off_without_the_action_server(agent: StandInAgent) -> None:
    async with served_channel(agent) as url:
        assert replies(await post(url, {"sender": "tg-1", "message": "/request_human"})) == [
            {"text": HANDOFF_NOTICE["request_human"]},
            {"custom": {"handoff": {"reason": "request_human"}}},
        ]


async def test_a_paused_conversation_stays_silent(agent: StandInAgent) -> None:
    await agent.pause("tg-1")
    async with served_channel(agent) as url:
        assert replies(await post(url, {"sender": "tg-1", "message": "还在吗"})) == []


def test_the_apology_says_the_sign_up_may_be_saved_and_how_to_check() -> None:
    assert MAY_BE_SAVED in CHANNEL_APOLOGY
    assert "如果您刚才在报名或申请，可能已经办好了" in CHANNEL_APOLOGY
    assert "发“我的报名”查看" in CHANNEL_APOLOGY
    assert "失败" not in CHANNEL_APOLOGY and "没有办成" not in CHANNEL_APOLOGY
    assert "转人工" in CHANNEL_APOLOGY and HUMAN_BUTTON["title"] == "转人工"


def test_the_load_script_still_recognises_the_apology() -> None:
    from scripts.load import APOLOGY_MARK

    assert APOLOGY_MARK in CHANNEL_APOLOGY


def test_the_telegram_front_end_says_the_same() -> None:
    from common import texts

    for text in (texts.NO_REPLY_OFFER_PERSON, texts.HANDLING_FAILED, texts.TERMINAL_NO_REPLY):
        assert MAY_BE_SAVED in text
        assert "失败" not in text


# ------------------------------------------------------------------ requests


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"not json at all", "application/json"),
        (b"", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b'{"message": "no sender"}', "application/json"),
        (b'{"sender": "", "message": "empty sender"}', "application/json"),
        (b'{"sender": " \\u0000 ", "message": "unsafe sender"}', "application/json"),
        (b'{"sender": {"id": 1}, "message": "object sender"}', "application/json"),
        (b'{"sender": true, "message": "boolean sender"}', "application/json"),
        (json.dumps({"sender": "s" * 300, "message": "long sender"}).encode(), "application/json"),
        (b'{"sender": "truncated", "message": "\xe8\xa1', "application/json"),
        (b"sender=x&message=hi", "application/x-www-form-urlencoded"),
    ],
)
async def test_unusable_requests_get_a_clear_400(agent: StandInAgent, content: bytes, content_type: str) -> None:
    async with served_channel(agent) as url:
        response = await post(url, content=content, content_type=content_type)
        assert response.status_code == 400, response.text
        assert response.json()["status"] == "failure" and response.json()["message"]
        assert agent.messages == []
        assert replies(await post(url, {"sender": "tg-1", "message": "你好"})) == [{"text": "您好！"}]


async def test_odd_input_is_cleaned_before_rasa_sees_it(agent: StandInAgent) -> None:
    essay = "补贴" * 3000
    async with served_channel(agent) as url:
        await post(url, content=b'{"sender": "tg-1", "message": "\xff\xfe \xe8\xa1\xa5\xe8\xb4\xb4"}')
        await post(url, {"sender": "tg-2", "message": "补贴\x00\x07\x1b[31m申请\x7f\x85条件"})
        await post(url, {"sender": "tg-3", "message": essay, "metadata": {"display_name": "张三"}})
        await post(url, {"sender": 42, "message": {"text": "补贴"}, "input_channel": "telegram"})
        await post(url, {"sender": "tg-5", "message": None})
    first, control, long, odd, empty = agent.messages
    assert "补贴" in first.text and "\ufffd" in first.text
    assert control.text == "补贴[31m申请条件"
    assert long.text == essay[:MAX_MESSAGE_CHARS]
    assert long.metadata == {"display_name": "张三", "truncated_from": len(essay)}
    assert (odd.sender_id, odd.text, odd.input_channel) == ("42", '{"text": "补贴"}', "telegram")
    assert (empty.text, empty.input_channel, empty.metadata) == ("", "rest", None)


# ------------------------------------------------------------------ what building the server does


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("all", EVERY_PATCH),
        ("none", []),
    ],
)
async def test_building_the_server_installs_the_speedups(
    agent: StandInAgent, monkeypatch: pytest.MonkeyPatch, setting: str, expected: list[str]
) -> None:
    monkeypatch.setenv("UH_RASA_SPEEDUPS", setting)
    assert patches.installed() == []
    async with served_channel(agent):
        assert patches.installed() == expected


async def test_on_another_rasa_version_requests_are_read_as_rasa_reads_them(
    agent: StandInAgent, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def another_rasa(requires: object, versions: object = None) -> str:
        return "rasa 3.7.0 (written for 3.6.21)"

    monkeypatch.setattr(patches, "version_problem", another_rasa)
    channel = RestInput()
    with caplog.at_level(logging.WARNING, logger="rasa_ext"):
        async with served_channel(agent, channel) as url:
            assert replies(await post(url, {"sender": "tg-1", "message": "你好"})) == [{"text": "您好！"}]
            assert replies(await post(url, {"sender": "tg-2", "message": "确认报名"})) == [APOLOGY_REPLY]
    assert channel.clean_input is False
    (record,) = [r for r in caplog.records if r.name == "rasa_ext.channels" and "rasa 3.7.0" in r.getMessage()]
    assert "no input cleaning" in record.getMessage()
    assert patches.installed() == []  # and the speed-ups refused as well


async def test_the_fallback_without_an_agent_still_apologises() -> None:
    replies = await RestInput().fallback_replies(None, "tg-1", "确认报名", failed=True)
    assert replies == [{"recipient_id": "tg-1", **APOLOGY_REPLY}]


async def test_the_hand_off_is_recognised_from_the_tracker(agent: StandInAgent) -> None:
    """A typed 转人工 (not the button payload) is known as request_human from the tracker."""
    tracker = DialogueStateTracker("tg-1", [])
    tracker.update(UserUttered("转人工", {"name": "request_human", "confidence": 0.9}))
    await agent.tracker_store.save(tracker)
    replies = await RestInput().fallback_replies(agent, "tg-1", "转人工")  # type: ignore[arg-type]
    assert replies[1] == {"recipient_id": "tg-1", "custom": {"handoff": {"reason": "request_human"}}}
