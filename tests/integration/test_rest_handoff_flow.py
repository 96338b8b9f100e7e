"""Issue #15: a worker of the REST channel asks for a person, through the trained model
and the action server, and is handed to the operators and back — the REST channel opens
the ticket itself (no front end does for these workers)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from common.clock import default_clock
from common.texts import HANDOFF_CLOSED_BY_OPERATOR, HANDOFF_NOTICE, OPERATOR_PREFIX, WX_HANDOFF_CLOSED_BY_OPERATOR
from handoff import add_operator_reply, close_ticket, list_tickets, open_handoff, open_ticket_of, ticket_messages
from tests.support import RestChat

pytestmark = pytest.mark.slow


def texts_of(replies: list[dict[str, Any]]) -> list[str]:
    return [str(r["text"]) for r in replies if r.get("text")]


def tracker(stack: Any, sender: str) -> dict[str, Any]:
    response = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.token}, timeout=30)
    response.raise_for_status()
    return response.json()


def test_a_rest_worker_is_handed_to_a_person_and_back(rasa_stack) -> None:
    sender = f"it-person-{uuid.uuid4().hex[:8]}"
    chat = RestChat(rasa_stack.rasa_url, sender)
    clock = default_clock()
    db = open_handoff(rasa_stack.data / "handoff.db")
    try:
        chat.send("劳模先进班的学费谁出")
        opened = chat.send("转人工")
        assert HANDOFF_NOTICE["request_human"] in texts_of(opened)
        ticket = open_ticket_of(db, sender)
        assert ticket is not None and ticket.reason == "request_human"
        assert "劳模先进班的学费谁出" in ticket.transcript
        assert [r["custom"] for r in opened if "custom" in r] == [{"handoff": {"reason": "request_human"}}]
        assert tracker(rasa_stack, sender)["paused"] is True

        # While it is open: the message is the operators', Rasa does not answer it.
        assert chat.send("补贴什么时候到账") == []
        assert [m.text for m in ticket_messages(db, ticket.id)] == ["补贴什么时候到账"]
        assert tracker(rasa_stack, sender)["latest_message"]["text"] != "补贴什么时候到账"
        assert len([t for t in list_tickets(db, "open") if t.sender_id == sender]) == 1

        # An operator's reply arrives with the worker's next message.
        add_operator_reply(db, ticket, "您好，下月发放。", author="console:it", now=clock.now(), source=f"it:{sender}")
        assert texts_of(chat.send("好的")) == [OPERATOR_PREFIX + "您好，下月发放。"]

        # Closed (as the console closes it): Rasa answers again; the notice comes once, first.
        close_ticket(db, ticket.id, closed_by="console:it", now=clock.now(), notice=HANDOFF_CLOSED_BY_OPERATOR)
        back = texts_of(chat.send("劳模先进班的学费谁出"))
        assert back[0] == WX_HANDOFF_CLOSED_BY_OPERATOR
        assert "全额" in "\n".join(back[1:])
        assert tracker(rasa_stack, sender)["paused"] is False
        again = texts_of(chat.send("劳模先进班的学费谁出"))
        assert WX_HANDOFF_CLOSED_BY_OPERATOR not in again and "全额" in "\n".join(again)
    finally:
        db.close()
