"""The Rasa actions that answer workers' questions: thin adapters over :mod:`answering`.

What to answer is decided by ``answering`` (pure, shared with the staff console's
preview); here it becomes messages and slot events, and the side effects happen: an
unanswered question is recorded for staff, and a second one in a row hands the worker to
a person.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import stores
from actions.signup.parsing import first_entity, latest_intent, latest_text
from answering import Context, Outcome, answer_question, list_courses
from common import replies, texts
from knowledge import KnowledgeBase, KnowledgeError
from knowledge.gaps import record_gap

logger = logging.getLogger(__name__)


async def open_kb(dispatcher: CollectingDispatcher) -> KnowledgeBase | None:
    """The knowledge base, or an apology when it cannot be loaded at all.

    That only happens when the files are invalid and no earlier good index exists
    (a fresh install with a broken edit); a broken edit later keeps the last good one.
    """
    try:
        return await stores.knowledge()  # also picks up staff edits
    except KnowledgeError as error:
        logger.error("knowledge base unavailable: %s", error)
        dispatcher.utter_message(text=texts.KNOWLEDGE_UNAVAILABLE, buttons=replies.buttons([texts.HUMAN_BUTTON]))
        return None


# ---------------------------------------------------------------- the conversation's context in slots

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


def say(dispatcher: CollectingDispatcher, outcome: Outcome) -> None:
    for reply in outcome.replies:
        dispatcher.utter_message(text=reply.text, buttons=[dict(b) for b in reply.buttons])


class ActionAnswerQuestion(Action):
    """Answer any question from the knowledge base, or offer the nearest topics."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kb = await open_kb(dispatcher)
        if kb is None:
            return []
        names = ("kb_id", "attribute", "course", "district")
        entities = {name: value for name in names if (value := first_entity(tracker, name))}
        context = read_context(tracker)
        outcome = answer_question(
            kb,
            latest_text(tracker),
            intent=latest_intent(tracker),
            entities=entities,
            unanswered_streak=int(tracker.get_slot("unanswered_streak") or 0),
            context=context,
        )
        if outcome.gap:
            try:
                record_gap(outcome.searched, tracker.sender_id, outcome.gap, list(outcome.hits))
            except Exception:
                logger.exception("could not record an unanswered question")
        say(dispatcher, outcome)
        events: list[EventType] = [SlotSet("kb_id", None), *context_events(outcome.context)]
        if outcome.status == "handoff":
            return [SlotSet("unanswered_streak", 0), *events, FollowupAction("action_handoff")]
        if outcome.status in ("answered", "menu"):
            events.append(SlotSet("unanswered_streak", 0))
        elif outcome.status in ("not_sure", "not_found"):
            events.append(SlotSet("unanswered_streak", outcome.unanswered_streak))
        return events


class ActionListCourses(Action):
    """List the courses, by district when one is named, as buttons to pick from."""

    def name(self) -> str:
        return "action_list_courses"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kb = await open_kb(dispatcher)
        if kb is None:
            return []
        outcome = list_courses(kb, first_entity(tracker, "district"))
        say(dispatcher, outcome)
        if outcome.status == "empty":
            return []
        return [SlotSet("district", None), *context_events(outcome.context)]


class ActionSessionStart(Action):
    """A new session (after an hour of silence) carries the slots over, as Rasa's own
    does, but not the conversation's context: "那劳模呢" the next morning refers to nothing.

    The tracker store's roll-over of a long chat writes its session start itself and
    never runs this action, so the context survives it (same conversation).
    """

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        carried: list[EventType] = [
            SlotSet(name, value) for name, value in _slots_to_carry(tracker, domain).items()
        ]
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]


def _slots_to_carry(tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
    """Every slot that has a value, except the context (and only when the domain carries
    slots over at all)."""
    session = domain.get("session_config") or {}
    if not session.get("carry_over_slots_to_new_session", True):
        return {}
    return {
        name: value for name, value in tracker.current_slot_values().items() if value is not None and name not in CONTEXT_SLOTS
    }
