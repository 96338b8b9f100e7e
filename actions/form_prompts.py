"""The questions of the sign-up forms that depend on the conversation (``action_ask_<slot>``).

Static questions (phone, employer, district buttons, …) are responses in domain.yml; the
ones here show what the worker chose so far: their profile (phone masked), the course and
its seats, their own records. Rasa runs them when the form requests the slot.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import logging_setup, replies
from actions.records_support import (
    COURSE_CHOICES,
    FORM_FAILURES,
    RECORD_CHOICES,
    WORKER_REGISTERED,
    Profile,
    enroll_button,
    enrollable_courses,
    knowledge,
    lines,
    record_options,
    registry_call,
)
from common.privacy import mask_certificate
from registry import (
    DISTRICTS,
    get_course_summary,
    list_records,
)

logger = logging.getLogger(__name__)

YES_NO_BUTTONS = [{"title": "是", "payload": "/affirm"}, {"title": "修改", "payload": "/deny"}]
STOP_BUTTON = {"title": "算了", "payload": "/stop"}
EDIT_BUTTON = {"title": "修改信息", "payload": "修改信息"}


def text_button(title: str, payload: str) -> replies.Button:
    if len(title) > replies.MAX_BUTTON_TITLE:
        title = title[: replies.MAX_BUTTON_TITLE - 1] + "…"
    return {"title": title, "payload": payload}


def _failures(tracker: Tracker, slot: str) -> int:
    return int((tracker.get_slot(FORM_FAILURES) or {}).get(slot, 0))


class AskAction(Action, ABC):
    """An ``action_ask_<slot>``: never fails the turn — a plain question if anything breaks."""

    fallback_text = "请回答上面的问题，或者说“算了”退出。"

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot asked for (subclasses set it as a class attribute)."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        logging_setup.install()
        try:
            await self.ask(dispatcher, tracker, domain)
        except Exception:
            logger.exception("asking for %s failed", self.slot)
            dispatcher.utter_message(text=self.fallback_text)
        return []

    @abstractmethod
    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        """Say the question (with buttons)."""


class StaticAskAction(AskAction, ABC):
    """A question that is always the same (kept here, not in domain.yml: a response used
    only by a form counts as unused for ``rasa data validate``). ``edit_text`` is asked
    instead when the worker chose to change this field of their profile."""

    text = ""
    edit_text = ""
    buttons: list[replies.Button] = []

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        editing = self.edit_text and tracker.get_slot("profile_field") == self.slot
        dispatcher.utter_message(text=self.edit_text if editing else self.text, buttons=list(self.buttons))


async def form_purpose(tracker: Tracker) -> str:
    """What the worker is doing, to head a question: 报名「PLC编程」, 加入读书团队 …"""
    form = tracker.active_loop_name
    if form == "enroll_form" and tracker.get_slot("course_id"):
        kb = await knowledge()
        course = kb.get_course(tracker.get_slot("course_id"))
        return f"报名「{course.name}」" if course is not None else "报名"
    return {"reading_form": "加入读书团队", "subsidy_form": "申请学历提升补贴", "enroll_form": "报名"}.get(
        form or "", ""
    )


YES_NO_MEMBER = [{"title": "是", "payload": "/affirm"}, {"title": "不是", "payload": "/deny"}]


class ActionAskWorkerPhone(StaticAskAction):
    slot = "worker_phone"
    text = "请输入您的手机号（11位），方便工作人员联系您："
    edit_text = "请输入新的手机号（11位）："


class ActionAskWorkerEmployer(StaticAskAction):
    slot = "worker_employer"
    text = "您在哪个单位工作？请输入单位名称，例如“宁波XX有限公司”："
    edit_text = "请输入新的工作单位名称："


class ActionAskWorkerDistrict(StaticAskAction):
    slot = "worker_district"
    text = "您的单位在哪个区（县、市）？"
    edit_text = "您的单位现在在哪个区（县、市）？"
    buttons = [replies.button(d, "inform", district=d) for d in DISTRICTS]


class ActionAskWorkerUnionMember(StaticAskAction):
    slot = "worker_union_member"
    text = "您是工会会员吗？"
    edit_text = "您现在是工会会员吗？"
    buttons = YES_NO_MEMBER


class ActionAskSchool(StaticAskAction):
    slot = "school"
    text = "毕业学校是？请输入全称，例如“宁波开放大学”："


class ActionAskProgramme(StaticAskAction):
    slot = "programme"
    text = "所学专业是？可以加上层次，例如“机电一体化技术（大专）”："


class ActionAskGraduationDate(StaticAskAction):
    slot = "graduation_date"
    text = "哪年哪月毕业的？例如“2024年6月”："


class ActionAskCertificateNo(StaticAskAction):
    slot = "certificate_no"
    text = "请输入毕业证书编号（证书上的编号，一般是18位数字）："


class ActionAskModelWorkerClass(StaticAskAction):
    slot = "model_worker_class"
    text = "您读的是劳模先进班吗？（劳模先进班由市县两级工会提供全额学费补贴）"
    buttons = YES_NO_MEMBER


class ActionAskFormHelp(StaticAskAction):
    """After three wrong answers to one question. 转人工 is /affirm, which this question
    does not extract: the form rejects it and a rule runs action_handoff inside the form."""

    slot = "form_help"
    text = "这一项好像不太好填 🙏 需要请工会工作人员帮您办理吗？"
    buttons = [
        {"title": "转人工", "payload": "/affirm"},
        {"title": "再试一次", "payload": "/deny"},
        {"title": "算了", "payload": "/stop"},
    ]


class ActionAskWorkerName(AskAction):
    slot = "worker_name"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        if tracker.get_slot("profile_field") == "worker_name":
            text = "请输入新的姓名："
        elif not tracker.get_slot(WORKER_REGISTERED) and not _failures(tracker, self.slot):
            purpose = await form_purpose(tracker)
            first = f"{purpose}需要先登记" if purpose else "第一次办理需要登记"
            text = f"{first}几项基本信息（只需登记一次），说“算了”可以随时退出。\n请问您的姓名是？"
        else:
            text = "请问您的姓名是？"
        dispatcher.utter_message(text=text)


class ActionAskCourseId(AskAction):
    slot = "course_id"
    fallback_text = "您想报名哪门课程？请输入课程名称，例如“PLC编程”。"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        kb = await knowledge()
        choices = [kb.get_course(c) for c in tracker.get_slot(COURSE_CHOICES) or []]
        courses = [c for c in choices if c is not None and c.enrollable]
        if courses:
            text = "请点选要报名的课程："
        else:
            courses = enrollable_courses(kb)
            text = "您想报名哪门课程？请点选，也可以直接输入课程名称："
        dispatcher.utter_message(text=text, buttons=[enroll_button(c) for c in courses] + [STOP_BUTTON])


class ActionAskProfileConfirmed(AskAction):
    slot = "profile_confirmed"
    fallback_text = "您的信息对吗？"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        profile = Profile.from_slots(tracker)
        if tracker.get_slot(WORKER_REGISTERED) and tracker.get_slot("profile_field") is None:
            purpose = await form_purpose(tracker)
            text = f"{purpose + '：' if purpose else ''}您是{profile.summary()}吗？"
        else:
            text = f"请确认您的信息：{profile.summary()}，对吗？"
        dispatcher.utter_message(text=text, buttons=YES_NO_BUTTONS)


FIELD_BUTTONS = [
    text_button("姓名", "姓名"),
    text_button("手机号", "手机号"),
    text_button("工作单位", "工作单位"),
    text_button("所在区", "所在区"),
    text_button("会员身份", "会员身份"),
    {"title": "不用改了", "payload": "/affirm"},
]


class ActionAskProfileField(AskAction):
    slot = "profile_field"
    fallback_text = "要修改哪一项？姓名、手机号、工作单位、所在区还是会员身份？"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        profile = Profile.from_slots(tracker)
        dispatcher.utter_message(
            text=f"您现在登记的信息：{profile.summary()}\n要修改哪一项？",
            buttons=FIELD_BUTTONS,
        )


class ActionAskEnrollConfirmed(AskAction):
    slot = "enroll_confirmed"
    fallback_text = "确认报名吗？"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        kb = await knowledge()
        course = kb.get_course(tracker.get_slot("course_id") or "")
        if course is None:
            dispatcher.utter_message(text=self.fallback_text, buttons=self._buttons(False))
            return
        summary = await registry_call(get_course_summary, course.id)
        enrolled = summary.enrolled if summary else 0
        waiting = summary.waitlisted if summary else 0
        who = f"报名人：{Profile.from_slots(tracker).summary()}"
        if course.capacity is not None and enrolled >= course.capacity:
            text = lines(
                [
                    f"「{course.name}」的{course.capacity}个名额已经报满了 😥",
                    f"可以排候补：现在有{waiting}人在候补，您会是第{waiting + 1}位。"
                    "有人取消时按顺序递补，递补成功会通知您。",
                    who,
                    "要排候补吗？",
                ]
            )
            full = True
        else:
            seats = f"（还剩{course.capacity - enrolled}个名额）" if course.capacity is not None else ""
            text = lines([f"确认报名「{course.name}」吗？{seats}", who])
            full = False
        dispatcher.utter_message(text=text, buttons=self._buttons(full))

    @staticmethod
    def _buttons(full: bool) -> list[replies.Button]:
        yes = {"title": "排候补" if full else "确认报名", "payload": "/affirm"}
        return [yes, EDIT_BUTTON, STOP_BUTTON]


class ActionAskTeamKind(AskAction):
    slot = "team_kind"
    fallback_text = "按单位还是按地区加入读书团队？"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        profile = Profile.from_slots(tracker)
        buttons = []
        if profile.employer:
            buttons.append(text_button(f"单位：{profile.employer}读书会", "单位读书会"))
        if profile.district:
            buttons.append(text_button(f"地区：{profile.district}职工读书会", "地区读书会"))
        dispatcher.utter_message(
            text="您想加入哪个读书团队？可以按单位加入，也可以按所在地区加入：",
            buttons=buttons + [STOP_BUTTON],
        )


class ActionAskSubsidyConfirmed(AskAction):
    slot = "subsidy_confirmed"
    fallback_text = "确认提交补贴申请吗？"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        profile = Profile.from_slots(tracker)
        date = tracker.get_slot("graduation_date") or ""
        shown_date = f"{date[:4]}年{int(date[5:7])}月" if len(date) == 7 else date
        text = lines(
            [
                "请核对您的学历提升补贴申请：",
                f"申请人：{profile.summary()}",
                f"毕业学校：{tracker.get_slot('school')}",
                f"专业：{tracker.get_slot('programme')}",
                f"毕业时间：{shown_date}",
                f"证书编号：{mask_certificate(tracker.get_slot('certificate_no') or '')}",
                f"劳模先进班：{'是' if tracker.get_slot('model_worker_class') else '否'}",
                "确认提交吗？",
            ]
        )
        dispatcher.utter_message(
            text=text,
            buttons=[{"title": "确认提交", "payload": "/affirm"}, EDIT_BUTTON, STOP_BUTTON],
        )


class ActionAskCancelTarget(AskAction):
    slot = "cancel_target"
    fallback_text = "您要取消哪一项？"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        records = await registry_call(list_records, tracker.sender_id)
        options = record_options(records)
        allowed = tracker.get_slot(RECORD_CHOICES)
        if allowed:
            options = [o for o in options if o.key in allowed]
        dispatcher.utter_message(
            text="您要取消哪一项？",
            buttons=[replies.button(o.button_title, "cancel_record", record=o.key) for o in options]
            + [{"title": "都不取消", "payload": "/stop"}],
        )


class ActionAskCancelConfirmed(AskAction):
    slot = "cancel_confirmed"
    fallback_text = "确认取消吗？"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        key = tracker.get_slot("cancel_target")
        records = await registry_call(list_records, tracker.sender_id)
        option = next((o for o in record_options(records) if o.key == key), None)
        if option is None:
            text = self.fallback_text
        elif option.kind == "enrollment":
            text = f"确认取消{option.label}吗？取消后名额会让给候补的职工。"
        elif option.kind == "team":
            text = f"确认退出{option.label}吗？"
        else:
            text = f"确认撤回{option.label}吗？撤回后如需补贴要重新申请。"
        dispatcher.utter_message(
            text=text,
            buttons=[{"title": "确认取消", "payload": "/affirm"}, {"title": "不取消", "payload": "/deny"}],
        )


class ActionAskDeleteConfirmed(AskAction):
    slot = "delete_confirmed"
    fallback_text = "确认删除您的全部个人数据吗？删除后无法恢复。"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        records = await registry_call(list_records, tracker.sender_id)
        active = [e for e in records.enrollments if e.status in ("enrolled", "waitlisted")]
        items: list[str] = []
        if records.worker is not None:
            items.append("· 个人资料（姓名、手机号、单位、所在区、会员身份）")
        if active:
            items.append(f"· {len(active)}条报名（会被取消，名额让给候补的职工）")
        if records.teams:
            items.append(f"· {len(records.teams)}个读书团队的成员身份")
        if records.applications:
            items.append(f"· {len(records.applications)}份补贴申请里的个人信息（审核中的会撤回）")
        text = lines(
            [
                "确认删除您的全部个人数据吗？将删除：",
                *items,
                "删除后无法恢复。报名号、申请号和匿名统计数字会保留，但不再能对应到您。",
            ]
        )
        dispatcher.utter_message(
            text=text,
            buttons=[{"title": "确认删除", "payload": "/affirm"}, {"title": "不删了", "payload": "/deny"}],
        )
