"""Two CPU savings inside the Rasa server that change nothing Rasa answers.

Measured with ``make bench`` (docs/benchmarks.md): together with dropping TEDPolicy they
take a turn with a custom action from ~62 ms to ~28 ms of server CPU, below the stock
``rasa init`` assistant's ~40 ms for a turn without one.

``fastval`` — Rasa 3.6 checks every custom action's reply with ``jsonschema.validate``
(``rasa/core/actions/action.py``). That function first validates the *schema itself*
against its meta-schema (Draft 2020-12 with jsonschema 4.17) and builds a new validator,
on every call: ~20 ms of CPU per turn, more than the NLU and the policies together. The
schemas Rasa passes are constants, so the checked schema and its validator are kept
(keyed by the schema's JSON text); every *reply* is still fully validated and a bad one
raises the same error as before.

``evcache`` — loading a conversation turns each stored event back into an object with
``Event.resolve_by_type``, which walks the whole ``Event`` class tree for *each event*
(~4 ms per turn for a 30-event session). The class found for a type name is remembered:
the first match, exactly as Rasa picks it; unknown names still go through Rasa's lookup.

Both are installed when the Rasa server imports ``rasa_ext`` (endpoints.yml names our
tracker store) and can be switched off with ``UH_RASA_SPEEDUPS=none`` (or a
comma-separated subset) to compare or to rule them out when debugging.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import Any

_installed: set[str] = set()
_lock = threading.Lock()
#: Upper bound on cached validators: Rasa uses one schema; anything else falls through.
_MAX_SCHEMAS = 64


def _install_fast_validation() -> None:
    import jsonschema
    from jsonschema import exceptions, validators

    original = jsonschema.validate
    cache: dict[tuple[Any, str], Any] = {}

    def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            return original(instance, schema, cls, *args, **kwargs)
        try:
            key = (cls, json.dumps(schema, sort_keys=True))
        except (TypeError, ValueError):
            return original(instance, schema, cls)
        validator = cache.get(key)
        if validator is None:
            klass = cls or validators.validator_for(schema)
            klass.check_schema(schema)  # once per distinct schema, as jsonschema does each call
            validator = klass(schema)
            if len(cache) < _MAX_SCHEMAS:
                cache[key] = validator
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    validate.__wrapped__ = original  # type: ignore[attr-defined]
    validate.__doc__ = original.__doc__
    jsonschema.validate = validate


def _install_event_type_cache() -> None:
    from rasa.shared.core import events

    original = events.Event.resolve_by_type
    known: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = known.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and cls is not default:
                known[type_name] = cls
        return cls

    events.Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


FEATURES: dict[str, Callable[[], None]] = {
    "fastval": _install_fast_validation,
    "evcache": _install_event_type_cache,
}


def selected(setting: str | None) -> list[str]:
    """Names switched on by an ``UH_RASA_SPEEDUPS`` value (unset or "all": every one)."""
    value = (setting or "all").strip().lower()
    if value == "all":
        return list(FEATURES)
    if value in {"none", "off", "0", "false"}:
        return []
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ValueError(f"UH_RASA_SPEEDUPS: unknown {unknown}; known: {sorted(FEATURES)}, all, none")
    return names


def install(setting: str | None = None) -> list[str]:
    """Install the speed-ups named by ``setting`` (default ``$UH_RASA_SPEEDUPS``). Idempotent."""
    names = selected(setting if setting is not None else os.environ.get("UH_RASA_SPEEDUPS"))
    with _lock:
        for name in names:
            if name not in _installed:
                FEATURES[name]()
                _installed.add(name)
    return names
