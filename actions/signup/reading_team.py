"""加入读书团队: join the reading team of one's employer or of one's district.

``reading_form`` asks the profile, then which team. The confirmation names this
month's book as the knowledge base words it (``KnowledgeBase.monthly_book_text``, which
also says so sensibly when staff have not entered the book yet).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.signup import offer
from actions.signup.base import AskAction, FormSpec, Slots, SubmitFormAction, register
from actions.signup.parsing import team_kind_from_text
from actions.signup.profile import PROFILE_QUESTIONS, Profile, ProfileFormValidation, StartWithProfile, save_profile
from actions.stores import knowledge, registry_call
from common import replies, texts
from common.clock import default_clock
from registry import Database, TeamResult, district_team, employer_team, join_reading_team

READING_FORM = register(FormSpec("reading_form", (*PROFILE_QUESTIONS, "team_kind"), intent="join_reading_team"))


class ActionStartReading(StartWithProfile):
    def name(self) -> str:
        return "action_start_reading"

    async def explain_how(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
        return await offer.explain("reading_form", dispatcher, tracker)


class ActionAskTeamKind(AskAction):
    slot = "team_kind"
    fallback_text = texts.TEAM_WHICH_FALLBACK

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        profile = Profile.from_slots(tracker)
        buttons = []
        if profile.employer:
            title, answer = texts.TEAM_BY_EMPLOYER
            buttons.append(replies.text_button(title.format(employer=profile.employer), answer))
        if profile.district:
            title, answer = texts.TEAM_BY_DISTRICT
            buttons.append(replies.text_button(title.format(district=profile.district), answer))
        dispatcher.utter_message(text=texts.TEAM_WHICH, buttons=[*buttons, dict(texts.STOP_BUTTON)])


class ValidateReadingForm(ProfileFormValidation):
    """``reading_form``: the profile, then the team by employer or by district."""

    def name(self) -> str:
        return "validate_reading_form"

    def form_slots(self, tracker: Tracker) -> list[str]:
        return [*self.profile_slots(tracker), "team_kind"]

    async def validate_team_kind(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        kind = team_kind_from_text(value, Profile.from_slots(tracker).employer)
        if kind is None:
            return self.reject("team_kind", dispatcher, texts.TEAM_PICK_KIND)
        return {"team_kind": kind}


class ActionSubmitReading(SubmitFormAction):
    form = READING_FORM

    def name(self) -> str:
        return "action_submit_reading"

    def confirmed(self, tracker: Tracker) -> bool:
        return tracker.get_slot("team_kind") in ("employer", "district")

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        # Worded before anything is saved: a failure then leaves nothing half done.
        book = (await knowledge()).monthly_book_text(default_clock())
        profile = Profile.from_slots(tracker)
        if tracker.get_slot("team_kind") == "employer":
            team = employer_team(profile.employer or "")
        else:
            team = district_team(profile.district or "")

        def work(db: Database) -> TeamResult:
            save_profile(db, tracker.sender_id, profile)
            return join_reading_team(db, tracker.sender_id, team.team_id)

        result = await registry_call(work)
        name = result.team.display_name if result.team else team.display_name
        if result.status == "joined":
            head = texts.TEAM_JOINED.format(team=name)
        elif result.status == "already":
            head = texts.TEAM_ALREADY.format(team=name)
        else:
            raise RuntimeError(f"unexpected team result {result.status}")
        dispatcher.utter_message(
            text=replies.lines([head, texts.TEAM_BOOK.format(book=book)]),
            buttons=replies.buttons([texts.MY_RECORDS_BUTTON, texts.READING_BUTTON]),
        )
        return []
