"""Answering a question, and listing the courses, from the knowledge base.

The NLU only tells what kind of question it is (the intent, a topic hint); the answer is
retrieved here at run time, so a new or changed FAQ entry in knowledge/ is answered
without retraining.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from answering import attributes, passages
from answering.context import COURSE_LIST, Context, Reading, figure_match, siblings_of
from answering.context import read as read_message
from answering.several import split_questions
from common import replies, texts
from knowledge import SAMPLE_NOTE, Course, Entry, Hit, KnowledgeBase
from knowledge.schema import visible_len, with_sample_note
from knowledge.text import normalize

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
#: How much of each answer a reply to several questions shows (the rest is a button away).
SUMMARY_CHARS = 90
#: A part of a message that asks something (a part without any is not an unanswered question).
QUESTION_MARKERS = re.compile(r"[?？吗呢]|怎么|什么|多少|哪|谁|几|是否|有没有|能不能|可不可以")

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
    ``context`` is what the caller keeps for the next message (``answering.context``).
    """

    status: Status
    replies: tuple[Reply, ...] = ()
    hits: tuple[Hit, ...] = ()
    answered: Hit | None = None
    unanswered_streak: int = 0
    gap: str | None = None
    searched: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)
    #: What the conversation is about after this answer (None: nothing to follow up on).
    context: Context | None = None

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
    context: Context | None = None,
) -> Outcome:
    """The answer to ``text`` (what the worker typed, or a button's payload).

    ``entities`` are the NLU's: ``kb_id`` (a button naming one entry, with ``attribute``
    when the button asks one thing about it) and ``course`` / ``district`` (mentions).
    ``unanswered_streak`` is how many questions in a row went unanswered before this one.
    ``context`` is what the conversation was about (``answering.context``): follow-ups
    ("那劳模呢", "谁来上课") are resolved against it; the outcome's ``context`` is what
    to keep for the next message.
    """
    entities = entities or {}
    text = (text or "").strip()
    kind = KIND_BY_INTENT.get(intent or "")
    live = context if context is not None and context.alive else None

    entry_id = entities.get("kb_id")
    if entry_id:
        hit = kb.get(entry_id)
        if hit is None:
            return Outcome("gone", (Reply(texts.ENTRY_GONE),), unanswered_streak=unanswered_streak, context=live)
        asked = tuple(a for a in (entities.get("attribute"),) if a in attributes.BY_NAME)
        return _answered(kb, hit, [], asked=asked, follow_up=bool(asked))

    if not text or text.startswith("/"):
        menu = topic_menu(kb, kind or "faq")
        if menu is not None:
            return replace(menu, context=live)
        text = TOPIC_QUERY.get(kind or "faq", TOPIC_QUERY["faq"])

    parts = split_questions(text)
    if len(parts) > 1:
        several = _several(kb, parts, live)
        if several is not None:
            return several
    return _one(kb, text, kind=kind, intent=intent, entities=entities, context=live, streak=unanswered_streak)


def _one(
    kb: KnowledgeBase,
    text: str,
    *,
    kind: str | None,
    intent: str | None,
    entities: Mapping[str, str],
    context: Context | None,
    streak: int,
    compact: bool = False,
) -> Outcome:
    """One question, read in its context."""
    reading = read_message(kb, text, context, entities=entities)
    if reading.kind == "siblings":
        return _siblings(kb, reading)
    if reading.kind == "district" and reading.district:
        return _district(kb, reading, compact=compact)
    if reading.kind == "figure" and reading.entry_id:
        return _figure(kb, reading.entry_id, reading.qualifier, context)
    if reading.kind in ("same_subject", "other_subject") and reading.entry_id:
        hit = kb.get(reading.entry_id)
        if hit is not None:
            follow_up = reading.kind == "same_subject"
            return _answered(kb, hit, [], asked=reading.attributes, follow_up=follow_up, searched=text, compact=compact)
    if reading.kind == "needs_subject":
        reply = Reply(texts.ASK_WHICH_SUBJECT, tuple(replies.buttons(texts.TOPIC_MENU, [texts.HUMAN_BUTTON])))
        return Outcome("not_sure", (reply,), unanswered_streak=streak, searched=text, context=context)

    hits = kb.search(text, kind=SEARCH_KINDS.get(kind, kind) if kind else None, limit=4)
    if kind is None and hits and not hits[0].confident and intent != "out_of_scope":
        # No topic from the NLU (a follow-up, an unsure parse): the search's own best
        # topic is the hint, so a clear leader there is answered as under its intent.
        hits = kb.search(text, kind=SEARCH_KINDS.get(hits[0].kind, hits[0].kind), limit=4)
    best = _named_course(kb, entities.get("course"), hits) if kind == "course" else None
    if best is None and hits and hits[0].confident:
        best = hits[0]
    if best is not None:
        return _answered(kb, best, hits, asked=reading.attributes, searched=text, compact=compact)
    # No entry answers well, so an imported notice may (answering/passages.py).
    from_notice = passages.passage_answer(text, hits, out_of_scope=intent == "out_of_scope")
    if from_notice is not None:
        return replace(from_notice, context=context)
    if context is not None and context.entry and all(h.id != context.entry for h in hits):
        # What the conversation was about is a likely meaning of an unclear follow-up.
        current = kb.get(context.entry)
        hits = [current, *hits] if current is not None else hits
    return replace(_not_found(text, hits, out_of_scope=intent == "out_of_scope", streak=streak), context=context)


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


