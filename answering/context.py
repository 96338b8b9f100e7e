"""What a message means in the conversation so far: follow-ups resolved against the context.

A worker holds a conversation: after "学历提升补贴是怎么回事", "那劳模呢" asks the same
about another subject; after "匠心工坊办了多少期", "一共多少人参加过" asks another thing
about the same subject; "还有别的吗" asks for its siblings; "这个" / "它" is the current
subject. The context is the entry last answered and the attribute last asked
(:class:`Context`, kept by the caller in slots, so the tracker shows it); it expires after
:data:`CONTEXT_TURNS` turns that did not renew it, and with a new session.

:func:`read` decides, from the message alone and the context, what it asks: a new
question (searched as it is), another attribute of the context's subject, the same
question about another subject, a figure of the same subject ("省级的呢" after the
numbers of 职工书屋), the siblings, or the courses of a district. A message that names
its own subject and question is a new topic whatever the context.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from answering import attributes
from knowledge import Course, Entry, KnowledgeBase
from knowledge.text import normalize

#: A context not renewed for this many of the worker's messages is forgotten.
CONTEXT_TURNS = 3
#: The context after a course list (no entry: "象山呢" lists another district's courses).
COURSE_LIST = "courses"


@dataclass(frozen=True)
class Context:
    """What the conversation is about: ``entry`` (a knowledge id) last answered,
    ``attribute`` last asked (None: the whole entry; ``courses`` after a course list),
    and ``age``: the worker's messages since, not counting the one being answered."""

    entry: str | None = None
    attribute: str | None = None
    age: int = 0

    @property
    def alive(self) -> bool:
        return bool(self.entry or self.attribute) and self.age < CONTEXT_TURNS

    def renewed(self) -> Context:
        return Context(self.entry, self.attribute, 0)


Kind = Literal["new", "same_subject", "other_subject", "figure", "siblings", "district", "needs_subject"]


@dataclass(frozen=True)
class Reading:
    """What one message asks, given the context.

    ``kind``: ``new`` (search the text as it is), ``same_subject`` / ``other_subject``
    (answer ``entry_id``), ``figure`` (the figures of ``entry_id`` matching
    ``qualifier``), ``siblings`` (of ``entry_id``; ``courses`` when it asked for other
    courses), ``district`` (the courses of ``district``), ``needs_subject`` (a follow-up
    with nothing to follow). ``attributes`` are what to answer about the entry (empty:
    the whole entry).
    """

    kind: Kind
    entry_id: str | None = None
    attributes: tuple[str, ...] = ()
    qualifier: str = ""
    district: str | None = None
    courses: bool = False
    used_context: bool = False
    notes: Mapping[str, str] = field(default_factory=dict)


# Words that refer back or only hold the sentence together: left out, what remains of a
# follow-up is the new subject ("那劳模呢" -> 劳模), or nothing ("这个多少钱").
_LEAD = re.compile(
    r"^(?:那么|那请问|那|还有|另外|此外|再问一下|再问下|顺便问一下|顺便问下|请问|我想问一下|我想问|问一下|问下)+"
)
_REFERS = re.compile(r"这个|那个|这门|那门|这项|那项|这期|那期|它们|它|该|这些|那些|^这|^那")
_SIBLING_CUES = re.compile(r"还有别的|还有其他|还有其它|还有什么|还有哪些|还有啥|别的|其他|其它|另外的|同类|类似的")
_COURSE_WORDS = re.compile(r"课程|课|培训班|培训|学习班|班")
_FILLER = frozenset(
    """
    上 上课 课 课程 培训 班 活动 项目 人 参加 参与 期 钱 报名 开始 一共 总共 总计 累计 大概 大约 到底 具体
    现在 目前 情况 信息 详细 详情 时候 时间 多 少 过 了 呢 吗 吧 啊 呀 嘛 哦 么 的 是 有 还 都 也 就 又 再
    可以 能 会 要 想 问 请 办 开 一下 知道 说 讲 那么 那 这 哪 几 什么 怎么 谁 多少 一个 个 些 都有 还有
    呢呢 学 去 来 给 让 我 你 我们 好 不 没 读 念 领 职工 工人 员工 宁波 全市 总 总数 人数 数量
    那里 这里 这边 那边 所以 然后 其实 嗯 哈
    """.split()
)
#: What a qualifier may add around the word that matters: "省级的" -> 省, "全国的" -> 全国.
_QUALIFIER_SUFFIX = re.compile(r"(?:级别|级|的|类|里|一级|这一级|层面|层级)+$")
_DATE = re.compile(r"(?:截至|截止)?(?:19|20)\d\d年(?:\d{1,2}月(?:底|初|末)?)?(?:报道时)?")


