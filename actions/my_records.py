"""我的报名 / 我的数据 / 我的申请: what the registry holds about the worker, read only.

Nothing is changed here; each record comes with the button that starts the cancel form
(which confirms first), and every phone and certificate number is masked.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import logging_setup
from actions.signup.base import say_technical_problem
from actions.signup.cancel import cancel_button, record_options
from actions.signup.enrollment import enrollment_state
from actions.signup.parsing import record_in_message
from actions.stores import registry_call
from common import replies, texts
from common.privacy import mask_certificate
from registry import get_application, get_applications, list_records

logger = logging.getLogger(__name__)

#: Telegram shows a long keyboard badly: at most this many cancel buttons.
MAX_CANCEL_BUTTONS = 8


def _day(stamp: str | None) -> str:
    return stamp[:10] if stamp else ""


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
            dispatcher.utter_message(text=texts.RECORDS_NONE, buttons=replies.buttons(texts.NOTHING_YET_BUTTONS))
            return
        parts: list[str] = [texts.RECORDS_HEADING]
        if records.enrollments:
            parts.append(texts.RECORDS_ENROLLMENTS)
            parts += [
                texts.RECORDS_ENROLLMENT_LINE.format(
                    course=e.course_name, state=enrollment_state(e), number=e.enrollment_no
                )
                for e in records.enrollments
            ]
        if records.teams:
            parts.append(texts.RECORDS_TEAMS)
            parts += [
                texts.RECORDS_TEAM_LINE.format(team=m.team.display_name, day=_day(m.joined_at)) for m in records.teams
            ]
        if records.applications:
            parts.append(texts.RECORDS_APPLICATIONS)
            for a in records.applications:
                parts.append(
                    texts.RECORDS_APPLICATION_LINE.format(
                        number=a.application_no, status=a.status_label, day=_day(a.created_at)
                    )
                )
                if a.staff_note:
                    parts.append(texts.RECORDS_STAFF_NOTE.format(note=a.staff_note))
        buttons = [cancel_button(o) for o in record_options(records)][:MAX_CANCEL_BUTTONS]
        if buttons:
            parts.append(texts.RECORDS_HOW_TO_CANCEL)
        dispatcher.utter_message(text=replies.lines(parts), buttons=buttons)


class ActionMyData(RegistryViewAction):
    """我的数据: what is stored about the worker, the phone masked."""

    def name(self) -> str:
        return "action_my_data"

    async def show(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        records = await registry_call(list_records, tracker.sender_id)
        worker = records.worker
        if records.empty:
            dispatcher.utter_message(text=texts.MY_DATA_NONE)
            return
        parts: list[str] = []
        if worker is not None:
            values = {
                "name": worker.name,
                "phone": worker.masked_phone,
                "employer": worker.employer or texts.MY_DATA_NOT_GIVEN,
                "district": worker.district or texts.MY_DATA_NOT_GIVEN,
                "member": texts.YES_NO_WORD[bool(worker.union_member)],
                "day": _day(worker.created_at),
            }
            parts += [line.format(**values) for line in texts.MY_DATA]
        else:
            parts.append(texts.MY_DATA[0])
        counts = [
            texts.MY_DATA_ENROLLMENTS.format(count=len(records.enrollments)) if records.enrollments else "",
            texts.MY_DATA_TEAMS.format(count=len(records.teams)) if records.teams else "",
            texts.MY_DATA_APPLICATIONS.format(count=len(records.applications)) if records.applications else "",
        ]
        if any(counts):
            parts.append(texts.MY_DATA_ALSO.format(counts="、".join(c for c in counts if c)))
        parts.append(texts.MY_DATA_PURPOSE)
        dispatcher.utter_message(text=replies.lines(parts), buttons=replies.buttons(texts.MY_DATA_BUTTONS))


class ActionCheckApplication(RegistryViewAction):
    """我的申请: status and staff note of the worker's own subsidy applications."""

    def name(self) -> str:
        return "action_check_application"

    async def show(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        sender = tracker.sender_id
        number = record_in_message(tracker)
        if number and number.startswith("BT"):
            one = await registry_call(get_application, sender, number)
            applications = [one] if one is not None else []
            if one is None:
                dispatcher.utter_message(text=texts.APPLICATION_NOT_FOUND.format(number=number))
        else:
            applications = await registry_call(get_applications, sender)
        if not applications:
            dispatcher.utter_message(
                text=texts.APPLICATIONS_NONE, buttons=replies.buttons([texts.APPLY_SUBSIDY_BUTTON])
            )
            return
        parts: list[str] = []
        for a in applications:
            parts += [
                texts.APPLICATION_LINE.format(number=a.application_no, status=a.status_label, day=_day(a.created_at)),
                texts.APPLICATION_DETAILS.format(
                    school=a.school or "", programme=a.programme, certificate=mask_certificate(a.certificate_no or "")
                ),
            ]
            if a.staff_note:
                parts.append(texts.RECORDS_STAFF_NOTE.format(note=a.staff_note))
            elif a.status == "pending":
                parts.append(texts.APPLICATION_PENDING)
        withdraw = [
            replies.button(
                texts.RECORD_WITHDRAW_APPLICATION.format(number=a.application_no),
                "cancel_record",
                record=a.application_no,
            )
            for a in applications
            if a.status == "pending"
        ]
        dispatcher.utter_message(text=replies.lines(parts), buttons=[*withdraw, dict(texts.HUMAN_BUTTON)])
