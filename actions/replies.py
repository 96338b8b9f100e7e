"""Building blocks for what a worker reads: buttons, source lines, topic menus.

Kept apart from the actions so every action offers the same obvious next steps and the
wording lives in one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

Button = dict[str, str]

TOPIC_MENU: list[Button] = [
    {"title": "补贴政策", "payload": "/ask_subsidy"},
    {"title": "课程培训", "payload": "/ask_course_list"},
    {"title": "读书活动", "payload": "/ask_reading"},
]
HUMAN_BUTTON: Button = {"title": "转人工", "payload": "/request_human"}

# Telegram shows at most a few dozen characters on a button; keep titles readable.
MAX_BUTTON_TITLE = 24


def payload(intent: str, **entities: Any) -> str:
    """A Rasa intent payload such as ``/ask_general{"kb_id":"faq_x"}``."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


def button(title: str, intent: str, **entities: Any) -> Button:
    if len(title) > MAX_BUTTON_TITLE:
        title = title[: MAX_BUTTON_TITLE - 1] + "…"
    return {"title": title, "payload": payload(intent, **entities)}


def entry_button(entry_id: str, title: str) -> Button:
    """A button that answers exactly one knowledge entry."""
    return button(title, "ask_general", kb_id=entry_id)


def with_source(answer: str, source: str | None) -> str:
    """Every answer names what it is based on, so workers can check it."""
    answer = answer.strip()
    if source:
        return f"{answer}\n\n📄 依据：{source}"
    return answer


def dedupe(buttons: Iterable[Button]) -> list[Button]:
    seen: set[str] = set()
    unique = []
    for item in buttons:
        if item["payload"] not in seen:
            seen.add(item["payload"])
            unique.append(item)
    return unique
