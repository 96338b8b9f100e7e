"""The bounded tracker store: sessions roll over with slots kept, and a turn's queries
use the indexes whatever the chat's length."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    ConversationPaused,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_ext.tracker_store import BoundedSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, inform]
slots:
  worker_name:
    type: text
    mappings: [{type: custom}]
  worker_phone:
    type: text
    mappings: [{type: custom}]
forms:
  profile_form:
    required_slots: [worker_name, worker_phone]
"""
)


@pytest.fixture
def store(tmp_path: Path) -> BoundedSQLTrackerStore:
    return BoundedSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"), max_session_events=10
    )


def _turns(tracker: DialogueStateTracker, n: int) -> None:
    for i in range(n):
        tracker.update(UserUttered(f"你好 {i}", {"name": "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(ActionExecuted("action_listen"))


async def test_long_session_rolls_over_with_slots_carried(store: BoundedSQLTrackerStore) -> None:
    tracker = DialogueStateTracker.from_events("w1", [ActionExecuted("action_listen")], DOMAIN.slots)
    tracker.update(SlotSet("worker_name", "张三"))
    _turns(tracker, 5)
    await store.save(tracker)

    loaded = await store.retrieve("w1")
    assert loaded is not None
    assert isinstance(loaded.events[1], SessionStarted), "a new session starts after max_session_events"
    assert len(loaded.events) < 10, "a turn only loads the events of the new session"
    assert loaded.get_slot("worker_name") == "张三", "slots are carried into the new session"


def _form_turns(tracker: DialogueStateTracker, n: int) -> None:
    """Turns inside the form that do not answer its question (it is asked again)."""
    for i in range(n):
        tracker.update(UserUttered(f"读书节是什么 {i}", {"name": "inform", "confidence": 1.0}))
        tracker.update(ActionExecuted("profile_form"))
        tracker.update(SlotSet("requested_slot", "worker_phone"))
        tracker.update(ActionExecuted("action_listen"))


def _in_the_form(sender: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen")], DOMAIN.slots)
    tracker.update(UserUttered("修改我的信息", {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("profile_form"))
    tracker.update(ActiveLoop("profile_form"))
    tracker.update(SlotSet("worker_name", "张三"))
    tracker.update(SlotSet("requested_slot", "worker_phone"))
    tracker.update(ActionExecuted("action_listen"))
    return tracker


async def test_a_long_stay_inside_a_form_rolls_over_with_the_form_still_open(store: BoundedSQLTrackerStore) -> None:
    """Hundreds of messages inside one form must not make one session of hundreds of events."""
    tracker = _in_the_form("w-form")
    _form_turns(tracker, 5)
    await store.save(tracker)

    loaded = await store.retrieve("w-form")
    assert loaded is not None
    assert isinstance(loaded.events[1], SessionStarted)
    assert len(loaded.events) < 10
    assert loaded.active_loop_name == "profile_form", "the form goes on where it was"
    assert loaded.get_slot("requested_slot") == "worker_phone", "and asks the same question"
    assert loaded.get_slot("worker_name") == "张三"
    assert not loaded.is_active_loop_rejected
    assert loaded.latest_action_name == "action_listen"

    # The next turns go on in the new session, which rolls over again when it is long.
    _form_turns(loaded, 5)
    await store.save(loaded)
    again = await store.retrieve("w-form")
    assert again.active_loop_name == "profile_form" and len(again.events) < 10


async def test_a_rejected_form_stays_rejected_after_the_rollover(store: BoundedSQLTrackerStore) -> None:
    tracker = _in_the_form("w-rejected")
    _form_turns(tracker, 4)
    tracker.update(UserUttered("算了", {"name": "inform", "confidence": 1.0}))
    tracker.update(ActionExecutionRejected("profile_form"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    loaded = await store.retrieve("w-rejected")
    assert isinstance(loaded.events[1], SessionStarted)
    assert loaded.active_loop_name == "profile_form" and loaded.is_active_loop_rejected


async def test_a_paused_conversation_is_not_rolled_over(store: BoundedSQLTrackerStore) -> None:
    """A person has it (hand-off): the front end resumes it by posting events."""
    tracker = DialogueStateTracker.from_events("w-paused", [ActionExecuted("action_listen")], DOMAIN.slots)
    _turns(tracker, 5)
    tracker.update(ConversationPaused())
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    loaded = await store.retrieve("w-paused")
    assert not any(isinstance(e, SessionStarted) for e in loaded.events)
    assert loaded.is_paused()


async def test_short_session_is_left_alone(store: BoundedSQLTrackerStore) -> None:
    tracker = DialogueStateTracker.from_events("w2", [ActionExecuted("action_listen")], DOMAIN.slots)
    _turns(tracker, 2)
    await store.save(tracker)
    loaded = await store.retrieve("w2")
    assert not any(isinstance(e, SessionStarted) for e in loaded.events)
    assert len(loaded.events) == 7


def test_sqlite_store_runs_in_wal_mode_with_indexes(store: BoundedSQLTrackerStore, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "tracker.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = {row[1] for row in db.execute("PRAGMA index_list(events)")}
    assert {"ix_events_sender_type_ts", "ix_events_sender_ts"} <= indexes


async def test_loading_a_conversation_uses_the_indexes(store: BoundedSQLTrackerStore, tmp_path: Path) -> None:
    tracker = DialogueStateTracker.from_events("w3", [ActionExecuted("action_listen")], DOMAIN.slots)
    _turns(tracker, 2)
    await store.save(tracker)
    query = (
        "SELECT * FROM events WHERE sender_id = ? AND timestamp >= (SELECT max(timestamp) FROM events "
        "WHERE sender_id = ? AND type_name = 'session_started') ORDER BY timestamp"
    )
    with sqlite3.connect(tmp_path / "tracker.db") as db:
        plan = " ".join(str(row[-1]) for row in db.execute("EXPLAIN QUERY PLAN " + query, ("w3", "w3")))
    assert "ix_events_sender_type_ts" in plan, plan
    assert "ix_events_sender_ts" in plan, plan


def test_existing_database_gets_the_indexes(tmp_path: Path) -> None:
    """A tracker.db from before the indexes existed is upgraded when the server starts."""
    path = tmp_path / "tracker.db"
    BoundedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path))
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX ix_events_sender_ts")
    BoundedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path))
    with sqlite3.connect(path) as db:
        assert "ix_events_sender_ts" in {row[1] for row in db.execute("PRAGMA index_list(events)")}


async def test_sqlite_connections_are_pooled_and_shared_safely(tmp_path: Path) -> None:
    """Two stores on one file (two Rasa workers) save and load in turns without locking
    each other out, through pooled connections rather than one connection per query."""
    import sqlalchemy as sa

    path = str(tmp_path / "tracker.db")
    first = BoundedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=path, max_session_events=1000)
    second = BoundedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=path, max_session_events=1000)
    assert not isinstance(first.engine.pool, sa.pool.NullPool)
    for i in range(20):
        store = first if i % 2 == 0 else second
        tracker = await store.retrieve("shared") or DialogueStateTracker.from_events(
            "shared", [ActionExecuted("action_listen")], DOMAIN.slots
        )
        _turns(tracker, 1)
        await store.save(tracker)
    loaded = await first.retrieve("shared")
    assert sum(isinstance(e, UserUttered) for e in loaded.events) == 20
    assert first.engine.pool.checkedout() == 0, "every connection went back to the pool"


async def test_the_last_action_of_the_turn_survives_the_rollover(store: BoundedSQLTrackerStore) -> None:
    """A rule that answers what the bot just did (an offer, then 好的) sees the same
    last action in the new session as it would have in the old one."""
    tracker = DialogueStateTracker.from_events("w-last", [ActionExecuted("action_listen")], DOMAIN.slots)
    _turns(tracker, 4)
    tracker.update(UserUttered("PLC怎么报名", {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_start_enrollment"))
    tracker.update(ActionExecuted("action_submit_enrollment"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    loaded = await store.retrieve("w-last")
    actions = [e.action_name for e in loaded.events if isinstance(e, ActionExecuted)]
    assert isinstance(loaded.events[1], SessionStarted)
    assert actions == ["action_session_start", "action_submit_enrollment", "action_listen"]
    assert not any(isinstance(e, UserUttered) for e in loaded.events)
