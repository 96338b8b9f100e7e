"""domain.yml and the sign-up actions agree: every action exists on both sides, every
form slot lets 算了 / 转人工 through to the rules, the offer of a person works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

from actions.records_support import CONTROL_SLOTS, FORM_SLOTS

REPO = Path(__file__).resolve().parents[2]
OURS = re.compile(
    r"^(validate_\w+_form|action_(start|submit|ask)_\w+|action_(cancel|close)_form|"
    r"action_my_records|action_my_data|action_check_application)$"
)


@pytest.fixture(scope="module")
def registered() -> set[str]:
    executor = ActionExecutor()
    executor.register_package("actions")
    return set(executor.actions)


def test_every_domain_action_is_served_and_every_served_action_declared(domain: dict, registered: set[str]) -> None:
    declared = {a for a in domain["actions"] if OURS.match(a)}
    served = {a for a in registered if OURS.match(a)}
    assert declared == served


def test_forms_ask_what_the_validators_may_ask(domain: dict) -> None:
    for form, slots in FORM_SLOTS.items():
        assert domain["forms"][form]["required_slots"] == [*slots, "form_help"], form
    for slot in {*CONTROL_SLOTS, *(s for slots in FORM_SLOTS.values() for s in slots)}:
        assert domain["slots"][slot]["influence_conversation"] is False, slot


def test_every_question_has_an_ask_action(domain: dict, registered: set[str]) -> None:
    for form, slots in FORM_SLOTS.items():
        for slot in [*slots, "form_help"]:
            assert f"action_ask_{slot}" in registered or f"utter_ask_{slot}" in domain.get("responses", {}), slot


def _form_mappings(domain: dict):
    for name, slot in domain["slots"].items():
        for mapping in slot.get("mappings", []):
            forms = {c.get("active_loop") for c in mapping.get("conditions", [])}
            if forms & set(FORM_SLOTS):
                yield name, mapping


def test_stop_and_request_human_are_never_an_answer(domain: dict) -> None:
    """So the form rejects them and the rules "算了" / "a person" run."""
    for name, mapping in _form_mappings(domain):
        if mapping["type"] == "from_intent":
            assert mapping["intent"] in ("affirm", "deny"), name
        else:
            assert {"stop", "request_human"} <= set(mapping.get("not_intent", [])), name


def test_every_mapping_is_for_its_own_question(domain: dict) -> None:
    """A value typed for one question never fills another slot."""
    for name, mapping in _form_mappings(domain):
        for condition in mapping["conditions"]:
            assert condition.get("requested_slot") == name, name


def test_a_yes_to_the_offer_of_a_person_is_not_extracted(domain: dict) -> None:
    mappings = domain["slots"]["form_help"]["mappings"]
    assert not any(m.get("intent") == "affirm" for m in mappings)
    assert all("affirm" in m.get("not_intent", []) for m in mappings if m["type"] == "from_text")


def test_rules_cover_every_form() -> None:
    rules = yaml.safe_load((REPO / "nlu_data/rules/forms.yml").read_text(encoding="utf-8"))["rules"]
    for form in FORM_SLOTS:
        mine = [
            r
            for r in rules
            if any(
                s.get("action") == form or s.get("active_loop") == form
                for s in r.get("steps", []) + r.get("condition", [])
            )
        ]
        steps = [[s.get("intent") or s.get("action") for s in r["steps"]] for r in mine]
        assert ["stop", "action_cancel_form", None] in steps, form
        assert ["request_human", "action_handoff", "action_close_form", None] in steps, form
        assert ["affirm", "action_handoff", "action_close_form", None] in steps, form
