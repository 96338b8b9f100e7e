"""``rulematch``: RulePolicy finds the same rules as Rasa's loop, for the trained model's
own rules and the dialogue states of every prefix of every story, rule and test story of
the project (as the policy sees them: from intents, and from the text of the latest
message), and asks Rasa's loop whenever the rules found would leave a tie to its set's
order. Needs the trained model (``make train``)."""

from __future__ import annotations

import json
import tarfile
from typing import Any

import pytest
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.shared.core.constants import USER
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, TEXT

from rasa_ext import patches, rule_matching
from tests.rasa_ext.test_prior_states import _conversations, _served
from tests.support import MODEL, REPO

pytestmark = pytest.mark.slow

MATCH = RulePolicy._does_rule_match_state


@pytest.fixture(scope="module")
def lookup() -> dict[str, Any]:
    with tarfile.open(MODEL) as model:
        member = next(m for m in model.getmembers() if m.name.endswith("train_RulePolicy0/rule_policy.json"))
        stored = model.extractfile(member)
        assert stored is not None
        return json.load(stored)["lookup"]


def every_states(domain: Domain) -> list[list[dict[str, Any]]]:
    """The states before every action of every conversation, and the same with the latest
    user message as text instead of intent (RulePolicy's first look after a message)."""
    found = []
    for story in _conversations(domain):
        events = _served(story)
        for end in range(1, len(events) + 1):
            if not isinstance(events[end - 1], ActionExecuted) and end != len(events):
                continue
            tracker = DialogueStateTracker.from_events("s", events[:end], domain.slots)
            states = domain.states_for_tracker_history(tracker)
            found.append(states)
            if states and USER in states[-1] and INTENT in states[-1][USER]:
                as_text = [dict(state) for state in states]
                as_text[-1][USER] = {TEXT: "随便说一句"}
                found.append(as_text)
    return found


def test_the_rules_found_are_rasas(lookup: dict[str, Any]) -> None:
    domain = Domain.load(str(REPO / "domain"))
    policy = RulePolicy.__new__(RulePolicy)  # only the matching methods are used
    compared = matched = 0
    for states in every_states(domain):
        for table in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
            rasas = RulePolicy._get_possible_keys(policy, lookup[table], states)
            ours = rule_matching.possible_keys(lookup[table], states, MATCH, lambda found=rasas: found)
            assert ours == rasas
            if rasas and table == RULES:
                assert max(ours, key=len) == max(rasas, key=len)
                matched += 1
            compared += 1
    assert compared > 2000 and matched > 500, (compared, matched)


def test_a_tie_between_the_longest_rules_is_left_to_rasa() -> None:
    start = {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}
    other = {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "bye"}}
    tie = {json.dumps([start]): "utter_a", json.dumps([{"prev_action": {"action_name": "action_listen"}}]): "x"}
    tie[json.dumps([{"user": {"intent": "greet"}, "prev_action": {"action_name": "action_listen"}}])] = "utter_b"
    rasas_set = {"rasa's own set"}
    found = rule_matching.possible_keys(tie, [start], MATCH, lambda: rasas_set)
    assert found is rasas_set  # two fitting rules of the same (longest) length
    no_tie = {json.dumps([start]): "utter_a", json.dumps([other]): "utter_b"}
    assert rule_matching.possible_keys(no_tie, [start], MATCH, lambda: rasas_set) == {json.dumps([start])}


def test_the_patch_goes_in_and_out(lookup: dict[str, Any]) -> None:
    original = RulePolicy.__dict__["_get_possible_keys"]
    with patches.applied(["rulematch"]) as active:
        assert active == ["rulematch"]
        assert RulePolicy.__dict__["_get_possible_keys"] is not original
        policy = RulePolicy.__new__(RulePolicy)
        states = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
        assert policy._get_possible_keys(lookup[RULES], states) == original(policy, lookup[RULES], states)
    assert RulePolicy.__dict__["_get_possible_keys"] is original


def test_the_index_files_each_rule_under_the_action_it_follows(lookup: dict[str, Any]) -> None:
    index = rule_matching.index_of(lookup[RULES])
    assert rule_matching.index_of(lookup[RULES]) is index  # made once
    filed = [key for keys in index.by_name.values() for key in keys] + list(index.starts) + list(index.unnamed)
    assert sorted(filed) == sorted(lookup[RULES])
    assert len(index.by_name) > 30  # the shortcut has something to skip
    after_listen = {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}
    assert 0 < len(index.candidates(after_listen)) < len(lookup[RULES]) / 10
