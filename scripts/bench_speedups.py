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


FEATURES = {"fastval": _install_fast_validation, "wal": _install_sqlite_wal}


def install(features: str | None = None) -> None:
    """Install the named speed-ups (comma-separated; default: all, or $UH_SPEEDUPS). Idempotent."""
    names = (features if features is not None else os.environ.get("UH_SPEEDUPS", ",".join(FEATURES))).split(",")
    with _lock:
        for name in filter(None, (n.strip() for n in names)):
            if name not in _installed:
                FEATURES[name]()
                _installed.add(name)
