"""Answering a question, and listing the courses, from the knowledge base.

The NLU only tells what kind of question it is (the intent, a topic hint); the answer is
retrieved here at run time, so a new or changed FAQ entry in knowledge/ is answered
without retraining.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from answering import passages
from common import replies, texts
from knowledge import Course, Hit, KnowledgeBase

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

#: This many unanswered questions in a row hand the worker to a person.
UNANSWERED_BEFORE_HANDOFF = 2
#: A course entity names the course the worker means from this ``find_courses`` score.
COURSE_MENTION_SCORE = 80

Status = Literal["answered", "menu", "gone", "not_sure", "not_found", "out_of_scope", "handoff", "empty", "passage"]


@dataclass(frozen=True)
class Reply:
    """One message the worker reads."""

    text: str
    buttons: tuple[replies.Button, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What to say, and what the caller must do about it.

    ``status`` says what happened: ``answered`` (an entry answered it), ``menu`` (a
    topic's entries offered), ``gone`` (a button named an entry that no longer exists),
    ``not_sure`` / ``not_found`` (no confident match: nearest topics offered),
    ``out_of_scope`` (politely declined), ``handoff`` (the caller hands the worker to a
    person: nothing is said here), ``empty`` (nothing to list), ``passage`` (an imported
    notice answered it: the caller counts ``extra["passage_id"]``, the preview does not).
    ``gap`` is the reason to record the question as unanswered, if it is one.
    """

    status: Status
    replies: tuple[Reply, ...] = ()
    hits: tuple[Hit, ...] = ()
    answered: Hit | None = None
    unanswered_streak: int = 0
    gap: str | None = None
    searched: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Everything the worker reads, as one string (previews, tests)."""
        return "\n\n".join(reply.text for reply in self.replies)


# ---------------------------------------------------------------- answering a question


def answer_question(
    kb: KnowledgeBase,
    text: str,
    *,
    intent: str | None = None,
    entities: Mapping[str, str] | None = None,
    unanswered_streak: int = 0,
) -> Outcome:
    """The answer to ``text`` (what the worker typed, or a button's payload).

    ``entities`` are the NLU's: ``kb_id`` (a button naming one entry) and ``course`` (a
    course mention). ``unanswered_streak`` is how many questions in a row went unanswered
    before this one.
    """
    entities = entities or {}
    text = (text or "").strip()
    kind = KIND_BY_INTENT.get(intent or "")

    entry_id = entities.get("kb_id")
    if entry_id:
        hit = kb.get(entry_id)
        if hit is None:
            return Outcome("gone", (Reply(texts.ENTRY_GONE),), unanswered_streak=unanswered_streak)
        return _answered(kb, hit, [])

    if not text or text.startswith("/"):
        menu = topic_menu(kb, kind or "faq")
        if menu is not None:
            return menu
        text = TOPIC_QUERY.get(kind or "faq", TOPIC_QUERY["faq"])

    hits = kb.search(text, kind=SEARCH_KINDS.get(kind, kind) if kind else None, limit=4)
    best = _named_course(kb, entities.get("course"), hits) if kind == "course" else None
    if best is None and hits and hits[0].confident:
        best = hits[0]
    if best is not None:
        return _answered(kb, best, hits, searched=text)
    # Issue #14: no entry answers well, so an imported notice may (answering/passages.py).
    from_notice = passages.passage_answer(text, hits, out_of_scope=intent == "out_of_scope")
    if from_notice is not None:
        return from_notice
    return _not_found(text, hits, out_of_scope=intent == "out_of_scope", streak=unanswered_streak)


def topic_menu(kb: KnowledgeBase, kind: str) -> Outcome | None:
    """The entries of one topic as buttons; None when the topic has none."""
    if kind not in TOPIC_QUERY:
        kind = "faq"
    hits = [hit for hit in kb.search(TOPIC_QUERY[kind], kind=kind, limit=8) if hit.kind == kind]
    if not hits:
        return None
    reply = Reply(
        texts.TOPIC_HEADING.format(topic=texts.TOPIC_NAMES[kind]),
        tuple(replies.entry_button(hit.id, hit.title) for hit in hits[:6]),
    )
    return Outcome("menu", (reply,), hits=tuple(hits))


def _answered(kb: KnowledgeBase, hit: Hit, related: list[Hit], searched: str = "") -> Outcome:
    reply = Reply(replies.with_source(hit.answer, hit.source), tuple(_next_steps(kb, hit, related)))
    return Outcome("answered", (reply,), hits=tuple(related) or (hit,), answered=hit, searched=searched)


def _next_steps(kb: KnowledgeBase, hit: Hit, related: list[Hit]) -> list[replies.Button]:
    """The buttons under an answer: sign up for it, its siblings, related entries, a person."""
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


def _named_course(kb: KnowledgeBase, mention: str | None, hits: list[Hit]) -> Hit | None:
    """A named course (entity) wins over free-text search: typos are fuzzy-matched.

    Unless the search found another entry that matches the question better: the NLU
    also tags names of other things as courses (劳模先进班 is a subsidy), and a near-miss
    name (劳模进企业) must not beat the exact one.
    """
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


def _not_found(text: str, hits: list[Hit], *, out_of_scope: bool, streak: int) -> Outcome:
    if out_of_scope:
        # Clearly not the union's business (weather, stocks): decline politely, and do
        # not count it towards handing the worker to a person.
        reply = Reply(texts.OUT_OF_SCOPE, tuple(replies.buttons(texts.TOPIC_MENU, [texts.HUMAN_BUTTON])))
        return Outcome("out_of_scope", (reply,), hits=tuple(hits), gap="out_of_scope", searched=text)
    streak += 1
    if streak >= UNANSWERED_BEFORE_HANDOFF:
        return Outcome("handoff", hits=tuple(hits), gap="not_found", searched=text)
    buttons = [replies.entry_button(hit.id, hit.title) for hit in hits[:3]]
    if buttons:
        status: Status = "not_sure"
        message = texts.NOT_SURE
    else:
        status = "not_found"
        message = texts.CANNOT_ANSWER
        buttons = replies.buttons(texts.TOPIC_MENU)
    reply = Reply(message, (*buttons, dict(texts.HUMAN_BUTTON)))
    return Outcome(status, (reply,), hits=tuple(hits), unanswered_streak=streak, gap="not_found", searched=text)


# ---------------------------------------------------------------- the course list


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


def list_courses(kb: KnowledgeBase, district: str | None = None) -> Outcome:
    """The courses, by district when one is named, as buttons to pick from."""
    out: list[Reply] = []
    in_district = kb.list_courses(region=district) if district else []
    if district and not in_district:
        out.append(Reply(texts.COURSES_NONE_IN_DISTRICT.format(district=district)))
    courses = in_district or kb.list_courses()
    if not courses:
        return Outcome("empty", (Reply(texts.COURSES_UPDATING),))
    by_category: dict[str, list[str]] = {}
    for course in courses:
        by_category.setdefault(course.category or texts.COURSES_OTHER_CATEGORY, []).append(course.name)
    body = [texts.COURSES_CATEGORY_LINE.format(category=c, names="、".join(n)) for c, n in by_category.items()]
    if not district:
        body.extend(programme_summaries(kb, courses))
    heading = texts.COURSES_IN_DISTRICT.format(district=district) if in_district else texts.COURSES_ALL
    out.append(
        Reply(
            heading + "\n" + "\n".join(body) + "\n\n" + texts.COURSES_HOW_TO_PICK,
            tuple(replies.entry_button(course.id, course.name) for course in courses[:10]),
        )
    )
    return Outcome("menu", tuple(out))
