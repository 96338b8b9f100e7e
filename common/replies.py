"""How a message to a worker is shaped: buttons, their payloads, source lines.

The words themselves are in ``common.texts``; this module only builds messages from
them, so every part (actions, the answering logic, the console's preview) offers buttons
of the same form and length. A button's payload is a Rasa intent payload
(``/intent{"entity":"value"}``): every front end sends it back as the worker's message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from common import texts

Button = texts.Button

log = logging.getLogger(__name__)

# Telegram shows at most a few dozen characters on a button; keep titles readable.
MAX_BUTTON_TITLE = 24


def button_title(title: str) -> str:
    """``title`` cut to fit on a button (with an ellipsis)."""
    if len(title) > MAX_BUTTON_TITLE:
        return title[: MAX_BUTTON_TITLE - 1] + "…"
    return title


def payload(intent: str, **entities: Any) -> str:
    """A Rasa intent payload such as ``/ask_general{"kb_id":"faq_x"}``."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


def button(title: str, intent: str, **entities: Any) -> Button:
    """A button that sends an intent (with entities) as if the worker had said it."""
    return {"title": button_title(title), "payload": payload(intent, **entities)}


def text_button(title: str, answer: str) -> Button:
    """A button that sends ``answer`` as typed text (read by the form's own parsing)."""
    return {"title": button_title(title), "payload": answer}


def entry_button(entry_id: str, title: str) -> Button:
    """A button that answers exactly one knowledge entry."""
    return button(title, "ask_general", kb_id=entry_id)


def buttons(*groups: Iterable[Button]) -> list[Button]:
    """Fresh copies of the buttons, in order (the catalogue's own stay untouched)."""
    return [dict(item) for group in groups for item in group]


def with_source(answer: str, source: str | None) -> str:
    """Every answer names what it is based on, so workers can check it."""
    answer = answer.strip()
    if source:
        return f"{answer}\n\n{texts.SOURCE_LINE.format(source=source)}"
    return answer


def dedupe(items: Iterable[Button]) -> list[Button]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item["payload"] not in seen:
            seen.add(item["payload"])
            unique.append(item)
    return unique


def lines(items: Iterable[str]) -> str:
    """One message from several lines, leaving out the empty ones."""
    return "\n".join(item for item in items if item)


def handoff_request(reply: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``handoff`` custom payload of one Rasa reply (``action_handoff``'s signal to the
    front end), ``{}`` when it carries no details; None for any other reply. Every front
    end reads the signal the same way."""
    custom = reply.get("custom")
    if isinstance(custom, dict) and "handoff" in custom:
        request = custom.get("handoff")
        return request if isinstance(request, dict) else {}
    if custom is not None:
        log.info("Ignoring a custom payload the front ends do not know: %r", custom)
    return None
