"""``priorstates``: the policies see exactly the states Rasa computes, turn after turn, for
the project's own domain, stories, rules and test stories — with the in-place changes and
rewinds a served conversation has — while the states of earlier turns are computed once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    DefinePrevUserUtteredFeaturization,
    Event,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

from rasa_ext import patches, prior_states, tracker_copy

REPO = Path(__file__).resolve().parents[2]
STORY_FILES = sorted(
    [
        *(REPO / "nlu_data" / "stories").rglob("*.yml"),
        *(REPO / "nlu_data" / "rules").rglob("*.yml"),
        *(REPO / "tests" / "stories").rglob("*.yml"),
    ]
)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain"))


def _conversations(domain: Domain) -> list[list[Event]]:
    reader = YAMLStoryReader(domain)
    found = []
    for path in STORY_FILES:
        for step in reader.read_from_file(str(path)):
            events = [e for e in step.events if isinstance(e, Event)]
            if any(isinstance(e, UserUttered) for e in events):
                found.append(events)
    return found


def _served(events: list[Event]) -> list[Event]:
    """The story as the processor writes it: a session start first, and after the first
    action that answers a user message, the in-place change of that message's featurization."""
    out: list[Event] = [SessionStarted(), ActionExecuted("action_listen")]
    after_user = False
    for event in events:
        if isinstance(event, UserUttered) and not event.intent_name:
            continue  # an OR-step or checkpoint artefact without an intent
        out.append(event)
        if isinstance(event, UserUttered):
            after_user = True
        elif isinstance(event, ActionExecuted) and after_user and event.action_name != "action_listen":
            out.append(DefinePrevUserUtteredFeaturization(False))
            after_user = False
    return out


ARGUMENTS: list[dict[str, Any]] = [
    {},  # RulePolicy's prediction states
    {"ignore_rule_only_turns": True, "rule_only_data": {"rule_only_slots": ["requested_slot"], "rule_only_loops": []}},
    {"omit_unset_slots": True},
]


def _compare(domain: Domain, original: Any, tracker: DialogueStateTracker) -> int:
    """Both functions on the tracker as it is now; returns how many states were compared."""
    compared = 0
    for arguments in ARGUMENTS:
        ours = prior_states.states_for_tracker_history(domain, tracker, **arguments)
        rasas = original(domain, tracker, **arguments)
        assert ours == rasas, (arguments, [e.type_name for e in tracker.events])
        ours[-1].clear()  # a caller may edit what it gets: the next call must not see it
        compared += len(rasas)
    return compared


def test_every_prefix_of_every_story_gives_rasas_states(domain: Domain) -> None:
    original = Domain.__dict__["states_for_tracker_history"]
    conversations = _conversations(domain)
    assert len(conversations) > 40
    compared = 0
    for events in conversations:
        tracker = DialogueStateTracker.from_events("s", [], domain.slots)
        for event in _served(events):
            tracker.update(event)
            compared += _compare(domain, original, tracker)
    assert compared > 5000


