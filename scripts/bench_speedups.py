"""Speed-ups for the Rasa server process, measured by the benchmark (systems ``+fastval``,
``+wal``) and proposed for ``rasa_ext`` (call :func:`install` from ``rasa_ext/__init__.py``,
which the Rasa server imports through endpoints.yml / credentials.yml).

``fastval`` — Rasa 3.6 checks every custom action's reply with ``jsonschema.validate``.
That function first validates the *schema itself* against its meta-schema (Draft
2020-12 with jsonschema 4.17, ``$dynamicRef`` and all) and builds a new validator, on
every call: 20-50 ms of CPU per turn with a custom action, more than the NLU and the
policies together. The schemas Rasa passes are constants, so the checked schema and its
validator are kept (keyed by the schema's JSON text); every *instance* is still fully
validated, with the same errors as before.

``wal`` — SQLite connections (Rasa's SQLTrackerStore) use ``journal_mode=WAL`` with
``synchronous=NORMAL``: a commit no longer waits for two fsyncs, and readers do not block
the writer (several Sanic workers share one tracker.db). A committed turn survives a
crash of the process; a power cut may lose the last turns (never corrupt the file).

``evcache`` — loading a conversation turns every stored event back into an object with
``Event.resolve_by_type``, which walks the whole ``Event`` class tree (``all_subclasses``)
for *each event*: ~4 ms of CPU per turn for a 30-event session. The class found for a type
name is remembered (the first match, exactly as Rasa picks it; unknown names still go
through Rasa's own lookup).

Nothing here changes what Rasa answers.
"""
from __future__ import annotations

import json
import os
import threading
from typing import Any

_installed: set[str] = set()
_lock = threading.Lock()


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
            klass.check_schema(schema)  # once per distinct schema, as before
            validator = klass(schema)
            if len(cache) < 64:
                cache[key] = validator
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    validate.__wrapped__ = original  # type: ignore[attr-defined]
    validate.__doc__ = original.__doc__
    jsonschema.validate = validate


def _install_sqlite_wal() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection: Any, connection_record: Any) -> None:  # noqa: ARG001
        module = type(dbapi_connection).__module__
        if "sqlite" not in module:
            return
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
        finally:
            cursor.close()


def _install_event_type_cache() -> None:
    from rasa.shared.core import events

    original = events.Event.resolve_by_type
    known: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = known.get(type_name)
        if cls is None:
            cls = original(type_name, default)  # the first match, exactly as Rasa picks it
            if cls is not None and cls is not default:
                known[type_name] = cls
        return cls

    events.Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


def _after_import(module_name: str, patch: Any) -> None:
    """Run ``patch`` now if ``module_name`` is imported, else right after it is (so a
    sitecustomize does not import Rasa before Rasa's own start-up)."""
    import importlib.abc
    import importlib.util
    import sys

    if module_name in sys.modules:
        patch()
        return

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
            if name != module_name:
                return None
            sys.meta_path.remove(self)
            try:
                spec = importlib.util.find_spec(name)
            finally:
                sys.meta_path.insert(0, self)
            if spec is None or spec.loader is None:
                return spec
            loader = spec.loader
            original_exec = loader.exec_module

            def exec_module(module: Any) -> None:
                original_exec(module)
                if self in sys.meta_path:
                    sys.meta_path.remove(self)
                patch()

            loader.exec_module = exec_module  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, Finder())


FEATURES = {
    "fastval": _install_fast_validation,
    "wal": _install_sqlite_wal,
    "evcache": lambda: _after_import("rasa.shared.core.events", _install_event_type_cache),
}


def install(features: str | None = None) -> None:
    """Install the named speed-ups (comma-separated; default: all, or $UH_SPEEDUPS). Idempotent."""
    names = (features if features is not None else os.environ.get("UH_SPEEDUPS", ",".join(FEATURES))).split(",")
    with _lock:
        for name in filter(None, (n.strip() for n in names)):
            if name not in _installed:
                FEATURES[name]()
                _installed.add(name)
