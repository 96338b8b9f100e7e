"""A custom action's reply checked against Rasa's schema with one event type's rules per
event instead of all 23 (used by the ``fastval`` patch in :mod:`rasa_ext.patches`).

Why: Rasa's reply schema (``RemoteAction.action_response_format_spec``) says each event is
``oneOf`` 23 alternatives, and ``oneOf`` means jsonschema validates every event against
every alternative to be sure exactly one matches. Under 50 workers that was 8 % of the
Rasa server's event loop (py-spy, docs/bench-ablation.md), for replies of a dozen events.

Each alternative pins the event's type name (``"event": {"const": "slot"}``, every name
different) and the event's own properties require ``event`` to be a string, so an event
whose ``event`` is the string X can match no alternative but X's: the reply satisfies the
schema exactly when the reply's shell does (``events`` a list, ``responses`` a list of
objects) and each event satisfies its common properties together with X's alternative.

:meth:`ReplyValidator.is_valid` answers True only through that equivalence; anything it
cannot place (an event that is not an object, a type name no alternative pins, a schema
of another shape) goes to the whole schema's validator, which has the last word. A False
never comes from the shortcut alone, so a bad reply still reaches Rasa's own error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import validators


class ReplyValidator:
    """The whole schema's validator, and the per-event-type shortcut when the schema has
    the shape described in the module docstring (:attr:`shortcut` says whether it does)."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        validator_class = validators.validator_for(schema)
        validator_class.check_schema(schema)  # once, instead of once per reply
        self._whole = validator_class(schema)
        self._shell: Any = None
        self._by_type: dict[str, Any] = {}
        parts = _split(schema)
        if parts is not None:
            shell, common, alternatives = parts
            self._shell = validator_class(shell)
            self._by_type = {name: validator_class({**common, "allOf": [alt]}) for name, alt in alternatives.items()}

    @property
    def shortcut(self) -> bool:
        return self._shell is not None

    def is_valid(self, reply: Any) -> bool:
        if self._fast_ok(reply):
            return True
        return bool(self._whole.is_valid(reply))

    def _fast_ok(self, reply: Any) -> bool:
        if self._shell is None or not self._shell.is_valid(reply):
            return False
        events = reply.get("events", []) if isinstance(reply, dict) else []
        if not isinstance(events, list):
            return False
        for event in events:
            name = event.get("event") if isinstance(event, dict) else None
            validator = self._by_type.get(name) if isinstance(name, str) else None
            if validator is None or not validator.is_valid(event):
                return False
        return True


def _split(schema: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, Any]]] | None:
    """(the schema with any events allowed, one event's common part, alternative per type
    name), or None when the schema is not the one the equivalence was worked out for."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return None
    events = properties.get("events")
    if not isinstance(events, Mapping) or set(events) != {"type", "items"} or events["type"] != "array":
        return None
    event = events["items"]
    if not isinstance(event, Mapping):
        return None
    common = {key: value for key, value in event.items() if key != "oneOf"}
    if (
        set(common) != {"type", "properties", "required"}
        or common["type"] != "object"
        or common["required"] != ["event"]
        or common["properties"].get("event") != {"type": "string"}
    ):
        return None
    alternatives: dict[str, dict[str, Any]] = {}
    for alternative in event.get("oneOf", []):
        pinned = alternative.get("properties", {}).get("event", {})
        if set(pinned) != {"const"} or not isinstance(pinned["const"], str) or pinned["const"] in alternatives:
            return None
        alternatives[pinned["const"]] = dict(alternative)
    if not alternatives:
        return None
    shell = {**schema, "properties": {**properties, "events": {"type": "array"}}}
    return shell, common, alternatives
