"""The worker's profile: name, mobile, employer, district, union member.

``profile_form`` (修改我的信息) registers a worker or changes their stored profile; the
enrollment, reading-team and subsidy forms ask the same questions first
(:class:`ProfileFormValidation`, :class:`StartWithProfile`). A returning worker,
recognised by the chat's ``sender_id`` in the registry, only confirms their profile
(是 / 修改 → which field); a new one is asked every field once.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.signup.base import (
    FORM_ASIDE,
    WORKER_REGISTERED,
    AskAction,
    FormSpec,
    SignupFormValidationAction,
    Slots,
    StartFormAction,
    StaticAskAction,
    SubmitFormAction,
    failures_of,
    register,
)
from actions.signup.parsing import (
    clean_employer,
    clean_name,
    clean_phone,
    first_entity,
    is_payload,
    profile_confirmation,
    profile_field_from_text,
)
from actions.stores import knowledge, registry_call
from common import replies, texts
from common.privacy import mask_phone
from registry import (
    DISTRICT_HINT,
    DISTRICTS,
    Database,
    Worker,
    get_worker,
    normalize_district,
    normalize_employer,
    normalize_name,
    normalize_phone,
    save_worker,
)

PROFILE_FIELDS: tuple[str, ...] = (
    "worker_name",
    "worker_phone",
    "worker_employer",
    "worker_district",
    "worker_union_member",
)
#: The profile questions, in the order every form with a profile asks them.
PROFILE_QUESTIONS: tuple[str, ...] = (*PROFILE_FIELDS, "profile_confirmed", "profile_field")

PROFILE_FORM = register(FormSpec("profile_form", PROFILE_QUESTIONS, intent="update_profile"))


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
        parts = [mask_phone(self.phone) if self.phone else "", self.district or "", self.employer or ""]
        if self.union_member is not None:
            parts.append(texts.PROFILE_MEMBER if self.union_member else texts.PROFILE_NOT_MEMBER)
        details = "，".join(p for p in parts if p)
        if not details:
            return self.name or ""
        return texts.PROFILE_SUMMARY.format(name=self.name or texts.PROFILE_NO_NAME, details=details)

    def same_as(self, worker: Worker | None) -> bool:
        return worker is not None and Profile.from_worker(worker) == self


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


# ---------------------------------------------------------------- starting


class StartWithProfile(StartFormAction, ABC):
    """Starts a form that asks the profile: a returning worker's stored profile fills the
    profile slots, so they only confirm it. ``prepare_for`` then reads the first message."""

    async def prepare(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        worker = await registry_call(get_worker, tracker.sender_id)
        events: list[EventType] = [SlotSet(WORKER_REGISTERED, worker is not None)]
        if worker is not None:
            events.extend(Profile.from_worker(worker).slot_events())
        events.extend(await self.prepare_for(dispatcher, tracker, worker))
        return events

    async def prepare_for(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, worker: Worker | None
    ) -> list[EventType]:
        return []


class ActionStartProfile(StartWithProfile):
    """修改我的信息: a registered worker chooses the field to change; a new one registers."""

    def name(self) -> str:
        return "action_start_profile"

    async def prepare_for(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, worker: Worker | None
    ) -> list[EventType]:
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


# ---------------------------------------------------------------- the questions


async def form_purpose(tracker: Tracker) -> str:
    """What the worker is doing, to head a question: 报名「PLC编程」, 加入读书团队 …"""
    form = tracker.active_loop_name or ""
    course_id = tracker.get_slot("course_id")
    if form == "enroll_form" and course_id:
        course = (await knowledge()).get_course(course_id)
        if course is not None:
            return texts.ENROLL_PURPOSE.format(course=course.name)
    return texts.FORM_PURPOSE.get(form, "")


class ActionAskWorkerName(AskAction):
    slot = "worker_name"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        if tracker.get_slot("profile_field") == self.slot:
            text = texts.EDIT_QUESTIONS[self.slot]
        elif (
            not tracker.get_slot(WORKER_REGISTERED)
            and not failures_of(tracker, self.slot)
            and not tracker.get_slot(FORM_ASIDE)  # said once; after an aside the short question
        ):
            purpose = await form_purpose(tracker)
            first = texts.REGISTER_FOR.format(purpose=purpose) if purpose else texts.REGISTER_FIRST_TIME
            text = texts.ASK_NAME_FIRST_TIME.format(first=first)
        else:
            text = texts.ASK_NAME
        dispatcher.utter_message(text=text)


class ActionAskWorkerPhone(StaticAskAction):
    slot = "worker_phone"


class ActionAskWorkerEmployer(StaticAskAction):
    slot = "worker_employer"


class ActionAskWorkerDistrict(StaticAskAction):
    slot = "worker_district"
    buttons = tuple(replies.button(d, "inform", district=d) for d in DISTRICTS)


class ActionAskWorkerUnionMember(StaticAskAction):
    slot = "worker_union_member"
    buttons = texts.YES_OR_NO_BUTTONS


class ActionAskProfileConfirmed(AskAction):
    slot = "profile_confirmed"
    fallback_text = texts.PROFILE_CONFIRM_FALLBACK

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        summary = Profile.from_slots(tracker).summary()
        if tracker.get_slot(WORKER_REGISTERED) and tracker.get_slot("profile_field") is None:
            purpose = await form_purpose(tracker)
            text = texts.PROFILE_IS_IT_YOU.format(purpose=f"{purpose}：" if purpose else "", summary=summary)
        else:
            text = texts.PROFILE_CONFIRM.format(summary=summary)
        dispatcher.utter_message(text=text, buttons=replies.buttons(texts.PROFILE_CONFIRM_BUTTONS))


class ActionAskProfileField(AskAction):
    slot = "profile_field"
    fallback_text = texts.PROFILE_WHICH_FIELD_FALLBACK

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        fields = [replies.text_button(title, title) for title in texts.PROFILE_FIELD_TITLES]
        dispatcher.utter_message(
            text=texts.PROFILE_WHICH_FIELD.format(summary=Profile.from_slots(tracker).summary()),
            buttons=[*fields, dict(texts.PROFILE_NO_CHANGE_BUTTON)],
        )


# ---------------------------------------------------------------- validating


class ProfileFormValidation(SignupFormValidationAction, ABC):
    """A form that asks the profile first; values are checked with the registry's own
    ``normalize_*`` helpers, so what the form accepts is exactly what the registry stores."""

    def profile_slots(self, tracker: Tracker) -> list[str]:
        slots = [*PROFILE_FIELDS, "profile_confirmed"]
        if tracker.get_slot("profile_confirmed") == "edit":
            slots.append("profile_field")
        return slots

    async def explanation(self, slot: str) -> str | None:
        text = await super().explanation(slot)
        if slot == "worker_district" and text:
            return text.format(count=len(DISTRICTS))
        return text

    async def validate_worker_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self.clean_answer("worker_name", clean_name, value, dispatcher, tracker, plain=normalize_name)

    async def validate_worker_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self.clean_answer("worker_phone", clean_phone, value, dispatcher, tracker, plain=normalize_phone)

    async def validate_worker_employer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self.clean_answer(
            "worker_employer", clean_employer, value, dispatcher, tracker, plain=normalize_employer
        )

    async def validate_worker_district(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        district = None if is_payload(value) else normalize_district(value)
        if district is None:
            return self.reject("worker_district", dispatcher, texts.DISTRICT_NOT_FOUND.format(hint=DISTRICT_HINT))
        return {"worker_district": district}

    async def validate_worker_union_member(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        result = self.yes_or_no(value, "worker_union_member", dispatcher)
        # A new worker has just typed every field: no separate confirmation (the final
        # question of the form shows them all).
        if (
            result["worker_union_member"] is not None
            and not tracker.get_slot(WORKER_REGISTERED)
            and tracker.get_slot("profile_confirmed") is None
        ):
            result["profile_confirmed"] = "yes"
        return result

    async def validate_profile_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        answer = profile_confirmation(value)
        if answer is None:
            return self.reject("profile_confirmed", dispatcher, texts.PROFILE_CONFIRM_OR_EDIT)
        if answer == "edit":
            return {"profile_confirmed": "edit", "profile_field": None}
        return {"profile_confirmed": "yes"}

    async def validate_profile_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        field = profile_field_from_text(value)
        if field is None:
            return self.reject("profile_field", dispatcher, texts.PROFILE_PICK_FIELD)
        if field == "none":
            return {"profile_field": "none", "profile_confirmed": "yes"}
        # Ask that field again, then show the profile for confirmation.
        return {"profile_field": field, field: None, "profile_confirmed": None}

    def edit_profile_instead(self, slot: str) -> Slots:
        """ "修改信息" at a final confirmation: change the profile, then confirm again."""
        self.dont_count(slot)
        return {slot: None, "profile_confirmed": "edit", "profile_field": None}


class ValidateProfileForm(ProfileFormValidation):
    """``profile_form``: register, or change the stored profile (修改我的信息)."""

    def name(self) -> str:
        return "validate_profile_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return self.profile_slots(tracker)


# ---------------------------------------------------------------- saving


class ActionSubmitProfile(SubmitFormAction):
    form = PROFILE_FORM

    def name(self) -> str:
        return "action_submit_profile"

    def confirmed(self, tracker: Tracker) -> bool:
        return tracker.get_slot("profile_confirmed") == "yes"

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        worker, changed = await registry_call(save_profile, tracker.sender_id, Profile.from_slots(tracker))
        summary = Profile.from_worker(worker).summary()
        template = texts.PROFILE_SAVED if changed else texts.PROFILE_UNCHANGED
        dispatcher.utter_message(
            text=template.format(summary=summary),
            buttons=replies.buttons([texts.MY_RECORDS_BUTTON, texts.COURSES_BUTTON]),
        )
        return []
