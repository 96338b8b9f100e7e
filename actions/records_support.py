"""Shared pieces of the sign-up conversations (profile, enrollment, reading team, subsidy
application, cancelling, deleting): slot names, registry and knowledge calls kept off the
event loop, course resolution, and the texts that describe a worker's profile and records.

No Rasa dialogue logic lives here; ``actions.forms`` validates, ``actions.form_prompts``
asks, ``actions.records_actions`` starts, submits and lists.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions import (
    logging_setup,  # noqa: F401  (redaction on import)
    replies,
)
from common.privacy import mask_phone
from knowledge import Course, KnowledgeBase, default_kb
from registry import (
    Enrollment,
    Worker,
    WorkerRecords,
    normalize_record_number,
    registry,
)

T = TypeVar("T")

# ---------------------------------------------------------------- slots

REQUESTED_SLOT = "requested_slot"
FORM_HELP = "form_help"  # asked after repeated failures: a person, or try again
FORM_FAILURES = "form_failures"  # {slot: failures in a row}
FORM_OUTCOME = "form_outcome"  # set when a form ends early: see OUTCOMES
WORKER_REGISTERED = "worker_registered"
COURSE_CHOICES = "course_choices"
RECORD_CHOICES = "record_choices"

# Why a form ended before its last question; the submit action then saves nothing.
OUTCOME_ABORT = "abort"  # nothing to do (already enrolled, no records, …): already said
OUTCOME_CANCELLED = "cancelled"  # the worker said no at the final confirmation

PROFILE_FIELDS: tuple[str, ...] = (
    "worker_name",
    "worker_phone",
    "worker_employer",
    "worker_district",
    "worker_union_member",
)
PROFILE_SLOTS: tuple[str, ...] = (*PROFILE_FIELDS, "profile_confirmed", "profile_field")

#: The subsidy form's own questions, asked after the profile (actions/forms.py).
SUBSIDY_SLOTS: tuple[str, ...] = (
    "school",
    "programme",
    "graduation_date",
    "certificate_no",
    "model_worker_class",
    "subsidy_confirmed",
)

FORM_SLOTS: dict[str, tuple[str, ...]] = {
    "profile_form": PROFILE_SLOTS,
    "enroll_form": ("course_id", *PROFILE_SLOTS, "enroll_confirmed"),
    "reading_form": (*PROFILE_SLOTS, "team_kind"),
    "subsidy_form": (*PROFILE_SLOTS, *SUBSIDY_SLOTS),
    "cancel_form": ("cancel_target", "cancel_confirmed"),
    "delete_form": ("delete_confirmed",),
}
#: Set by the delete actions once the registry forgot the worker: the Rasa server's tracker
#: store then deletes the whole conversation (rasa_ext/purge.py, the same name there).
PURGE_SLOT = "purge_conversation"
CONTROL_SLOTS: tuple[str, ...] = (
    FORM_HELP,
    FORM_FAILURES,
    FORM_OUTCOME,
    WORKER_REGISTERED,
    COURSE_CHOICES,
    RECORD_CHOICES,
)

# What a worker reads when a form is left without saving (算了, or "no" at the end).
CANCELLED_TEXT: dict[str, str] = {
    "profile_form": "好的，已取消，您的资料没有改动。",
    "enroll_form": "好的，已取消报名，没有保存任何内容。",
    "reading_form": "好的，已取消，没有加入读书团队，也没有保存任何内容。",
    "subsidy_form": "好的，已取消补贴申请，没有保存任何内容。",
    "cancel_form": "好的，不取消了，您的记录保持不变。",
    "delete_form": "好的，不删除了，您的数据保持不变。",
}
DEFAULT_CANCELLED_TEXT = "好的，已取消，没有保存任何内容。"

TECHNICAL_PROBLEM = "抱歉，系统暂时出了点问题，这次没有办成 🙏 请稍后再试，或者说“转人工”找工作人员。"


def say_technical_problem(dispatcher: Any) -> None:
    dispatcher.utter_message(text=TECHNICAL_PROBLEM, buttons=[dict(replies.HUMAN_BUTTON)])


def all_form_slots() -> list[str]:
    seen: dict[str, None] = {}
    for slots in FORM_SLOTS.values():
        seen.update(dict.fromkeys(slots))
    return list(seen)


def reset_events() -> list[SlotSet]:
    """Forget every sign-up slot (and the personal data in them)."""
    return [SlotSet(slot, None) for slot in (*all_form_slots(), *CONTROL_SLOTS)]


# ---------------------------------------------------------------- registry & knowledge


async def registry_call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(db, *args, **kwargs)`` on a fresh registry connection in a worker thread."""

    def call() -> T:
        with registry() as db:
            return fn(db, *args, **kwargs)

    return await asyncio.to_thread(call)


async def knowledge() -> KnowledgeBase:
    """The process-wide knowledge base (its first load builds the index: not on the loop)."""
    return await asyncio.to_thread(default_kb)


