"""导出我的数据: a file with everything held about the worker (PIPL art. 45, right of access).

One copy for both ways of asking: the worker in the chat (:class:`ActionExportMyData`) and
staff for a worker who asked them (``python -m scripts.worker_data export``) get the same
file, built here by :func:`collect` and :func:`export_file`. Each store contributes through
its owner's function, for this sender only:

* the registry (``registry.export_worker_data``): profile, enrollments (cancelled too),
  reading teams, subsidy applications with the staff notes, notifications;
* the hand-off store (``handoff.export_sender``): tickets, transcripts, the messages
  exchanged with the operators, what was queued for the worker;
* the conversation (``common.conversations.export_conversation``): what the worker and the
  bot said, every session (the tracker the action receives holds only the current one).

The file is unmasked (it is the worker's own data) with Chinese labels. The action sends it
as the custom payload ``{"document": {"filename", "mime_type", "content"}}`` beside a Chinese
text: the Telegram front end sends it with ``sendDocument``; the REST and terminal chats get
the payload as it is. The unanswered questions are stored anonymously (a keyed hash, no link
to the worker), so they cannot be part of it; the file says so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import logging_setup
from common import replies, texts
from common import settings as config
from common.clock import CHINA_TZ
from common.conversations import export_conversation, tracker_url
from common.database import sqlite_path
from handoff import export_sender, open_handoff
from registry import export_worker_data, open_registry

logger = logging.getLogger(__name__)

#: The custom payload's key the front ends render as a file.
DOCUMENT = "document"
MIME_TYPE = "application/json"


def _exists(url: str) -> bool:
    """A SQLite store that was never created holds nothing (and must not be created by a read)."""
    path = sqlite_path(url)
    return path is None or path.exists()


def collect(settings: config.Settings, sender_id: str) -> dict[str, Any]:
    """Everything held about ``sender_id`` (JSON-ready, the stores' own field names)."""
    data: dict[str, Any] = {
        "title": texts.EXPORT_TITLE,
        "about": texts.EXPORT_INTRO,
        "conversation_id": sender_id,
        "exported_at": settings.clock.now().isoformat(timespec="seconds"),
        "registry": None,
        "handoff": None,
    }
    if _exists(settings.registry_url):
        with open_registry(settings.registry_url) as db:
            data["registry"] = export_worker_data(db, sender_id)
    if _exists(settings.handoff_url):
        with open_handoff(settings.handoff_url) as db:
            data["handoff"] = export_sender(db, sender_id)
    conversation = tracker_url(settings)
    data["conversation"] = export_conversation(conversation, sender_id) if _exists(conversation) else []
    return data


def _stamp(value: float) -> str:
    return dt.datetime.fromtimestamp(value, tz=CHINA_TZ).isoformat(timespec="seconds")


def labelled(value: Any, key: str = "") -> Any:
    """``value`` with Chinese field names and speaker names, Unix times as Beijing times."""
    if isinstance(value, dict):
        return {texts.EXPORT_LABELS.get(k, k): labelled(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [labelled(v, key) for v in value]
    if key == "timestamp" and isinstance(value, int | float):
        return _stamp(float(value))
    if key in ("who", "direction") and isinstance(value, str):
        return texts.EXPORT_VALUES.get(value, value)
    return value


def summary(data: dict[str, Any]) -> str:
    """The counts a worker (or staff member) reads beside the file."""
    registry = data.get("registry") or {}
    handoff = data.get("handoff") or {}
    return texts.EXPORT_SUMMARY.format(
        profile=texts.EXPORT_HAS if registry.get("profile") else texts.EXPORT_HAS_NOT,
        enrollments=len(registry.get("enrollments") or []),
        teams=len(registry.get("reading_teams") or []),
        applications=len(registry.get("subsidy_applications") or []),
        tickets=len(handoff.get("tickets") or []),
        messages=len(data.get("conversation") or []),
    )


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: str
    summary: str


def export_file(settings: config.Settings, sender_id: str) -> ExportFile:
    """The worker's file: :func:`collect`, labelled in Chinese, as indented UTF-8 JSON."""
    data = collect(settings, sender_id)
    day = settings.clock.now().astimezone(CHINA_TZ).date().isoformat()
    return ExportFile(
        filename=texts.EXPORT_FILENAME.format(day=day),
        content=json.dumps(labelled(data), ensure_ascii=False, indent=2),
        summary=summary(data),
    )


async def send_export(dispatcher: CollectingDispatcher, sender_id: str) -> None:
    """Build the file off the event loop and say it: the text, then the document payload."""
    exported = await asyncio.to_thread(lambda: export_file(config.load(), sender_id))
    dispatcher.utter_message(text=texts.EXPORT_SENT.format(summary=exported.summary))
    dispatcher.utter_message(
        json_message={DOCUMENT: {"filename": exported.filename, "mime_type": MIME_TYPE, "content": exported.content}}
    )


class ActionExportMyData(Action):
    """导出我的数据: the worker's file; a store failure is the apology with 转人工, logged."""

    def name(self) -> str:
        return "action_export_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        logging_setup.install()
        said = CollectingDispatcher()
        try:
            await send_export(said, tracker.sender_id)
        except Exception:
            logger.exception("exporting the data of %s failed", tracker.sender_id)
            said.messages.clear()
            said.utter_message(text=texts.EXPORT_FAILED, buttons=replies.buttons([texts.HUMAN_BUTTON]))
        dispatcher.messages.extend(said.messages)
        return []