def remainder(kb: KnowledgeBase, text: str) -> str:
    """What is left of ``text`` once the follow-up words, the attribute cues and the
    fillers are taken out: the subject it names, if any ("" for "谁来上课")."""
    norm = normalize(text)
    norm = _LEAD.sub("", norm)
    norm = attributes.strip_cues(norm)
    norm = _REFERS.sub(" ", norm)
    words = [w for part in norm.split() for w in kb.snapshot.analyzer.words(part)]
    rest = "".join(w for w in words if w not in _FILLER)
    return rest if len(rest) > 1 else ""  # one character left ("读", "领") names nothing


def _sibling_request(norm: str) -> tuple[bool, bool]:
    """(asks for siblings, asks for other *courses*) of "还有别的吗" / "其他课呢"."""
    match = _SIBLING_CUES.search(norm)
    if not match:
        return False, False
    rest = (norm[: match.start()] + norm[match.end() :]).strip()
    rest = _LEAD.sub("", rest)
    courses = bool(_COURSE_WORDS.search(rest))
    rest = _COURSE_WORDS.sub("", rest)
    rest = re.sub(r"还有|哪些|什么|啥|[吗呢吧啊呀么的是有没]", "", rest)
    return (len(rest) <= 1), courses


def _district_in(kb: KnowledgeBase, text: str, named: str | None) -> str | None:
    """The district (a course region, e.g. 象山县) the message names, if any."""
    regions = {c.region for c in kb.snapshot.courses if c.region not in ("全市", "线上", "")}
    if named:
        return named
    norm = normalize(text)
    for region in sorted(regions, key=len, reverse=True):
        stem = re.sub(r"[区县市]$", "", region)
        if len(stem) >= 2 and stem in norm:
            return region
    return None


def figure_match(entry: Entry, qualifier: str) -> list[str]:
    """The entry's figures about ``qualifier`` ("省里示范" -> 省工会示范职工书屋651家)."""
    return _figures_and_strength(entry, qualifier)[0]


def _figures_and_strength(entry: Entry, qualifier: str) -> tuple[list[str], float]:
    """The figures sharing the most of the qualifier's characters that tell the figures
    apart, and how much of the qualifier they explain (0..1)."""
    core = _QUALIFIER_SUFFIX.sub("", qualifier)
    figures = [_DATE.sub("", f) for f in entry.figures]
    if not core or len(figures) < 2:
        return [], 0.0
    own = [ch for ch in dict.fromkeys(core) if not all(ch in f for f in figures)]
    telling = {ch for ch in own if any(ch in f for f in figures)}
    scores = [sum(ch in f for ch in telling) for f in figures]
    best = max(scores)
    if best == 0:
        return [], 0.0
    return [entry.figures[i] for i, score in enumerate(scores) if score == best], best / max(len(own), 1)


#: A qualifier this well explained by the current subject's figures is about them, even
#: when it also names something else ("全国示范点的呢" is not the online 全国职工书屋).
STRONG_FIGURE = 0.5


def _subject(kb: KnowledgeBase, rest: str, hint: str | None, course: str | None) -> Entry | None:
    """The entry ``rest`` names (a course entity first), if it names one confidently:
    the whole remainder, or one of its words ("劳动模范读" -> 劳动模范)."""
    if course:
        # The NLU's "course" entity also marks programmes and subsidies ("劳模先进班"): the
        # entry it names exactly, of whatever kind, before the nearest course's name.
        named = kb.search(course, limit=3)
        if named and named[0].confident:
            return kb.entry(named[0].id)
        matches = kb.find_courses(course, limit=1)
        if matches and matches[0][1] >= 80:
            return matches[0][0]
    if not rest:
        return None
    words = [w for w in kb.snapshot.analyzer.words(rest) if len(w) >= 2 and w != rest]
    for query in (rest, *words):
        hits = kb.search(query, kind=hint, limit=3)
        if hits and hits[0].confident:
            return kb.entry(hits[0].id)
    return None


#: What is left of a follow-up that names nothing the knowledge knows, at most this long,
#: is taken for a verb ("开展过多少期" -> 开展) and the message for the current subject.
UNNAMED_REST = 3


