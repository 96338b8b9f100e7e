"""报名: enrollment in a course, or a place on its waiting list.

``enroll_form`` asks which course (a course named in the first message or on a button
is taken at once), the profile, then "确认报名？" with the seats left. The registry
decides enrolled or waitlisted when the enrollment is saved.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.signup import offer
from actions.signup.base import (
    FORM_OUTCOME,
    OUTCOME_ABORT,
    WORKER_REGISTERED,
    AskAction,
    FormSpec,
    Slots,
    SubmitFormAction,
    register,
)
from actions.signup.parsing import (
    CourseMatch,
    asks_to_change,
    clean_text,
    course_from_text,
    first_entity,
    is_payload,
    latest_text,
    pick_from_choices,
    resolve_course,
)
from actions.signup.profile import PROFILE_QUESTIONS, Profile, ProfileFormValidation, StartWithProfile, save_profile
from actions.stores import knowledge, registry_call
from common import replies, texts
from common.privacy import mask_phone
from knowledge import Course
from registry import Database, Enrollment, EnrollmentResult, Worker, enroll, find_active_enrollment, get_course_summary

#: Course ids offered as buttons when a mention fits several.
COURSE_CHOICES = "course_choices"

ENROLL_FORM = register(
    FormSpec(
        "enroll_form",
        ("course_id", *PROFILE_QUESTIONS, "enroll_confirmed"),
        working_slots=(COURSE_CHOICES,),
        confirmation="enroll_confirmed",
        intent="enroll_course",
    )
)


def enrollment_state(enrollment: Enrollment) -> str:
    """已报名 / 候补第2位 / 已取消 …"""
    if enrollment.status == "waitlisted" and enrollment.waitlist_position:
        return texts.ENROLL_WAITLIST_PLACE.format(position=enrollment.waitlist_position)
    return enrollment.status_label


def already_enrolled(course_name: str, enrollment: Enrollment) -> str:
    return texts.ENROLL_ALREADY.format(
        course=course_name, number=enrollment.enrollment_no, state=enrollment_state(enrollment)
    )


def enroll_button(course: Course) -> replies.Button:
    return replies.button(course.name, "enroll_course", course=course.id)


# ---------------------------------------------------------------- starting


class ActionStartEnrollment(StartWithProfile):
    """报名: the course named in the message (or button) is resolved by the form."""

    def name(self) -> str:
        return "action_start_enrollment"

    async def prepare_for(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, worker: Worker | None
    ) -> list[EventType]:
        mention = first_entity(tracker, "course") or offer.offered_course(tracker)
        if not mention:
            course = course_from_text(await knowledge(), latest_text(tracker))
            mention = course.id if course else None
        return [SlotSet("course_id", mention)] if mention else []

    async def explain_how(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
        return await offer.explain_enrollment(dispatcher, tracker)


# ---------------------------------------------------------------- the questions


class ActionAskCourseId(AskAction):
    slot = "course_id"
    fallback_text = texts.ENROLL_WHICH_FALLBACK

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        kb = await knowledge()
        offered = [kb.get_course(c) for c in tracker.get_slot(COURSE_CHOICES) or []]
        courses = [c for c in offered if c is not None and c.enrollable]
        text = texts.ENROLL_PICK
        if not courses:
            courses = kb.list_courses(enrollable=True)
            text = texts.ENROLL_WHICH
        dispatcher.utter_message(text=text, buttons=[*(enroll_button(c) for c in courses), dict(texts.STOP_BUTTON)])


class ActionAskEnrollConfirmed(AskAction):
    slot = "enroll_confirmed"
    fallback_text = texts.ENROLL_CONFIRM_FALLBACK

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        course = (await knowledge()).get_course(tracker.get_slot("course_id") or "")
        if course is None:
            dispatcher.utter_message(text=self.fallback_text, buttons=self._buttons(full=False))
            return
        summary = await registry_call(get_course_summary, course.id)
        enrolled = summary.enrolled if summary else 0
        waiting = summary.waitlisted if summary else 0
        who = texts.ENROLL_WHO.format(summary=Profile.from_slots(tracker).summary())
        full = course.capacity is not None and enrolled >= course.capacity
        if full:
            text = replies.lines(
                [
                    texts.ENROLL_FULL.format(course=course.name, capacity=course.capacity),
                    texts.ENROLL_CAN_WAIT.format(waiting=waiting, position=waiting + 1) + texts.WAITLIST_PROMISE,
                    who,
                    texts.ENROLL_WANT_TO_WAIT,
                ]
            )
        else:
            left = "" if course.capacity is None else texts.ENROLL_SEATS_LEFT.format(left=course.capacity - enrolled)
            text = replies.lines([texts.ENROLL_CONFIRM.format(course=course.name, seats=left), who])
        dispatcher.utter_message(text=text, buttons=self._buttons(full=full))

    @staticmethod
    def _buttons(full: bool) -> list[replies.Button]:
        yes = {"title": texts.ENROLL_YES_WAIT if full else texts.ENROLL_YES, "payload": "/affirm"}
        return [yes, dict(texts.EDIT_PROFILE_BUTTON), dict(texts.STOP_BUTTON)]


# ---------------------------------------------------------------- validating


class ValidateEnrollForm(ProfileFormValidation):
    """``enroll_form``: which course, the profile, then "确认报名？"."""

    def name(self) -> str:
        return "validate_enroll_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return ["course_id", *self.profile_slots(tracker), "enroll_confirmed"]

    async def validate_course_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if is_payload(value):
            return self.not_an_answer("course_id", dispatcher, texts.ENROLL_PICK_FIRST)
        kb = await knowledge()
        offered = tracker.get_slot(COURSE_CHOICES) or []
        match = resolve_course(kb, str(value))
        if match.course is None and offered and not match.choices:
            # "第二个" / a word from one of the offered names
            match = pick_from_choices(kb, str(value), offered) or match
        if match.course is not None:
            return await self._chosen(match.course, dispatcher, tracker)
        if match.choices:
            return self._offer(match, dispatcher)
        if match.blocked is not None:
            message = texts.ENROLL_NOT_HERE.format(course=match.blocked.name)
        else:
            shown = clean_text(value)[:20]
            message = texts.ENROLL_NOT_FOUND.format(mention=shown) if shown else texts.ENROLL_PICK
        return {**self.reject("course_id", dispatcher, message), COURSE_CHOICES: None}

    def _offer(self, match: CourseMatch, dispatcher: CollectingDispatcher) -> Slots:
        """Several courses fit: offer them (not the worker's mistake)."""
        if match.programme is not None:
            message = texts.ENROLL_PROGRAMME_CHOICES.format(programme=match.programme.name)
        else:
            message = texts.ENROLL_CHOICES
        offered = self.not_an_answer("course_id", dispatcher, message, aside=None)
        return {**offered, COURSE_CHOICES: [c.id for c in match.choices]}

    async def _chosen(self, course: Course, dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
        if tracker.get_slot(WORKER_REGISTERED):
            existing = await registry_call(find_active_enrollment, tracker.sender_id, course.id)
            if existing is not None:
                dispatcher.utter_message(
                    text=already_enrolled(course.name, existing),
                    buttons=replies.buttons([texts.MY_RECORDS_BUTTON, texts.OTHER_COURSES_BUTTON]),
                )
                return {"course_id": course.id, FORM_OUTCOME: OUTCOME_ABORT}
        return {"course_id": course.id, COURSE_CHOICES: None}

    async def validate_enroll_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if asks_to_change(value):
            return self.edit_profile_instead("enroll_confirmed")
        return self.confirm(value, "enroll_confirmed", dispatcher)


# ---------------------------------------------------------------- saving


class ActionSubmitEnrollment(SubmitFormAction):
    form = ENROLL_FORM

    def name(self) -> str:
        return "action_submit_enrollment"

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        course = (await knowledge()).get_course(tracker.get_slot("course_id") or "")
        if course is None or not course.enrollable:
            dispatcher.utter_message(
                text=texts.ENROLL_CLOSED, buttons=replies.buttons([texts.ENROLL_MORE_COURSES_BUTTON])
            )
            return []
        profile = Profile.from_slots(tracker)
        enrolled = course

        def work(db: Database) -> EnrollmentResult:
            save_profile(db, tracker.sender_id, profile)
            return enroll(db, tracker.sender_id, enrolled.id, enrolled.name, capacity=enrolled.capacity)

        result = await registry_call(work)
        dispatcher.utter_message(
            text=self._outcome(result, course, profile),
            buttons=replies.buttons([texts.MY_RECORDS_BUTTON, texts.ENROLL_MORE_COURSES_BUTTON]),
        )
        return []

    @staticmethod
    def _outcome(result: EnrollmentResult, course: Course, profile: Profile) -> str:
        enrollment = result.enrollment
        if result.status == "enrolled" and enrollment is not None:
            return replies.lines(
                [
                    texts.ENROLL_DONE,
                    texts.ENROLL_COURSE.format(course=course.name),
                    texts.ENROLL_NUMBER.format(number=enrollment.enrollment_no),
                    texts.ENROLL_CONTACT.format(phone=mask_phone(profile.phone)) if profile.phone else "",
                    texts.ENROLL_HOW_TO_CANCEL,
                ]
            )
        if result.status == "waitlisted" and enrollment is not None:
            return replies.lines(
                [
                    texts.ENROLL_WAITLISTED,
                    texts.ENROLL_COURSE_FULL.format(course=course.name),
                    texts.ENROLL_WAITLIST_NUMBER.format(
                        number=enrollment.enrollment_no, position=enrollment.waitlist_position
                    ),
                    texts.WAITLIST_PROMISE,
                ]
            )
        if result.status == "already" and enrollment is not None:
            return already_enrolled(course.name, enrollment)
        raise RuntimeError(f"unexpected enrollment result {result.status}")
