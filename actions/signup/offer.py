"""Asking *how* to sign up is not asking to be signed up.

"PLC怎么报名", "读书团队怎么参加", "补贴怎么申请" reach the same start actions as "帮我报名PLC"
(the NLU hears the wish to sign up in both). A start action whose first message asks how
(:func:`asks_how`) does not open its form: it explains — what the knowledge base says
about the thing (``answering.answer_question``, as outside a form) and how it goes in
the chat — and asks "现在帮您报名吗？" with buttons. The form then ends at once with
nothing asked and nothing saved, and the offer stays in two slots: ``signup_offer``
(which form; it shapes the conversation, so a "好的" right after the offer starts that
form by the rules in ``nlu_data/rules/signup/offer.yml``) and ``offered_course``. An
explicit request ("帮我报名PLC", "我要报名", the offer's own button) starts at once.
"""

from __future__ import annotations

import logging
import re

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.signup import asides, digression
from actions.signup.parsing import CourseMatch, course_from_text, first_entity, is_payload, latest_text, resolve_course
from actions.stores import knowledge, registry_call
from answering import answer_question
from common import replies, texts
from knowledge import Course, KnowledgeBase, KnowledgeError
from registry import get_course_summary

logger = logging.getLogger(__name__)

#: Which form a "yes" after the offer starts (categorical; shapes the conversation).
SIGNUP_OFFER = "signup_offer"
#: The course the offer was about (the enrollment's start action takes it on a "yes").
OFFERED_COURSE = "offered_course"
#: The subject the conversation is about, kept by the answering actions (#13 context):
#: "怎么报名" after "匠心工坊是什么" is about 匠心工坊.
CONTEXT_ENTRY = "context_entry"

_HOW = re.compile(
    r"怎么|怎样|咋|如何|在哪|哪里|哪儿|去哪|流程|步骤|入口|手续|需要什么|要什么|什么材料|带什么|准备|哪些|条件|材料|"
    r"(?:能|可以|可不可以).{0,8}(?:吗|不|么)$|(?:吗|呢)$"
)
_EXPLICIT = re.compile(
    r"帮我|给我|替我|帮忙|麻烦|我要|我来|想报|想参加|想加入|想申请|算我|加我|报上|占一个|留个|登记一下|"
    r"报一个|报个名|立即|马上|现在就|直接|我报|我参加|我申请"
)


def asks_how(text: str) -> bool:
    """ "PLC怎么报名", "补贴在哪申请", "读书团队能加人吗" ask how; "帮我报名PLC", "我要报名",
    "读书团队还能加人吗 算我一个" and any button ask to do it now."""
    text = (text or "").strip()
    if not text or is_payload(text):
        return False
    return bool(_HOW.search(text)) and not _EXPLICIT.search(text)


def _filtered(buttons: tuple[replies.Button, ...]) -> list[replies.Button]:
    """An answer's buttons without its own sign-up buttons: the offer below has them."""
    return [dict(b) for b in buttons if asides.payload_intent(b["payload"]) not in digression.FORM_INTENTS]


async def say_what_the_knowledge_says(
    dispatcher: CollectingDispatcher, kb: KnowledgeBase, text: str, intent: str, course: str | None = None
) -> bool:
    """The knowledge base's answer to the how-question, if it has a confident one (staff
    keep how to sign up there); whether it had one. Without it the chat's own how-to
    (``texts.HOW_*``) is said instead, never both."""
    outcome = answer_question(kb, text, intent=intent, entities={"course": course} if course else {})
    if outcome.status != "answered":
        return False
    for reply in outcome.replies:
        dispatcher.utter_message(text=reply.text, buttons=_filtered(reply.buttons))
    return True


def offer_events(form: str, course: str | None = None) -> list[EventType]:
    return [SlotSet(SIGNUP_OFFER, form), SlotSet(OFFERED_COURSE, course)]


def offer_events_cleared(tracker: Tracker) -> list[EventType]:
    """Every form start forgets an earlier offer (a "yes" later must not start it)."""
    return [SlotSet(slot, None) for slot in (SIGNUP_OFFER, OFFERED_COURSE) if tracker.get_slot(slot) is not None]


