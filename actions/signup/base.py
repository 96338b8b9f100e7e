"""The shared base of the sign-up forms.

Every form runs the same way (six rules each in ``nlu_data/rules/signup/<x>.yml``)::

    intent → action_start_<x> → <x>_form … → action_submit_<x>

Inside a form, 算了/取消 (stop) leaves it and nothing is saved (``action_cancel_form``);
转人工 hands over (``action_handoff``, then ``action_close_form``). A question, a greeting,
thanks, 我的报名 or a button of an old message is not an answer: it is answered as it
would be outside the form (:mod:`actions.signup.asides`), the question is asked again
with a way on and a way out, and nothing is counted (:mod:`actions.signup.digression`
decides; :meth:`SignupFormValidationAction.not_an_answer` is the one way back to the
question). Only a plainly invalid answer to the question asked is a failure: after three
in a row the form offers to try again with an example, to leave (nothing saved) or a
person, and "yes" to the person (affirm, which that question does not extract) runs
``action_handoff`` while the form is still active, so its reason is "form_failures".
The start action may end the form at once (already enrolled, nothing to cancel …): the
form then asks nothing and the submit action saves nothing.

Each form is one module of this package (profile, enrollment, reading_team, subsidy, cancel,
delete_data) holding all four parts, built on the bases here:

* :class:`StartFormAction` — ``action_start_<x>``: forget the slots of any earlier form,
  then do what the first message already says;
* :class:`SignupFormValidationAction` — ``validate_<x>_form``: which question is next,
  what an answer means, what a wrong answer gets;
* :class:`AskAction` / :class:`StaticAskAction` — ``action_ask_<slot>``: the questions;
* :class:`SubmitFormAction` — ``action_submit_<x>``: save only after the worker's "yes".

Each form module declares its :class:`FormSpec` with :func:`register`; the package's
``__init__`` imports every form module, so :data:`FORMS` always lists them all.
Leaving a form (算了, a person taking over) is :mod:`actions.signup.leave`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import logging_setup
from actions.signup import asides, digression, offer
from actions.signup.digression import Message
from actions.signup.parsing import is_payload, latest_intent, latest_text, parse_yes_no
from common import replies, texts
from registry import InvalidInput

logger = logging.getLogger(__name__)

Slots = dict[str, Any]

# ---------------------------------------------------------------- slots every form uses

REQUESTED_SLOT = "requested_slot"
FORM_HELP = "form_help"  # asked after repeated failures: a person, or try again
FORM_FAILURES = "form_failures"  # {slot: failures in a row}
FORM_OUTCOME = "form_outcome"  # set when a form ends early: see the outcomes below
WORKER_REGISTERED = "worker_registered"  # the registry knows this sender_id
#: Why the question is asked again this turn (a digression kind, ``stale`` or ``retry``):
#: the ask action then offers a way on and a way out (``asides.decorate_question``).
FORM_ASIDE = "form_aside"

# Why a form ended before its last question; the submit action then saves nothing.
OUTCOME_ABORT = "abort"  # nothing to do (already enrolled, no records, …): already said
OUTCOME_CANCELLED = "cancelled"  # the worker said no at the final confirmation

CONTROL_SLOTS: tuple[str, ...] = (FORM_HELP, FORM_FAILURES, FORM_OUTCOME, WORKER_REGISTERED, FORM_ASIDE)


@dataclass(frozen=True)
class FormSpec:
    """What the domain declares for one form, as the actions need to know it.

    ``questions`` are every slot the form may ask, in the domain's ``required_slots``
    order (without ``form_help``, which every form has); ``working_slots`` are custom
    slots the form keeps between turns (choices offered as buttons); ``confirmation`` is
    the final yes/no question: the submit action saves only after a yes to it. With
    ``cancel_confirms`` a typed 取消 at that question is the yes (确认取消…吗？).
    ``intent`` starts the form; said again inside it, it answers only the question of
    what to sign up for (which course, which record), elsewhere it is another request.
    """

    name: str
    questions: tuple[str, ...]
    working_slots: tuple[str, ...] = ()
    confirmation: str | None = None
    cancel_confirms: bool = False
    intent: str | None = None


#: Every form by name, filled by the form modules (:func:`register`).
FORMS: dict[str, FormSpec] = {}


def register(spec: FormSpec) -> FormSpec:
    FORMS[spec.name] = spec
    return spec


def signup_slots() -> list[str]:
    """Every slot a form fills or keeps, once each."""
    seen: dict[str, None] = {}
    for spec in FORMS.values():
        seen.update(dict.fromkeys((*spec.questions, *spec.working_slots)))
    seen.update(dict.fromkeys(CONTROL_SLOTS))
    return list(seen)


def reset_events(tracker: Tracker | None = None) -> list[SlotSet]:
    """Forget every sign-up slot (and the personal data in them); with ``tracker``,
    only those it holds a value in (a turn's events are what a later turn loads)."""
    return [SlotSet(slot, None) for slot in signup_slots() if tracker is None or tracker.get_slot(slot) is not None]


def say_technical_problem(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(text=texts.TECHNICAL_PROBLEM, buttons=replies.buttons([texts.HUMAN_BUTTON]))


def cancelled_text(form: str | None) -> str:
    return texts.FORM_CANCELLED.get(form or "", texts.FORM_CANCELLED_DEFAULT)


# ---------------------------------------------------------------- validating answers

#: Slots whose rejection in the current request is not the worker's mistake (a button
#: from an old message, "which of these courses?"). One set per request: rasa-sdk runs
#: each request in its own task, and one action object serves them all.
_NOT_COUNTED: ContextVar[set[str] | None] = ContextVar("not_counted", default=None)
#: Slots a validator rejected in the current request (:meth:`reject`): only those are
#: wrong answers that may turn out to be an aside (a question without a question word).
_REJECTED: ContextVar[set[str] | None] = ContextVar("rejected", default=None)


class SignupFormValidationAction(FormValidationAction, ABC):
    """Validates a form's slots and handles repeated failures of one slot.

    What the domain must declare for a form ``<form>`` validated by a subclass:

    * the action ``validate_<form>`` (the subclass's ``name()``) and the form, whose
      ``required_slots`` list every slot ``form_slots`` may return, plus ``form_help``
      (the form module's :class:`FormSpec` says the same, and a test compares them);
    * the slots ``form_failures`` (any: ``{slot: failures in a row}``), ``form_help`` and
      ``form_outcome`` (text), all with ``influence_conversation: false``;
    * ``form_help`` mapped ``from_intent deny`` (value ``retry``) and ``from_text`` with
      ``not_intent: [affirm, deny, stop, request_human]`` under the form's
      ``active_loop``/``requested_slot: form_help`` condition — so ``affirm`` at that
      question is *not* extracted: the form rejects it and the rule "<form>: a person
      after repeated failures" runs ``action_handoff`` while the form is still active
      (reason ``form_failures``);
    * an ``action_ask_form_help`` offering 转人工 (/affirm), 再试一次 (/deny), 算了 (/stop);
    * every text slot mapped with ``not_intent: [stop, request_human]``, so 算了 and 转人工
      are never taken as an answer (the form rejects them and the stop / person rules run).

    * the slot ``form_aside`` (text, ``influence_conversation: false``, custom mapping).

    Subclasses implement ``name()``, ``form_slots(tracker)`` (the slots to fill, in
    order) and ``validate_<slot>`` for each slot. A validator rejects a value with
    :meth:`reject` (counted as a wrong answer) or :meth:`not_an_answer` (not counted); one
    that wants to end the form sets ``form_outcome`` (the form then asks nothing more and
    its submit action saves nothing). After the second wrong answer in a row the form
    says :meth:`explanation`; after the third it offers to try again with an example,
    to leave, or a person.

    Before and after the validator, :meth:`get_validation_events` asks
    :mod:`actions.signup.digression` whether the message answers the question at all:
    a question, small talk, 我的报名, another request or an old button is answered by
    :meth:`aside` and goes back to the question through :meth:`not_an_answer`, the one
    place for a message that does not answer the question asked.
    """

    MAX_FAILURES = 3  # this many wrong answers in a row: offer a person
    EXPLAIN_AFTER = 2  # this many: explain the question in more detail

    # Keep this base out of the action server's registry (rasa-sdk registers every
    # concrete Action subclass it finds).
    @abstractmethod
    def name(self) -> str:
        raise NotImplementedError("a form validation action must implement name()")

    @abstractmethod
    def form_slots(self, tracker: Tracker) -> list[str]:
        """The slots this form still needs, in the order they are asked."""

    async def explanation(self, slot: str) -> str | None:
        """The longer explanation of a question, said after the second wrong answer."""
        return texts.EXPLANATIONS.get(slot)

    # -------------------------------------------------------- which slot comes next

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(FORM_OUTCOME):
            return []
        slots = self.form_slots(tracker)
        if self.failing_slot(tracker, slots):
            return [FORM_HELP, *slots]
        return slots

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType:
        """Always say which slot is next (``None`` ends the form)."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        missing = next((slot for slot in required if tracker.slots.get(slot) is None), None)
        return SlotSet(REQUESTED_SLOT, missing)

    def failing_slot(self, tracker: Tracker, slots: list[str] | None = None) -> str | None:
        """The empty slot that failed MAX_FAILURES times in a row, if any."""
        failures = tracker.get_slot(FORM_FAILURES) or {}
        for slot, count in failures.items():
            if count >= self.MAX_FAILURES and tracker.get_slot(slot) is None and (slots is None or slot in slots):
                return slot
        return None

    # -------------------------------------------------------- counting failures

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        logging_setup.install()
        token, rejected = _NOT_COUNTED.set(set()), _REJECTED.set(set())
        try:
            return await super().run(dispatcher, tracker, domain)
        finally:
            _NOT_COUNTED.reset(token)
            _REJECTED.reset(rejected)

    @property
    def spec(self) -> FormSpec | None:
        return FORMS.get(self.form_name())

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        asked = tracker.get_slot(REQUESTED_SLOT)
        answered = tracker.slots_to_validate()
        judged = bool(asked and asked in answered and not tracker.get_slot(FORM_OUTCOME))
        message = Message.from_parse(tracker.latest_message)
        own_intent = self.spec.intent if self.spec else None
        if judged and asked is not None:
            kind = digression.before_validation(message, asked, answered[asked], own_intent)
            if kind is not None:
                return await self._aside(kind, message, asked, dispatcher, tracker)

        # The validator speaks into a buffer: if the message turns out not to be an
        # answer after all, what it said ("这好像不是姓名") is never sent.
        said = CollectingDispatcher()
        before = dict(tracker.slots)
        events = await super().get_validation_events(said, tracker, domain)
        if judged and asked is not None:
            # Rejected, or taken (a value, "修改信息" at a confirmation, a "no" that ends the form).
            accepted = asked not in (_REJECTED.get() or set())
            kind = digression.after_validation(message, asked, answered[asked], accepted, own_intent)
            if kind == digression.MAYBE_QUESTION:
                kind = digression.QUESTION if await self._knowledge_answers(message) else None
            if kind is not None:
                tracker.slots.clear()
                tracker.slots.update(before)  # the validator's values are forgotten
                return await self._aside(kind, message, asked, dispatcher, tracker)
        dispatcher.messages.extend(said.messages)
        if answered and tracker.get_slot(FORM_ASIDE) is not None:
            # The question was answered (or failed) this time: no aside any more. Only
            # then: a message the form extracted nothing from (算了, 转人工) must leave no
            # slot event, so that Rasa rejects the form and the rules run.
            events.insert(0, SlotSet(FORM_ASIDE, None))
        events.extend(await self._count_failures(asked, answered, events, dispatcher, tracker))
        return events

    async def _aside(
        self, kind: str, message: Message, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType]:
        kept = await self.aside(kind, message, slot, dispatcher, tracker)
        back = self.not_an_answer(slot, dispatcher, None, kind)
        return [*(SlotSet(name, value) for name, value in back.items()), *kept]

    async def aside(
        self, kind: str, message: Message, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType]:
        """Answer a message that does not answer ``slot`` as it would be answered outside
        the form (a form may say more; it asks again after); the events to keep."""
        try:
            return await asides.say_aside(kind, message, slot, dispatcher, tracker, self.explanation)
        except Exception:
            logger.exception("answering %s inside %s failed", kind, self.form_name())
            dispatcher.utter_message(text=texts.TECHNICAL_PROBLEM)
            return []

    @staticmethod
    async def _knowledge_answers(message: Message) -> bool:
        """Does the knowledge base answer this text confidently? ("匠心工坊" typed where
        the employer was asked is a question; "宁波永发机械有限公司" is not.)"""
        try:
            from actions.stores import knowledge

            hits = (await knowledge()).search(message.text, limit=1)
        except Exception:
            logger.exception("knowledge search inside a form failed")
            return False
        return bool(hits and hits[0].confident)

    async def _count_failures(
        self,
        asked: str | None,
        answered: Slots,
        events: list[EventType],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> list[EventType]:
        if not asked or asked == FORM_HELP or asked not in answered:
            return []
        if tracker.get_slot(FORM_OUTCOME):
            return []
        values = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        failures = dict(tracker.get_slot(FORM_FAILURES) or {})
        if values.get(asked) is not None:
            failures.pop(asked, None)
        elif asked in (_NOT_COUNTED.get() or set()):
            pass  # not the worker's mistake
        else:
            failures[asked] = failures.get(asked, 0) + 1
            if failures[asked] == self.EXPLAIN_AFTER:
                explanation = await self.explanation(asked)
                if explanation:
                    dispatcher.utter_message(text=explanation)
        return [SlotSet(FORM_FAILURES, failures or None)]

    def reject(self, slot: str, dispatcher: CollectingDispatcher, message: str) -> Slots:
        """Say why an answer is not accepted; the form asks the question again."""
        rejected = _REJECTED.get()
        if rejected is not None:
            rejected.add(slot)
        dispatcher.utter_message(text=message)
        return {slot: None}

    def not_an_answer(
        self,
        slot: str,
        dispatcher: CollectingDispatcher,
        message: str | None = texts.ANSWER_FIRST,
        aside: str | None = digression.STALE,
    ) -> Slots:
        """The message does not answer the question: say ``message`` (if any) and ask
        again, with a way on and a way out, without counting it as a wrong answer."""
        self.dont_count(slot)
        if message:
            dispatcher.utter_message(text=message)
        return {slot: None, FORM_ASIDE: aside}

    def dont_count(self, slot: str) -> None:
        """The question is asked again in this turn, but not because of a wrong answer."""
        not_counted = _NOT_COUNTED.get()
        if not_counted is not None:
            not_counted.add(slot)

    def clean_answer(
        self,
        slot: str,
        clean: Callable[[Any], Any],
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        plain: Callable[[Any], Any] | None = None,
    ) -> Slots:
        """``clean`` an answer the worker typed; a value prefilled from the registry
        (validated when the form starts, nothing asked yet) only gets the registry's
        ``plain`` normalizer."""
        if plain is not None and tracker.get_slot(REQUESTED_SLOT) is None:
            clean = plain
        if is_payload(value):
            return self.not_an_answer(slot, dispatcher)
        try:
            return {slot: clean(value)}
        except InvalidInput as error:
            return self.reject(slot, dispatcher, error.message)

    # -------------------------------------------------------- after too many failures

    async def validate_form_help(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """再试一次 (deny): ask the failed question again. Typed text is taken as a new
        answer to it. (转人工 is not extracted at all: see the class docstring.)"""
        failed = self.failing_slot(tracker)
        failures = dict(tracker.get_slot(FORM_FAILURES) or {})
        if failed:
            failures.pop(failed, None)
        result: Slots = {FORM_HELP: None, FORM_FAILURES: failures or None}
        if value == "retry":
            result[FORM_ASIDE] = "retry"  # the question comes again with an example
        if failed and value != "retry" and value is not None:
            validate: Callable[..., Awaitable[Slots]] | None = getattr(self, f"validate_{failed}", None)
            if validate is not None:
                answer = await validate(value, dispatcher, tracker, domain)
                result.update(answer)
                if answer.get(failed) is None:
                    failures[failed] = 1
                    result[FORM_FAILURES] = failures
        return result

    # -------------------------------------------------------- yes / no questions

    def yes_or_no(self, value: Any, slot: str, dispatcher: CollectingDispatcher) -> Slots:
        """A question answered 是 or 不是 (buttons or typed)."""
        answer = parse_yes_no(value)
        if answer is None:
            return self.reject(slot, dispatcher, texts.YES_OR_NO)
        return {slot: answer}

    def confirm(self, value: Any, slot: str, dispatcher: CollectingDispatcher) -> Slots:
        """The last question of a form: yes → go on, no → end without saving."""
        answer = parse_yes_no(value)
        if answer is True:
            return {slot: True}
        if answer is False:
            return {slot: None, FORM_OUTCOME: OUTCOME_CANCELLED}
        return self.reject(slot, dispatcher, texts.PRESS_A_BUTTON)


Validator = Callable[[SignupFormValidationAction, Any, CollectingDispatcher, Tracker, DomainDict], Awaitable[Slots]]


def confirmation_validator(slot: str) -> Validator:
    """``validate_<slot>`` of a form's final yes/no question that needs nothing else:
    assign it in the class body (``validate_x_confirmed = confirmation_validator(...)``)."""

    async def validate(
        form: SignupFormValidationAction,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        return form.confirm(value, slot, dispatcher)

    return validate


# ---------------------------------------------------------------- asking


class AskAction(Action, ABC):
    """An ``action_ask_<slot>``: never fails the turn — a plain question if anything breaks."""

    fallback_text = texts.ASK_FALLBACK

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot asked for (subclasses set it as a class attribute)."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        logging_setup.install()
        asked = CollectingDispatcher()
        try:
            await self.ask(asked, tracker)
        except Exception:
            logger.exception("asking for %s failed", self.slot)
            asked.messages.clear()
            asked.utter_message(text=self.fallback_text)
        try:
            spec = FORMS.get(tracker.active_loop_name or "")
            await asides.decorate_question(
                asked.messages,
                self.slot,
                tracker.get_slot(FORM_ASIDE),
                tracker,
                confirmation=spec is not None and spec.confirmation == self.slot,
            )
        except Exception:
            logger.exception("asking for %s again failed", self.slot)
        dispatcher.messages.extend(asked.messages)
        return []

    @abstractmethod
    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Say the question (with buttons)."""


class StaticAskAction(AskAction, ABC):
    """A question that is always the same: ``texts.QUESTIONS[slot]``, or
    ``texts.EDIT_QUESTIONS[slot]`` when the worker chose to change this field of their
    profile. (Not a domain response: a response used only by a form counts as unused
    for ``rasa data validate``.)"""

    buttons: ClassVar[tuple[replies.Button, ...]] = ()

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        editing = tracker.get_slot("profile_field") == self.slot and self.slot in texts.EDIT_QUESTIONS
        text = texts.EDIT_QUESTIONS[self.slot] if editing else texts.QUESTIONS[self.slot]
        dispatcher.utter_message(text=text, buttons=replies.buttons(self.buttons))


def failures_of(tracker: Tracker, slot: str) -> int:
    """How many wrong answers in a row this question has had."""
    return int((tracker.get_slot(FORM_FAILURES) or {}).get(slot, 0))


# ---------------------------------------------------------------- starting and submitting


class StartFormAction(Action, ABC):
    """Forget the slots of any earlier form (and any earlier offer), then ``prepare``
    from the first message.

    A first message that asks *how* (:func:`actions.signup.offer.asks_how`) is answered
    by :meth:`explain_how` instead, when the form has one: the form then ends at once,
    nothing asked, and the offer it made waits for a "yes" (:mod:`actions.signup.offer`).
    A failure becomes the technical-problem apology and ends the form at once.
    """

    @abstractmethod
    def name(self) -> str:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        logging_setup.install()
        events: list[EventType] = [*reset_events(tracker), *offer.offer_events_cleared(tracker)]
        try:
            asking_how = offer.asks_how(latest_text(tracker)) and latest_intent(tracker) != "affirm"
            explained = await self.explain_how(dispatcher, tracker) if asking_how else None
            if explained is not None:
                return [*events, *explained, SlotSet(FORM_OUTCOME, OUTCOME_ABORT)]
            events.extend(await self.prepare(dispatcher, tracker))
        except Exception:
            logger.exception("%s failed", self.name())
            say_technical_problem(dispatcher)
            events.append(SlotSet(FORM_OUTCOME, OUTCOME_ABORT))
        return events

    async def explain_how(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
        """Explain how this sign-up goes and offer it (events: the offer); None: this
        form has no explanation, a how-question starts it like any request."""
        return None

    async def prepare(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """What the first message already says (slots to set); nothing by default."""
        return []


class SubmitFormAction(Action, ABC):
    """Runs when a form is done. Saves only after the worker's final "yes" (to the form's
    ``confirmation``, unless ``confirmed`` says otherwise); forgets the form's slots
    either way."""

    @property
    @abstractmethod
    def form(self) -> FormSpec:
        """The form this action submits (subclasses set it as a class attribute)."""

    @abstractmethod
    def name(self) -> str:
        raise NotImplementedError

    @abstractmethod
    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """Write to the registry and tell the worker the result (events to add)."""

    def confirmed(self, tracker: Tracker) -> bool:
        slot = self.form.confirmation
        return slot is None or tracker.get_slot(slot) is True

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        logging_setup.install()
        outcome = tracker.get_slot(FORM_OUTCOME)
        extra: list[EventType] = []
        try:
            if outcome == OUTCOME_ABORT:
                pass  # the reason was said when the form ended
            elif outcome == OUTCOME_CANCELLED or not self.confirmed(tracker):
                dispatcher.utter_message(text=cancelled_text(self.form.name))
            else:
                extra = await self.submit(dispatcher, tracker)
        except Exception:
            logger.exception("%s failed", self.name())
            say_technical_problem(dispatcher)
        return [*reset_events(tracker), *extra]
