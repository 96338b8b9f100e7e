"""Issue #15: a REST worker who asks for a person gets one ticket in the shared hand-off
store (the console's inbox reads it), their conversation paused in Rasa's tracker store;
while it is open their messages are the operators', not Rasa's; a close from anywhere
hands them back to the bot. A store that fails while opening leaves nothing half-done."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from common.texts import (
    HANDOFF_CLOSED_BY_OPERATOR,
    HANDOFF_NOTICE,
    OPERATOR_PREFIX,
    RELAY_FAILED,
    REST_HANDOFF_FAILED,
    WX_HANDOFF_ALREADY_OPEN,
    WX_HANDOFF_CLOSED_BY_OPERATOR,
    WX_HANDOFF_CLOSED_BY_WORKER,
    WX_HANDOFF_STAFFED,
)
from handoff import (
    add_operator_reply,
    close_ticket,
    handoff_store,
    list_tickets,
    open_ticket_of,
    pending_resumes,
    ticket_messages,
)
from rasa_ext import rest_handoff
from tests.rasa_ext.harness import served_channel
from tests.rasa_ext.test_channel import StandInAgent, post
from tests.rasa_ext.test_rest_handoff import NOW, channel


class HandingOffAgent(StandInAgent):
    """Answers 转人工 as ``action_handoff`` does (its text and the ``handoff`` payload)."""

    async def handle_message(self, message: UserMessage) -> None:
        await super().handle_message(message)
        if message.text == "转人工":
            await message.output_channel.send_text_message(message.sender_id, HANDOFF_NOTICE["request_human"])
            await message.output_channel.send_custom_json(message.sender_id, {"handoff": {"reason": "request_human"}})

    async def paused(self, sender_id: str) -> bool:
        tracker = await self.tracker_store.retrieve(sender_id)
        return tracker is not None and tracker.is_paused()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STAFFED_HOURS", "always")
    monkeypatch.delenv("UH_DATABASE_URL", raising=False)
    yield tmp_path


def texts_of(replies: list[dict[str, Any]]) -> list[str]:
    return [r["text"] for r in replies if "text" in r]


async def test_asking_for_a_person_opens_one_ticket_with_the_masked_transcript(data_dir: Path) -> None:
    agent = HandingOffAgent()
    agent.answers["我的电话是13955556666"] = "好的"
    async with served_channel(agent, channel()) as url:
        await post(url, {"sender": "web-21", "message": "我的电话是13955556666"})
        body = {"sender": "web-21", "message": "转人工", "metadata": {"display_name": "陈 晓红"}}
        replies = (await post(url, body)).json()
        assert await agent.paused("web-21")
        again = (await post(url, {"sender": "web-21", "message": "转人工"})).json()
    with handoff_store() as db:
        [ticket] = list_tickets(db, "open")
        assert list_tickets(db, "pending") == []
    assert texts_of(replies) == [HANDOFF_NOTICE["request_human"], WX_HANDOFF_STAFFED]
    assert {"recipient_id": "web-21", "custom": {"handoff": {"reason": "request_human"}}} in replies
    assert replies[-1] == {"recipient_id": "web-21", "text": WX_HANDOFF_STAFFED}
    assert (ticket.sender_id, ticket.channel, ticket.display_name, ticket.paused) == ("web-21", "web", "陈 晓红", 1)
    assert "13955556666" not in ticket.transcript and "我的电话是" in ticket.transcript
    assert again == [  # and still one ticket
        {
            "recipient_id": "web-21",
            "text": WX_HANDOFF_ALREADY_OPEN,
            "custom": {"handoff_message": {"kind": "already_open", "ticket": ticket.id}},
        }
    ]
    assert [m.text for m in agent.messages] == ["我的电话是13955556666", "转人工"]  # not the second


async def test_the_operators_have_the_conversation_until_a_close_hands_it_back(data_dir: Path) -> None:
    agent = HandingOffAgent()
    async with served_channel(agent, channel()) as url:
        await post(url, {"sender": "web-22", "message": "转人工"})
        assert (await post(url, {"sender": "web-22", "message": "补贴什么时候到账？电话13955556666"})).json() == []
        with handoff_store() as db:
            ticket = open_ticket_of(db, "web-22")
            assert ticket is not None
            assert [m.text for m in ticket_messages(db, ticket.id)] == ["补贴什么时候到账？电话139****6666"]
            add_operator_reply(db, ticket, "下月发放。", author="console:wang", now=NOW, source="c1")
        answered = (await post(url, {"sender": "web-22", "message": "好的"})).json()
        assert texts_of(answered) == [OPERATOR_PREFIX + "下月发放。"]
        with handoff_store() as db:
            close_ticket(db, ticket.id, closed_by="console:wang", now=NOW, notice=HANDOFF_CLOSED_BY_OPERATOR)
        back = (await post(url, {"sender": "web-22", "message": "你好"})).json()
        assert not await agent.paused("web-22")
        later = (await post(url, {"sender": "web-22", "message": "你好"})).json()
    assert texts_of(back) == [WX_HANDOFF_CLOSED_BY_OPERATOR, "您好！"]
    assert texts_of(later) == ["您好！"]  # the close notice once
    assert [m.text for m in agent.messages] == ["转人工", "你好", "你好"]
    with handoff_store() as db:
        assert pending_resumes(db, "web-22") == []


async def test_the_workers_end_word_closes_the_ticket(data_dir: Path) -> None:
    agent = HandingOffAgent()
    async with served_channel(agent, channel()) as url:
        await post(url, {"sender": "web-23", "message": "转人工"})
        ended = (await post(url, {"sender": "web-23", "message": "结束人工"})).json()
        assert not await agent.paused("web-23")
        after = (await post(url, {"sender": "web-23", "message": "你好"})).json()
    assert texts_of(ended) == [WX_HANDOFF_CLOSED_BY_WORKER]
    assert ended[0]["custom"]["handoff_message"]["kind"] == "closed"
    assert texts_of(after) == ["您好！"]
    with handoff_store() as db:
        [closed] = list_tickets(db, "closed")
        assert closed.closed_by == "worker" and closed.resume_pending == 0


async def test_a_dead_store_while_opening_keeps_the_worker_with_the_bot(data_dir: Path, caplog) -> None:
    agent = HandingOffAgent()
    rest = channel()
    rest.handoffs.url = rest.operators.url = "postgresql://nobody@127.0.0.1:1/none"
    async with served_channel(agent, rest) as url:
        replies = (await post(url, {"sender": "web-24", "message": "转人工"})).json()
        assert not await agent.paused("web-24")
    assert texts_of(replies) == [HANDOFF_NOTICE["request_human"], REST_HANDOFF_FAILED]
    assert [r.get("custom") for r in replies] == [None, {"handoff_message": {"kind": "unavailable", "ticket": None}}]
    assert "the hand-off store failed" in caplog.text


async def test_a_pause_rasa_refuses_undoes_the_ticket(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(agent: Any, sender_id: str, event: Any) -> None:
        raise RuntimeError("the lock store is unreachable")

    monkeypatch.setattr(rest_handoff, "record_event", refuse)
    agent = HandingOffAgent()
    async with served_channel(agent, channel()) as url:
        replies = (await post(url, {"sender": "web-25", "message": "转人工"})).json()
        answered = (await post(url, {"sender": "web-25", "message": "你好"})).json()
    assert texts_of(replies)[-1] == REST_HANDOFF_FAILED
    assert texts_of(answered) == ["您好！"]  # Rasa has them again
    with handoff_store() as db:
        assert list_tickets(db, "open") == [] and list_tickets(db, "pending") == []
        [undone] = list_tickets(db, "closed")
        assert undone.closed_by == "system" and undone.resume_pending == 0


async def test_telegram_and_wechat_front_ends_open_their_own(data_dir: Path) -> None:
    async with served_channel(HandingOffAgent(), channel()) as url:
        for sender in ("tg-5001", "wx-oABC"):
            replies = (await post(url, {"sender": sender, "message": "转人工"})).json()
            assert texts_of(replies) == [HANDOFF_NOTICE["request_human"]]
    assert not (data_dir / "handoff.db").exists()


async def test_a_ticket_left_pending_by_a_killed_server_is_taken_over(data_dir: Path) -> None:
    from datetime import timedelta

    from handoff import request_ticket

    with handoff_store() as db:
        left = request_ticket(
            db,
            sender_id="web-26",
            display_name="网页用户b-26",
            reason="request_human",
            staffed=True,
            now=NOW - timedelta(minutes=5),
            owner="rasa@gone:1",
        )
    agent = HandingOffAgent()
    async with served_channel(agent, channel()) as url:
        replies = (await post(url, {"sender": "web-26", "message": "转人工"})).json()
        assert await agent.paused("web-26")
    assert {"handoff": {"reason": "request_human"}} in [r.get("custom") for r in replies]
    with handoff_store() as db:
        assert [t.id for t in list_tickets(db, "open")] == [left.id] and list_tickets(db, "pending") == []


async def test_a_paused_worker_hears_when_the_store_cannot_take_their_message(data_dir: Path) -> None:
    agent = HandingOffAgent()
    async with served_channel(agent, channel()) as url:
        await post(url, {"sender": "web-27", "message": "转人工"})
    rest = channel()
    rest.handoffs.url = rest.operators.url = "postgresql://nobody@127.0.0.1:1/none"
    async with served_channel(agent, rest) as url:
        replies = (await post(url, {"sender": "web-27", "message": "补贴什么时候到账"})).json()
    assert texts_of(replies) == [RELAY_FAILED]  # not silence: their message did not reach anyone
