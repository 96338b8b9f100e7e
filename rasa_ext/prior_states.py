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

The replay itself is shared (:class:`Replay`): RulePolicy asks twice after a user message
(from its text, then from its intent) and MemoizationPolicy once more with other
arguments, all for the same events. The first call keeps what each of Rasa's loop
iterations reads from the replayed tracker — its raw state, previous action, follow-up
action and loop — for the actions from its checkpoint on; a later call for the same
applied events (by identity, and the latest message's featurization unchanged) builds its
states from those instead of copying and replaying the tracker again.
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


@dataclass(frozen=True)
class Snapshot:
    """What one pass of Rasa's loop reads from the replayed tracker before an action."""

    state: State  # domain.get_active_state(tr, omit_unset_slots)
    previous_action: Any  # domain._get_prev_action_sub_state(tr), copied
    followup_action: str | None
    latest_action_name: str | None
    active_loop_name: str | None


@dataclass
class Replay:
    """Snapshots of one replay of ``events``: before each action from index ``start`` on
    (keyed by the action's index) and after the last event (keyed by ``len(events)``)."""

    domain: Any
    events: list[Event]
    featurization: Any  # the latest user message's use_text_for_featurization
    omit_unset_slots: bool
    start: int
    snapshots: dict[int, Snapshot]

    def serves(self, domain: Any, applied: list[Event], featurization: Any, omit: bool, start: int) -> bool:
        return (
            self.domain is domain
            and self.omit_unset_slots == omit
            and self.start <= start
            and self.featurization == featurization
            and len(self.events) == len(applied)
            and all(a is b for a, b in zip(self.events, applied, strict=True))
        )


@dataclass
class Memo:
    """A tracker's checkpoints (by arguments) and its latest replay."""

    checkpoints: dict[tuple, Checkpoint] = field(default_factory=dict)
    replay: Replay | None = None


#: id(tracker) -> (weak reference to it, its memo); an entry goes with its tracker.
_memo: dict[int, tuple[weakref.ref, Memo]] = {}


def _memo_of(tracker: DialogueStateTracker) -> Memo:
    key = id(tracker)
    entry = _memo.get(key)
    if entry is not None and entry[0]() is tracker:
        return entry[1]
    found = Memo()

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
    """``Domain.states_for_tracker_history`` with the checkpoint and the shared replay
    (module docstring)."""
    applied = tracker.applied_events()
    cut = max((i for i, event in enumerate(applied) if isinstance(event, UserUttered)), default=0)
    memo = _memo_of(tracker)
    key = _args_key(domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    start = memo.checkpoints.get(key)
    if start is None or len(start.events) > cut or not start.continues(applied):
        start = Checkpoint()
    done = len(start.events)

    latest = tracker.latest_message
    featurization = getattr(latest, "use_text_for_featurization", None)
    replay = memo.replay
    if replay is None or not replay.serves(domain, applied, featurization, bool(omit_unset_slots), done):
        replay = memo.replay = _replay(domain, tracker, applied, featurization, bool(omit_unset_slots), done)

    states = [_copy(state) for state in start.states]  # ours: the kept ones stay untouched
    last_ml = start.last_ml_action_sub_state
    hidden = start.turn_was_hidden
    kept: Checkpoint | None = None

    for i, snapshot in replay.snapshots.items():  # in event order, as the replay made them
        if i < done:
            continue
        if kept is None and cut > done and i >= cut:
            kept = Checkpoint(list(applied[:cut]), [_copy(s) for s in states], _copy_sub(last_ml), hidden)
        hide_rule_turn = applied[i].hide_rule_turn if i < len(applied) else False
        # One pass of Rasa's loop body, for the tracker before the action at i.
        if ignore_rule_only_turns:
            if not hidden:
                last_ml = _copy_sub(snapshot.previous_action)
            if not snapshot.followup_action and not snapshot.latest_action_name == snapshot.active_loop_name:
                hidden = hide_rule_turn
            if hidden:
                continue
        state = _copy(snapshot.state)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if last_ml:
                state[constants.PREVIOUS_ACTION] = last_ml
        states.append(domain._clean_state(state))

    if kept is not None:
        memo.checkpoints[key] = kept
    return states


def _replay(
    domain: Any, tracker: DialogueStateTracker, applied: list[Event], featurization: Any, omit: bool, start: int
) -> Replay:
    """Replay ``applied`` into a fresh copy of ``tracker`` (as Rasa's
    ``generate_all_prior_trackers`` does) and snapshot it before each action from ``start``
    on, and at the end."""
    snapshots: dict[int, Snapshot] = {}

    def snap(tr: DialogueStateTracker) -> Snapshot:
        return Snapshot(
            domain.get_active_state(tr, omit_unset_slots=omit),
            _copy_sub(domain._get_prev_action_sub_state(tr)),
            tr.followup_action,
            tr.latest_action_name,
            tr.active_loop_name,
        )

    tr = tracker.init_copy()  # with ``fastcopy`` on, rasa_ext.tracker_copy.initial_copy
    for i, event in enumerate(applied):
        if isinstance(event, ActionExecuted) and i >= start:
            snapshots[i] = snap(tr)
        tr.update(event)
    snapshots[len(applied)] = snap(tr)
    return Replay(domain, list(applied), featurization, omit, start, snapshots)


def _copy_sub(sub_state: Any) -> Any:
    return dict(sub_state) if isinstance(sub_state, dict) else sub_state
