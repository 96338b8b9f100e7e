"""Real ``rasa_sdk.Tracker`` objects for action turns, the way Rasa sends them to the
action server, and a driver that plays Rasa's part for a form (importable as
``tests.actions.helpers``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlite_utils import Database

from registry import save_worker

SENDER = "tg-1001"
#: When the test turns happen (2026-11-16 10:00 in Ningbo; the actions never look at it).
EVENT_TIME = 1_794_794_400.0

#: The profile of the worker ``register`` stores, as the form's slots hold it.
PROFILE_SLOTS: dict[str, Any] = {
    "worker_name": "张三",
    "worker_phone": "13812341234",
    "worker_employer": "宁波永发机械有限公司",
    "worker_district": "海曙区",
    "worker_union_member": True,
    "profile_confirmed": "yes",
}
#: A subsidy application as ``registry.create_application`` takes it.
APPLICATION: dict[str, Any] = dict(
    name="张三",
    phone="13812341234",
    school="宁波开放大学",
    programme="会计学",
    graduation_date="2024-06",
    certificate_no="106471202405001234",
)


def register(db: Database, sender_id: str = SENDER, **overrides: Any) -> None:
    """Store the worker of ``PROFILE_SLOTS`` (or another one) in the registry."""
    profile = {
        "name": PROFILE_SLOTS["worker_name"],
        "phone": PROFILE_SLOTS["worker_phone"],
        "employer": PROFILE_SLOTS["worker_employer"],
        "district": PROFILE_SLOTS["worker_district"],
        "union_member": PROFILE_SLOTS["worker_union_member"],
    }
    profile.update(overrides)
    save_worker(db, sender_id, **profile)


def user_event(text: str, intent: str = "inform", entities: list[dict] | None = None) -> dict:
    return {
        "event": "user",
        "timestamp": EVENT_TIME,
        "text": text,
        "parse_data": {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []},
    }


def slot_values(events: list[dict]) -> dict[str, Any]:
    """The last value each returned SlotSet gives a slot."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def make_tracker(
    domain: dict[str, Any],
    *,
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "inform",
    entities: list[dict] | None = None,
    events: list[dict] | None = None,
    active_loop: str | None = None,
    sender_id: str = SENDER,
) -> Tracker:
    all_slots = {name: None for name in domain["slots"]}
    all_slots["requested_slot"] = None
    all_slots.update(slots or {})
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    history = [user_event(text, intent, entities)] + list(events or [])
    return Tracker(
        sender_id,
        all_slots,
        latest,
        history,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


async def run_action(action: Action, tracker: Tracker, domain: dict) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return events, dispatcher.messages


async def run(action: Action, domain: dict, sender_id: str = SENDER, **kwargs: Any) -> tuple[dict, str, list]:
    """Run one action on a tracker made of ``kwargs``: (slots set, text said, buttons)."""
    events, messages = await run_action(action, make_tracker(domain, sender_id=sender_id, **kwargs), domain)
    return slot_values(events), texts(messages), buttons(messages)


def rows(db: Database, table: str) -> list[dict]:
    return list(db[table].rows)


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def buttons(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in (m.get("buttons") or [])]


@dataclass
class Turn:
    events: list[dict]
    messages: list[dict]

    @property
    def slots(self) -> dict[str, Any]:
        return slot_values(self.events)

    @property
    def requested(self) -> str | None:
        return self.slots.get("requested_slot")

    @property
    def text(self) -> str:
        return texts(self.messages)


@dataclass
class FormDriver:
    """Plays Rasa's part for one form: activation with prefilled slots, then one answer
    per turn to the requested slot, carrying the slots between turns."""

    action: Any
    form: str
    domain: dict[str, Any]
    sender_id: str = SENDER
    slots: dict[str, Any] = field(default_factory=dict)

    async def activate(self, **prefilled: Any) -> Turn:
        self.slots.update(prefilled)
        candidates = {k: v for k, v in self.slots.items() if v is not None and k in self._form_slots()}
        events = [
            {"event": "active_loop", "name": self.form},
            {"event": "slot", "name": "requested_slot", "value": None},
            {"event": "action", "name": self.form},
        ]
        events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
        tracker = make_tracker(
            self.domain,
            slots={**self.slots, "requested_slot": None},
            events=events,
            active_loop=self.form,
            sender_id=self.sender_id,
        )
        return await self._run(tracker)

    async def answer(
        self,
        value: Any,
        *,
        text: str | None = None,
        intent: str = "inform",
        entities: list[dict] | None = None,
    ) -> Turn:
        asked = self.slots.get("requested_slot")
        assert asked, "the form is not asking anything"
        text = text if text is not None else (value if isinstance(value, str) else "")
        events = [
            {"event": "slot", "name": "requested_slot", "value": asked},
            {"event": "action", "name": self.form},
            {"event": "slot", "name": asked, "value": value},
        ]
        tracker = make_tracker(
            self.domain,
            slots={**self.slots, asked: value},
            text=text,
            intent=intent,
            entities=entities,
            events=events,
            active_loop=self.form,
            sender_id=self.sender_id,
        )
        return await self._run(tracker)

    async def _run(self, tracker: Tracker) -> Turn:
        events, messages = await run_action(self.action, tracker, self.domain)
        turn = Turn(events, messages)
        self.slots.update(turn.slots)
        return turn

    @property
    def requested(self) -> str | None:
        return self.slots.get("requested_slot")

    def _form_slots(self) -> list[str]:
        return self.domain["forms"][self.form]["required_slots"]


def returning(domain: dict[str, Any], form_action: Any, form: str, **slots: Any) -> FormDriver:
    """A form for a worker the registry knows: the start action filled their profile."""
    prefilled = {"worker_registered": True, **{k: v for k, v in PROFILE_SLOTS.items() if k != "profile_confirmed"}}
    prefilled.update(slots)
    return FormDriver(form_action, form, domain, slots=prefilled)