def read(
    kb: KnowledgeBase,
    text: str,
    context: Context | None,
    *,
    entities: Mapping[str, str] | None = None,
) -> Reading:
    """What ``text`` asks, given ``context`` (an expired one counts as none)."""
    entities = entities or {}
    live = context if context is not None and context.alive else None
    current = kb.entry(live.entry) if live is not None and live.entry else None
    asked = tuple(attributes.detect(text))
    norm = normalize(text)
    rest = remainder(kb, text)

    siblings, other_courses = _sibling_request(norm)
    if siblings and not entities.get("course"):
        if current is not None:
            return Reading("siblings", current.id, courses=other_courses, used_context=True)
        if live is not None and live.attribute == COURSE_LIST or other_courses:
            return Reading("siblings", None, courses=True, used_context=live is not None)
        return Reading("needs_subject")

    fragment = _is_fragment(text, norm, rest)
    carry = _carried(live) if fragment and not asked else ()
    district = _district_in(kb, text, entities.get("district"))
    if live is not None and district and rest and _only_district(rest, district):
        if live.attribute == COURSE_LIST or current is None:
            return Reading("district", district=district, used_context=True)
        return Reading("district", current.id, attributes=asked or carry, district=district, used_context=True)

    if not rest and not entities.get("course"):
        if current is not None:
            return Reading("same_subject", current.id, attributes=asked or _carried(live), used_context=True)
        if asked and asked != (attributes.OVERVIEW,) or _REFERS.search(norm):
            return Reading("needs_subject", attributes=asked)
        return Reading("new", attributes=asked)

    if current is not None and fragment and not asked:
        figures, strength = _figures_and_strength(current, rest)
        if figures and strength >= STRONG_FIGURE:
            return Reading("figure", current.id, qualifier=rest, used_context=True)
    subject = _subject(kb, rest, current.kind if current is not None else None, entities.get("course"))
    if subject is not None:
        if current is not None and subject.id == current.id:
            return Reading("same_subject", subject.id, attributes=asked or carry, used_context=True)
        if live is not None:
            return Reading("other_subject", subject.id, attributes=asked or carry, used_context=bool(carry))
    elif current is not None and fragment and not asked and figure_match(current, rest):
        return Reading("figure", current.id, qualifier=rest, used_context=True)
    elif current is not None and asked and len(rest) <= UNNAMED_REST and not entities.get("course"):
        return Reading("same_subject", current.id, attributes=asked, used_context=True)
    return Reading("new", attributes=asked)


def _is_fragment(text: str, norm: str, rest: str) -> bool:
    """Whether the message is only a subject ("那劳模呢", "象山呢", "省级的"): then it
    asks the last question again. A message with its own question ("有补助吗") is not."""
    if re.search(r"呢[\s?？。!！~～]*$", text or ""):
        return True
    core = re.sub(r"的$", "", _LEAD.sub("", norm))
    return bool(rest) and len(core) <= len(rest) + 1


def _carried(context: Context | None) -> tuple[str, ...]:
    """The last question, asked again about another subject ("那劳模呢")."""
    if context is None or not context.attribute or context.attribute in (COURSE_LIST, attributes.OVERVIEW):
        return ()
    return (context.attribute,)


def _only_district(rest: str, district: str) -> bool:
    """Whether what is left of the message is just the district ("象山", "象山县那边")."""
    stem = re.sub(r"[区县市]$", "", district)
    leftover = rest.replace(district, "").replace(stem, "")
    leftover = re.sub(r"[区县市那边这边里]", "", leftover)
    return not leftover


def siblings_of(kb: KnowledgeBase, entry: Entry | None) -> list[Entry]:
    """What "还有别的吗" lists: a programme's courses, a course's fellow courses (same
    programme, else same category), or the other entries of the same kind."""
    if entry is None:
        return []
    entries = kb.list_entries()
    if isinstance(entry, Course):
        children: list[Entry] = [e for e in entries if isinstance(e, Course) and e.programme == entry.id]
        if children:
            return children
        if entry.programme:
            same = [e for e in entries if isinstance(e, Course) and e.programme == entry.programme and e.id != entry.id]
            parent = kb.entry(entry.programme)
            return ([parent] if parent is not None else []) + same
        return [e for e in entries if isinstance(e, Course) and e.category == entry.category and e.id != entry.id]
    return [e for e in entries if e.kind == entry.kind and e.id != entry.id]
