"""Actions of the sign-up conversations: start a form, save what it collected, leave it,
and show a worker their own records.

Every form runs the same way (rules in nlu_data/rules/forms.yml)::

    intent → action_start_<x> → <x>_form … → action_submit_<x>

``action_start_<x>`` forgets the slots of any earlier form, recognises a returning worker
by ``sender_id`` (their stored profile fills the profile slots, so they only confirm it)
and does what the first message already says (the course mentioned, the record to
cancel). ``action_submit_<x>`` writes to the registry only when the form ended with the
worker's "yes"; a form ended early (``form_outcome``) saves nothing. Registry calls are
synchronous and run in a worker thread, each on its own connection.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlite_utils import Database

from actions import logging_setup
from actions.records_support import (
    CANCELLED_TEXT,
    DEFAULT_CANCELLED_TEXT,
    FORM_OUTCOME,
    OUTCOME_ABORT,
    OUTCOME_CANCELLED,
    PURGE_SLOT,
    RECORD_CHOICES,
    REQUESTED_SLOT,
    WORKER_REGISTERED,
    Profile,
    RecordOption,
    cancel_button,
    course_from_text,
    enrollment_state,
    first_entity,
    knowledge,
    latest_text,
    lines,
    record_key,
    record_options,
    registry_call,
    reset_events,
    resolve_course,
    say_technical_problem,
)
from common.privacy import mask_certificate, mask_phone
from registry import (
    Worker,
    cancel_application,
    cancel_enrollment,
    create_application,
    delete_worker_data,
    district_team,
    employer_team,
    enroll,
    get_application,
    get_applications,
    get_worker,
    join_reading_team,
    leave_reading_team,
    list_records,
    normalize_district,
    save_worker,
)

logger = logging.getLogger(__name__)

NOTHING_STORED_TEXT = "我们没有保存您的任何登记信息（个人资料、报名、申请都没有）。您在这里发过的对话内容也已删除 🙂"
MY_RECORDS_BUTTON = {"title": "我的报名", "payload": "/my_records"}
COURSES_BUTTON = {"title": "看看其他课程", "payload": "/ask_course_list"}
HUMAN_BUTTON = {"title": "转人工", "payload": "/request_human"}
NOTHING_YET_BUTTONS = [
    {"title": "课程培训", "payload": "/ask_course_list"},
    {"title": "加入读书团队", "payload": "/join_reading_team"},
    {"title": "申请学历补贴", "payload": "/apply_subsidy"},
]


def save_profile(db: Database, sender_id: str, profile: Profile) -> tuple[Worker, bool]:
    """Store the confirmed profile if it is new or changed; ``(worker, changed)``."""
    current = get_worker(db, sender_id)
    if current is not None and profile.same_as(current):
        return current, False
    worker = save_worker(
        db,
        sender_id,
        name=profile.name or "",
        phone=profile.phone or "",
        employer=profile.employer,
        district=profile.district,
        union_member=bool(profile.union_member),
    )
    return worker, True


def _day(stamp: str | None) -> str:
    return stamp[:10] if stamp else ""


# ---------------------------------------------------------------- starting a form


class StartFormAction(Action, ABC):
    """Forget old form slots, prefill the profile of a returning worker, then ``prepare``."""

    needs_profile = True

    @abstractmethod
    def name(self) -> str:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        logging_setup.install()
        events: list[EventType] = list(reset_events())
        try:
            worker = None
            if self.needs_profile:
                worker = await registry_call(get_worker, tracker.sender_id)
                events.append(SlotSet(WORKER_REGISTERED, worker is not None))
                if worker is not None:
                    events.extend(Profile.from_worker(worker).slot_events())
            events.extend(await self.prepare(dispatcher, tracker, domain, worker))
        except Exception:
            logger.exception("%s failed", self.name())
            say_technical_problem(dispatcher)
            events.append(SlotSet(FORM_OUTCOME, OUTCOME_ABORT))
        return events

    async def prepare(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        worker: Worker | None,
    ) -> list[EventType]:
        return []


class ActionStartProfile(StartFormAction):
    """修改我的信息: a registered worker chooses the field to change; a new one registers."""

    def name(self) -> str:
        return "action_start_profile"

    async def prepare(self, dispatcher, tracker, domain, worker):  # type: ignore[override]
        if worker is None:
            return []
        district = normalize_district(first_entity(tracker, "district") or "")
        if district and district != worker.district:
            # "所在区改成北仑区": take it, and ask to confirm the changed profile.
            return [
                SlotSet("worker_district", district),
                SlotSet("profile_field", "worker_district"),
                SlotSet("profile_confirmed", None),
            ]
        return [SlotSet("profile_confirmed", "edit")]


class ActionStartEnrollment(StartFormAction):
    """报名: the course named in the message (or button) is resolved by the form."""

    def name(self) -> str:
        return "action_start_enrollment"

    async def prepare(self, dispatcher, tracker, domain, worker):  # type: ignore[override]
        mention = first_entity(tracker, "course")
        if not mention:
            course = course_from_text(await knowledge(), latest_text(tracker))
            mention = course.id if course else None
        return [SlotSet("course_id", mention)] if mention else []


class ActionStartReading(StartFormAction):
    def name(self) -> str:
        return "action_start_reading"


class ActionStartSubsidy(StartFormAction):
    def name(self) -> str:
        return "action_start_subsidy"

    async def prepare(self, dispatcher, tracker, domain, worker):  # type: ignore[override]
        dispatcher.utter_message(
            text="申请学历提升补贴需要毕业证书：我会依次问毕业学校、专业、毕业时间和证书编号，"
            "大约两分钟。说“算了”可以随时退出。"
        )
        return []


class ActionStartCancel(StartFormAction):
    """取消: find the worker's own record the message means, or offer their records."""

    needs_profile = False

    def name(self) -> str:
        return "action_start_cancel"

    async def prepare(self, dispatcher, tracker, domain, worker):  # type: ignore[override]
        records = await registry_call(list_records, tracker.sender_id)
        options = record_options(records)
        text = latest_text(tracker)
        key = record_key(first_entity(tracker, "record") or "") or (None if text.startswith("/") else record_key(text))
        if key is not None:
            chosen = next((o for o in options if o.key == key), None)
            if chosen is None:
                return self._abort(dispatcher, "没有在您的记录里找到这一条（可能已经取消了）。")
            return [SlotSet("cancel_target", chosen.key)]

        candidates, course_name = await self._candidates(tracker, text, options)
        if course_name is not None:  # a course the worker is not enrolled in
            return self._abort(dispatcher, f"您没有报名「{course_name}」，不需要取消。")
        if not candidates:
            return self._abort(
                dispatcher,
                "您目前没有可以取消的报名、读书团队或审核中的补贴申请。",
                NOTHING_YET_BUTTONS,
            )
        if len(candidates) == 1:
            return [SlotSet("cancel_target", candidates[0].key)]
        return [SlotSet(RECORD_CHOICES, [o.key for o in candidates])]

    @staticmethod
    async def _candidates(
        tracker: Tracker, text: str, options: list[RecordOption]
    ) -> tuple[list[RecordOption], str | None]:
        """The records the message can mean; with the course name if it names a course
        the worker is not enrolled in."""
        mention = first_entity(tracker, "course")
        if mention or (text and not text.startswith("/")):
            kb = await knowledge()
            course = resolve_course(kb, mention).course if mention else course_from_text(kb, text)
            if course is not None:
                mine = [o for o in options if o.course_id == course.id]
                return mine, (None if mine else course.name)
        if "读书" in text:
            return [o for o in options if o.kind == "team"], None
        if any(word in text for word in ("补贴", "补助", "申请")):
            return [o for o in options if o.kind == "application"], None
        if any(word in text for word in ("报名", "课", "班", "培训")):
            return [o for o in options if o.kind == "enrollment"] or options, None
        return options, None

    @staticmethod
    def _abort(
        dispatcher: CollectingDispatcher,
        text: str,
        buttons: list[dict[str, str]] | None = None,
    ) -> list[EventType]:
        dispatcher.utter_message(text=text, buttons=buttons or [MY_RECORDS_BUTTON])
        return [SlotSet(FORM_OUTCOME, OUTCOME_ABORT)]