def _offer_just_made(tracker: Tracker) -> bool:
    """The bot's last action before this message ended the form of an offer."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return str(event.get("name", "")).startswith("action_submit_")
    return False


def offered_course(tracker: Tracker) -> str | None:
    """The course of the offer this message accepts: "好的" (affirm), or a bare "报吧" /
    "帮我报名" right after the offer; else None."""
    if tracker.get_slot(SIGNUP_OFFER) != "enroll_form" or not tracker.get_slot(OFFERED_COURSE):
        return None
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "affirm" or (intent == "enroll_course" and _offer_just_made(tracker)):
        return str(tracker.get_slot(OFFERED_COURSE))
    return None


# ---------------------------------------------------------------- courses


def _course_mentioned(kb: KnowledgeBase, tracker: Tracker) -> CourseMatch:
    mention = first_entity(tracker, "course")
    if mention:
        match = resolve_course(kb, mention)
        if match.course or match.choices or match.blocked:
            return match
    course = course_from_text(kb, latest_text(tracker))
    if course is not None:
        return resolve_course(kb, course.id)
    subject = tracker.get_slot(CONTEXT_ENTRY)
    if subject and kb.get_course(str(subject)) is not None:
        return resolve_course(kb, str(subject))
    return CourseMatch()


async def explain_enrollment(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """How to sign up for the course asked about (or for a course at all), then the offer."""
    kb = await knowledge()
    match = _course_mentioned(kb, tracker)
    text = latest_text(tracker)
    if match.blocked is not None:
        # Not signed up for here (劳模先进班 is a subsidy): the knowledge says how.
        await say_what_the_knowledge_says(dispatcher, kb, text, "ask_course", match.blocked.id)
        dispatcher.utter_message(
            text=texts.HOW_NOT_HERE.format(course=match.blocked.name),
            buttons=replies.buttons([texts.OTHER_COURSES_BUTTON, texts.HUMAN_BUTTON]),
        )
        return []
    if match.course is not None:
        course = match.course
        told = await say_what_the_knowledge_says(dispatcher, kb, text, "ask_course", course.id)
        how = "" if told else texts.HOW_ENROLL.format(course=course.name)
        dispatcher.utter_message(
            text=replies.lines([how, await _seats(course), texts.OFFER_ENROLL]),  # the seats name the course
            buttons=[
                replies.button(texts.OFFER_ENROLL_YES.format(course=course.name), "enroll_course", course=course.id),
                dict(texts.OFFER_NOT_NOW_BUTTON),
                dict(texts.HUMAN_BUTTON),
            ],
        )
        return offer_events("enroll_form", course.id)
    courses = list(match.choices) or kb.list_courses(enrollable=True)
    if match.programme is not None:
        told = await say_what_the_knowledge_says(dispatcher, kb, text, "ask_course", match.programme.id)
        head = "" if told else texts.HOW_ENROLL_PROGRAMME.format(programme=match.programme.name)
    else:
        head = texts.HOW_ENROLL_ANY
    dispatcher.utter_message(
        text=replies.lines([head, texts.OFFER_ENROLL_PICK]),
        buttons=[
            *(replies.button(c.name, "enroll_course", course=c.id) for c in courses[:8]),
            dict(texts.HUMAN_BUTTON),
        ],
    )
    return offer_events("enroll_form", match.programme.id if match.programme else None)


async def _seats(course: Course) -> str:
    """「PLC编程」现在还剩12个名额 / 已经报满 / 可以在这里报名 (what the offer is about)."""
    here = texts.HOW_HERE.format(course=course.name)
    if course.capacity is None:
        return here
    try:
        summary = await registry_call(get_course_summary, course.id)
    except Exception:
        logger.exception("seats of %s unknown", course.id)
        return here
    enrolled = summary.enrolled if summary else 0
    if enrolled >= course.capacity:
        return texts.HOW_FULL.format(course=course.name, capacity=course.capacity)
    return texts.HOW_SEATS.format(course=course.name, left=course.capacity - enrolled)


# ---------------------------------------------------------------- reading teams and the subsidy


#: The other two offers: what the knowledge base is asked (its intent), the chat's own
#: how-to, the question, and the button that starts the form.
OFFERS: dict[str, tuple[str, str, str, replies.Button]] = {
    "reading_form": (
        "ask_reading",
        texts.HOW_READING_TEAM,
        texts.OFFER_READING_TEAM,
        replies.button(texts.OFFER_READING_TEAM_YES, "join_reading_team"),
    ),
    "subsidy_form": (
        "ask_subsidy",
        texts.HOW_SUBSIDY,
        texts.OFFER_SUBSIDY,
        replies.button(texts.OFFER_SUBSIDY_YES, "apply_subsidy"),
    ),
}


async def explain(form: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """How joining a reading team / applying for the subsidy goes, then the offer."""
    topic, how, question, yes = OFFERS[form]
    return await _explain_and_offer(dispatcher, tracker, form, topic, how, question, dict(yes))


async def _explain_and_offer(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    form: str,
    topic: str,
    how: str,
    question: str,
    yes: replies.Button,
) -> list[EventType]:
    """What the knowledge base says (or the chat's own ``how``), then ``question`` with
    the button that starts ``form``, "not now" and a person."""
    told = await _knowledge_first(dispatcher, latest_text(tracker), topic)
    dispatcher.utter_message(
        text=replies.lines(["" if told else how, question]),
        buttons=[yes, dict(texts.OFFER_NOT_NOW_BUTTON), dict(texts.HUMAN_BUTTON)],
    )
    return offer_events(form)


async def _knowledge_first(dispatcher: CollectingDispatcher, text: str, intent: str) -> bool:
    try:
        kb = await knowledge()
    except KnowledgeError as error:
        logger.error("knowledge base unavailable: %s", error)
        return False
    return await say_what_the_knowledge_says(dispatcher, kb, text, intent)
