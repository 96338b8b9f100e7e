"""Actions that answer workers' questions from the staff-edited knowledge base.

The NLU only tells what kind of question it is; the answer is retrieved here at run time,
so a new or changed FAQ entry in knowledge/ is answered without retraining.
"""

from __future__ import annotations

import logging
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import replies, stores
from actions.signup.parsing import first_entity, is_payload, latest_intent, latest_text
from common import texts
from knowledge import Course, Hit, KnowledgeBase, KnowledgeError
from knowledge.gaps import record_gap

logger = logging.getLogger(__name__)

# The intent is a hint that boosts one kind of entry; it never hides the others, so an
# NLU confusion between e.g. ask_subsidy and ask_general still finds the right answer.
KIND_BY_INTENT: dict[str, str] = {
    "ask_subsidy": "subsidy",
    "apply_subsidy": "subsidy",
    "check_application": "subsidy",
    "ask_course": "course",
    "enroll_course": "course",
    "ask_reading": "reading",
    "join_reading_team": "reading",
    "ask_sports": "sports",
    "ask_general": "faq",
}

# General questions are as often about the union's organisations (文化宫, 职工发展中心).
SEARCH_KINDS: dict[str, tuple[str, ...]] = {"faq": ("faq", "organization")}

# What a bare topic button (a payload with no text) searches for, e.g. "/ask_subsidy";
# the topic's name is texts.TOPIC_NAMES.
TOPIC_QUERY: dict[str, str] = {
    "subsidy": "补贴 学历提升 学费",
    "reading": "读书 书屋 悦读 读书团队",
    "sports": "文体联赛 健步走 体育",
    "course": "课程 培训",
    "faq": "工会 职工",
}

UNANSWERED_BEFORE_HANDOFF = 2
#: A course entity names the course the worker means from this ``find_courses`` score.
COURSE_MENTION_SCORE = 80


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


def _next_step_buttons(kb: KnowledgeBase, hit: Hit, related: list[Hit]) -> list[replies.Button]:
    buttons: list[replies.Button] = []
    if hit.kind == "course":
        course = kb.get_course(hit.id)
        if course is not None and course.enrollable:
            buttons.append(replies.button(texts.ENROLL_THIS_COURSE, "enroll_course", course=hit.id))
        buttons.append(dict(texts.OTHER_COURSES_BUTTON))
    for other in related:
        if other.id != hit.id and other.confident:
            buttons.append(replies.entry_button(other.id, other.title))
    buttons.append(dict(texts.HUMAN_BUTTON))
    return replies.dedupe(buttons)[:5]


def send_answer(dispatcher: CollectingDispatcher, kb: KnowledgeBase, hit: Hit, related: list[Hit]) -> None:
    dispatcher.utter_message(
        text=replies.with_source(hit.answer, hit.source),
        buttons=_next_step_buttons(kb, hit, related),
    )


def send_topic_menu(dispatcher: CollectingDispatcher, kb: KnowledgeBase, kind: str) -> bool:
    """List the entries of one topic as buttons; False when the topic has none."""
    if kind not in TOPIC_QUERY:
        kind = "faq"
    hits = [hit for hit in kb.search(TOPIC_QUERY[kind], kind=kind, limit=8) if hit.kind == kind]
    if not hits:
        return False
    dispatcher.utter_message(
        text=texts.TOPIC_HEADING.format(topic=texts.TOPIC_NAMES[kind]),
        buttons=[replies.entry_button(hit.id, hit.title) for hit in hits[:6]],
    )
    return True