def test_a_rewind_and_a_new_session_are_computed_again(domain: Domain) -> None:
    original = Domain.__dict__["states_for_tracker_history"]
    tracker = DialogueStateTracker.from_events("s", [ActionExecuted("action_listen")], domain.slots)
    for event in [
        UserUttered("你好", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"),
        UserUttered("劳模班学费", {"name": "ask_subsidy", "confidence": 1.0}),
        ActionExecuted("action_answer_question"),
        ActionExecuted("action_listen"),
        UserUttered("错了", {"name": "deny", "confidence": 1.0}),
        UserUtteranceReverted(),
        ActionExecuted("action_listen"),
        UserUttered("读书节", {"name": "ask_reading", "confidence": 1.0}),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("你好", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"),
    ]:
        tracker.update(event)
        _compare(domain, original, tracker)


def test_earlier_turns_are_not_computed_again(domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    get_active_state = Domain.get_active_state
    monkeypatch.setattr(
        Domain, "get_active_state", lambda self, *a, **k: calls.append(1) or get_active_state(self, *a, **k)
    )
    tracker = DialogueStateTracker.from_events("s", [SessionStarted(), ActionExecuted("action_listen")], domain.slots)
    per_turn = []
    for i in range(8):
        tracker.update(UserUttered(f"你好{i}", {"name": "greet", "confidence": 1.0}))
        calls.clear()
        prior_states.states_for_tracker_history(domain, tracker)  # the first prediction
        tracker.update(ActionExecuted("utter_greet"))
        prior_states.states_for_tracker_history(domain, tracker)  # the second
        tracker.update(ActionExecuted("action_listen"))
        per_turn.append(len(calls))
    # Rasa computes a state for every action of the session on both predictions (6 states
    # in the first turn, 38 in the eighth); here only those since the previous user message
    # (3, then 2), whatever the session's length
    assert per_turn[1:] == [5] * 7


def test_the_patch_goes_in_and_out(domain: Domain) -> None:
    original = Domain.__dict__["states_for_tracker_history"]
    with patches.applied(["priorstates"]) as active:
        assert active == ["priorstates"]
        assert Domain.__dict__["states_for_tracker_history"] is not original
        tracker = DialogueStateTracker.from_events("s", [ActionExecuted("action_listen")], domain.slots)
        tracker.update(UserUttered("你好", {"name": "greet", "confidence": 1.0}))
        assert domain.states_for_tracker_history(tracker) == original(domain, tracker)
    assert Domain.__dict__["states_for_tracker_history"] is original


def test_the_replay_starts_from_what_init_copy_gives(domain: Domain) -> None:
    """The fast copy: the same slot classes, every attribute equal, values reset, and
    independent of the original (setting a slot on the copy leaves the tracker alone)."""
    tracker = DialogueStateTracker.from_events("s", [ActionExecuted("action_listen")], domain.slots)
    tracker.update(SlotSet("worker_name", "小王"))
    ours, rasas = tracker_copy.initial_copy(tracker), tracker.init_copy()
    assert list(ours.slots) == list(rasas.slots) and len(ours.slots) > 30
    for name, slot in rasas.slots.items():
        assert type(ours.slots[name]) is type(slot)
        assert ours.slots[name].__dict__ == slot.__dict__, name
    assert (ours.sender_id, ours.is_rule_tracker, ours.latest_action, ours.active_loop) == (
        rasas.sender_id,
        rasas.is_rule_tracker,
        rasas.latest_action,
        rasas.active_loop,
    )
    ours.update(SlotSet("worker_name", "小李"))
    assert tracker.get_slot("worker_name") == "小王" and rasas.get_slot("worker_name") is None
    assert tracker_copy._PLAIN_SLOT_CLASSES, "the project's slot classes copy as plain objects"
    with patches.applied(["fastcopy"]):
        assert type(tracker.init_copy().slots["worker_name"]) in tracker_copy._PLAIN_SLOT_CLASSES
        assert tracker.copy().current_state() == tracker.current_state()


def test_one_replay_serves_every_policy_of_a_prediction(domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    """RulePolicy (from the text, then from the intent) and MemoizationPolicy ask for the
    same events: the tracker is copied and replayed once per prediction, not three times."""
    copies = []
    init_copy = DialogueStateTracker.init_copy
    monkeypatch.setattr(DialogueStateTracker, "init_copy", lambda self: copies.append(1) or init_copy(self))
    original = Domain.__dict__["states_for_tracker_history"]
    tracker = DialogueStateTracker.from_events("s", [SessionStarted(), ActionExecuted("action_listen")], domain.slots)
    per_prediction = []
    for i in range(4):
        for event in (UserUttered(f"你好{i}", {"name": "greet", "confidence": 1.0}), ActionExecuted("utter_greet")):
            tracker.update(event)
            before = len(copies)
            for arguments in (ARGUMENTS[0], ARGUMENTS[0], ARGUMENTS[1]):
                ours = prior_states.states_for_tracker_history(domain, tracker, **arguments)
                monkeypatch.setattr(DialogueStateTracker, "init_copy", init_copy)  # Rasa's copies not counted
                assert ours == original(domain, tracker, **arguments)
                monkeypatch.setattr(DialogueStateTracker, "init_copy", lambda self: copies.append(1) or init_copy(self))
            per_prediction.append(len(copies) - before)
        tracker.update(ActionExecuted("action_listen"))
    assert per_prediction == [1] * 8
