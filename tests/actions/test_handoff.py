"""Handing a worker to a person (actions/handoff.py): the notice and the signal the
front end acts on, with the reason."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionDefaultFallback, ActionHandoff
from common import texts
from tests.actions.helpers import make_tracker


@pytest.mark.parametrize(
    ("intent", "active_loop", "reason"),
    [
        ("request_human", None, "request_human"),
        ("request_human", "enroll_form", "request_human"),
        ("affirm", "enroll_form", "form_failures"),
        ("nlu_fallback", None, "fallback"),
    ],
)
async def test_handoff_says_why_and_signals_the_front_end(
    domain: dict, intent: str, active_loop: str | None, reason: str
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        domain, text="转人工", intent=intent, active_loop=active_loop, slots={"unanswered_streak": 1}
    )
    events = await ActionHandoff().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == texts.HANDOFF_NOTICE[reason]
    assert dispatcher.messages[-1]["custom"] == {"handoff": {"reason": reason}}
    assert events == [{"event": "slot", "timestamp": None, "name": "unanswered_streak", "value": 0}]


async def test_default_fallback_offers_topics_and_reverts_the_turn(domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionDefaultFallback().run(
        dispatcher, make_tracker(domain, text="嗯嗯嗯", intent="nlu_fallback"), domain
    )
    assert [e["event"] for e in events] == ["rewind"]
    assert dispatcher.messages[0]["buttons"] == [*texts.TOPIC_MENU, texts.HUMAN_BUTTON]
