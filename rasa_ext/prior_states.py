"""The dialogue states of a conversation's earlier turns, computed once instead of on every
prediction (the ``priorstates`` speed-up, installed by :mod:`rasa_ext.patches`).

Why (py-spy under 50 workers, docs/bench-ablation.md): with the tracker cache on, the
largest part left of a Rasa turn was ``Domain.states_for_tracker_history``, 16 % of the
server's event loop. RulePolicy and MemoizationPolicy each call it twice a turn (once per
prediction), and each call replays the whole session into a fresh tracker and turns the
tracker before *every* action of the session into a state — slots, loop, previous action,
user message — although only the current turn's states are new.

:func:`states_for_tracker_history` is Rasa's loop (``rasa/shared/core/domain.py``, Rasa
3.6.21) with a checkpoint: the states of every action before the latest user message, and
the loop's two running variables at that point, are kept for the tracker object (and the
arguments) they were computed for. The next call replays the session as before (cheap:
events applied to a copy) but computes states only from the checkpoint on.

The checkpoint is used only while it is still a prefix of the tracker's applied events, by
identity: a rewind, an undo, a restart or a new session changes the applied events and
everything is computed again. It stops before the latest user message because Rasa still
changes that message's featurization within the turn
(``DefinePrevUserUtteredFeaturization`` mutates the event in place), and nothing older.
Callers may edit the states they get (the featurizers delete user text), so every call
returns copies; the kept states are never handed out.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core import constants
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

State = dict[str, Any]


@dataclass
class Checkpoint:
    """Rasa's loop after the first ``len(events)`` applied events."""

    events: list[Event] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    last_ml_action_sub_state: Any = None
    turn_was_hidden: bool = False

    def continues(self, applied: list[Event]) -> bool:
        n = len(self.events)
        return n <= len(applied) and all(a is b for a, b in zip(self.events, applied[:n], strict=True))


#: id(tracker) -> (weak reference to it, {arguments: checkpoint}); an entry goes with its tracker.
_memo: dict[int, tuple[weakref.ref, dict[tuple, Checkpoint]]] = {}


def _checkpoints(tracker: DialogueStateTracker) -> dict[tuple, Checkpoint]:
    key = id(tracker)
    entry = _memo.get(key)
    if entry is not None and entry[0]() is tracker:
        return entry[1]
    found: dict[tuple, Checkpoint] = {}

    def _gone(_ref: weakref.ref, key: int = key) -> None:
        _memo.pop(key, None)

    _memo[key] = (weakref.ref(tracker, _gone), found)
    return found


def forget_all() -> None:
    _memo.clear()


def _copy(state: State) -> State:
    """A state's two levels (the values inside are strings and tuples)."""
    return {name: _copy_sub(sub) for name, sub in state.items()}


def _args_key(domain: Any, omit_unset_slots: bool, ignore_rule_only_turns: bool, rule_only_data: Any) -> tuple:
    rule_only = json.dumps(rule_only_data, sort_keys=True, default=str) if rule_only_data else ""
    return (id(domain), bool(omit_unset_slots), bool(ignore_rule_only_turns), rule_only)


def states_for_tracker_history(
    domain: Any,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """``Domain.states_for_tracker_history`` with the checkpoint (module docstring)."""
    applied = tracker.applied_events()
    cut = max((i for i, event in enumerate(applied) if isinstance(event, UserUttered)), default=0)
    checkpoints = _checkpoints(tracker)
    key = _args_key(domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    start = checkpoints.get(key)
    if start is None or len(start.events) > cut or not start.continues(applied):
        start = Checkpoint()

    states = [_copy(state) for state in start.states]  # ours: the kept ones stay untouched
    last_ml = start.last_ml_action_sub_state
    hidden = start.turn_was_hidden
    done = len(start.events)
    kept: Checkpoint | None = None

    def step(tr: DialogueStateTracker, hide_rule_turn: bool) -> None:
        """One pass of Rasa's loop body, for the tracker before an action."""
        nonlocal last_ml, hidden
        if ignore_rule_only_turns:
            if not hidden:
                last_ml = domain._get_prev_action_sub_state(tr)
            if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
                hidden = hide_rule_turn
            if hidden:
                return
        state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if last_ml:
                state[constants.PREVIOUS_ACTION] = last_ml
        states.append(domain._clean_state(state))

    tr = tracker.init_copy()  # with ``fastcopy`` on, rasa_ext.tracker_copy.initial_copy
    for i, event in enumerate(applied):
        if i == cut and cut > done:
            kept = Checkpoint(list(applied[:cut]), [_copy(s) for s in states], _copy_sub(last_ml), hidden)
        if isinstance(event, ActionExecuted) and i >= done:
            step(tr, event.hide_rule_turn)
        tr.update(event)
    step(tr, False)

    if kept is not None:
        checkpoints[key] = kept
    return states


def _copy_sub(sub_state: Any) -> Any:
    return dict(sub_state) if isinstance(sub_state, dict) else sub_state
