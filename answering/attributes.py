"""Which attribute of an entry a question asks about, and the short answer to it.

"匠心工坊一共多少人参加过" asks for one number, not the whole entry: the reply is that
figure, with its year, in a sentence. The attributes are the fields staff fill in
``knowledge/`` (``knowledge.fields.ATTRIBUTE_FIELDS``: provider, teachers, audience,
place, time, cost, how to join, contact, and the figures); the questions' wording that
asks for each is here. An attribute the entry does not have is answered honestly: the
report does not say, ask a person. Nothing here invents a value.

Cues are matched on the normalised question (``knowledge.text.normalize``), which has
English and pinyin words already turned into Chinese, so "where is the PLC class" asks
for the place like "PLC课在哪上".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from common import replies, texts
from knowledge import Course, Entry, KnowledgeBase
from knowledge.schema import with_sample_note
from knowledge.text import normalize


@dataclass(frozen=True)
class Attribute:
    """One thing workers ask about an entry.

    ``fields`` are the entry fields that answer it; for figures, ``units`` are the
    counting words (期, 人次 …) that make a figure answer this attribute. ``applies`` are
    the kinds of entry for which an empty field means "the report does not say"; for
    other kinds the entry's whole answer is the better reply (a subsidy entry *is* about
    money, so "补贴多少钱" gets the whole subsidy entry).
    """

    name: str
    label: str
    cues: re.Pattern[str]
    fields: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    applies: frozenset[str] = frozenset()


def _cues(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words))


_ALL = frozenset({"course", "reading", "sports", "organization", "subsidy"})
_EVENTS = frozenset({"course", "reading", "sports"})
_PEOPLE_UNITS = ("人次", "人", "名")
_SESSION_UNITS = ("期", "场次", "场", "届", "课", "次", "年")
#: A date inside a figure ("截至2020年6月") is not the figure itself.
_DATE = re.compile(r"(?:19|20)\d\d年(?:\d{1,2}月(?:底|初|末)?)?")
_COUNT_UNITS = ("家", "个", "支", "项", "所")

#: In the order they are looked for: the first cue found in a stretch of the question
#: wins it (so "在哪报名" is how to sign up, not a place).
ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "how_to_join",
        "报名方式",
        _cues(
            "怎么报名",
            "如何报名",
            "怎样报名",
            "怎么报",
            "在哪报名",
            "哪里报名",
            "去哪报名",
            "报名方式",
            "报名流程",
            "怎么参加",
            "如何参加",
            "怎样参加",
            "怎么参与",
            "怎么加入",
            "如何加入",
            "怎么加",
            "怎么进",
            "怎么申请",
            "如何申请",
            "申请方式",
            "怎么领",
            "怎么用",
            "怎么使用",
            "怎么登录",
            "怎么看",
            "在哪看",
            "报名入口",
        ),
        ("how_to_join",),
        applies=frozenset({"course", "reading", "sports", "subsidy"}),
    ),
    Attribute(
        "capacity",
        "名额",
        _cues(
            "名额",
            "招多少",
            "招几个",
            "限多少人",
            "限几个人",
            "一期多少人",
            "一班多少人",
            "一个班多少人",
            "一期几个人",
            "每期多少人",
        ),
        ("capacity",),
        applies=frozenset({"course"}),
    ),
    Attribute(
        "participants",
        "参加人数",
        _cues(
            "多少人",
            "几个人",
            "多少职工",
            "多少名",
            "参加过",
            "参与过",
            "参加人数",
            "总人数",
            "人数",
            "参与人数",
            "人次",
            "参加的人",
            "人多不多",
            "人多吗",
        ),
        ("figures",),
        _PEOPLE_UNITS,
        _ALL,
    ),
    Attribute(
        "sessions",
        "举办次数",
        _cues(
            "几期",
            "多少期",
            "办了几",
            "办过几",
            "办了多少",
            "开了几",
            "开过几",
            "开了多少",
            "开过多少",
            "举办了几",
            "多少场",
            "几场",
            "几届",
            "多少届",
            "开展了几",
            "开展了多少",
            "几年了",
            "多少次",
            "几次",
        ),
        ("figures",),
        _SESSION_UNITS,
        _ALL,
    ),
    Attribute(
        "count",
        "数量",
        _cues(
            "多少家", "几家", "多少个", "几个", "多少支", "几支", "多少所", "几所", "多少项", "几项", "数量", "有多少"
        ),
        ("figures",),
        _COUNT_UNITS,
        frozenset({"reading", "organization"}),
    ),
    Attribute(
        "teachers",
        "授课老师",
        _cues(
            "谁来上课",
            "谁上课",
            "谁来教",
            "谁教",
            "谁讲",
            "谁来讲",
            "老师是谁",
            "哪个老师",
            "什么老师",
            "哪位老师",
            "授课",
            "讲师",
            "师资",
            "谁带",
            "有人带",
            "请了哪些",
            "请过哪些",
            "老师",
            "请了谁",
            "哪些工匠",
        ),
        ("teachers",),
        applies=frozenset({"course"}),
    ),
    Attribute(
        "provider",
        "主办单位",
        _cues(
            "哪个单位",
            "哪家单位",
            "什么单位",
            "谁办",
            "谁主办",
            "谁组织",
            "谁搞",
            "谁举办",
            "主办",
            "哪里办的",
            "哪里搞的",
            "哪办的",
            "谁负责",
            "哪个机构",
            "什么机构",
            "谁牵头",
            "哪个部门",
        ),
        ("provider",),
        applies=frozenset({"course", "reading", "sports"}),
    ),
    Attribute(
        "contact",
        "联系方式",
        _cues("电话", "联系方式", "怎么联系", "联系谁", "咨询谁", "热线", "号码"),
        ("contact",),
        applies=frozenset({"course", "organization"}),
    ),
    Attribute(
        "cost",
        "费用",
        _cues(
            "要钱",
            "收费",
            "多少钱",
            "免费",
            "学费",
            "交钱",
            "费用",
            "花钱",
            "掏钱",
            "自己出",
            "谁出",
            "报销",
            "收钱",
            "付费",
            "钱吗",
            "贵不贵",
            "贵吗",
            "不要钱",
            "要不要钱",
        ),
        ("cost",),
        applies=_EVENTS,
    ),
    Attribute(
        "audience",
        "参加对象",
        _cues(
            "谁能",
            "谁可以",
            "什么人能",
            "什么人可以",
            "哪些人",
            "适合谁",
            "适合什么人",
            "什么条件",
            "有什么要求",
            "招什么人",
            "面向",
            "什么人读",
            "哪些人去",
        ),
        ("audience",),
        applies=frozenset({"course", "subsidy"}),
    ),
    Attribute(
        "location",
        "地点",
        _cues("在哪", "哪里上", "哪儿上", "什么地方", "地点", "地址", "去哪", "哪里学", "哪学", "哪里有", "到哪"),
        ("location",),
        applies=frozenset({"course", "organization", "sports", "reading"}),
    ),
    Attribute(
        "schedule",
        "时间",
        _cues(
            "什么时候",
            "啥时候",
            "几点",
            "时间",
            "哪天",
            "几号",
            "几月",
            "开课",
            "开班",
            "开始",
            "开放时间",
            "多久一次",
            "一周上几",
            "每周几",
            "一周几次",
            "上几次课",
            "星期几",
            "每周",
            "周末",
            "晚上",
            "几时",
            "何时",
            "多长时间",
            "多久",
            "开门",
        ),
        ("schedule",),
        applies=frozenset({"course", "sports", "reading", "organization"}),
    ),
    Attribute(
        "courses",
        "课程",
        _cues("有哪些课", "有什么课", "哪些课", "几门课", "什么课程", "哪些项目", "下面有", "里面有", "里头有"),
    ),
)
BY_NAME: dict[str, Attribute] = {a.name: a for a in ATTRIBUTES}

#: "是什么 / 介绍一下": the whole entry, explicitly (not carried over from the last question).
OVERVIEW = "overview"
_OVERVIEW_CUES = _cues(
    "是什么",
    "是啥",
    "怎么回事",
    "介绍",
    "干什么的",
    "干啥的",
    "干嘛的",
    "做什么的",
    "是干",
    "什么意思",
    "什么样",
    "怎么样",
)


def detect(text: str) -> list[str]:
    """The attributes ``text`` asks about, in the order asked (may be empty).

    ``overview`` when it asks what the thing is; an empty list when it asks nothing
    in particular ("那劳模呢": the caller carries the last question over). The longest
    cue wins a stretch of text ("一周上几次" is the time, not how many sessions).
    """
    norm = normalize(text)
    matches = [
        (match.start(), match.end(), order, attribute.name)
        for order, attribute in enumerate(ATTRIBUTES)
        for match in attribute.cues.finditer(norm)
    ]
    matches.sort(key=lambda m: (-(m[1] - m[0]), m[2]))
    taken: list[tuple[int, int, str]] = []
    for start, end, _, name in matches:
        if all(end <= s or e <= start for s, e, _ in taken):
            taken.append((start, end, name))
    names = list(dict.fromkeys(name for _, _, name in sorted(taken)))
    if "count" in names and {"participants", "sessions"} & set(names):
        names.remove("count")  # "参加的人有多少": 有多少 only says it is a number
    if not names and _OVERVIEW_CUES.search(norm):
        return [OVERVIEW]
    return names


def strip_cues(norm: str) -> str:
    """``norm`` without the words that ask for an attribute or an overview."""
    for attribute in ATTRIBUTES:
        norm = attribute.cues.sub(" ", norm)
    return _OVERVIEW_CUES.sub(" ", norm)


# ---------------------------------------------------------------- the short answer


@dataclass(frozen=True)
class AttributeAnswer:
    """What an entry says about one attribute: ``lines`` to show (empty: not said),
    ``sample`` whether any of them is a sample value."""

    attribute: Attribute
    lines: tuple[str, ...]
    sample: bool = False

    @property
    def known(self) -> bool:
        return bool(self.lines)


def figures_for(entry: Entry, units: tuple[str, ...]) -> list[str]:
    """The entry's figures that count in one of ``units`` (a number right before it)."""
    pattern = re.compile(r"[0-9一二两三四五六七八九十百千]\s*(?:余|多|近|万|千)*\s*(?:" + "|".join(units) + ")")
    return [figure for figure in entry.figures if pattern.search(_DATE.sub("", figure))]