def _answered(
    kb: KnowledgeBase,
    hit: Hit,
    related: list[Hit],
    *,
    asked: tuple[str, ...] = (),
    follow_up: bool = False,
    searched: str = "",
    compact: bool = False,
) -> Outcome:
    """The reply about ``hit``: what was asked about it (``asked`` attributes) in a
    sentence or two, or the whole entry. ``follow_up``: the worker has just read about
    this entry, so an attribute it lacks is said to be missing without repeating it."""
    entry = kb.entry(hit.id)
    wanted = [a for a in asked if a in attributes.BY_NAME]
    if entry is not None and wanted:
        short = _attribute_reply(kb, entry, hit, wanted, related, follow_up=follow_up or compact)
        if short is not None:
            context = Context(hit.id, wanted[-1])
            return Outcome(
                "answered", (short,), hits=tuple(related) or (hit,), answered=hit, searched=searched, context=context
            )
    body = _summary(hit) if compact else hit.answer
    buttons = _next_steps(kb, hit, related)
    if compact and body != hit.answer:
        buttons.insert(0, replies.entry_button(hit.id, texts.FULL_ENTRY_BUTTON.format(title=hit.title)))
    reply = Reply(replies.with_source(body, hit.source), tuple(replies.dedupe(buttons)[:5]))
    overview = attributes.OVERVIEW if asked == (attributes.OVERVIEW,) else None
    return Outcome(
        "answered",
        (reply,),
        hits=tuple(related) or (hit,),
        answered=hit,
        searched=searched,
        context=Context(hit.id, overview),
    )


def _attribute_reply(
    kb: KnowledgeBase, entry: Entry, hit: Hit, wanted: list[str], related: list[Hit], *, follow_up: bool
) -> Reply | None:
    """The short reply to the attributes asked; None when the whole entry answers better."""
    if QUESTION_MARKERS.search(entry.title):
        return None  # an FAQ titled as a question ("怎么联系工会") reads best whole
    found = [attributes.answer_attribute(kb, entry, name) for name in wanted]
    known = [a for a in found if a.known]
    missing = [a.attribute for a in found if not a.known and attributes.applies(entry, a.attribute.name)]
    if not known and not missing:
        return None
    lines: list[str] = []
    if known:
        lines.append(attributes.short_text(entry, known))
    if missing:
        lines.append(attributes.missing_text(entry, missing))
        lines.extend(_programme_figures(kb, entry, missing))
    body = "\n".join(lines)
    buttons: list[replies.Button] = []
    if not known and not follow_up:
        body = f"{body}\n\n{hit.answer}"  # a new subject: still say what it is
    else:
        buttons.append(attributes.full_entry_button(entry))
    course = kb.get_course(entry.id) if entry.kind == "course" else None
    if course is not None and course.enrollable:
        buttons.append(replies.button(texts.ENROLL_THIS_COURSE, "enroll_course", course=entry.id))
    buttons.append(dict(texts.HUMAN_BUTTON))
    return Reply(replies.with_source(body, hit.source), tuple(replies.dedupe(buttons)[:5]))


def _programme_figures(kb: KnowledgeBase, entry: Entry, missing: list[attributes.Attribute]) -> list[str]:
    """For a course of a programme, the programme's own figures (labelled as such)."""
    programme_id = getattr(entry, "programme", None)
    programme = kb.entry(programme_id) if programme_id else None
    if programme is None:
        return []
    out = []
    for attribute in missing:
        if "figures" in attribute.fields:
            figures = attributes.figures_for(programme, attribute.units)
            if figures:
                out.append(
                    texts.ATTRIBUTE_PROGRAMME_FIGURES.format(programme=programme.title) + "；".join(figures) + "。"
                )
    return out


def _summary(hit: Hit, limit: int = SUMMARY_CHARS) -> str:
    """The first sentences of an answer, for a reply that answers several questions."""
    text = hit.answer.replace(SAMPLE_NOTE, "").strip()
    sentences = [s for s in re.split(r"(?<=[。！？\n])", text) if s.strip()]
    out = ""
    for sentence in sentences:
        if out and visible_len(out + sentence) > limit:
            break
        out += sentence
    return with_sample_note(out.strip(), hit.sample)