class ActionStartDelete(StartFormAction):
    needs_profile = False

    def name(self) -> str:
        return "action_start_delete"

    async def prepare(self, dispatcher, tracker, domain, worker):  # type: ignore[override]
        records = await registry_call(list_records, tracker.sender_id)
        if records.empty:
            # Nothing in the registry, but what the worker typed is still in the
            # conversation (e.g. a phone number in a form they left): forget that too.
            dispatcher.utter_message(text=NOTHING_STORED_TEXT)
            return [SlotSet(FORM_OUTCOME, OUTCOME_ABORT), SlotSet(PURGE_SLOT, True)]
        return []


# ---------------------------------------------------------------- leaving a form


#: Forms whose final question asks "确认取消…吗？": a typed 取消 there is the answer "yes",
#: although the NLU hears it as stop (算了/取消) like everywhere else.
STOP_MEANS_YES = {"cancel_form": "cancel_confirmed"}
_CONFIRMING_CANCEL = re.compile(r"^(确认|确定|是的?|对|要|我要)?取消(吧|报名|掉|掉吧|它)?[。.!！~～]*$")


class ActionCancelForm(Action):
    """算了 / 取消 inside any sign-up form: leave it, say nothing was saved."""

    def name(self) -> str:
        return "action_cancel_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        form = tracker.active_loop_name or ""
        confirm_slot = STOP_MEANS_YES.get(form)
        text = (tracker.latest_message.get("text") or "").strip()
        if confirm_slot and tracker.get_slot(REQUESTED_SLOT) == confirm_slot and _CONFIRMING_CANCEL.match(text):
            # The form goes on with the answer set; its validation and submit run as for "确认取消".
            return [SlotSet(confirm_slot, True), FollowupAction(form)]
        dispatcher.utter_message(text=CANCELLED_TEXT.get(form, DEFAULT_CANCELLED_TEXT))
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), *reset_events()]


