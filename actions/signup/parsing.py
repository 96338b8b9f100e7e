"""What a worker's free-text answer means: names, phones, employers, dates, certificate
numbers, yes/no, which profile field, which team, which record, which course.

The one place that reads typed answers, so every form understands "叫我马春燕就行" or
"去年7月" alike. Functions return the value in the registry's stored form (the registry's
own ``normalize_*`` helpers have the last word) or raise
:class:`registry.InvalidInput` with the Chinese reason the worker reads. Nothing here
talks to Rasa or a store; course mentions are resolved against a knowledge base passed in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from rasa_sdk import Tracker

from common import texts
from common.clock import default_clock
from common.clock import today as today_in
from knowledge import Course, KnowledgeBase
from registry import (
    InvalidInput,
    normalize_certificate_no,
    normalize_district,
    normalize_employer,
    normalize_name,
    normalize_phone,
    normalize_record_number,
    parse_graduation_date,
)

# ---------------------------------------------------------------- the message itself


def is_payload(text: object) -> bool:
    """A button payload or command (``/intent{...}``), not words typed by the worker."""
    return str(text or "").strip().startswith("/")


def clean_text(value: object) -> str:
    """NFKC (full-width → ASCII), trimmed, trailing punctuation dropped."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    return re.sub(r"[。.!！~～]+$", "", text).strip()


def first_entity(tracker: Tracker, entity: str) -> str | None:
    value = next(tracker.get_latest_entity_values(entity), None)
    return str(value).strip() if value not in (None, "") else None


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()


def latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


# ---------------------------------------------------------------- yes and no

_QUESTION_WORDS = ("?", "？", "什么", "怎么", "为什么", "吗", "哪", "啥")
_YES_PHRASES = ("没问题", "没错", "不错", "对的", "是的")
_NO_WORDS = ("不", "没", "否", "非", "无", "别")
_YES_WORDS = ("是", "对", "确认", "确定", "好", "嗯", "可以", "要", "行", "会员", "有", "ok", "yes")


def parse_yes_no(value: object) -> bool | None:
    """``True``/``False`` from a button (already a bool) or a typed yes/no answer."""
    if isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if not text or is_payload(text) or len(text) > 8:
        return None
    if any(word in text for word in _QUESTION_WORDS):
        return None  # "这是什么？" is a question, not a yes
    if any(phrase in text for phrase in _YES_PHRASES):
        return True
    if any(word in text for word in _NO_WORDS):
        return False
    if any(word in text for word in _YES_WORDS):
        return True
    return None


_CONFIRMING_CANCEL = re.compile(r"^(确认|确定|是的?|对|要|我要)?取消(吧|报名|掉|掉吧|它)?[。.!！~～]*$")


def is_bare_cancel(text: str) -> bool:
    """取消 / 确认取消 / 取消吧 … — at "确认取消…吗？" that is the answer "yes"."""
    return bool(_CONFIRMING_CANCEL.match(text.strip()))


def asks_to_change(value: object) -> bool:
    """ "修改信息" / "要改一下" at a final confirmation: change the profile first."""
    return isinstance(value, str) and "改" in value


# ---------------------------------------------------------------- the profile

_NAME_PREFIX = re.compile(r"^(?:我的名字(?:是|叫)|名字(?:是|叫)|我叫|我是|姓名(?:是)?|叫我|本人(?:是)?)[:：\s]*")
_NAME_SUFFIX = re.compile(r"(?:就行了?|就好了?|就可以了?|吧|哈)$")
_NOT_A_NAME = {
    "你好",
    "您好",
    "谢谢",
    "好的",
    "是的",
    "不是",
    "没有",
    "不知道",
    "算了",
    "可以",
    "不用",
    "为什么",
    "什么",
    "干嘛",
    "不要",
    "知道了",
    "收到",
    "hello",
    "hi",
    "ok",
}
_NOT_NAME_CHARS = set("我你您的了吗呢吧啊么怎什谁哪想要请？?！!，,。、")
_CJK = re.compile(r"^[\u3400-\u9fff]+$")


def clean_name(value: object) -> str:
    text = clean_text(value)
    text = _NAME_SUFFIX.sub("", _NAME_PREFIX.sub("", text)).strip()
    if not text:
        raise InvalidInput("name", texts.NAME_MISSING)
    if text.lower() in _NOT_A_NAME or any(ch in _NOT_NAME_CHARS for ch in text):
        raise InvalidInput("name", texts.NOT_A_NAME)
    name = normalize_name(text)
    if _CJK.match(name) and len(name) > 5:
        raise InvalidInput("name", texts.NAME_TOO_LONG)
    return name


_PHONE_PREFIX = re.compile(r"^[^\d+]*")


