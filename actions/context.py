"""The conversation's context in slots: what ``answering.context`` resolves follow-ups
against ("那劳模呢", "谁来上课"), kept where the tracker shows it.

``context_entry`` (the knowledge entry last answered), ``context_attribute`` (what was
asked about it) and ``context_age`` (the worker's messages since it was renewed) are
written by the answering actions (``actions/answers.py``) and read back here, aged by the
messages since. A new session forgets them (:class:`ActionSessionStart`). Other actions
(the forms answering a question) use :func:`read_context` / :func:`context_events` too.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from answering import Context

#: The slots that hold what the conversation is about (domain/context.yml), visible in the
#: tracker for story tests and the operators' transcript.
CONTEXT_ENTRY, CONTEXT_ATTRIBUTE, CONTEXT_AGE = "context_entry", "context_attribute", "context_age"
CONTEXT_SLOTS = (CONTEXT_ENTRY, CONTEXT_ATTRIBUTE, CONTEXT_AGE)


def _messages_since_context_written(tracker: Tracker) -> int | None:
    """The worker's messages after the context slots were last written, not counting the
    one being answered; None when they were never written in the events at hand."""
    seen = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen += 1
        elif event.get("event") == "slot" and event.get("name") == CONTEXT_AGE:
            return max(seen - 1, 0)
    return None


def read_context(tracker: Tracker) -> Context | None:
    """What the conversation is about, aged by the messages since it was written.

    A long chat rolls over into a new session with its slots carried over (the events
    before are not sent): the age then counts from the carried value, so a context is at
    most a few turns too young. A real new session (``action_session_start``) has none.
    """
    entry = tracker.get_slot(CONTEXT_ENTRY)
    attribute = tracker.get_slot(CONTEXT_ATTRIBUTE)
    if not entry and not attribute:
        return None
    try:
        age = int(tracker.get_slot(CONTEXT_AGE) or 0)
    except (TypeError, ValueError):
        age = 0
    since = _messages_since_context_written(tracker)
    if since is None:
        since = max(sum(1 for e in tracker.events if e.get("event") == "user") - 1, 0)
    return Context(str(entry) if entry else None, str(attribute) if attribute else None, age + since)


def context_events(context: Context | None) -> list[EventType]:
    """The slot events that keep ``context`` (or forget it, when it is None or expired)."""
    if context is None or not context.alive:
        return [SlotSet(CONTEXT_ENTRY, None), SlotSet(CONTEXT_ATTRIBUTE, None), SlotSet(CONTEXT_AGE, None)]
    return [
        SlotSet(CONTEXT_ENTRY, context.entry),
        SlotSet(CONTEXT_ATTRIBUTE, context.attribute),
        SlotSet(CONTEXT_AGE, float(context.age)),
    ]


class ActionSessionStart(Action):
    """A new session (after an hour of silence) carries the slots over, as Rasa's own
    does, but not the conversation's context: "那劳模呢" the next morning refers to nothing.

    The tracker store's roll-over of a long chat writes its session start itself and
    never runs this action, so the context survives it (same conversation).
    """

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        carried: list[EventType] = [SlotSet(name, value) for name, value in _slots_to_carry(tracker, domain).items()]
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]


def _slots_to_carry(tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
    """Every slot that has a value, except the context (and only when the domain carries
    slots over at all)."""
    session = domain.get("session_config") or {}
    if not session.get("carry_over_slots_to_new_session", True):
        return {}
    return {
        name: value
        for name, value in tracker.current_slot_values().items()
        if value is not None and name not in CONTEXT_SLOTS
    }