class ActionCloseForm(Action):
    """Leave the active form without a word: a person takes over (hand-off rules)."""

    def name(self) -> str:
        return "action_close_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), *reset_events()]


# ---------------------------------------------------------------- saving what a form collected


class SubmitFormAction(Action, ABC):
    """Runs when a form is done. Saves only after the worker's final "yes"."""

    form = ""
    confirm_slot: str | None = None

    @abstractmethod
    def name(self) -> str:
        raise NotImplementedError

    @abstractmethod
    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType] | None:
        """Write to the registry and tell the worker the result (events to add, if any)."""

    def confirmed(self, tracker: Tracker) -> bool:
        return self.confirm_slot is None or tracker.get_slot(self.confirm_slot) is True

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        logging_setup.install()
        outcome = tracker.get_slot(FORM_OUTCOME)
        extra: list[EventType] = []
        try:
            if outcome == OUTCOME_ABORT:
                pass  # the reason was said when the form ended
            elif outcome == OUTCOME_CANCELLED or not self.confirmed(tracker):
                dispatcher.utter_message(text=CANCELLED_TEXT.get(self.form, DEFAULT_CANCELLED_TEXT))
            else:
                extra = list(await self.submit(dispatcher, tracker, domain) or [])
        except Exception:
            logger.exception("%s failed", self.name())
            say_technical_problem(dispatcher)
        return [*reset_events(), *extra]


class ActionSubmitProfile(SubmitFormAction):
    form = "profile_form"

    def name(self) -> str:
        return "action_submit_profile"

    def confirmed(self, tracker: Tracker) -> bool:
        return tracker.get_slot("profile_confirmed") == "yes"

    async def submit(self, dispatcher, tracker, domain):  # type: ignore[override]
        profile = Profile.from_slots(tracker)
        worker, changed = await registry_call(save_profile, tracker.sender_id, profile)
        summary = Profile.from_worker(worker).summary()
        text = f"已保存 ✅ 您的信息：{summary}" if changed else f"好的，您的信息没有变化：{summary}"
        dispatcher.utter_message(
            text=text,
            buttons=[MY_RECORDS_BUTTON, {"title": "课程培训", "payload": "/ask_course_list"}],
        )