def clean_phone(value: object) -> str:
    text = clean_text(value)
    if re.search(r"\d", text):
        text = _PHONE_PREFIX.sub("", text)
    return normalize_phone(text)


_EMPLOYER_PREFIX = re.compile(r"^(?:我的)?(?:工作单位|单位|公司)(?:是|叫|名称是)?[:：\s]*|^(?:我)?在(?=.{2,})")
_EMPLOYER_SUFFIX = re.compile(r"(?:上班|工作|打工)(?:的)?$")


def clean_employer(value: object) -> str:
    text = clean_text(value)
    text = _EMPLOYER_SUFFIX.sub("", _EMPLOYER_PREFIX.sub("", text)).strip() or text
    if text.lower() in _NOT_A_NAME:
        raise InvalidInput("employer", texts.NOT_AN_EMPLOYER)
    return normalize_employer(text)


_FIELD_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("worker_phone", ("手机", "电话", "号码", "号")),
    ("worker_union_member", ("会员", "入会")),
    ("worker_employer", ("单位", "公司", "工作", "厂")),
    ("worker_district", ("区", "县", "地区", "所在")),
    ("worker_name", ("姓名", "名字", "名")),
)
_NO_CHANGE_WORDS = ("不用", "不改", "都对", "没有", "不需要", "没问题", "算了")
_CHANGE_WORDS = ("改", "不对", "错", "更新", "变")


def profile_field_from_text(value: object) -> str | None:
    """Which profile field a worker wants to change ("手机号" → worker_phone), ``none``
    for "no change", None when not understood."""
    text = clean_text(value)
    if value == "none" or any(word in text for word in _NO_CHANGE_WORDS):
        return "none"
    for field, words in _FIELD_WORDS:
        if any(word in text for word in words):
            return field
    if normalize_district(text):
        return "worker_district"
    return None


def profile_confirmation(value: object) -> str | None:
    """ "yes" (the stored profile is right), "edit" (change something) or None."""
    if value in ("yes", "edit"):
        return str(value)
    text = clean_text(value)
    if is_payload(text):
        return None
    if any(word in text for word in _CHANGE_WORDS):
        return "edit"
    yes = parse_yes_no(text)
    return "yes" if yes else ("edit" if yes is False else None)


# ---------------------------------------------------------------- the reading team

_EMPLOYER_TEAM_WORDS = ("单位", "公司", "厂", "企业", "同事")
_DISTRICT_TEAM_WORDS = ("地区", "区县", "片区", "附近", "就近")


def team_kind_from_text(value: object, employer: str | None) -> str | None:
    """ "employer" (单位读书会, the employer's name …), "district" (地区读书会, 海曙 …) or None."""
    text = clean_text(value)
    if is_payload(text):
        return None
    if any(w in text for w in _EMPLOYER_TEAM_WORDS) or (employer and employer in text):
        return "employer"
    if any(w in text for w in _DISTRICT_TEAM_WORDS) or normalize_district(text) is not None:
        return "district"
    return None


# ---------------------------------------------------------------- the degree

_FREE_TEXT_PREFIX = re.compile(
    r"^(?:我的)?(?:毕业)?(?:学校|院校|专业|学的)(?:是|叫)?[:：\s]*|^(?:我)?(?:学的是|读的是)"
)


def clean_free_text(value: object) -> str:
    """A school or programme name without "学校是" / "学的是" in front."""
    text = clean_text(value)
    return _FREE_TEXT_PREFIX.sub("", text).strip() or text


_CERTIFICATE_PREFIX = re.compile(r"^(?:我的)?(?:毕业证书|毕业证|证书)?(?:编号|号码|号)?(?:是|为)?[:：\s]*")


def clean_certificate(value: object) -> str:
    text = clean_text(value)
    return normalize_certificate_no(_CERTIFICATE_PREFIX.sub("", text) or text)


_RELATIVE_YEARS = {"今年": 0, "去年": 1, "前年": 2}


def clean_graduation_date(value: object, today: date | None = None) -> str:
    """``parse_graduation_date`` plus what workers also type: 去年7月, 24年7月, 2024年6月份拿的证.

    ``today`` decides "去年" and "not later than this month" (default: the settings'
    clock, which honours ``UH_TODAY``).
    """
    day = today or today_in(default_clock())
    text = clean_text(value)
    text = re.sub(r"^(?:毕业时间|毕业于|毕业是|是)[:：\s]*", "", text)
    text = re.sub(r"(?:拿的证|拿到证|拿证|拿到的证|毕业的|毕业了|毕业|的)$", "", text).strip()
    for word, back in _RELATIVE_YEARS.items():
        if text.startswith(word):
            text = f"{day.year - back}年" + text[len(word) :]
    text = re.sub(r"^(\d{2})年", lambda m: f"20{m.group(1)}年", text)
    return parse_graduation_date(text, today=day)


