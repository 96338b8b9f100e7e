"""Handing a worker to a person, and the last-resort fallback.

The action does not switch anything itself (helpdesk-assistant pattern): it tells the
worker what happens and sends a custom ``handoff`` payload; the front end (bot/) opens
the ticket with the operators and pauses the bot meanwhile.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.signup.parsing import latest_intent
from common import replies, texts


def handoff_reason(tracker: Tracker) -> str:
    """Why the worker is handed over: asked for it, or the bot failed them."""
    if latest_intent(tracker) == "request_human":
        return "request_human"
    if tracker.active_loop_name or tracker.get_slot("requested_slot"):
        return "form_failures"
    return "fallback"


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reason = handoff_reason(tracker)
        dispatcher.utter_message(text=texts.HANDOFF_NOTICE[reason])
        dispatcher.utter_message(json_message={"handoff": {"reason": reason}})
        return [SlotSet("unanswered_streak", 0)]


class ActionDefaultFallback(Action):
    """When no policy is sure what to do: say so, offer topics, forget the turn."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(
            text=texts.NOT_UNDERSTOOD, buttons=replies.buttons(texts.TOPIC_MENU, [texts.HUMAN_BUTTON])
        )
        return [UserUtteranceReverted()]
