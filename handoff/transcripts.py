"""What the operators read of the conversation before the hand-off: its last messages.

One wording for the channels that build it from Rasa's events as they are (the WeChat front
end from the HTTP API's tracker, the REST channel from the tracker store); the Telegram
front end writes its own, with the titles of the buttons its workers pressed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from common import texts
from common.privacy import redact

#: How many messages the transcript keeps, and how long each may be.
TRANSCRIPT_MESSAGES = 10
MAX_LINE = 300


def transcript_of(events: Iterable[Mapping[str, Any]]) -> str:
    """The last user and bot messages among Rasa event dicts, numbers masked."""
    lines = []
    for event in events:
        if not isinstance(event, Mapping) or event.get("event") not in ("user", "bot"):
            continue
        text = str(event.get("text") or "").strip()
        if text:
            lines.append(("👤 " if event["event"] == "user" else "🤖 ") + redact(text)[:MAX_LINE])
    return "\n".join(lines[-TRANSCRIPT_MESSAGES:]) or texts.TRANSCRIPT_EMPTY
