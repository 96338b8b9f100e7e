"""Phone and certificate numbers never reach the Rasa server's log in full.

The action server masks its logs (``actions/logging_setup.py``); the Rasa server is a
separate process that knew nothing of it, yet it logs the worker's text in several places:
``rest.message.received.failure`` (any error while handling a message, e.g. the tracker
store is unreachable) and, with ``-v``/``LOG_LEVEL=DEBUG``, every user message. Rasa logs
through structlog, rendered as JSON (non-ASCII escaped as ``\\uXXXX``, tracebacks with
their local variables) and then handed to the standard ``logging`` handlers.

:func:`install` therefore masks twice, both with :func:`common.privacy.redact`:

* a structlog processor just before the renderer, on every string of the event dict
  (the structured traceback included) — before JSON escaping, where ``号13812345678``
  still reads as digits;
* ``common.privacy.RedactingFilter`` on the root logger, Sanic's loggers and their
  handlers, for Rasa's plain ``logging`` calls;
* Python warnings (Rasa warns with the worker's text when a payload names unknown
  entities), which ``warnings.showwarning`` writes to stderr outside ``logging``.

Rasa imports ``rasa_ext`` (tracker store, REST channel) after it configured logging, so
importing this package installs both; :func:`install` is idempotent.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, TextIO

from common.privacy import install_redaction, redact

LOGGERS: tuple[str | None, ...] = (None, "rasa", "sanic.root", "sanic.error", "sanic.access")

_MAX_DEPTH = 12


def _scrub(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact(value)
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {key: _scrub(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub(item, depth + 1) for item in value)
    return value


def redact_event_dict(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: every string in the event (and its traceback) masked."""
    try:
        return {key: _scrub(value) for key, value in event_dict.items()}
    except Exception:  # noqa: BLE001 - logging must never fail because of masking
        return event_dict


def _install_structlog() -> None:
    try:
        import structlog
    except ImportError:  # pragma: no cover - Rasa always has it
        return
    processors = structlog.get_config().get("processors")
    if not isinstance(processors, list) or redact_event_dict in processors:
        return
    # Just before the renderer (the last processor), after dict_tracebacks/format_exc_info
    # turned an exception into strings and dicts. In place: loggers Rasa already cached
    # share this very list.
    processors.insert(max(len(processors) - 1, 0), redact_event_dict)


def _install_warnings() -> None:
    """Rasa reports e.g. "Parsing of message: '<the worker's text>' …" as a Python warning,
    written to stderr by ``warnings.showwarning`` (not through ``logging``): mask those too."""
    current = warnings.showwarning
    if getattr(current, "_uh_redacting", False):
        return

    def showwarning(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        try:
            masked = redact(str(message))
        except Exception:  # noqa: BLE001
            masked = str(message)
        current(masked, category, filename, lineno, file, line)

    showwarning._uh_redacting = True  # type: ignore[attr-defined]
    warnings.showwarning = showwarning


def install() -> None:
    for name in LOGGERS:
        install_redaction(logging.getLogger(name))
    _install_structlog()
    _install_warnings()