def _course_value(kb: KnowledgeBase, course: Course, attribute: Attribute) -> tuple[list[str], bool]:
    if attribute.name == "capacity" and course.capacity:
        return [f"{course.capacity}人"], "capacity" in course.sample_fields
    if attribute.name == "schedule":
        lines = []
        if course.start_date:
            lines.append(texts.ATTRIBUTE_START_DATE.format(date=course.start_date))
        if course.schedule:
            lines.append(course.shown("schedule", course.schedule))
        sample = bool({"start_date", "schedule"} & set(course.sample_fields))
        return (["；".join(lines)] if lines else []), sample
    if attribute.name == "how_to_join" and not course.how_to_join and course.enrollable:
        return [texts.ATTRIBUTE_HOW_TO_ENROLL.format(course=course.title)], False
    if attribute.name == "courses":
        children = [c.title for c in kb.list_entries("course") if isinstance(c, Course) and c.programme == course.id]
        return (["、".join(children)] if children else []), False
    return [], False


def answer_attribute(kb: KnowledgeBase, entry: Entry, name: str) -> AttributeAnswer:
    """What ``entry`` says about attribute ``name`` (nothing invented)."""
    attribute = BY_NAME[name]
    lines: list[str] = []
    sample = False
    if isinstance(entry, Course):
        lines, sample = _course_value(kb, entry, attribute)
    if not lines:
        for field_name in attribute.fields:
            if field_name == "figures":
                lines = figures_for(entry, attribute.units)
                break
            value = entry.attribute(field_name)
            if isinstance(value, str) and value:
                lines = [entry.shown(field_name, value)]
                sample = field_name in entry.sample_fields
                break
    return AttributeAnswer(attribute, tuple(lines), sample)