# ---------------------------------------------------------------- the worker's records


def record_key(text: object) -> str | None:
    """A record reference from a button or typed text, in stored form, or None."""
    raw = unicodedata.normalize("NFKC", str(text or "")).strip()
    if not raw:
        return None
    if re.match(r"^(district|employer):.+", raw):
        return raw
    number = normalize_record_number(raw)
    if number:
        return number
    found = re.search(r"(?i)\b(b[mt])\s*-?\s*(\d{4})\s*-?\s*(\d{1,9})\b", raw)
    if found:
        return normalize_record_number("".join(found.groups()))
    return None


def record_in_message(tracker: Tracker) -> str | None:
    """The record a message names: a button's ``record`` entity, or a number typed."""
    text = latest_text(tracker)
    return record_key(first_entity(tracker, "record") or "") or (None if is_payload(text) else record_key(text))


# ---------------------------------------------------------------- courses

#: ``kb.find_courses`` scores: at or above this a match is reliable (see knowledge.kb).
RELIABLE_SCORE = 70.0
#: A whole sentence names a course only at or above this score...
SENTENCE_SCORE = 90.0
#: ...or at or above this one when no other course comes within CLEAR_LEAD points: "奉化那个
#: 服装定制课报名" scores 87 for the tailoring course and 24 for the next, which is no doubt.
SENTENCE_CLEAR_SCORE = 80.0
CLEAR_LEAD = 40.0
#: Matches within this many points of the best one are equally plausible.
CLOSE_SCORE = 10.0
#: More plausible courses than this: the mention is too vague to offer as a choice.
MAX_CHOICES = 4


@dataclass(frozen=True)
class CourseMatch:
    """What a course mention resolves to: one enrollable ``course``, several ``choices``,
    a ``blocked`` course that cannot be enrolled in here, or nothing."""

    course: Course | None = None
    choices: tuple[Course, ...] = ()
    blocked: Course | None = None
    programme: Course | None = None  # the choices are this programme's courses


def _single(kb: KnowledgeBase, course: Course) -> CourseMatch:
    if course.enrollable:
        return CourseMatch(course=course)
    children = tuple(kb.list_courses(programme=course.id, enrollable=True))
    if children:
        return CourseMatch(choices=children, programme=course)
    return CourseMatch(blocked=course)


def resolve_course(kb: KnowledgeBase, mention: str | None) -> CourseMatch:
    """A course id (from a button) or a mention typed by a worker, typos allowed."""
    mention = (mention or "").strip()
    if not mention or is_payload(mention):
        return CourseMatch()
    exact = kb.get_course(mention)
    if exact is not None:
        return _single(kb, exact)
    matches = [(c, s) for c, s in kb.find_courses(mention, limit=8) if s >= RELIABLE_SCORE]
    if not matches:
        return CourseMatch()
    best = matches[0][1]
    close = [course for course, score in matches if score >= best - CLOSE_SCORE]
    if len(close) == 1:
        return _single(kb, close[0])
    enrollable = [course for course in close if course.enrollable]
    if len(enrollable) == 1:
        return CourseMatch(course=enrollable[0])
    if not enrollable:
        return _single(kb, close[0])
    if len(enrollable) <= MAX_CHOICES:
        return CourseMatch(choices=tuple(enrollable))
    return CourseMatch()  # "培训": too vague to choose from


def course_from_text(kb: KnowledgeBase, text: str) -> Course | None:
    """A course named unmistakably in a whole sentence ("我想报名PLC编程")."""
    if not text or is_payload(text):
        return None
    matches = kb.find_courses(text, limit=3)
    if not matches:
        return None
    best = matches[0][1]
    runner_up = matches[1][1] if len(matches) > 1 else 0.0
    if best >= SENTENCE_SCORE and runner_up < best - CLOSE_SCORE:
        return matches[0][0]
    if best >= SENTENCE_CLEAR_SCORE and runner_up < best - CLEAR_LEAD:
        return matches[0][0]
    return None


_ORDINAL = re.compile(r"第?\s*([1-9一二三四五六七八九])\s*(?:个|门|项)?")


def pick_from_choices(kb: KnowledgeBase, text: str, choices: list[str]) -> CourseMatch | None:
    """ "第二个" among the courses just offered as buttons."""
    ordinal = _ORDINAL.search(clean_text(text))
    if ordinal:
        index = "123456789".find(ordinal.group(1))
        if index < 0:
            index = "一二三四五六七八九".find(ordinal.group(1))
        if 0 <= index < len(choices):
            course = kb.get_course(choices[index])
            if course is not None:
                return CourseMatch(course=course)
    return None
