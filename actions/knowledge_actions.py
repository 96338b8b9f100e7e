"""Actions that answer workers' questions from the staff-edited knowledge base.

The NLU only tells what kind of question it is; the answer is retrieved here at run time,
so a new or changed FAQ entry in knowledge/ is answered without retraining.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies
from knowledge import Course, Hit, KnowledgeBase, KnowledgeError, default_kb
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

# What a bare topic button (a payload with no text) lists, e.g. "/ask_subsidy".
TOPIC_QUERY: dict[str, tuple[str, str]] = {
    "subsidy": ("补贴 学历提升 学费", "补贴政策"),
    "reading": ("读书 书屋 悦读 读书团队", "读书活动"),
    "sports": ("文体联赛 健步走 体育", "文体健身"),
    "course": ("课程 培训", "课程培训"),
    "faq": ("工会 职工", "常见问题"),
}

UNANSWERED_BEFORE_HANDOFF = 2


def open_kb(dispatcher: CollectingDispatcher) -> KnowledgeBase | None:
    """The knowledge base, or an apology when it cannot be loaded at all.

    That only happens when the files are invalid and no earlier good index exists
    (a fresh install with a broken edit); a broken edit later keeps the last good one.
    """
    try:
        return default_kb()  # also picks up staff edits (files checked at most once a second)
    except KnowledgeError as error:
        logger.error("knowledge base unavailable: %s", error)
        dispatcher.utter_message(
            text="抱歉，资料库正在维护，暂时回答不了。请稍后再问，或者转人工。",
            buttons=[replies.HUMAN_BUTTON],
        )
        return None


def _latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()


def _latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def _is_payload(text: str) -> bool:
    """A button press or command carries a payload, not words to search for."""
    return text.startswith("/")


def _next_step_buttons(kb: KnowledgeBase, hit: Hit, related: list[Hit]) -> list[replies.Button]:
    buttons: list[replies.Button] = []
    if hit.kind == "course":
        course = kb.get_course(hit.id)
        if course is not None and course.enrollable:
            buttons.append(replies.button("我要报名", "enroll_course", course=hit.id))
        buttons.append({"title": "其他课程", "payload": "/ask_course_list"})
    for other in related:
        if other.id != hit.id and other.confident:
            buttons.append(replies.entry_button(other.id, other.title))
    buttons.append(replies.HUMAN_BUTTON)
    return replies.dedupe(buttons)[:5]


def send_answer(dispatcher: CollectingDispatcher, kb: KnowledgeBase, hit: Hit, related: list[Hit]) -> None:
    dispatcher.utter_message(
        text=replies.with_source(hit.answer, hit.source),
        buttons=_next_step_buttons(kb, hit, related),
    )


def send_topic_menu(dispatcher: CollectingDispatcher, kb: KnowledgeBase, kind: str) -> bool:
    """List the entries of one topic as buttons; False when the topic has none."""
    query, label = TOPIC_QUERY.get(kind, TOPIC_QUERY["faq"])
    hits = [hit for hit in kb.search(query, kind=kind, limit=8) if hit.kind == kind]
    if not hits:
        return False
    dispatcher.utter_message(
        text=f"关于{label}，您可以点选想了解的内容，或者直接打字问我：",
        buttons=[replies.entry_button(hit.id, hit.title) for hit in hits[:6]],
    )
    return True


class ActionAnswerQuestion(Action):
    """Answer any question from the knowledge base, or offer the nearest topics."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        kb = open_kb(dispatcher)
        if kb is None:
            return []
        text = _latest_text(tracker)
        intent = _latest_intent(tracker)
        kind = KIND_BY_INTENT.get(intent)
        reset = [SlotSet("kb_id", None), SlotSet("unanswered_streak", 0)]

        entry_id = next(tracker.get_latest_entity_values("kb_id"), None)
        if entry_id:
            hit = kb.get(str(entry_id))
            if hit is not None:
                send_answer(dispatcher, kb, hit, [])
                return reset
            dispatcher.utter_message(text="这条内容已经更新或下线了，请换个说法再问我一次。")
            return [SlotSet("kb_id", None)]

        if _is_payload(text) or not text:
            if send_topic_menu(dispatcher, kb, kind or "faq"):
                return reset
            text = TOPIC_QUERY.get(kind or "faq", TOPIC_QUERY["faq"])[0]

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
        mention = next(tracker.get_latest_entity_values("course"), None)
        if not mention:
            return None
        matches = kb.find_courses(str(mention), limit=1)
        if not matches or matches[0][1] < 80:
            return None
        course, score = matches[0]
        top = hits[0] if hits else None
        if top is not None and top.confident and top.id != course.id and top.score > score:
            return None
        return kb.get(course.id)

    @staticmethod
    def _not_found(dispatcher: CollectingDispatcher, tracker: Tracker, text: str, hits: list[Hit]) -> list[EventType]:
        out_of_scope = _latest_intent(tracker) == "out_of_scope"
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
            message = "这个问题我还不太确定 🤔 您是想问下面哪一个？也可以换个说法再问。"
        else:
            message = "这个问题我暂时答不上来 🤔 您可以换个说法，或者看看下面的常见主题。"
            buttons = list(replies.TOPIC_MENU)
        dispatcher.utter_message(text=message, buttons=buttons + [replies.HUMAN_BUTTON])
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
            out.append(f"（{programme.name}：{_facts_of(programme.description)}）")
    return out


class ActionListCourses(Action):
    """List the courses, by district when one is named, as buttons to pick from."""

    def name(self) -> str:
        return "action_list_courses"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        kb = open_kb(dispatcher)
        if kb is None:
            return []
        district = next(tracker.get_latest_entity_values("district"), None)
        courses = kb.list_courses(region=district) if district else []
        if district and not courses:
            dispatcher.utter_message(text=f"暂时没有找到{district}的专门课程，下面是全市都可以参加的课程：")
        if not courses:
            courses = kb.list_courses()
        if not courses:
            dispatcher.utter_message(text="课程信息正在更新，请稍后再问，或者说“转人工”。")
            return []

        by_category: dict[str, list[str]] = {}
        for course in courses:
            by_category.setdefault(course.category or "其他", []).append(course.name)
        lines = [f"· {category}：{'、'.join(names)}" for category, names in by_category.items()]
        if not district:
            lines.extend(programme_summaries(kb, courses))
        heading = f"{district}的课程：" if district and kb.list_courses(region=district) else "工会的课程和培训项目："
        dispatcher.utter_message(
            text=heading + "\n" + "\n".join(lines) + "\n\n点一个课程看详情，或直接说“我想报名PLC编程”。",
            buttons=[replies.entry_button(course.id, course.name) for course in courses[:10]],
        )
        return [SlotSet("district", None)]
