"""The Rasa actions that answer workers' questions: thin adapters over :mod:`answering`.

What to answer is decided by ``answering`` (pure, shared with the staff console's
preview); here it becomes messages and slot events, and the side effects happen: an
unanswered question is recorded for staff, and a second one in a row hands the worker to
a person.
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import stores
from actions.context import context_events, read_context
from actions.signup.parsing import first_entity, latest_intent, latest_text
from answering import Outcome, answer_question, list_courses
from answering.context import read as read_message
from common import replies, texts
from common.clock import default_clock
from knowledge import KnowledgeBase, KnowledgeError
from knowledge.documents import record_use
from knowledge.gaps import record_gap

logger = logging.getLogger(__name__)

#: How a message reads that continues the conversation about the current entry.
FOLLOW_UPS = ("same_subject", "figure")

#: Intents that say "no / not now". A message the NLU is unsure of whose best candidates
#: are all of these ("先不用了", "那先不报了" after 现在帮您报名吗？) is a no, not a question:
#: searching the knowledge base for it only gives "答不上来" and counts towards a hand-off.
NO_INTENTS = frozenset({"deny", "stop", "cancel_record"})
#: …of which at least one must be a plain no (a real cancellation is never unsure of itself).
PLAIN_NO = frozenset({"deny", "stop"})
#: Words of thanks said with the no ("那先不报了 谢谢").
THANKS = ("谢谢", "多谢", "感谢", "谢了")


def reads_as_no(tracker: Tracker) -> bool:
    """The NLU fell back, and its two best real candidates are both ways of saying no."""
    message = tracker.latest_message or {}
    if (message.get("intent") or {}).get("name") != "nlu_fallback" or message.get("entities"):
        return False
    ranking = [r.get("name") for r in message.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"][:2]
    return len(ranking) == 2 and set(ranking) <= NO_INTENTS and bool(set(ranking) & PLAIN_NO)


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


def say(dispatcher: CollectingDispatcher, outcome: Outcome) -> None:
    for reply in outcome.replies:
        dispatcher.utter_message(text=reply.text, buttons=[dict(b) for b in reply.buttons])


def answer(dispatcher: CollectingDispatcher, tracker: Tracker, kb: KnowledgeBase) -> list[EventType]:
    """Answer the latest message in its context; the events to return."""
    names = ("kb_id", "attribute", "course", "district")
    entities = {name: value for name in names if (value := first_entity(tracker, name))}
    outcome = answer_question(
        kb,
        latest_text(tracker),
        intent=latest_intent(tracker),
        entities=entities,
        unanswered_streak=int(tracker.get_slot("unanswered_streak") or 0),
        context=read_context(tracker),
    )
    if outcome.gap:
        try:
            record_gap(outcome.searched, tracker.sender_id, outcome.gap, list(outcome.hits))
        except Exception:
            logger.exception("could not record an unanswered question")
    if outcome.status == "passage":  # an imported notice answered it: staff see how often
        record_use(int(str(outcome.extra["passage_id"])), now=default_clock().now())
    say(dispatcher, outcome)
    events: list[EventType] = [SlotSet("kb_id", None), *context_events(outcome.context)]
    if outcome.status == "handoff":
        return [SlotSet("unanswered_streak", 0), *events, FollowupAction("action_handoff")]
    if outcome.status in ("answered", "menu", "passage"):
        events.append(SlotSet("unanswered_streak", 0))
    elif outcome.status in ("not_sure", "not_found"):
        events.append(SlotSet("unanswered_streak", outcome.unanswered_streak))
    return events


class ActionAnswerQuestion(Action):
    """Answer any question from the knowledge base, or offer the nearest topics."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if reads_as_no(tracker):
            thanked = any(word in latest_text(tracker) for word in THANKS)
            dispatcher.utter_message(response="utter_thank" if thanked else "utter_anything_else")
            return [SlotSet("unanswered_streak", 0)]
        kb = await open_kb(dispatcher)
        if kb is None:
            return []
        return answer(dispatcher, tracker, kb)


class ActionListCourses(Action):
    """List the courses, by district when one is named, as buttons to pick from.

    Unless the message continues the conversation about one entry ("现在有多少人在里面"
    after 读书团队, which the NLU may take for a course list): the context decides, and
    it is answered like any follow-up.
    """

    def name(self) -> str:
        return "action_list_courses"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kb = await open_kb(dispatcher)
        if kb is None:
            return []
        district = first_entity(tracker, "district")
        context = read_context(tracker)
        if district is None and context is not None and context.alive and context.entry:
            reading = read_message(kb, latest_text(tracker), context)
            if reading.kind in FOLLOW_UPS and reading.attributes and "courses" not in reading.attributes:
                return answer(dispatcher, tracker, kb)
        outcome = list_courses(kb, district)
        say(dispatcher, outcome)
        if outcome.status == "empty":
            return []
        return [SlotSet("district", None), *context_events(outcome.context)]
