"""Handing a worker to a person, and the last-resort fallback.

The action does not switch anything itself (helpdesk-assistant pattern): it tells the
worker what happens and sends a custom ``handoff`` payload; the front end (bot/) opens
the ticket with the operators and pauses the bot meanwhile.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import replies

HANDOFF_TEXT = {
    "request_human": "好的，已为您转接工会工作人员，请稍候，工作人员会在这里回复您。",
    "fallback": "抱歉，这个问题我暂时答不好，已为您转接工会工作人员，请稍候。",
    "form_failures": "看起来填写遇到了困难，已为您转接工会工作人员协助办理，请稍候。",
}


def handoff_reason(tracker: Tracker) -> str:
    """Why the worker is handed over: asked for it, or the bot failed them."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "request_human":
        return "request_human"
    if tracker.active_loop_name or tracker.get_slot("requested_slot"):
        return "form_failures"
    return "fallback"


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        reason = handoff_reason(tracker)
        dispatcher.utter_message(text=HANDOFF_TEXT[reason])
        dispatcher.utter_message(json_message={"handoff": {"reason": reason}})
        return [SlotSet("unanswered_streak", 0)]


class ActionDefaultFallback(Action):
    """When no policy is sure what to do: say so, offer topics, forget the turn."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(
            text="抱歉，我没太明白您的意思。可以换个说法，或者点下面的主题：",
            buttons=list(replies.TOPIC_MENU) + [replies.HUMAN_BUTTON],
        )
        return [UserUtteranceReverted()]