def applies(entry: Entry, name: str) -> bool:
    """Whether "the report does not say" is the right reply when ``entry`` lacks ``name``."""
    return entry.kind in BY_NAME[name].applies


#: Other figures of the entry shown after the one asked for (as a second sentence).
OTHER_FIGURES = 2


def short_text(entry: Entry, found: list[AttributeAnswer]) -> str:
    """One or two sentences: "匠心工坊的参加人数：截至2020年6月共3749人参与。", then the
    entry's other figures of the report ("同一报道还写到：…"), so a worker asking 人次
    also learns the 场次 of the same year."""
    lines = [
        texts.ATTRIBUTE_LINE.format(subject=entry.title, label=a.attribute.label, value="；".join(a.lines))
        for a in found
    ]
    shown = {line for a in found for line in a.lines}
    if any("figures" in a.attribute.fields for a in found):
        others = [f for f in entry.figures if f not in shown][:OTHER_FIGURES]
        if others:
            lines.append(texts.ATTRIBUTE_OTHER_FIGURES.format(figures="；".join(others)))
    return with_sample_note("\n".join(lines), any(a.sample for a in found))


def missing_text(entry: Entry, missing: list[Attribute]) -> str:
    """The honest reply for what the knowledge does not say."""
    labels = "、".join(a.label for a in missing)
    return texts.ATTRIBUTE_NOT_IN_SOURCE.format(subject=entry.title, label=labels)


def full_entry_button(entry: Entry) -> replies.Button:
    """A button that shows the whole entry (after a short answer)."""
    return replies.entry_button(entry.id, texts.FULL_ENTRY_BUTTON.format(title=entry.title))
