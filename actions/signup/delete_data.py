"""删除我的数据: delete everything stored about the worker, after one confirmation.

Two owners, two steps (docs/architecture.md): the registry forgets the worker here;
only when that succeeded does the action set :data:`PURGE_SLOT`, and the Rasa server's
tracker store then deletes the conversation itself (``rasa_ext/purge.py``).
"""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.signup.base import (
    FORM_OUTCOME,
    OUTCOME_ABORT,
    AskAction,
    FormSpec,
    SignupFormValidationAction,
    StartFormAction,
    SubmitFormAction,
    confirmation_validator,
    register,
)
from actions.stores import registry_call
from common import replies, texts
from knowledge.gaps import forget_conversation
from registry import delete_worker_data, list_records

#: Set once the registry forgot the worker: the Rasa server's tracker store then deletes
#: the whole conversation (rasa_ext/purge.py watches the same name). Set by nothing else.
PURGE_SLOT = "purge_conversation"

DELETE_FORM = register(
    FormSpec("delete_form", ("delete_confirmed",), confirmation="delete_confirmed", intent="delete_my_data")
)


class ActionStartDelete(StartFormAction):
    def name(self) -> str:
        return "action_start_delete"

    async def prepare(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        records = await registry_call(list_records, tracker.sender_id)
        if records.empty:
            # Nothing in the registry, but what the worker typed is still in the
            # conversation (e.g. a phone number in a form they left): forget that too.
            await asyncio.to_thread(forget_conversation, tracker.sender_id)  # their unanswered questions
            dispatcher.utter_message(text=texts.DELETE_NOTHING_STORED)
            return [SlotSet(FORM_OUTCOME, OUTCOME_ABORT), SlotSet(PURGE_SLOT, True)]
        return []


class ActionAskDeleteConfirmed(AskAction):
    slot = "delete_confirmed"
    fallback_text = texts.DELETE_CONFIRM_FALLBACK

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        records = await registry_call(list_records, tracker.sender_id)
        active = [e for e in records.enrollments if e.status in ("enrolled", "waitlisted")]
        items = [
            texts.DELETE_ITEM_PROFILE if records.worker is not None else "",
            texts.DELETE_ITEM_ENROLLMENTS.format(count=len(active)) if active else "",
            texts.DELETE_ITEM_TEAMS.format(count=len(records.teams)) if records.teams else "",
            texts.DELETE_ITEM_APPLICATIONS.format(count=len(records.applications)) if records.applications else "",
        ]
        dispatcher.utter_message(
            text=replies.lines([texts.DELETE_CONFIRM, *items, texts.DELETE_WHAT_REMAINS]),
            buttons=replies.buttons(texts.DELETE_CONFIRM_BUTTONS),
        )


class ValidateDeleteForm(SignupFormValidationAction):
    """``delete_form``: one confirmation before deleting everything stored about the worker."""

    def name(self) -> str:
        return "validate_delete_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return list(DELETE_FORM.questions)

    validate_delete_confirmed = confirmation_validator("delete_confirmed")


class ActionSubmitDelete(SubmitFormAction):
    form = DELETE_FORM

    def name(self) -> str:
        return "action_submit_delete"

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        # The questions the bot could not answer keep no text the worker typed; first, so a
        # failure there leaves everything to delete for the worker's next try.
        await asyncio.to_thread(forget_conversation, tracker.sender_id)
        result = await registry_call(delete_worker_data, tracker.sender_id)
        details = [
            texts.DELETED_PROFILE if result.deleted_profile else "",
            texts.DELETED_ENROLLMENTS.format(count=result.enrollments_anonymized)
            if result.enrollments_anonymized
            else "",
            texts.DELETED_TEAMS.format(count=result.teams_left) if result.teams_left else "",
            texts.DELETED_APPLICATIONS.format(count=result.applications_anonymized)
            if result.applications_anonymized
            else "",
        ]
        deleted = "、".join(d for d in details if d) or texts.DELETED_EVERYTHING
        dispatcher.utter_message(text=texts.DELETED.format(deleted=deleted))
        # Only now that the registry forgot the worker: the Rasa server's tracker store
        # deletes the conversation (rasa_ext/purge.py).
        return [SlotSet(PURGE_SLOT, True)]
