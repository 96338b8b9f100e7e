"""Which rules fit a conversation, found rule by rule instead of state by state (the
``rulematch`` speed-up, installed by :mod:`rasa_ext.patches`).

Why (py-spy under 50 workers, docs/bench-ablation.md): ``RulePolicy._get_possible_keys``
was 8 % of the Rasa server's event loop. Rasa walks the conversation's states from the
latest back to the first and, at each one, asks of *every rule still in the running*
whether it fits: a new set per state, a reversed copy of the rule per question, and the
questions go on to the session's first state although a rule of three states is decided
after three (Rasa's ``_is_rule_applicable`` answers "yes" for any state further back than
the rule is long).

:func:`possible_keys` asks Rasa's own questions (``_does_rule_match_state`` and the
conversation-start test of ``_is_rule_applicable``, repeated below) only as far back as
each rule is long, stops at a rule's first misfit, and skips the rules whose latest state
names another previous action or intent than the conversation's (:class:`Index`: those
fail Rasa's first question anyway). The rules it finds are the same.

One difference would remain: Rasa returns a set, and its caller picks the longest rule
with ``max(keys, key=len)``, so between two fitting rules of the same length the set's
iteration order decides, and that order depends on how the set was built. When the
longest rules found tie, Rasa's own function is asked instead and its set is returned,
so the caller chooses exactly as before.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

State = dict[str, Any]


@functools.lru_cache(maxsize=4096)
def reversed_rule(rule_key: str) -> tuple[State, ...]:
    """A rule's states, the latest first (rules are read once, when the model loads)."""
    return tuple(reversed(json.loads(rule_key)))


def fits(rule_state: State, conversation_state: State, does_rule_match_state: Callable[[State, State], bool]) -> bool:
    """Rasa's ``_is_rule_applicable`` for a state within the rule's length."""
    rule_previous_action = rule_state.get(PREVIOUS_ACTION)
    current_previous_action = conversation_state.get(PREVIOUS_ACTION)
    if not rule_previous_action and not current_previous_action:
        return True  # both are conversation starts
    if not rule_previous_action or not current_previous_action:
        return False  # one is a conversation start, the other is not
    return does_rule_match_state(rule_state, conversation_state)


@dataclass(frozen=True)
class Index:
    """A lookup's rules by the previous action, and the intent, their latest state names.

    A rule whose latest state names action X (or intent I) fits no state after another
    action (or with another intent, or with text instead of an intent): Rasa's
    ``_does_rule_match_state`` compares the names. A rule whose latest state is a
    conversation start fits only a conversation start, and is the only kind that does.
    The rest (a previous action without a name) are always tried.
    """

    lookup: Mapping[str, Any]  # held, so the id it is filed under stays its own
    size: int
    by_name: dict[tuple[str, str | None], tuple[str, ...]]  # (action, intent or None: any)
    starts: tuple[str, ...]
    unnamed: tuple[str, ...]

    @classmethod
    def of(cls, lookup: Mapping[str, Any]) -> Index:
        by_name: dict[tuple[str, str | None], list[str]] = {}
        starts: list[str] = []
        unnamed: list[str] = []
        for key in lookup:
            rule = reversed_rule(key)
            latest = rule[0] if rule else {}
            previous = latest.get(PREVIOUS_ACTION)
            action = _name(previous, ACTION_NAME)
            if not rule:
                unnamed.append(key)
            elif not previous:
                starts.append(key)
            elif action is not None:
                by_name.setdefault((action, _name(latest.get(USER), INTENT)), []).append(key)
            else:
                unnamed.append(key)
        return cls(lookup, len(lookup), {n: tuple(k) for n, k in by_name.items()}, tuple(starts), tuple(unnamed))

    def candidates(self, latest: State) -> tuple[str, ...]:
        """The rules that may fit a conversation whose latest state is ``latest``."""
        previous = latest.get(PREVIOUS_ACTION)
        if not previous:
            return self.starts + self.unnamed
        action = previous.get(ACTION_NAME) if isinstance(previous, dict) else None
        if not isinstance(action, str):
            return self.unnamed
        user = latest.get(USER)
        intent = user.get(INTENT) if isinstance(user, dict) else None
        named = self.by_name.get((action, intent), ()) if isinstance(intent, str) else ()
        return named + self.by_name.get((action, None), ()) + self.unnamed


def _name(sub_state: Any, key: str) -> str | None:
    """The name a rule's sub-state requires under ``key``, if it requires one."""
    value = sub_state.get(key) if isinstance(sub_state, dict) else None
    return value if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET else None


_indexes: dict[int, Index] = {}


def index_of(lookup: Mapping[str, Any]) -> Index:
    """The lookup's :class:`Index`, made once (a lookup is built once, when a model is
    trained or loaded; a lookup of another size is indexed again)."""
    index = _indexes.get(id(lookup))
    if index is None or index.lookup is not lookup or index.size != len(lookup):
        if len(_indexes) > 32:
            _indexes.clear()
        index = _indexes[id(lookup)] = Index.of(lookup)
    return index


def forget_indexes() -> None:
    _indexes.clear()


def possible_keys(
    lookup: Mapping[str, Any],
    states: list[State],
    does_rule_match_state: Callable[[State, State], bool],
    rasas_own: Callable[[], set[str]],
) -> set[str]:
    """The keys of ``lookup`` whose rules fit ``states`` (module docstring); ``rasas_own``
    computes Rasa's set, asked for when the longest rules found tie."""
    if not states:
        found = set(lookup)  # Rasa's loop asks nothing of an empty history
    else:
        latest_first = states[::-1]
        found = set()
        for key in index_of(lookup).candidates(latest_first[0]):
            rule = reversed_rule(key)
            depth = min(len(rule), len(latest_first))
            if all(fits(rule[i], latest_first[i], does_rule_match_state) for i in range(depth)):
                found.add(key)
    if len(found) > 1:
        longest = max(len(key) for key in found)
        if sum(len(key) == longest for key in found) > 1:
            return rasas_own()
    return found
