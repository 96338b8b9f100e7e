"""申请学历补贴: the degree-subsidy application.

``subsidy_form`` asks the profile (the applicant's name and phone), then the degree:
school, programme, graduation month, certificate number, whether it was the
model-worker class, and "确认提交？". What the model-worker class is and who pays for it
is read from the knowledge base (entry :data:`MODEL_WORKER_CLASS_ENTRY`), so a staff
edit there reaches the question too.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.signup import offer
from actions.signup.base import AskAction, FormSpec, Slots, StaticAskAction, SubmitFormAction, register
from actions.signup.parsing import (
    asks_to_change,
    clean_certificate,
    clean_free_text,
    clean_graduation_date,
)
from actions.signup.profile import PROFILE_QUESTIONS, Profile, ProfileFormValidation, StartWithProfile, save_profile
from actions.stores import knowledge, registry_call
from common import replies, texts
from common.privacy import mask_certificate
from knowledge import KnowledgeError
from registry import ApplicationResult, Database, Worker, create_application, normalize_programme, normalize_school

#: The subsidy form's own questions, asked after the profile.
SUBSIDY_QUESTIONS: tuple[str, ...] = (
    "school",
    "programme",
    "graduation_date",
    "certificate_no",
    "model_worker_class",
    "subsidy_confirmed",
)
SUBSIDY_FORM = register(
    FormSpec(
        "subsidy_form",
        (*PROFILE_QUESTIONS, *SUBSIDY_QUESTIONS),
        confirmation="subsidy_confirmed",
        intent="apply_subsidy",
    )
)

#: The knowledge entry that says what the model-worker class is and who pays for it.
MODEL_WORKER_CLASS_ENTRY = "subsidy_model_worker_class"


async def model_worker_class_answer() -> tuple[str, bool] | None:
    """The knowledge base's answer about the model-worker class and whether it is still
    a sample; None when staff removed the entry (the questions then do without it)."""
    try:
        hit = (await knowledge()).get(MODEL_WORKER_CLASS_ENTRY)
    except KnowledgeError:
        return None
    return (hit.answer.strip(), hit.sample) if hit is not None else None


def shown_month(value: str) -> str:
    """``2024-06`` → ``2024年6月``."""
    if len(value) == 7:
        return texts.SUBSIDY_MONTH.format(year=value[:4], month=int(value[5:7]))
    return value


# ---------------------------------------------------------------- starting


class ActionStartSubsidy(StartWithProfile):
    def name(self) -> str:
        return "action_start_subsidy"

    async def prepare_for(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, worker: Worker | None
    ) -> list[EventType]:
        dispatcher.utter_message(text=texts.SUBSIDY_INTRO)
        return []

    async def explain_how(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
        return await offer.explain("subsidy_form", dispatcher, tracker)


# ---------------------------------------------------------------- the questions


class ActionAskSchool(StaticAskAction):
    slot = "school"


class ActionAskProgramme(StaticAskAction):
    slot = "programme"


class ActionAskGraduationDate(StaticAskAction):
    slot = "graduation_date"


class ActionAskCertificateNo(StaticAskAction):
    slot = "certificate_no"


class ActionAskModelWorkerClass(AskAction):
    """ "您读的是劳模先进班吗？" with the knowledge base's first line about that class."""

    slot = "model_worker_class"
    fallback_text = texts.SUBSIDY_ASK_MODEL_WORKER_CLASS

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        text = texts.SUBSIDY_ASK_MODEL_WORKER_CLASS
        answer = await model_worker_class_answer()
        if answer is not None and not answer[1]:  # a sample is not stated in passing
            fact = answer[0].splitlines()[0].strip().rstrip("。")
            text += texts.SUBSIDY_FACT.format(fact=fact)
        dispatcher.utter_message(text=text, buttons=replies.buttons(texts.YES_OR_NO_BUTTONS))


class ActionAskSubsidyConfirmed(AskAction):
    slot = "subsidy_confirmed"
    fallback_text = texts.SUBSIDY_CHECK_FALLBACK

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        slot = tracker.get_slot
        values = {
            "applicant": Profile.from_slots(tracker).summary(),
            "school": slot("school"),
            "programme": slot("programme"),
            "graduated": shown_month(slot("graduation_date") or ""),
            "certificate": mask_certificate(slot("certificate_no") or ""),
            "model_worker_class": texts.YES_NO_WORD[bool(slot("model_worker_class"))],
        }
        dispatcher.utter_message(
            text=replies.lines(line.format(**values) for line in texts.SUBSIDY_CHECK),
            buttons=replies.buttons(
                [texts.SUBSIDY_SUBMIT_BUTTON, texts.EDIT_PROFILE_BUTTON, texts.STOP_BUTTON],
            ),
        )


# ---------------------------------------------------------------- validating


class ValidateSubsidyForm(ProfileFormValidation):
    """``subsidy_form``: the profile (name and phone of the application), then the degree."""

    def name(self) -> str:
        return "validate_subsidy_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return [*self.profile_slots(tracker), *SUBSIDY_QUESTIONS]

    async def explanation(self, slot: str) -> str | None:
        text = await super().explanation(slot)
        if slot == "model_worker_class" and text:
            answer = await model_worker_class_answer()
            if answer is not None:
                return f"{answer[0]}\n{text}"
        return text

    async def validate_school(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self.clean_answer("school", lambda v: normalize_school(clean_free_text(v)), value, dispatcher, tracker)

    async def validate_programme(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self.clean_answer(
            "programme", lambda v: normalize_programme(clean_free_text(v)), value, dispatcher, tracker
        )

    async def validate_graduation_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self.clean_answer("graduation_date", clean_graduation_date, value, dispatcher, tracker)

    async def validate_certificate_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self.clean_answer("certificate_no", clean_certificate, value, dispatcher, tracker)

    async def validate_model_worker_class(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self.yes_or_no(value, "model_worker_class", dispatcher)

    async def validate_subsidy_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if asks_to_change(value):
            dispatcher.utter_message(text=texts.SUBSIDY_EDIT)
            return self.edit_profile_instead("subsidy_confirmed")
        return self.confirm(value, "subsidy_confirmed", dispatcher)


# ---------------------------------------------------------------- saving


class ActionSubmitSubsidy(SubmitFormAction):
    form = SUBSIDY_FORM

    def name(self) -> str:
        return "action_submit_subsidy"

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        profile = Profile.from_slots(tracker)
        slot = tracker.get_slot

        def work(db: Database) -> ApplicationResult:
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
            text = replies.lines(
                line.format(number=application.application_no, certificate=application.masked_certificate)
                for line in texts.SUBSIDY_FILED
            )
        elif result.status == "duplicate" and application is not None:
            text = texts.SUBSIDY_DUPLICATE.format(
                certificate=application.masked_certificate,
                number=application.application_no,
                status=application.status_label,
            )
        else:
            raise RuntimeError(f"unexpected application result {result.status}")
        dispatcher.utter_message(text=text, buttons=replies.buttons([texts.MY_APPLICATIONS_BUTTON]))
        return []