class ActionSubmitEnrollment(SubmitFormAction):
    form = "enroll_form"
    confirm_slot = "enroll_confirmed"

    def name(self) -> str:
        return "action_submit_enrollment"

    async def submit(self, dispatcher, tracker, domain):  # type: ignore[override]
        kb = await knowledge()
        course = kb.get_course(tracker.get_slot("course_id") or "")
        if course is None or not course.enrollable:
            dispatcher.utter_message(text="抱歉，这门课程刚刚停止报名了，没有为您报名。", buttons=[COURSES_BUTTON])
            return
        profile = Profile.from_slots(tracker)

        def work(db: Database) -> Any:
            save_profile(db, tracker.sender_id, profile)
            return enroll(db, tracker.sender_id, course.id, course.name, capacity=course.capacity)

        result = await registry_call(work)
        enrollment = result.enrollment
        if result.status == "enrolled" and enrollment is not None:
            text = lines(
                [
                    "报名成功 ✅",
                    f"课程：{course.name}",
                    f"报名号：{enrollment.enrollment_no}",
                    f"开课前工作人员会通过 {mask_phone(profile.phone)} 联系您。" if profile.phone else "",
                    "不能参加时，发“我的报名”就可以取消。",
                ]
            )
        elif result.status == "waitlisted" and enrollment is not None:
            text = lines(
                [
                    "已为您排上候补 ⏳",
                    f"课程：{course.name}（名额已满）",
                    f"候补号：{enrollment.enrollment_no}，目前排第{enrollment.waitlist_position}位。",
                    "有人取消时按顺序递补，递补成功会通知您。",
                ]
            )
        elif result.status == "already" and enrollment is not None:
            text = (
                f"您已经报名了「{course.name}」（报名号 {enrollment.enrollment_no}，"
                f"{enrollment_state(enrollment)}），不用重复报名 🙂"
            )
        else:
            raise RuntimeError(f"unexpected enrollment result {result.status}")
        dispatcher.utter_message(text=text, buttons=[MY_RECORDS_BUTTON, COURSES_BUTTON])


class ActionSubmitReading(SubmitFormAction):
    form = "reading_form"
    confirm_slot = None

    def name(self) -> str:
        return "action_submit_reading"

    def confirmed(self, tracker: Tracker) -> bool:
        return tracker.get_slot("team_kind") in ("employer", "district")

    async def submit(self, dispatcher, tracker, domain):  # type: ignore[override]
        profile = Profile.from_slots(tracker)
        if tracker.get_slot("team_kind") == "employer":
            team = employer_team(profile.employer or "")
        else:
            team = district_team(profile.district or "")

        def work(db: Database) -> Any:
            save_profile(db, tracker.sender_id, profile)
            return join_reading_team(db, tracker.sender_id, team.team_id)

        result = await registry_call(work)
        name = result.team.display_name if result.team else team.display_name
        if result.status == "joined":
            head = f"已加入「{name}」✅ 团队负责人会联系您参加活动。"
        elif result.status == "already":
            head = f"您已经是「{name}」的成员了 🙂"
        else:
            raise RuntimeError(f"unexpected team result {result.status}")
        kb = await knowledge()
        book = kb.monthly_book()
        book_text = f"📖 {book.answer}" if book is not None else ""
        dispatcher.utter_message(
            text=lines([head, book_text]),
            buttons=[MY_RECORDS_BUTTON, {"title": "读书活动", "payload": "/ask_reading"}],
        )


class ActionSubmitSubsidy(SubmitFormAction):
    form = "subsidy_form"
    confirm_slot = "subsidy_confirmed"

    def name(self) -> str:
        return "action_submit_subsidy"

    async def submit(self, dispatcher, tracker, domain):  # type: ignore[override]
        profile = Profile.from_slots(tracker)
        slot = tracker.get_slot

        def work(db: Database) -> Any:
            save_profile(db, tracker.sender_id, profile)
            return create_application(
                db,
                tracker.sender_id,
                name=profile.name or "",
                phone=profile.phone or "",
                school=slot("school"),
                programme=slot("programme"),
                graduation_date=slot("graduation_date"),
                certificate_no=slot("certificate_no"),
                model_worker_class=bool(slot("model_worker_class")),
            )

        result = await registry_call(work)
        application = result.application
        if result.status == "created" and application is not None:
            text = lines(
                [
                    "补贴申请已提交 ✅",
                    f"申请号：{application.application_no}",
                    "状态：审核中",
                    f"工作人员会核对您的毕业证书（编号 {application.masked_certificate}），"
                    "审核结果发“我的申请”就能查到。",
                ]
            )
            buttons = [{"title": "我的申请", "payload": "/check_application"}]
        elif result.status == "duplicate" and application is not None:
            text = (
                f"这本证书（编号 {application.masked_certificate}）已经有一份申请 "
                f"{application.application_no}（{application.status_label}），不用重复申请 🙂"
            )
            buttons = [{"title": "我的申请", "payload": "/check_application"}]
        else:
            raise RuntimeError(f"unexpected application result {result.status}")
        dispatcher.utter_message(text=text, buttons=buttons)


