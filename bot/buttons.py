"""Inline-keyboard buttons whose payloads live in the front end's tables (``tg_buttons``).

A Rasa button payload such as ``/ask_general{"kb_id":"faq_工会会员入会条件"}`` easily exceeds
Telegram's 64-byte callback data, so each button carries a short random key (``b:<key>``)
and the payload stays in ``buttons``. Pressing a button spends its whole keyboard, so a
second press (or a press on an old message, or forged callback data) is recognised as stale —
also when the press reaches another front end than the one that sent the keyboard (they
share the table), and when two presses race (one ``UPDATE … WHERE used_at IS NULL`` wins).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from common.database import Database, retrying

PREFIX = "b:"
KEEP_FOR = timedelta(days=30)


@dataclass(frozen=True)
class PressedButton:
    payload: str
    title: str


def _is_url(payload: str) -> bool:
    return payload.startswith(("https://", "http://"))


@retrying
def make_keyboard(
    db: Database, user_id: int, buttons: Sequence[Mapping[str, Any]], now: datetime
) -> InlineKeyboardMarkup:
    """Store ``buttons`` (Rasa's ``[{"title", "payload"}]``) and return a keyboard for them."""
    group_id = secrets.token_urlsafe(6)
    rows: list[list[InlineKeyboardButton]] = []
    records: list[dict[str, Any]] = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "…")
        payload = str(button.get("payload") or button.get("url") or "")
        if button.get("url") or _is_url(payload):
            rows.append([InlineKeyboardButton(title, url=str(button.get("url") or payload))])
            continue
        key = secrets.token_urlsafe(9)  # 12 characters
        records.append(
            {
                "key": key,
                "group_id": group_id,
                "user_id": user_id,
                "payload": payload,
                "title": title,
                "created_at": now.isoformat(),
            }
        )
        rows.append([InlineKeyboardButton(title, callback_data=PREFIX + key)])
    if records:
        with db.transaction():
            for record in records:
                db.execute(
                    "INSERT INTO tg_buttons (key, group_id, user_id, payload, title, created_at) "
                    "VALUES (:key, :group_id, :user_id, :payload, :title, :created_at)",
                    record,
                )
    return InlineKeyboardMarkup(rows)


@retrying
def press(db: Database, user_id: int, callback_data: str | None, now: datetime) -> PressedButton | None:
    """Spend the keyboard the pressed button belongs to; ``None`` if stale, used or forged."""
    if not callback_data or not callback_data.startswith(PREFIX):
        return None
    key = callback_data[len(PREFIX) :]
    row = db.one("SELECT group_id, user_id, payload, title, used_at FROM tg_buttons WHERE key = :key", {"key": key})
    if row is None:
        return None
    if row["used_at"] or int(row["user_id"]) != user_id:
        return None
    spent = db.execute(
        "UPDATE tg_buttons SET used_at = :now WHERE group_id = :group AND used_at IS NULL",
        {"now": now.isoformat(), "group": row["group_id"]},
    ).rowcount
    if spent == 0:  # somebody spent it in between
        return None
    return PressedButton(payload=row["payload"], title=row["title"] or "")


@retrying
def title_for_payload(db: Database, user_id: int, payload: str) -> str | None:
    """The title a worker saw for a payload they sent by pressing a button (for transcripts)."""
    return db.scalar(
        "SELECT title FROM tg_buttons WHERE user_id = :user AND payload = :payload ORDER BY created_at DESC LIMIT 1",
        {"user": user_id, "payload": payload},
    )


@retrying
def forget_old(db: Database, now: datetime) -> int:
    """Drop buttons older than :data:`KEEP_FOR` (their messages are long out of sight)."""
    return db.execute(
        "DELETE FROM tg_buttons WHERE created_at < :before", {"before": (now - KEEP_FOR).isoformat()}
    ).rowcount
