"""Leaving a sign-up form before its end: 算了 / 取消, or a person taking over — also
the offer of a person after three wrong answers to one question (``form_help``).

Every form is left the same way (rules "… 算了 leaves the form" and "… a person …" in
``nlu_data/rules/forms.yml``): nothing is saved and every sign-up slot is forgotten.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.signup.base import FORM_HELP, FORMS, REQUESTED_SLOT, StaticAskAction, cancelled_text, reset_events
from actions.signup.parsing import is_bare_cancel, latest_text
from common import texts


def leave_events(tracker: Tracker) -> list[EventType]:
    return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), *reset_events(tracker)]


class ActionCancelForm(Action):
    """算了 / 取消 inside any sign-up form: leave it, say nothing was saved.

    Except at a form's "确认取消…吗？" (``FormSpec.cancel_confirms``): a typed 取消 there is
    the answer "yes", although the NLU hears it as stop like everywhere else.
    """

    def name(self) -> str:
        return "action_cancel_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        form = tracker.active_loop_name or ""
        spec = FORMS.get(form)
        asked = tracker.get_slot(REQUESTED_SLOT)
        if spec and spec.cancel_confirms and asked == spec.confirmation and is_bare_cancel(latest_text(tracker)):
            # The form goes on with the answer set; its validation and submit run as for "确认取消".
            return [SlotSet(asked, True), FollowupAction(form)]
        dispatcher.utter_message(text=cancelled_text(form))
        return leave_events(tracker)


class ActionCloseForm(Action):
    """Leave the active form without a word: a person takes over (hand-off rules)."""

    def name(self) -> str:
        return "action_close_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return leave_events(tracker)


class ActionAskFormHelp(StaticAskAction):
    """转人工 / 再试一次 / 算了, after three wrong answers to one question. 转人工 is
    /affirm, which this question does not extract: the form rejects it and a rule runs
    action_handoff inside the form (reason ``form_failures``)."""

    slot = FORM_HELP
    buttons = texts.FORM_HELP_BUTTONS
