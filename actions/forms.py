"""Validation of the sign-up forms: the worker profile, course enrollment, reading team,
degree-subsidy application, cancelling a record and deleting one's data.

Every form is validated by a subclass of :class:`UnionFormValidationAction` (the
financial-demo ``CustomFormValidationAction`` pattern): a wrong answer gets a short
explanation and another chance, the second wrong answer in a row a longer one
(``EXPLANATIONS``), and after the third the worker is offered a person.

The required slots are dynamic (``form_slots``): a returning worker, recognised by the
chat's ``sender_id`` in the registry, only confirms their profile; a new one is asked for
it. Values are checked with the registry's own ``normalize_*`` helpers, so what the form
accepts is exactly what the registry stores.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import logging_setup
from actions.records_support import (
    COURSE_CHOICES,
    FORM_FAILURES,
    FORM_HELP,
    FORM_OUTCOME,
    OUTCOME_ABORT,
    OUTCOME_CANCELLED,
    PROFILE_FIELDS,
    RECORD_CHOICES,
    REQUESTED_SLOT,
    SUBSIDY_SLOTS,
    WORKER_REGISTERED,
    CourseMatch,
    Profile,
    clean_text,
    enrollment_state,
    is_payload,
    knowledge,
    parse_yes_no,
    record_key,
    record_options,
    registry_call,
    resolve_course,
)
from registry import (
    DISTRICT_HINT,
    InvalidInput,
    find_active_enrollment,
    list_records,
    normalize_certificate_no,
    normalize_district,
    normalize_employer,
    normalize_name,
    normalize_phone,
    normalize_programme,
    normalize_school,
    parse_graduation_date,
)

Slots = dict[str, Any]

#: What a form says after the second wrong answer in a row to a question, by slot
#: (slot names are unique across the domain's forms).
CONFIRMATION_EXPLANATION = "同意就点第一个按钮（或回答“是”）；不办了就回答“不”或“算了”，什么都不会改动。"
EXPLANATIONS: dict[str, str] = {
    "worker_name": (
        "只需要输入姓名本身，2到5个汉字（少数民族姓名可以带“·”），例如“王芳”或“买买提·艾力”。"
        "姓名用于工作人员联系和核对，不会公开。"
    ),
    "worker_phone": (
        "手机号是11位数字，以1开头，例如 13812345678，中间可以有空格。"
        "固定电话和带字母的号码不行。号码只用于工作人员联系您，回复里会打码显示。"
    ),
    "worker_employer": "请输入您工作单位的名称（2到60个字），例如“宁波永发机械有限公司”，简称也可以。",
    "worker_district": (
        "这里问的是您单位所在的区县（宁波市的10个区、县、市之一），例如“海曙”“北仑”“余姚”。"
        "如果单位不在宁波，请选离您最近的一个。"
    ),
    "worker_union_member": ("加入了工会、有工会会员身份的请点“是”，没有入会或不清楚的请点“不是”。不是会员也可以报名。"),
    "profile_confirmed": "上面是我们登记的您的信息。信息都对就点“是”；有哪一项要改，就点“修改”。",
    "profile_field": ("每次改一项：点要改的那一项，输入新内容，改完会再给您确认一遍。都不用改就点“不用改了”。"),
    "course_id": (
        "点下面课程的按钮就能选中；也可以输入课程名称，例如“PLC编程”“汽车维修”。"
        "想先了解课程，可以说“算了”，再问我“有哪些课程”。"
    ),
    "team_kind": (
        "单位读书会由您单位的职工组成；地区读书会由同一个区县的职工组成。选一个就行，以后还可以再加入另一个。"
    ),
    "school": "请输入毕业证书上的学校名称，例如“宁波开放大学”“浙江工商职业技术学院”。",
    "programme": "请输入毕业证书上的专业名称，可以加上层次，例如“机电一体化技术（大专）”“会计学（本科）”。",
    "graduation_date": (
        "请写毕业证书上的毕业年月，例如“2024年6月”“2024-06”。补贴只针对已经拿到毕业证的学历，所以不能晚于本月。"
    ),
    "certificate_no": (
        "证书编号印在毕业证书的右下方，一般是18位数字（有的证书带字母前缀）。"
        "请照着证书输入，可以带空格。编号只用于工作人员核对，回复里会打码显示。"
    ),
    "model_worker_class": "劳模先进班是学历提升班中专为劳动模范和先进职工开设的班级。如果您读的是普通学历提升班或其他学校，请点“不是”。",
    "cancel_target": "下面每个按钮是您的一条记录，点哪一条就取消哪一条（取消前还会再确认一次）。",
    "enroll_confirmed": CONFIRMATION_EXPLANATION,
    "subsidy_confirmed": CONFIRMATION_EXPLANATION,
    "cancel_confirmed": CONFIRMATION_EXPLANATION,
    "delete_confirmed": CONFIRMATION_EXPLANATION,
}


# ---------------------------------------------------------------- the shared base


class UnionFormValidationAction(FormValidationAction, ABC):
    """Validates a form's slots and handles repeated failures of one slot.

    What the domain must declare for a form ``<form>`` validated by a subclass:

    * the action ``validate_<form>`` (the subclass's ``name()``) and the form, whose
      ``required_slots`` list every slot ``form_slots`` may return, plus ``form_help``;
    * the slots ``form_failures`` (any: ``{slot: failures in a row}``), ``form_help`` and
      ``form_outcome`` (text), all with ``influence_conversation: false``;
    * ``form_help`` mapped ``from_intent deny`` (value ``retry``) and ``from_text`` with
      ``not_intent: [affirm, deny, stop, request_human]`` under the form's
      ``active_loop``/``requested_slot: form_help`` condition — so ``affirm`` at that
      question is *not* extracted: the form rejects it and the rule "<form>: a person
      after repeated failures" runs ``action_handoff`` while the form is still active
      (reason ``form_failures``);
    * an ``action_ask_form_help`` (or response ``utter_ask_form_help``) offering 转人工
      (/affirm), 再试一次 (/deny), 算了 (/stop);
    * every text slot mapped with ``not_intent: [stop, request_human]``, so 算了 and 转人工
      are never taken as an answer (the form rejects them and the stop / person rules run).

    Subclasses implement ``name()`` and ``form_slots(tracker)`` (the slots to fill, in
    order), ``validate_<slot>`` for each slot; a slot's entry in ``EXPLANATIONS`` is said after
    the second wrong answer in a row. A
    validator rejects a value by returning ``{slot: None}`` after saying why; one that
    wants to end the form sets ``form_outcome`` (the form then asks nothing more and its
    submit action saves nothing).
    """

    MAX_FAILURES = 3  # this many wrong answers in a row: offer a person
    EXPLAIN_AFTER = 2  # this many: explain the question in more detail

    # Keep this base out of the action server's registry (rasa-sdk registers every
    # concrete Action subclass it finds).
    @abstractmethod
    def name(self) -> str:
        raise NotImplementedError("a form validation action must implement name()")

    @abstractmethod
    def form_slots(self, tracker: Tracker) -> list[str]:
        """The slots this form still needs, in the order they are asked."""

    # -------------------------------------------------------- which slot comes next

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(FORM_OUTCOME):
            return []
        slots = self.form_slots(tracker)
        if self.failing_slot(tracker, slots):
            return [FORM_HELP, *slots]
        return slots

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType:
        """Always say which slot is next (``None`` ends the form)."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        missing = next((slot for slot in required if tracker.slots.get(slot) is None), None)
        return SlotSet(REQUESTED_SLOT, missing)

    def failing_slot(self, tracker: Tracker, slots: list[str] | None = None) -> str | None:
        """The empty slot that failed MAX_FAILURES times in a row, if any."""
        failures = tracker.get_slot(FORM_FAILURES) or {}
        for slot, count in failures.items():
            if count >= self.MAX_FAILURES and tracker.get_slot(slot) is None and (slots is None or slot in slots):
                return slot
        return None

    # -------------------------------------------------------- counting failures

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        logging_setup.install()
        return await super().run(dispatcher, tracker, domain)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        asked = tracker.get_slot(REQUESTED_SLOT)
        answered = tracker.slots_to_validate()
        events = await super().get_validation_events(dispatcher, tracker, domain)
        events.extend(self._count_failures(asked, answered, events, dispatcher, tracker))
        return events

    def _count_failures(
        self,
        asked: str | None,
        answered: Slots,
        events: list[EventType],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> list[EventType]:
        if not asked or asked == FORM_HELP or asked not in answered:
            return []
        if tracker.get_slot(FORM_OUTCOME):
            return []
        values = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        failures = dict(tracker.get_slot(FORM_FAILURES) or {})
        if values.get(asked) is not None:
            failures.pop(asked, None)
        elif asked in _not_counted(tracker):
            pass  # e.g. "which of these courses?": not the worker's mistake
        else:
            failures[asked] = failures.get(asked, 0) + 1
            if failures[asked] == self.EXPLAIN_AFTER and asked in EXPLANATIONS:
                dispatcher.utter_message(text=EXPLANATIONS[asked])
        return [SlotSet(FORM_FAILURES, failures or None)]

    def reject(self, tracker: Tracker, slot: str, dispatcher: CollectingDispatcher, message: str) -> Slots:
        """Say why an answer is not accepted; the form asks the question again."""
        dispatcher.utter_message(text=message)
        return {slot: None}

    # -------------------------------------------------------- after too many failures

    async def validate_form_help(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """再试一次 (deny): ask the failed question again. Typed text is taken as a new
        answer to it. (转人工 is not extracted at all: see the class docstring.)"""
        failed = self.failing_slot(tracker)
        failures = dict(tracker.get_slot(FORM_FAILURES) or {})
        if failed:
            failures.pop(failed, None)
        result: Slots = {FORM_HELP: None, FORM_FAILURES: failures or None}
        if failed and value != "retry" and value is not None:
            validate = getattr(self, f"validate_{failed}", None)
            if validate is not None:
                answer = await validate(value, dispatcher, tracker, domain)
                result.update(answer)
                if answer.get(failed) is None:
                    failures[failed] = 1
                    result[FORM_FAILURES] = failures
        return result

    # -------------------------------------------------------- shared yes/no handling

    def confirm(self, value: Any, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
        """The last question of a form: yes → go on, no → end without saving."""
        answer = parse_yes_no(value)
        if answer is True:
            return {slot: True}
        if answer is False:
            return {slot: None, FORM_OUTCOME: OUTCOME_CANCELLED}
        return self.reject(tracker, slot, dispatcher, "请点下面的按钮回答 🙂")


def _not_counted(tracker: Tracker) -> set[str]:
    """Slots whose rejection in this request is not a failure (per request, not shared)."""
    return tracker.__dict__.setdefault("_uh_not_counted", set())


def not_counted(tracker: Tracker, slot: str) -> None:
    _not_counted(tracker).add(slot)


# ---------------------------------------------------------------- cleaning typed answers

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


def clean_name(value: Any) -> str:
    text = clean_text(value)
    text = _NAME_SUFFIX.sub("", _NAME_PREFIX.sub("", text)).strip()
    if not text:
        raise InvalidInput("name", "请告诉我您的姓名。")
    if text.lower() in _NOT_A_NAME or any(ch in _NOT_NAME_CHARS for ch in text):
        raise InvalidInput("name", "这好像不是姓名 🙂 请输入您的真实姓名，例如“张伟”。")
    name = normalize_name(text)
    if _CJK.match(name) and len(name) > 5:
        raise InvalidInput("name", "姓名一般是2到5个字，请只输入姓名，例如“张伟”。")
    return name


_PHONE_PREFIX = re.compile(r"^[^\d+]*")


def clean_phone(value: Any) -> str:
    text = clean_text(value)
    if re.search(r"\d", text):
        text = _PHONE_PREFIX.sub("", text)
    return normalize_phone(text)


_EMPLOYER_PREFIX = re.compile(r"^(?:我的)?(?:工作单位|单位|公司)(?:是|叫|名称是)?[:：\s]*|^(?:我)?在(?=.{2,})")
_EMPLOYER_SUFFIX = re.compile(r"(?:上班|工作|打工)(?:的)?$")


def clean_employer(value: Any) -> str:
    text = clean_text(value)
    text = _EMPLOYER_SUFFIX.sub("", _EMPLOYER_PREFIX.sub("", text)).strip() or text
    if text.lower() in _NOT_A_NAME:
        raise InvalidInput("employer", "请输入您工作单位的名称，例如“宁波XX有限公司”。")
    return normalize_employer(text)


_FREE_TEXT_PREFIX = re.compile(
    r"^(?:我的)?(?:毕业)?(?:学校|院校|专业|学的)(?:是|叫)?[:：\s]*|^(?:我)?(?:学的是|读的是)"
)


def clean_free_text(value: Any) -> str:
    text = clean_text(value)
    return _FREE_TEXT_PREFIX.sub("", text).strip() or text


_CERTIFICATE_PREFIX = re.compile(r"^(?:我的)?(?:毕业证书|毕业证|证书)?(?:编号|号码|号)?(?:是|为)?[:：\s]*")


def clean_certificate(value: Any) -> str:
    text = clean_text(value)
    return normalize_certificate_no(_CERTIFICATE_PREFIX.sub("", text) or text)


_RELATIVE_YEARS = {"今年": 0, "去年": 1, "前年": 2}


def clean_graduation_date(value: Any, today: date | None = None) -> str:
    """``parse_graduation_date`` plus what workers also type: 去年7月, 24年7月, 2024年6月份拿的证."""
    today = today or date.today()
    text = clean_text(value)
    text = re.sub(r"^(?:毕业时间|毕业于|毕业是|是)[:：\s]*", "", text)
    text = re.sub(r"(?:拿的证|拿到证|拿证|拿到的证|毕业的|毕业了|毕业|的)$", "", text).strip()
    for word, back in _RELATIVE_YEARS.items():
        if text.startswith(word):
            text = f"{today.year - back}年" + text[len(word) :]
    text = re.sub(r"^(\d{2})年", lambda m: f"20{m.group(1)}年", text)
    return parse_graduation_date(text, today=today)


_FIELD_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("worker_phone", ("手机", "电话", "号码", "号")),
    ("worker_union_member", ("会员", "入会")),
    ("worker_employer", ("单位", "公司", "工作", "厂")),
    ("worker_district", ("区", "县", "地区", "所在")),
    ("worker_name", ("姓名", "名字", "名")),
)
_NO_CHANGE_WORDS = ("不用", "不改", "都对", "没有", "不需要", "没问题", "算了")


def profile_field_from_text(value: Any) -> str | None:
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


# ---------------------------------------------------------------- the profile part


class ProfileSlotsMixin:
    """Name, mobile, employer, district, union member — and the confirmation a returning
    worker gives instead of typing them again (是 / 修改 → which field)."""

    def profile_slots(self, tracker: Tracker) -> list[str]:
        slots = [*PROFILE_FIELDS, "profile_confirmed"]
        if tracker.get_slot("profile_confirmed") == "edit":
            slots.append("profile_field")
        return slots

    def _clean_answer(
        self,
        slot: str,
        clean: Any,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        plain: Any = None,
    ) -> Slots:
        """``clean`` an answer the worker typed; a value prefilled from the registry
        (validated when the form starts, nothing asked yet) only gets the registry's
        ``plain`` normalizer."""
        if plain is not None and tracker.get_slot(REQUESTED_SLOT) is None:
            clean = plain
        if is_payload(value):
            not_counted(tracker, slot)
            return self.reject(  # type: ignore[attr-defined]
                tracker,
                slot,
                dispatcher,
                "请先回答上面的问题，或者说“算了”退出当前办理。",
            )
        try:
            return {slot: clean(value)}
        except InvalidInput as error:
            return self.reject(tracker, slot, dispatcher, error.message)  # type: ignore[attr-defined]

    async def validate_worker_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._clean_answer("worker_name", clean_name, value, dispatcher, tracker, plain=normalize_name)

    async def validate_worker_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._clean_answer("worker_phone", clean_phone, value, dispatcher, tracker, plain=normalize_phone)

    async def validate_worker_employer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._clean_answer(
            "worker_employer", clean_employer, value, dispatcher, tracker, plain=normalize_employer
        )

    async def validate_worker_district(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        district = None if is_payload(value) else normalize_district(value)
        if district is None:
            return self.reject(  # type: ignore[attr-defined]
                tracker,
                "worker_district",
                dispatcher,
                "没有找到这个区县。" + DISTRICT_HINT + "也可以直接点下面的按钮。",
            )
        return {"worker_district": district}

    async def validate_worker_union_member(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        answer = parse_yes_no(value)
        if answer is None:
            return self.reject(  # type: ignore[attr-defined]
                tracker, "worker_union_member", dispatcher, "请回答“是”或“不是”，也可以点下面的按钮。"
            )
        result: Slots = {"worker_union_member": answer}
        # A new worker has just typed every field: no separate confirmation (the final
        # question of the form shows them all).
        if not tracker.get_slot(WORKER_REGISTERED) and tracker.get_slot("profile_confirmed") is None:
            result["profile_confirmed"] = "yes"
        return result

    async def validate_profile_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if value in ("yes", "edit"):
            answer = value
        else:
            text = clean_text(value)
            if is_payload(text):
                answer = None
            elif any(word in text for word in ("改", "不对", "错", "更新", "变")):
                answer = "edit"
            else:
                yes = parse_yes_no(text)
                answer = "yes" if yes else ("edit" if yes is False else None)
        if answer is None:
            return self.reject(  # type: ignore[attr-defined]
                tracker, "profile_confirmed", dispatcher, "请点“是”确认，或者点“修改”更改信息。"
            )
        if answer == "edit":
            return {"profile_confirmed": "edit", "profile_field": None}
        return {"profile_confirmed": "yes"}

    async def validate_profile_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        field = profile_field_from_text(value)
        if field is None:
            return self.reject(  # type: ignore[attr-defined]
                tracker,
                "profile_field",
                dispatcher,
                "请点要修改的一项：姓名、手机号、工作单位、所在区或会员身份。",
            )
        if field == "none":
            return {"profile_field": "none", "profile_confirmed": "yes"}
        # Ask that field again, then show the profile for confirmation.
        return {"profile_field": field, field: None, "profile_confirmed": None}


# ---------------------------------------------------------------- the forms


class ValidateProfileForm(ProfileSlotsMixin, UnionFormValidationAction):
    """``profile_form``: register, or change the stored profile (修改我的信息)."""

    def name(self) -> str:
        return "validate_profile_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return self.profile_slots(tracker)


class ValidateEnrollForm(ProfileSlotsMixin, UnionFormValidationAction):
    """``enroll_form``: which course, the profile, then "确认报名？"."""

    def name(self) -> str:
        return "validate_enroll_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return ["course_id", *self.profile_slots(tracker), "enroll_confirmed"]

    async def validate_course_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if is_payload(value):
            not_counted(tracker, "course_id")
            dispatcher.utter_message(text="请先选择要报名的课程，或者说“算了”退出报名。")
            return {"course_id": None}
        kb = await knowledge()
        choices = tracker.get_slot(COURSE_CHOICES) or []
        match = resolve_course(kb, str(value))
        if match.course is None and choices and not match.choices:
            # "第二个" / a word from one of the offered names
            match = _pick_from_choices(kb, str(value), choices) or match
        if match.course is not None:
            return await self._chosen(match, dispatcher, tracker)
        if match.choices:
            not_counted(tracker, "course_id")
            if match.programme is not None:
                dispatcher.utter_message(text=f"「{match.programme.name}」包括下面几门课程，您想报名哪一门？")
            else:
                dispatcher.utter_message(text="您说的可能是下面几门课程中的一门：")
            return {"course_id": None, COURSE_CHOICES: [c.id for c in match.choices]}
        if match.blocked is not None:
            dispatcher.utter_message(
                text=f"「{match.blocked.name}」不需要在小助手里报名（详情可以问我“{match.blocked.name}是什么”）。"
                "下面是可以在这里报名的课程："
            )
            return {"course_id": None, COURSE_CHOICES: None}
        shown = clean_text(value)
        dispatcher.utter_message(
            text=f"没有找到“{shown[:20]}”这门课程。下面是可以报名的课程，请点选：" if shown else "请点选要报名的课程："
        )
        return {"course_id": None, COURSE_CHOICES: None}

    async def _chosen(self, match: CourseMatch, dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
        course = match.course
        assert course is not None
        if tracker.get_slot(WORKER_REGISTERED):
            existing = await registry_call(find_active_enrollment, tracker.sender_id, course.id)
            if existing is not None:
                dispatcher.utter_message(
                    text=f"您已经报名了「{course.name}」（报名号 {existing.enrollment_no}，"
                    f"{enrollment_state(existing)}），不用重复报名 🙂",
                    buttons=[
                        {"title": "我的报名", "payload": "/my_records"},
                        {"title": "其他课程", "payload": "/ask_course_list"},
                    ],
                )
                return {"course_id": course.id, FORM_OUTCOME: OUTCOME_ABORT}
        return {"course_id": course.id, COURSE_CHOICES: None}

    async def validate_enroll_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if isinstance(value, str) and any(w in value for w in ("改", "修改信息")):
            not_counted(tracker, "enroll_confirmed")
            return {"enroll_confirmed": None, "profile_confirmed": "edit", "profile_field": None}
        return self.confirm(value, "enroll_confirmed", dispatcher, tracker)


def _pick_from_choices(kb: Any, text: str, choices: list[str]) -> CourseMatch | None:
    ordinal = re.search(r"第?\s*([1-9一二三四五六七八九])\s*(?:个|门|项)?", clean_text(text))
    if ordinal:
        index = "123456789".find(ordinal.group(1))
        if index < 0:
            index = "一二三四五六七八九".find(ordinal.group(1))
        if 0 <= index < len(choices):
            course = kb.get_course(choices[index])
            if course is not None:
                return CourseMatch(course=course)
    return None


class ValidateReadingForm(ProfileSlotsMixin, UnionFormValidationAction):
    """``reading_form``: the profile, then the team by employer or by district."""

    def name(self) -> str:
        return "validate_reading_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return [*self.profile_slots(tracker), "team_kind"]

    async def validate_team_kind(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        text = clean_text(value)
        profile = Profile.from_slots(tracker)
        kind = None
        if not is_payload(text):
            if any(w in text for w in ("单位", "公司", "厂", "企业", "同事")) or (
                profile.employer and profile.employer in text
            ):
                kind = "employer"
            elif any(w in text for w in ("地区", "区县", "片区", "附近", "就近")) or (
                normalize_district(text) is not None
            ):
                kind = "district"
        if kind is None:
            return self.reject(
                tracker,
                "team_kind",
                dispatcher,
                "请选择按单位还是按地区加入读书团队（点下面的按钮）。",
            )
        return {"team_kind": kind}


class ValidateSubsidyForm(ProfileSlotsMixin, UnionFormValidationAction):
    """``subsidy_form``: the profile (name and phone of the application), then the degree."""

    def name(self) -> str:
        return "validate_subsidy_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return [*self.profile_slots(tracker), *SUBSIDY_SLOTS]

    async def validate_school(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._clean_answer("school", lambda v: normalize_school(clean_free_text(v)), value, dispatcher, tracker)

    async def validate_programme(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._clean_answer(
            "programme", lambda v: normalize_programme(clean_free_text(v)), value, dispatcher, tracker
        )

    async def validate_graduation_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._clean_answer("graduation_date", clean_graduation_date, value, dispatcher, tracker)

    async def validate_certificate_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._clean_answer("certificate_no", clean_certificate, value, dispatcher, tracker)

    async def validate_model_worker_class(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        answer = parse_yes_no(value)
        if answer is None:
            return self.reject(tracker, "model_worker_class", dispatcher, "请回答“是”或“不是”，也可以点下面的按钮。")
        return {"model_worker_class": answer}

    async def validate_subsidy_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if isinstance(value, str) and "改" in value:
            not_counted(tracker, "subsidy_confirmed")
            dispatcher.utter_message(
                text="好的。个人信息可以现在修改；学校、专业等毕业信息填错了，请说“算了”后重新申请。"
            )
            return {"subsidy_confirmed": None, "profile_confirmed": "edit", "profile_field": None}
        return self.confirm(value, "subsidy_confirmed", dispatcher, tracker)


class ValidateCancelForm(UnionFormValidationAction):
    """``cancel_form``: which of the worker's own records, then "确认取消？".

    Only records of this ``sender_id`` are ever offered or accepted, whatever a typed
    payload says; the registry checks ownership again when cancelling.
    """

    def name(self) -> str:
        return "validate_cancel_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return ["cancel_target", "cancel_confirmed"]

    async def validate_cancel_target(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        records = await registry_call(list_records, tracker.sender_id)
        options = record_options(records)
        allowed = tracker.get_slot(RECORD_CHOICES) or [o.key for o in options]
        candidates = [o for o in options if o.key in allowed]
        key = record_key(value)
        chosen = None
        if key is not None:
            chosen = next((o for o in candidates if o.key == key), None)
            if chosen is None:
                # Never say whose it is: someone else's number looks like an unknown one.
                dispatcher.utter_message(text="没有在您的记录里找到这一条（可能已经取消了）。")
                return {"cancel_target": None}
        else:
            text = clean_text(value)
            kb = await knowledge()
            match = resolve_course(kb, text)
            if match.course is not None:
                chosen = next((o for o in candidates if o.course_id == match.course.id), None)
            if chosen is None:
                chosen = next(
                    (o for o in candidates if text and (text in o.label or text in o.button_title)),
                    None,
                )
        if chosen is None:
            return self.reject(tracker, "cancel_target", dispatcher, "请点选要取消的那一条。")
        return {"cancel_target": chosen.key, RECORD_CHOICES: None}

    async def validate_cancel_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self.confirm(value, "cancel_confirmed", dispatcher, tracker)


class ValidateDeleteForm(UnionFormValidationAction):
    """``delete_form``: one confirmation before deleting everything stored about the worker."""

    def name(self) -> str:
        return "validate_delete_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return ["delete_confirmed"]

    async def validate_delete_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self.confirm(value, "delete_confirmed", dispatcher, tracker)


__all__ = [
    "ProfileSlotsMixin",
    "UnionFormValidationAction",
    "ValidateCancelForm",
    "ValidateDeleteForm",
    "ValidateEnrollForm",
    "ValidateProfileForm",
    "ValidateReadingForm",
    "ValidateSubsidyForm",
    "clean_certificate",
    "clean_employer",
    "clean_graduation_date",
    "clean_name",
    "clean_phone",
    "profile_field_from_text",
]
