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
each rule is long, and stops at a rule's first misfit. The rules it finds are the same.

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
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION

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


def possible_keys(
    lookup: Mapping[str, Any],
    states: list[State],
    does_rule_match_state: Callable[[State, State], bool],
    rasas_own: Callable[[], set[str]],
) -> set[str]:
    """The keys of ``lookup`` whose rules fit ``states`` (module docstring); ``rasas_own``
    computes Rasa's set, asked for when the longest rules found tie."""
    latest_first = states[::-1]
    found: set[str] = set()
    for key in lookup:
        rule = reversed_rule(key)
        depth = min(len(rule), len(latest_first))
        if all(fits(rule[i], latest_first[i], does_rule_match_state) for i in range(depth)):
            found.add(key)
    if len(found) > 1:
        longest = max(len(key) for key in found)
        if sum(len(key) == longest for key in found) > 1:
            return rasas_own()
    return found
