"""Issue #15: a worker on the REST channel receives what an operator wrote to them — a
reply from the console's inbox (or the Telegram topic), the notice that the ticket was
closed — first in the reply to their next message, or from the channel's poll endpoint;
once, in order, and never a Telegram or WeChat worker's (their front ends push those)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from common.clock import CHINA_TZ, FixedClock
from common.texts import HANDOFF_CLOSED_BY_OPERATOR, OPERATOR_PREFIX, WX_HANDOFF_CLOSED_BY_OPERATOR
from handoff import (
    add_operator_reply,
    claim_for_client,
    close_ticket,
    handoff_store,
    mark_posted,
    request_ticket,
    ticket_messages,
    undelivered_for_ticket,
)
from rasa_ext.channels import RestInput
from tests.rasa_ext.harness import served_channel
from tests.rasa_ext.test_channel import StandInAgent, post

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=CHINA_TZ)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("UH_DATABASE_URL", raising=False)
    yield tmp_path


def channel(clock: FixedClock | None = None) -> RestInput:
    rest = RestInput()
    rest.operators.clock = rest.handoffs.clock = clock or FixedClock(NOW)
    return rest


def ticket_with_reply(sender: str, *texts: str) -> int:
    with handoff_store() as db:
        ticket = request_ticket(
            db, sender_id=sender, display_name="陈 晓红", reason="request_human", staffed=True, now=NOW
        )
        ticket = mark_posted(db, ticket.id, NOW)
        assert ticket is not None
        for n, text in enumerate(texts):
            add_operator_reply(db, ticket, text, author="console:wang", now=NOW, source=f"console:1:{ticket.id}:{n}")
        return ticket.id


async def test_the_next_message_brings_the_operators_reply_first(data_dir: Path) -> None:
    """While the ticket is open the worker's message goes to the ticket (Rasa answers
    nothing); the reply to it carries what the operators wrote meanwhile, once."""
    agent = StandInAgent()
    ticket_id = ticket_with_reply("web-7", "您好，补贴下月发放。", "还有问题随时找我们。")
    async with served_channel(agent, channel()) as url:
        first = (await post(url, {"sender": "web-7", "message": "谢谢"})).json()
        again = (await post(url, {"sender": "web-7", "message": "好的"})).json()
    assert [r["text"] for r in first] == [
        OPERATOR_PREFIX + "您好，补贴下月发放。",
        OPERATOR_PREFIX + "还有问题随时找我们。",
    ]
    assert first[0]["custom"] == {"handoff_message": {"kind": "operator_reply", "ticket": ticket_id}}
    assert again == []  # handed over once
    assert agent.messages == []  # Rasa never saw them
    with handoff_store() as db:
        assert undelivered_for_ticket(db, ticket_id) == []
        assert [m.text for m in ticket_messages(db, ticket_id) if m.direction == "from_worker"] == ["谢谢", "好的"]


async def test_the_poll_endpoint_hands_over_a_reply_and_the_close(data_dir: Path) -> None:
    ticket_id = ticket_with_reply("web-8", "您好，已经帮您查过了。")
    async with served_channel(StandInAgent(), channel()) as url, httpx.AsyncClient(timeout=30) as client:
        polled = (await client.get(f"{url}/handoff", params={"sender": "web-8"})).json()
        assert [r["text"] for r in polled] == [OPERATOR_PREFIX + "您好，已经帮您查过了。"]
        assert (await client.get(f"{url}/handoff", params={"sender": "web-8"})).json() == []
        with handoff_store() as db:
            close_ticket(db, ticket_id, closed_by="console:wang", now=NOW, notice=HANDOFF_CLOSED_BY_OPERATOR)
        closed = (await client.get(f"{url}/handoff", params={"sender": "web-8"})).json()
        assert closed == [
            {
                "recipient_id": "web-8",
                "text": WX_HANDOFF_CLOSED_BY_OPERATOR,  # no Telegram /start on a web page
                "custom": {"handoff_message": {"kind": "closed", "ticket": ticket_id}},
            }
        ]
        missing = await client.get(f"{url}/handoff")
        assert missing.status_code == 400 and "sender" in missing.json()["message"]


async def test_telegram_and_wechat_workers_are_left_to_their_front_ends(data_dir: Path) -> None:
    tg = ticket_with_reply("tg-5001", "Telegram 的回复")
    wx = ticket_with_reply("wx-oABC", "微信的回复")
    async with served_channel(StandInAgent(), channel()) as url:
        for sender in ("tg-5001", "wx-oABC"):
            assert [r["text"] for r in (await post(url, {"sender": sender, "message": "你好"})).json()] == ["您好！"]
    with handoff_store() as db:
        assert len(undelivered_for_ticket(db, tg)) == 1 and len(undelivered_for_ticket(db, wx)) == 1


async def test_a_broken_hand_off_store_costs_the_worker_only_the_wait(data_dir: Path) -> None:
    ticket_with_reply("web-9", "稍后给您回电话。")
    rest = channel()
    rest.operators.url = rest.handoffs.url = "postgresql://nobody@127.0.0.1:1/none"  # nothing listens there
    async with served_channel(StandInAgent(), rest) as url:
        assert [r["text"] for r in (await post(url, {"sender": "web-9", "message": "你好"})).json()] == ["您好！"]
    async with served_channel(StandInAgent(), channel()) as url:  # the store is back
        replies = (await post(url, {"sender": "web-9", "message": "你好"})).json()
    assert [r["text"] for r in replies] == [OPERATOR_PREFIX + "稍后给您回电话。"]  # the ticket is still open


def test_two_replicas_never_both_hand_an_item_over(data_dir: Path) -> None:
    """A replica's claim holds for its lease: the other gets nothing meanwhile (not even the
    worker's later items: they arrive in order), and everything if the first died."""
    ticket_id = ticket_with_reply("web-10", "第一条", "第二条")
    lease = timedelta(seconds=120)
    with handoff_store() as db:
        first = claim_for_client(db, "web-10", "rasa-a", NOW, lease=lease)
        assert [i.text for i in first] == ["第一条", "第二条"]
        add_operator_reply(db, _ticket(db, ticket_id), "第三条", author="console:wang", now=NOW, source="s3")
        assert claim_for_client(db, "web-10", "rasa-b", NOW + timedelta(seconds=5), lease=lease) == []
        assert claim_for_client(db, "web-10", "rasa-a", NOW + timedelta(seconds=5), lease=lease) == []
        later = claim_for_client(db, "web-10", "rasa-b", NOW + lease + timedelta(seconds=1), lease=lease)
        assert [i.text for i in later] == ["第一条", "第二条", "第三条"]  # a dead replica's lease ran out
        assert claim_for_client(db, "tg-1", "rasa-b", NOW + lease * 3) == []


def _ticket(db, ticket_id: int):  # type: ignore[no-untyped-def]
    from handoff import get_ticket

    found = get_ticket(db, ticket_id)
    assert found is not None
    return found