class ActionSubmitCancel(SubmitFormAction):
    form = "cancel_form"
    confirm_slot = "cancel_confirmed"

    def name(self) -> str:
        return "action_submit_cancel"

    async def submit(self, dispatcher, tracker, domain):  # type: ignore[override]
        key = tracker.get_slot("cancel_target") or ""
        sender = tracker.sender_id
        if key.startswith(("district:", "employer:")):
            result = await registry_call(leave_reading_team, sender, key)
            if result.status == "left" and result.team is not None:
                text = f"已退出读书团队「{result.team.display_name}」。想再加入随时告诉我。"
            else:
                text = "您已经不在这个读书团队里了。"
        elif key.startswith("BT"):
            outcome = await registry_call(cancel_application, sender, key)
            if outcome.status == "cancelled":
                text = f"已撤回补贴申请 {key}。需要时可以重新申请。"
            elif outcome.status == "not_allowed" and outcome.application is not None:
                text = (
                    f"补贴申请 {key} 已经审核完成（{outcome.application.status_label}），不能撤回。如有疑问请转人工。"
                )
            elif outcome.status == "already_cancelled":
                text = f"补贴申请 {key} 已经撤回过了。"
            else:
                text = "没有在您的记录里找到这份申请。"
        else:
            cancel = await registry_call(cancel_enrollment, sender, key)
            if cancel.status == "cancelled" and cancel.enrollment is not None:
                text = f"已取消「{cancel.enrollment.course_name}」的报名（{key}）。"
                if cancel.promoted:
                    text += "名额已按顺序递补给候补的职工。"
            elif cancel.status == "already_cancelled":
                text = f"报名 {key} 已经取消过了。"
            else:
                text = "没有在您的记录里找到这条报名。"
        dispatcher.utter_message(text=text, buttons=[MY_RECORDS_BUTTON])


class ActionSubmitDelete(SubmitFormAction):
    form = "delete_form"
    confirm_slot = "delete_confirmed"

    def name(self) -> str:
        return "action_submit_delete"

    async def submit(self, dispatcher, tracker, domain):  # type: ignore[override]
        result = await registry_call(delete_worker_data, tracker.sender_id)
        details = []
        if result.deleted_profile:
            details.append("个人资料")
        if result.enrollments_anonymized:
            details.append(f"{result.enrollments_anonymized}条报名记录")
        if result.teams_left:
            details.append(f"{result.teams_left}个读书团队")
        if result.applications_anonymized:
            details.append(f"{result.applications_anonymized}份补贴申请里的个人信息")
        deleted = "、".join(details) if details else "全部个人信息"
        dispatcher.utter_message(
            text=f"已删除您的{deleted} ✅ 有效的报名已取消，名额让给了候补的职工。"
            "您在这里发过的对话内容也一并删除了。以后再报名时需要重新登记。"
        )
        # Only now that the registry forgot the worker: the Rasa server's tracker store
        # deletes the conversation (rasa_ext/purge.py).
        return [SlotSet(PURGE_SLOT, True)]


# ---------------------------------------------------------------- showing records


