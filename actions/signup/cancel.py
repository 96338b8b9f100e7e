"""取消: cancel an enrollment, leave a reading team or withdraw a pending application.

``cancel_form`` asks which of the worker's own records (the first message or a 我的报名
button often says it already), then "确认取消…吗？". Only records of this ``sender_id``
are ever offered or accepted, whatever a typed payload says; the registry checks
ownership again when cancelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.signup.base import (
    FORM_OUTCOME,
    OUTCOME_ABORT,
    AskAction,
    FormSpec,
    SignupFormValidationAction,
    Slots,
    StartFormAction,
    SubmitFormAction,
    confirmation_validator,
    register,
)
from actions.signup.parsing import (
    clean_text,
    course_from_text,
    first_entity,
    is_payload,
    latest_text,
    record_in_message,
    record_key,
    resolve_course,
)
from actions.stores import knowledge, registry_call
from common import replies, texts
from registry import WorkerRecords, cancel_application, cancel_enrollment, leave_reading_team, list_records

#: The worker's record keys offered as buttons.
RECORD_CHOICES = "record_choices"

CANCEL_FORM = register(
    FormSpec(
        "cancel_form",
        ("cancel_target", "cancel_confirmed"),
        working_slots=(RECORD_CHOICES,),
        confirmation="cancel_confirmed",
        cancel_confirms=True,
        intent="cancel_record",
    )
)


@dataclass(frozen=True)
class RecordOption:
    """One thing a worker can cancel: an active enrollment, a team, a pending application."""

    key: str  # BM2026-000001 | BT2026-000001 | district:海曙区 | employer:宁波XX公司
    kind: str  # "enrollment" | "team" | "application"
    label: str  # 「PLC编程」的报名（BM2026-000001）
    button_title: str  # 取消 PLC编程
    course_id: str | None = None


def record_options(records: WorkerRecords) -> list[RecordOption]:
    options = [
        RecordOption(
            key=e.enrollment_no,
            kind="enrollment",
            label=texts.RECORD_ENROLLMENT.format(
                course=e.course_name, kind=texts.RECORD_ENROLLMENT_KIND[e.status], number=e.enrollment_no
            ),
            button_title=texts.RECORD_CANCEL_ENROLLMENT.format(course=e.course_name),
            course_id=e.course_id,
        )
        for e in records.enrollments
        if e.status in ("enrolled", "waitlisted")
    ]
    options += [
        RecordOption(
            key=m.team.team_id,
            kind="team",
            label=texts.RECORD_TEAM.format(team=m.team.display_name),
            button_title=texts.RECORD_LEAVE_TEAM.format(team=m.team.display_name),
        )
        for m in records.teams
    ]
    options += [
        RecordOption(
            key=a.application_no,
            kind="application",
            label=texts.RECORD_APPLICATION.format(number=a.application_no),
            button_title=texts.RECORD_WITHDRAW_APPLICATION.format(number=a.application_no),
        )
        for a in records.applications
        if a.status == "pending"
    ]
    return options


def cancel_button(option: RecordOption) -> replies.Button:
    return replies.button(option.button_title, "cancel_record", record=option.key)


async def my_options(tracker: Tracker) -> list[RecordOption]:
    """What this worker can cancel right now."""
    return record_options(await registry_call(list_records, tracker.sender_id))


# ---------------------------------------------------------------- starting


class ActionStartCancel(StartFormAction):
    """取消: find the worker's own record the message means, or offer their records."""

    def name(self) -> str:
        return "action_start_cancel"

    async def prepare(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        options = await my_options(tracker)
        key = record_in_message(tracker)
        if key is not None:
            chosen = next((o for o in options if o.key == key), None)
            if chosen is None:
                return self._abort(dispatcher, texts.CANCEL_NOT_YOURS)
            return [SlotSet("cancel_target", chosen.key)]

        candidates, course_name = await self._candidates(tracker, latest_text(tracker), options)
        if course_name is not None:  # a course the worker is not enrolled in
            return self._abort(dispatcher, texts.CANCEL_NOT_ENROLLED.format(course=course_name))
        if not candidates:
            return self._abort(dispatcher, texts.CANCEL_NOTHING, texts.NOTHING_YET_BUTTONS)
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
        if mention or (text and not is_payload(text)):
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
        dispatcher: CollectingDispatcher, text: str, buttons: tuple[replies.Button, ...] = (texts.MY_RECORDS_BUTTON,)
    ) -> list[EventType]:
        dispatcher.utter_message(text=text, buttons=replies.buttons(buttons))
        return [SlotSet(FORM_OUTCOME, OUTCOME_ABORT)]


