"""The domain (domain/) and the actions agree: every action exists on both sides, every
form asks what its validator may ask, every form slot lets 算了 / 转人工 through to the
rules, the offer of a person works, and the domain's buttons are the catalogue's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

from actions.signup.base import CONTROL_SLOTS, FORMS
from common import texts
from tests.support import REPO

OURS = re.compile(
    r"^(validate_\w+_form|action_(start|submit|ask)_\w+|action_(cancel|close)_form|"
    r"action_my_records|action_my_data|action_check_application|action_export_my_data|action_answer_question|"
    r"action_list_courses|action_handoff|action_default_fallback|action_session_start)$"
)


@pytest.fixture(scope="module")
def registered() -> set[str]:
    executor = ActionExecutor()
    executor.register_package("actions")
    return set(executor.actions)


def test_every_domain_action_is_served_and_every_served_action_declared(domain: dict, registered: set[str]) -> None:
    declared = {a for a in domain["actions"] if OURS.match(a)}
    assert declared == registered
    assert len(declared) == len(set(domain["actions"]) - set(domain["responses"]))


def test_every_domain_file_is_one_feature_with_its_own_module() -> None:
    for path in sorted((REPO / "domain").glob("*.yml")):
        modules = {
            REPO / "actions" / f"{path.stem}.py",
            REPO / "actions" / path.stem / "__init__.py",  # signup.yml: what every form shares
            REPO / "actions" / "signup" / f"{path.stem}.py",
        }
        assert path.stem == "general" or any(m.exists() for m in modules), path.name


def test_forms_ask_what_the_validators_may_ask(domain: dict) -> None:
    assert set(FORMS) == set(domain["forms"])
    for form, spec in FORMS.items():
        assert domain["forms"][form]["required_slots"] == [*spec.questions, "form_help"], form
    for spec in FORMS.values():
        for slot in {*CONTROL_SLOTS, *spec.questions, *spec.working_slots}:
            assert domain["slots"][slot]["influence_conversation"] is False, slot


def test_every_question_has_an_ask_action(registered: set[str]) -> None:
    for spec in FORMS.values():
        for slot in [*spec.questions, "form_help"]:
            assert f"action_ask_{slot}" in registered, slot


def _form_mappings(domain: dict) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, slot in domain["slots"].items():
        for mapping in slot.get("mappings", []):
            forms = {c.get("active_loop") for c in mapping.get("conditions", [])}
            if forms & set(FORMS):
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
    forms = {c["active_loop"] for m in mappings for c in m["conditions"]}
    assert forms == set(FORMS)


def test_rules_cover_every_form() -> None:
    rules = [
        rule
        for path in sorted((REPO / "nlu_data" / "rules").rglob("*.yml"))
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", [])
    ]
    for form in FORMS:
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


@pytest.mark.parametrize("response", ["utter_greet", "utter_thank", "utter_iamabot", "utter_anything_else"])
def test_the_domains_topic_buttons_are_the_catalogues(domain: dict, response: str) -> None:
    (variant,) = domain["responses"][response]
    assert variant["buttons"] == list(texts.TOPIC_MENU)