class RegistryViewAction(Action, ABC):
    """Shows the worker something read from the registry; a registry failure becomes the
    technical-problem apology (with 转人工) and a log line, never a silent turn."""

    @abstractmethod
    def name(self) -> str:
        raise NotImplementedError

    @abstractmethod
    async def show(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Read from the registry and say it."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        logging_setup.install()
        try:
            await self.show(dispatcher, tracker)
        except Exception:
            logger.exception("%s failed", self.name())
            say_technical_problem(dispatcher)
        return []


class ActionMyRecords(RegistryViewAction):
    """我的报名: enrollments (with waiting-list places), teams, applications — each with
    a cancel button that starts the cancel form (which confirms first)."""

    def name(self) -> str:
        return "action_my_records"

    async def show(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        records = await registry_call(list_records, tracker.sender_id)
        if not (records.enrollments or records.teams or records.applications):
            dispatcher.utter_message(
                text="您还没有报名课程、加入读书团队或申请补贴。想办哪一项？",
                buttons=NOTHING_YET_BUTTONS,
            )
            return
        parts: list[str] = ["您的记录："]
        if records.enrollments:
            parts.append("📚 课程报名")
            parts += [
                f"· {e.course_name}：{enrollment_state(e)}，报名号 {e.enrollment_no}" for e in records.enrollments
            ]
        if records.teams:
            parts.append("📖 读书团队")
            parts += [f"· {m.team.display_name}（{_day(m.joined_at)} 加入）" for m in records.teams]
        if records.applications:
            parts.append("📝 学历提升补贴申请")
            for a in records.applications:
                parts.append(f"· {a.application_no}：{a.status_label}（{_day(a.created_at)} 提交）")
                if a.staff_note:
                    parts.append(f"  审核意见：{a.staff_note}")
        buttons = [cancel_button(o) for o in record_options(records)][:8]
        if buttons:
            parts.append("要取消哪一项，点下面的按钮（取消前会再确认一次）。")
        dispatcher.utter_message(text=lines(parts), buttons=buttons)


class ActionMyData(RegistryViewAction):
    """我的数据: what is stored about the worker, the phone masked."""

    def name(self) -> str:
        return "action_my_data"

    async def show(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        records = await registry_call(list_records, tracker.sender_id)
        worker = records.worker
        if records.empty:
            dispatcher.utter_message(
                text="我们还没有保存您的任何个人信息。报名课程、加入读书团队或申请补贴时才需要登记。"
            )
            return
        parts = ["我们保存的您的信息："]
        if worker is not None:
            parts += [
                f"姓名：{worker.name}",
                f"手机号：{worker.masked_phone}",
                f"工作单位：{worker.employer or '（未填）'}",
                f"所在区县：{worker.district or '（未填）'}",
                f"工会会员：{'是' if worker.union_member else '否'}",
                f"登记时间：{_day(worker.created_at)}",
            ]
        counts = []
        if records.enrollments:
            counts.append(f"{len(records.enrollments)}条报名")
        if records.teams:
            counts.append(f"{len(records.teams)}个读书团队")
        if records.applications:
            counts.append(f"{len(records.applications)}份补贴申请")
        if counts:
            parts.append("另有" + "、".join(counts) + "（发“我的报名”查看）。")
        parts.append("这些信息只用于工会联系您、办理报名和补贴。")
        dispatcher.utter_message(
            text=lines(parts),
            buttons=[
                {"title": "修改信息", "payload": "/update_profile"},
                MY_RECORDS_BUTTON,
                {"title": "删除我的数据", "payload": "/delete_my_data"},
            ],
        )


class ActionCheckApplication(RegistryViewAction):
    """我的申请: status and staff note of the worker's own subsidy applications."""

    def name(self) -> str:
        return "action_check_application"

    async def show(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        sender = tracker.sender_id
        text = latest_text(tracker)
        number = record_key(first_entity(tracker, "record") or "") or (
            None if text.startswith("/") else record_key(text)
        )
        if number and number.startswith("BT"):
            one = await registry_call(get_application, sender, number)
            applications = [one] if one is not None else []
            if one is None:
                dispatcher.utter_message(text=f"没有在您的记录里找到申请 {number}。")
        else:
            applications = await registry_call(get_applications, sender)
        if not applications:
            dispatcher.utter_message(
                text="您还没有提交过学历提升补贴申请。拿到毕业证后，发“申请学历补贴”就能申请。",
                buttons=[{"title": "申请学历补贴", "payload": "/apply_subsidy"}],
            )
            return
        parts = []
        for a in applications:
            parts += [
                f"📝 {a.application_no}：{a.status_label}（{_day(a.created_at)} 提交）",
                f"  {a.school or ''} {a.programme}，证书编号 {mask_certificate(a.certificate_no or '')}",
            ]
            if a.staff_note:
                parts.append(f"  审核意见：{a.staff_note}")
            elif a.status == "pending":
                parts.append("  工作人员审核后，结果会在这里显示。")
        buttons = [
            {"title": f"撤回申请 {a.application_no}", "payload": f'/cancel_record{{"record":"{a.application_no}"}}'}
            for a in applications
            if a.status == "pending"
        ]
        dispatcher.utter_message(text=lines(parts), buttons=buttons + [HUMAN_BUTTON])