# ---------------------------------------------------------------- the worker's profile


@dataclass(frozen=True)
class Profile:
    name: str | None
    phone: str | None
    employer: str | None
    district: str | None
    union_member: bool | None

    @classmethod
    def from_slots(cls, tracker: Tracker) -> Profile:
        member = tracker.get_slot("worker_union_member")
        return cls(
            name=tracker.get_slot("worker_name"),
            phone=tracker.get_slot("worker_phone"),
            employer=tracker.get_slot("worker_employer"),
            district=tracker.get_slot("worker_district"),
            union_member=None if member is None else bool(member),
        )

    @classmethod
    def from_worker(cls, worker: Worker) -> Profile:
        return cls(worker.name, worker.phone, worker.employer, worker.district, worker.union_member)

    @property
    def complete(self) -> bool:
        return bool(self.name and self.phone and self.employer and self.district) and (self.union_member is not None)

    def slot_events(self) -> list[SlotSet]:
        return [
            SlotSet("worker_name", self.name),
            SlotSet("worker_phone", self.phone),
            SlotSet("worker_employer", self.employer),
            SlotSet("worker_district", self.district),
            SlotSet("worker_union_member", self.union_member),
        ]

    def summary(self) -> str:
        """``张三（138****1234，海曙区，宁波XX公司，工会会员）`` — the phone masked."""
        parts = [
            mask_phone(self.phone) if self.phone else "",
            self.district or "",
            self.employer or "",
        ]
        if self.union_member is not None:
            parts.append("工会会员" if self.union_member else "非工会会员")
        details = "，".join(p for p in parts if p)
        return f"{self.name or '（未填姓名）'}（{details}）" if details else (self.name or "")

    def same_as(self, worker: Worker | None) -> bool:
        return worker is not None and Profile.from_worker(worker) == self


# ---------------------------------------------------------------- courses

#: ``kb.find_courses`` scores: at or above this a match is reliable (see knowledge.kb).
RELIABLE_SCORE = 70.0
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
    if not matches or matches[0][1] < 90:
        return None
    if len(matches) > 1 and matches[1][1] >= matches[0][1] - CLOSE_SCORE:
        return None
    return matches[0][0]


def enroll_button(course: Course) -> replies.Button:
    return replies.button(course.name, "enroll_course", course=course.id)


def enrollable_courses(kb: KnowledgeBase) -> list[Course]:
    return kb.list_courses(enrollable=True)


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class RecordOption:
    """One thing a worker can cancel: an active enrollment, a team, a pending application."""

    key: str  # BM2026-000001 | BT2026-000001 | district:海曙区 | employer:宁波XX公司
    kind: str  # "enrollment" | "team" | "application"
    label: str  # 「PLC编程」的报名（BM2026-000001）
    button_title: str  # 取消 PLC编程
    course_id: str | None = None


def enrollment_state(enrollment: Enrollment) -> str:
    if enrollment.status == "waitlisted" and enrollment.waitlist_position:
        return f"候补第{enrollment.waitlist_position}位"
    return enrollment.status_label


def record_options(records: WorkerRecords) -> list[RecordOption]:
    options = [
        RecordOption(
            key=e.enrollment_no,
            kind="enrollment",
            label=f"「{e.course_name}」的{'候补' if e.status == 'waitlisted' else '报名'}（{e.enrollment_no}）",
            button_title=f"取消 {e.course_name}",
            course_id=e.course_id,
        )
        for e in records.enrollments
        if e.status in ("enrolled", "waitlisted")
    ]
    options += [
        RecordOption(
            key=m.team.team_id,
            kind="team",
            label=f"读书团队「{m.team.display_name}」",
            button_title=f"退出 {m.team.display_name}",
        )
        for m in records.teams
    ]
    options += [
        RecordOption(
            key=a.application_no,
            kind="application",
            label=f"学历提升补贴申请（{a.application_no}）",
            button_title=f"撤回申请 {a.application_no}",
        )
        for a in records.applications
        if a.status == "pending"
    ]
    return options


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


def cancel_button(option: RecordOption) -> replies.Button:
    return replies.button(option.button_title, "cancel_record", record=option.key)


# ---------------------------------------------------------------- text helpers


def is_payload(text: object) -> bool:
    """A button payload or command (``/intent{...}``), not words typed by the worker."""
    return str(text or "").strip().startswith("/")


def clean_text(value: object) -> str:
    """NFKC (full-width → ASCII), trimmed, trailing punctuation dropped."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    return re.sub(r"[。.!！~～]+$", "", text).strip()


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


def first_entity(tracker: Tracker, entity: str) -> str | None:
    value = next(tracker.get_latest_entity_values(entity), None)
    return str(value).strip() if value not in (None, "") else None


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()


def lines(items: Iterable[str]) -> str:
    return "\n".join(item for item in items if item)