# ---------------------------------------------------------------- the questions


class ActionAskCancelTarget(AskAction):
    slot = "cancel_target"
    fallback_text = texts.CANCEL_WHICH

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        options = await my_options(tracker)
        allowed = tracker.get_slot(RECORD_CHOICES)
        if allowed:
            options = [o for o in options if o.key in allowed]
        dispatcher.utter_message(
            text=texts.CANCEL_WHICH,
            buttons=[*(cancel_button(o) for o in options), dict(texts.CANCEL_NONE_BUTTON)],
        )


class ActionAskCancelConfirmed(AskAction):
    slot = "cancel_confirmed"
    fallback_text = texts.CANCEL_CONFIRM_FALLBACK

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        key = tracker.get_slot("cancel_target")
        option = next((o for o in await my_options(tracker) if o.key == key), None)
        text = self.fallback_text if option is None else texts.CANCEL_CONFIRM[option.kind].format(record=option.label)
        dispatcher.utter_message(text=text, buttons=replies.buttons(texts.CANCEL_CONFIRM_BUTTONS))


# ---------------------------------------------------------------- validating


class ValidateCancelForm(SignupFormValidationAction):
    """``cancel_form``: which of the worker's own records, then "确认取消？"."""

    def name(self) -> str:
        return "validate_cancel_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return list(CANCEL_FORM.questions)

    async def validate_cancel_target(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        options = await my_options(tracker)
        allowed = tracker.get_slot(RECORD_CHOICES) or [o.key for o in options]
        candidates = [o for o in options if o.key in allowed]
        key = record_key(value)
        if key is not None:
            chosen = next((o for o in candidates if o.key == key), None)
            if chosen is None:
                # Never say whose it is: someone else's number looks like an unknown one.
                return self.reject("cancel_target", dispatcher, texts.CANCEL_NOT_YOURS)
        else:
            text = clean_text(value)
            course = resolve_course(await knowledge(), text).course
            chosen = next((o for o in candidates if course is not None and o.course_id == course.id), None)
            if chosen is None:
                chosen = next((o for o in candidates if text and (text in o.label or text in o.button_title)), None)
        if chosen is None:
            return self.reject("cancel_target", dispatcher, texts.CANCEL_PICK)
        return {"cancel_target": chosen.key, RECORD_CHOICES: None}

    validate_cancel_confirmed = confirmation_validator("cancel_confirmed")


# ---------------------------------------------------------------- saving


class ActionSubmitCancel(SubmitFormAction):
    form = CANCEL_FORM

    def name(self) -> str:
        return "action_submit_cancel"

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        key = tracker.get_slot("cancel_target") or ""
        if key.startswith(("district:", "employer:")):
            text = await self._leave_team(tracker.sender_id, key)
        elif key.startswith("BT"):
            text = await self._withdraw(tracker.sender_id, key)
        else:
            text = await self._cancel_enrollment(tracker.sender_id, key)
        dispatcher.utter_message(text=text, buttons=replies.buttons([texts.MY_RECORDS_BUTTON]))
        return []

    @staticmethod
    async def _leave_team(sender: str, key: str) -> str:
        result = await registry_call(leave_reading_team, sender, key)
        if result.status == "left" and result.team is not None:
            return texts.CANCEL_LEFT_TEAM.format(team=result.team.display_name)
        return texts.CANCEL_NOT_IN_TEAM

    @staticmethod
    async def _withdraw(sender: str, key: str) -> str:
        outcome = await registry_call(cancel_application, sender, key)
        if outcome.status == "cancelled":
            return texts.CANCEL_WITHDRAWN.format(number=key)
        if outcome.status == "not_allowed" and outcome.application is not None:
            return texts.CANCEL_ALREADY_DECIDED.format(number=key, status=outcome.application.status_label)
        if outcome.status == "already_cancelled":
            return texts.CANCEL_ALREADY_WITHDRAWN.format(number=key)
        return texts.CANCEL_NO_SUCH_APPLICATION

    @staticmethod
    async def _cancel_enrollment(sender: str, key: str) -> str:
        cancel = await registry_call(cancel_enrollment, sender, key)
        if cancel.status == "cancelled" and cancel.enrollment is not None:
            text = texts.CANCEL_ENROLLMENT_DONE.format(course=cancel.enrollment.course_name, number=key)
            return text + texts.CANCEL_SEAT_PASSED_ON if cancel.promoted else text
        if cancel.status == "already_cancelled":
            return texts.CANCEL_ALREADY_CANCELLED.format(number=key)
        return texts.CANCEL_NO_SUCH_ENROLLMENT
