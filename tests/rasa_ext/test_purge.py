"""删除我的数据 on the Rasa side: the tracker store forgets the whole conversation
(rasa_ext/purge.py), on SQLite through the store Rasa loads from endpoints.yml."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_ext import purge
from rasa_ext.purge import PURGE_SLOT
from rasa_ext.tracker_store import BoundedSQLTrackerStore

REPO = Path(__file__).resolve().parents[2]
PHONE = "13912345678"
CERT = "105611202005001234"
SENDER = "tg-4242"
OTHER = "tg-7777"
CONFIRMATION = "已删除您的个人资料、1条报名记录 ✅ 您在这里发过的对话内容也一并删除了。"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def store(domain: Domain, db: Path) -> BoundedSQLTrackerStore:
    return BoundedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))


def user(text: str, intent: str = "inform") -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 1.0})


def session_start() -> list:
    return [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)]


def sign_up_turns() -> list:
    """A worker who typed a phone number and a certificate number, in an earlier session."""
    return [
        *session_start(),
        user("我要报名PLC", "enroll_course"),
        ActionExecuted("action_start_enrollment"),
        BotUttered("请问您的手机号？"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user(PHONE),
        SlotSet("worker_phone", PHONE),
        BotUttered(f"好的，{PHONE}"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user(f"证书编号 {CERT}"),
        SlotSet("certificate_no", CERT),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


def delete_turn(marker: bool = True) -> list:
    return [
        user("是的", "affirm"),
        ActionExecuted("delete_form"),
        ActionExecuted("action_submit_delete"),
        BotUttered(CONFIRMATION, data={"buttons": [{"title": "课程培训", "payload": "/ask_course_list"}]}),
        SlotSet("worker_phone", None),
        *([SlotSet(PURGE_SLOT, True)] if marker else []),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


async def save_events(store: BoundedSQLTrackerStore, domain: Domain, sender: str, events: list) -> DialogueStateTracker:
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, domain.slots)
    tracker.update_with_events(events, domain)
    await store.save(tracker)
    return tracker


def rows(db: Path, sender: str | None = None) -> list[tuple[str, str, str]]:
    con = sqlite3.connect(db)
    try:
        query = "SELECT sender_id, type_name, data FROM events"
        args: tuple = ()
        if sender is not None:
            query += " WHERE sender_id = ?"
            args = (sender,)
        return con.execute(query + " ORDER BY id", args).fetchall()
    finally:
        con.close()


async def test_the_marker_deletes_every_earlier_event_of_the_sender(store, domain, db: Path) -> None:
    await save_events(store, domain, SENDER, sign_up_turns())
    # a new session (as after an hour's silence): the purge covers all sessions
    await save_events(store, domain, SENDER, [*session_start(), user(f"我的手机号是{PHONE}")])
    await save_events(store, domain, OTHER, [*session_start(), user("13800000000")])
    assert any(PHONE in data for _, _, data in rows(db, SENDER))

    tracker = await save_events(store, domain, SENDER, delete_turn())

    stored = rows(db, SENDER)
    assert [type_name for _, type_name, _ in stored] == ["action", "session_started", "action", "bot"]
    assert [json.loads(data).get("name") for _, _, data in stored][:3] == [
        ACTION_SESSION_START_NAME,
        None,
        ACTION_LISTEN_NAME,
    ]
    assert json.loads(stored[3][2])["text"] == CONFIRMATION
    assert json.loads(stored[3][2])["data"]["buttons"][0]["payload"] == "/ask_course_list"
    assert not any(PHONE in data or CERT in data or PURGE_SLOT in data for _, _, data in stored)
    # another worker's conversation is untouched
    assert any("13800000000" in data for _, _, data in rows(db, OTHER))
    # no trace in the file's free pages either (secure_delete)
    assert PHONE.encode() not in db.read_bytes() and CERT.encode() not in db.read_bytes()
    # the tracker in memory is the purged one: saving it again writes nothing back
    assert len(tracker.events) == 4 and tracker.get_slot("worker_phone") is None
    await store.save(tracker)
    assert len(rows(db, SENDER)) == 4


async def test_the_next_turn_continues_the_fresh_session(store, domain, db: Path) -> None:
    await save_events(store, domain, SENDER, [*sign_up_turns(), *delete_turn()])
    tracker = await store.retrieve(SENDER)
    assert tracker is not None
    assert [e.type_name for e in tracker.events] == ["action", "session_started", "action", "bot"]
    assert tracker.latest_bot_utterance.text == CONFIRMATION
    assert tracker.latest_action_name == ACTION_LISTEN_NAME
    assert all(slot.value == slot.initial_value for slot in tracker.slots.values())
    assert not purge.purge_requested(tracker)

    await save_events(store, domain, SENDER, [user("你好", "greet"), ActionExecuted(ACTION_LISTEN_NAME)])
    again = await store.retrieve(SENDER)
    assert [e.type_name for e in again.events] == ["action", "session_started", "action", "bot", "user", "action"]
    assert len(rows(db, SENDER)) == 6


async def test_without_the_marker_nothing_is_deleted(store, domain, db: Path) -> None:
    await save_events(store, domain, SENDER, [*sign_up_turns(), *delete_turn(marker=False)])
    assert any(PHONE in data for _, _, data in rows(db, SENDER))
    assert len(rows(db, SENDER)) == len(sign_up_turns()) + len(delete_turn(marker=False))


async def test_a_failed_purge_saves_the_turn_and_the_next_save_retries(store, domain, db: Path, monkeypatch) -> None:
    await save_events(store, domain, SENDER, sign_up_turns())
    real = purge.purge_conversation

    def broken(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(purge, "purge_conversation", broken)
    await save_events(store, domain, SENDER, delete_turn())
    assert any(PHONE in data for _, _, data in rows(db, SENDER))  # nothing lost, marker stored

    monkeypatch.setattr(purge, "purge_conversation", real)
    await save_events(store, domain, SENDER, [user("还在吗", "greet"), ActionExecuted(ACTION_LISTEN_NAME)])
    stored = rows(db, SENDER)
    assert not any(PHONE in data for _, _, data in stored)
    assert json.loads(stored[-1][2])["text"] == CONFIRMATION