def _siblings(kb: KnowledgeBase, reading: Reading) -> Outcome:
    """ "还有别的吗" / "其他课呢": the current subject's siblings as buttons."""
    entry = kb.entry(reading.entry_id) if reading.entry_id else None
    if entry is None or (reading.courses and entry.kind != "course"):
        return replace(list_courses(kb), context=Context(None, COURSE_LIST))
    others = siblings_of(kb, entry)
    if not others:
        return replace(list_courses(kb), context=Context(None, COURSE_LIST))
    children = any(getattr(o, "programme", None) == entry.id for o in others)
    heading = texts.PROGRAMME_COURSES_HEADING if children else texts.SIBLINGS_HEADING
    reply = Reply(
        heading.format(subject=entry.title) + "\n" + "、".join(o.title for o in others),
        tuple(replies.entry_button(o.id, o.title) for o in others[:6]),
    )
    hits = tuple(h for h in (kb.get(o.id) for o in others) if h is not None)
    return Outcome("menu", (reply,), hits=hits, context=Context(entry.id, None))


def _district(kb: KnowledgeBase, reading: Reading, *, compact: bool) -> Outcome:
    """ "象山呢": that district's course, asked the same, or its course list."""
    district = reading.district or ""
    courses = kb.list_courses(region=district)
    if reading.entry_id and len(courses) == 1:
        hit = kb.get(courses[0].id)
        if hit is not None:
            return _answered(kb, hit, [], asked=reading.attributes, searched=district, compact=compact)
    return replace(list_courses(kb, district), context=Context(None, COURSE_LIST))


def _figure(kb: KnowledgeBase, entry_id: str, qualifier: str, context: Context | None) -> Outcome:
    """ "省级的呢" after the numbers of 职工书屋: the figures about that qualifier."""
    entry, hit = kb.entry(entry_id), kb.get(entry_id)
    if entry is None or hit is None:
        return Outcome("gone", (Reply(texts.ENTRY_GONE),), context=None)
    figures = figure_match(entry, qualifier)
    name = context.attribute if context is not None and context.attribute in attributes.BY_NAME else "count"
    label = (
        attributes.BY_NAME[name].label
        if "figures" in attributes.BY_NAME[name].fields
        else attributes.BY_NAME["count"].label
    )
    text = texts.ATTRIBUTE_LINE.format(subject=entry.title, label=label, value="；".join(figures))
    buttons = (attributes.full_entry_button(entry), dict(texts.HUMAN_BUTTON))
    reply = Reply(replies.with_source(text, hit.source), buttons)
    return Outcome("answered", (reply,), hits=(hit,), answered=hit, searched=qualifier, context=Context(entry.id, name))


def _several(kb: KnowledgeBase, parts: list[str], context: Context | None) -> Outcome | None:
    """One reply to several questions, each answer with its source; None when fewer
    than two of them are questions this can answer (the message is then read whole)."""
    answered: list[Outcome] = []
    unanswered: list[str] = []
    current = context
    for part in parts:
        outcome = _one(kb, part, kind=None, intent=None, entities={}, context=current, streak=0, compact=True)
        if outcome.status in ("answered", "menu") and outcome.replies:
            answered.append(outcome)
            current = outcome.context or current
        elif QUESTION_MARKERS.search(part):
            unanswered.append(part)
    if not answered or len(answered) + len(unanswered) < 2:
        return None
    if len(answered) == 1 and not unanswered:
        return answered[0]
    blocks = []
    buttons: list[replies.Button] = []
    for number, outcome in zip(texts.SEVERAL_NUMBERS, answered, strict=False):
        blocks.append(f"{number} {outcome.replies[0].text}")
        buttons.extend(b for b in outcome.replies[0].buttons if b["payload"] != texts.HUMAN_BUTTON["payload"])
    blocks.extend(texts.OTHER_QUESTION_NOT_FOUND.format(question=q) for q in unanswered)
    buttons.append(dict(texts.HUMAN_BUTTON))
    reply = Reply("\n\n".join(blocks), tuple(replies.dedupe(buttons)[:5]))
    first = answered[0]
    hits = tuple(h for o in answered for h in o.hits[:1])
    return Outcome(
        "answered", (reply,), hits=hits, answered=first.answered, searched=" / ".join(parts), context=current
    )


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
    named = kb.entry(top.id) if top is not None and top.kind != "course" else None
    if named is not None and normalize(mention) in {normalize(n) for n in (named.title, *named.aliases)}:
        return None  # "劳模先进班" is the subsidy's own name, not a near-miss of a course's
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
    return Outcome("menu", tuple(out), context=Context(None, COURSE_LIST))