class ActionAnswerQuestion(Action):
    """Answer any question from the knowledge base, or offer the nearest topics."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kb = await open_kb(dispatcher)
        if kb is None:
            return []
        text = latest_text(tracker)
        kind = KIND_BY_INTENT.get(latest_intent(tracker))
        reset = [SlotSet("kb_id", None), SlotSet("unanswered_streak", 0)]

        entry_id = first_entity(tracker, "kb_id")
        if entry_id:
            hit = kb.get(entry_id)
            if hit is not None:
                send_answer(dispatcher, kb, hit, [])
                return reset
            dispatcher.utter_message(text=texts.ENTRY_GONE)
            return [SlotSet("kb_id", None)]

        if is_payload(text) or not text:
            if send_topic_menu(dispatcher, kb, kind or "faq"):
                return reset
            text = TOPIC_QUERY.get(kind or "faq", TOPIC_QUERY["faq"])

        hits = kb.search(text, kind=SEARCH_KINDS.get(kind, kind) if kind else None, limit=4)
        best = self._best_course(kb, tracker, hits) if kind == "course" else None
        if best is None and hits and hits[0].confident:
            best = hits[0]
        if best is not None:
            send_answer(dispatcher, kb, best, hits)
            return reset
        return self._not_found(dispatcher, tracker, text, hits)

    @staticmethod
    def _best_course(kb: KnowledgeBase, tracker: Tracker, hits: list[Hit]) -> Hit | None:
        """A named course (entity) wins over free-text search: typos are fuzzy-matched.

        Unless the search found another entry that matches the question better: the
        NLU also tags names of other things as courses (劳模先进班 is a subsidy), and
        a near-miss name (劳模进企业) must not beat the exact one.
        """
        mention = first_entity(tracker, "course")
        if not mention:
            return None
        matches = kb.find_courses(mention, limit=1)
        if not matches or matches[0][1] < COURSE_MENTION_SCORE:
            return None
        course, score = matches[0]
        top = hits[0] if hits else None
        if top is not None and top.confident and top.id != course.id and top.score > score:
            return None
        return kb.get(course.id)

    @staticmethod
    def _not_found(dispatcher: CollectingDispatcher, tracker: Tracker, text: str, hits: list[Hit]) -> list[EventType]:
        out_of_scope = latest_intent(tracker) == "out_of_scope"
        try:
            record_gap(text, tracker.sender_id, "out_of_scope" if out_of_scope else "not_found", hits)
        except Exception:  # recording must never cost the worker an answer
            logger.exception("could not record an unanswered question")
        if out_of_scope:
            # Clearly not the union's business (weather, stocks): decline politely, and do
            # not count it towards handing the worker to a person.
            dispatcher.utter_message(response="utter_out_of_scope")
            return [SlotSet("kb_id", None)]
        streak = int(tracker.get_slot("unanswered_streak") or 0) + 1
        if streak >= UNANSWERED_BEFORE_HANDOFF:
            return [
                SlotSet("unanswered_streak", 0),
                SlotSet("kb_id", None),
                FollowupAction("action_handoff"),
            ]
        buttons = [replies.entry_button(hit.id, hit.title) for hit in hits[:3]]
        if buttons:
            message = texts.NOT_SURE
        else:
            message = texts.CANNOT_ANSWER
            buttons = replies.buttons(texts.TOPIC_MENU)
        dispatcher.utter_message(text=message, buttons=[*buttons, dict(texts.HUMAN_BUTTON)])
        return [SlotSet("unanswered_streak", streak), SlotSet("kb_id", None)]


def _facts_of(description: str) -> str:
    """The sentences of a description that state facts (not "发课程名可看详情" hints)."""
    sentences = [x for x in re.split(r"(?<=[。！？])", description.strip()) if x.strip()]
    kept = [x for x in sentences if not re.match(r"^(?:发|点|回复|想|请)", x) and "详情" not in x]
    return "".join(kept)


def programme_summaries(kb: KnowledgeBase, courses: list[Course]) -> list[str]:
    """One line per programme whose courses are listed (e.g. 匠心工坊: how many courses
    in all, how many sessions), taken from the programme's own entry in knowledge/."""
    out: list[str] = []
    for programme_id in dict.fromkeys(c.programme for c in courses if c.programme):
        programme = kb.get_course(programme_id)
        if programme is not None and programme.description.strip():
            out.append(
                texts.COURSES_PROGRAMME_LINE.format(programme=programme.name, facts=_facts_of(programme.description))
            )
    return out


class ActionListCourses(Action):
    """List the courses, by district when one is named, as buttons to pick from."""

    def name(self) -> str:
        return "action_list_courses"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kb = await open_kb(dispatcher)
        if kb is None:
            return []
        district = first_entity(tracker, "district")
        in_district = kb.list_courses(region=district) if district else []
        if district and not in_district:
            dispatcher.utter_message(text=texts.COURSES_NONE_IN_DISTRICT.format(district=district))
        courses = in_district or kb.list_courses()
        if not courses:
            dispatcher.utter_message(text=texts.COURSES_UPDATING)
            return []

        by_category: dict[str, list[str]] = {}
        for course in courses:
            by_category.setdefault(course.category or texts.COURSES_OTHER_CATEGORY, []).append(course.name)
        body = [texts.COURSES_CATEGORY_LINE.format(category=c, names="、".join(n)) for c, n in by_category.items()]
        if not district:
            body.extend(programme_summaries(kb, courses))
        heading = texts.COURSES_IN_DISTRICT.format(district=district) if in_district else texts.COURSES_ALL
        dispatcher.utter_message(
            text=heading + "\n" + "\n".join(body) + "\n\n" + texts.COURSES_HOW_TO_PICK,
            buttons=[replies.entry_button(course.id, course.name) for course in courses[:10]],
        )
        return [SlotSet("district", None)]
