"""The Rasa-server speed-ups keep Rasa's behaviour: bad action replies are still refused,
events resolve to the same classes, and they can be switched off."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events

from rasa_ext import speedups


def test_cached_validator_still_rejects_a_bad_action_reply() -> None:
    speedups.install("fastval")
    assert getattr(jsonschema.validate, "__wrapped__", None) is not None, "the cached validator is installed"
    schema = RemoteAction.action_response_format_spec()
    jsonschema.validate({"events": [], "responses": [{"text": "好的"}]}, schema)
    for _ in range(2):  # the second call takes the cached validator
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"events": "not a list", "responses": []}, schema)


def test_event_classes_resolve_as_before() -> None:
    speedups.install("evcache")
    for name in ("user", "bot", "action", "slot", "session_started", "active_loop", "followup"):
        cls = events.Event.resolve_by_type(name)
        assert cls.type_name == name
        assert events.Event.resolve_by_type(name) is cls
    assert events.Event.resolve_by_type("no such event", default=events.BotUttered) is events.BotUttered
    assert events.Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    with pytest.raises(ValueError):
        events.Event.resolve_by_type("no such event")


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, ["fastval", "evcache"]),
        ("all", ["fastval", "evcache"]),
        ("none", []),
        ("off", []),
        ("fastval", ["fastval"]),
        (" evcache , fastval ", ["evcache", "fastval"]),
    ],
)
def test_selection_from_the_environment(setting: str | None, expected: list[str]) -> None:
    assert speedups.selected(setting) == expected


def test_a_misspelt_setting_is_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="fastval"):
        speedups.selected("fastvall")
