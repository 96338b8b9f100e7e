"""The tracker cache: a conversation this process saved last is served from memory, and only
then. Every test checks the database against what Rasa's own store writes and loads."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_ext import tracker_cache
from rasa_ext.tracker_cache import TrackerCache
from rasa_ext.tracker_store import BoundedSQLTrackerStore
from tests.rasa_ext.test_tracker_store import DOMAIN


def _store(path: Path, **kwargs: Any) -> BoundedSQLTrackerStore:
    return BoundedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path), max_session_events=1000, **kwargs)


def _turn(tracker: DialogueStateTracker, i: int, t: float) -> None:
    tracker.update(UserUttered(f"我叫小王 {i}", {"name": "inform", "confidence": 1.0}, timestamp=t))
    tracker.update(SlotSet("worker_name", f"小王{i}", timestamp=t + 0.1))
    tracker.update(ActionExecuted("utter_greet", timestamp=t + 0.2))
    tracker.update(ActionExecuted("action_listen", timestamp=t + 0.3))


def _session(sender: str) -> DialogueStateTracker:
    """A conversation as Rasa loads it: from its SessionStarted on."""
    return DialogueStateTracker.from_events(
        sender, [SessionStarted(timestamp=1.0), ActionExecuted("action_listen", timestamp=1.1)], DOMAIN.slots
    )


def _rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
        ).fetchall()


class CountingStore(BoundedSQLTrackerStore):
    """Counts Rasa's count query (what the cache saves) and full loads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts = 0
        self.loads = 0

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Any:
        self.counts += 1
        return super()._additional_events(session, tracker)

    def _load(self, sender_id: str) -> Any:
        self.loads += 1
        return super()._load(sender_id)


async def _conversation(store: SQLTrackerStore, sender: str, turns: int) -> DialogueStateTracker:
    """Save a session, then load-mutate-save it ``turns`` times, as Rasa's processor does."""
    await store.save(_session(sender))
    for i in range(turns):
        tracker = await store.retrieve(sender)
        _turn(tracker, i, 10.0 + i)
        await store.save(tracker)
    return await store.retrieve(sender)


async def test_a_cached_conversation_writes_and_answers_what_rasa_would(tmp_path: Path) -> None:
    ours = CountingStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"), max_session_events=1000)
    rasa = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))

    cached = await _conversation(ours, "w1", 5)
    plain = await _conversation(rasa, "w1", 5)

    assert _rows(tmp_path / "ours.db") == _rows(tmp_path / "rasa.db")
    assert cached.current_state() == plain.current_state()
    assert cached.get_slot("worker_name") == "小王4"
    # one load (the first retrieve), then every turn from memory; Rasa's count ran only for
    # the very first save, which had nothing cached to go by
    assert ours.loads == 1
    assert ours.counts == 1
    # a fresh process (an empty cache) loads the same conversation from the file
    again = await _store(tmp_path / "ours.db").retrieve("w1")
    assert again.current_state() == plain.current_state()


async def test_another_writer_makes_the_entry_stale(tmp_path: Path) -> None:
    """A second replica on the same database: each sees the other's turns."""
    path = tmp_path / "tracker.db"
    first, second = CountingStore(domain=DOMAIN, dialect="sqlite", db=str(path)), _store(path)
    await first.save(_session("w2"))
    await first.retrieve("w2")  # cached in the first process

    tracker = await second.retrieve("w2")
    _turn(tracker, 0, 10.0)
    await second.save(tracker)

    seen = await first.retrieve("w2")
    assert seen.get_slot("worker_name") == "小王0"
    assert first.loads == 2
    _turn(seen, 1, 20.0)
    await first.save(seen)
    assert (await second.retrieve("w2")).get_slot("worker_name") == "小王1"
    assert len(_rows(path)) == 2 + 2 * 4


async def test_a_write_between_load_and_save_falls_back_to_rasas_save(tmp_path: Path) -> None:
    """Without the lock (never in Rasa's own turns), the cheap append is refused and Rasa's
    own save decides, as it would have without the cache: it counts the stored events and
    appends past them, so nothing is written twice (and the later turn of the race is the
    one dropped, as in stock Rasa)."""
    path = tmp_path / "tracker.db"
    first, second = CountingStore(domain=DOMAIN, dialect="sqlite", db=str(path)), _store(path)
    await first.save(_session("w3"))
    held = await first.retrieve("w3")
    other = await second.retrieve("w3")
    _turn(other, 0, 10.0)
    await second.save(other)

    counts = first.counts
    _turn(held, 1, 20.0)
    await first.save(held)
    assert first.counts == counts + 1, "Rasa's counting save ran instead"
    users = [row[5] for row in _rows(path) if row[1] == "user"]
    assert len(users) == 1 and "0" in users[0]
    assert len(_rows(path)) == 2 + 4


async def test_a_turn_that_failed_before_saving_is_not_served_from_memory(tmp_path: Path) -> None:
    store = CountingStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    await store.save(_session("w4"))
    tracker = await store.retrieve("w4")
    _turn(tracker, 0, 10.0)  # ... and the turn raised: no save

    again = await store.retrieve("w4")
    assert again is not tracker
    assert again.get_slot("worker_name") is None
    assert not any(isinstance(e, UserUttered) for e in again.events)


async def test_a_brand_new_conversation_is_cached_only_once_loaded(tmp_path: Path) -> None:
    """Rasa starts a session with action_session_start stamped before SessionStarted, which
    its own load leaves out; that tracker is not kept, the loaded one is."""
    store = CountingStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    tracker = await store.get_or_create_tracker("w5", append_action_listen=False)
    tracker.update(ActionExecuted("action_session_start", timestamp=1.0))
    tracker.update(SessionStarted(timestamp=1.5))
    tracker.update(ActionExecuted("action_listen", timestamp=1.6))
    assert not tracker_cache.as_loaded(tracker)
    await store.save(tracker)
    loaded = await store.retrieve("w5")
    assert loaded is not tracker
    assert [e.type_name for e in loaded.events] == ["session_started", "action"]
    assert tracker_cache.as_loaded(loaded)
    assert await store.retrieve("w5") is loaded


async def _first_turn(store: SQLTrackerStore, sender: str) -> DialogueStateTracker:
    """A new conversation's first turn as Rasa's processor runs it: the tracker created
    (and saved) because nothing is stored, the session started, a turn, one save."""
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(ActionExecuted("action_session_start", timestamp=1.0))
    tracker.update(SessionStarted(timestamp=1.5))
    tracker.update(ActionExecuted("action_listen", timestamp=1.6))
    _turn(tracker, 0, 2.0)
    await store.save(tracker)
    return tracker


async def test_a_new_conversations_first_saves_append_without_counting(tmp_path: Path) -> None:
    ours = CountingStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    rasas = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasas.db"))
    await _first_turn(ours, "w7")
    await _first_turn(rasas, "w7")
    assert ours.counts == 0, "both saves of the first turn appended without Rasa's count"

    def columns(path: Path) -> list[tuple]:  # the created tracker's first event is stamped now
        return [(sender, kind, intent, action) for sender, kind, _, intent, action, _ in _rows(path)]

    assert columns(tmp_path / "ours.db") == columns(tmp_path / "rasas.db")
    assert len(_rows(tmp_path / "ours.db")) == 1 + 3 + 4


async def test_a_writer_before_a_new_conversations_first_save_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    first, second = CountingStore(domain=DOMAIN, dialect="sqlite", db=str(path)), _store(path)
    assert await first.retrieve("w8") is None  # nothing stored: noted
    await second.save(_session("w8"))  # another process starts the same conversation
    tracker = first.init_tracker("w8")
    tracker.update(ActionExecuted("action_listen", timestamp=5.0))
    await first.save(tracker)
    assert first.counts == 1, "Rasa's counting save decided"
    assert len(_rows(path)) == 2, "Rasa's save appended past the two stored events: nothing twice"


async def test_purge_and_rollover_forget_the_entry(tmp_path: Path) -> None:
    store = BoundedSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"), max_session_events=10
    )
    await store.save(_session("w6"))
    tracker = await store.retrieve("w6")
    _turn(tracker, 0, 10.0)
    _turn(tracker, 1, 20.0)
    _turn(tracker, 2, 30.0)  # 14 events > 10: a new session at the end of the save
    await store.save(tracker)
    assert store.cache.get("w6") is None
    rolled = await store.retrieve("w6")
    assert rolled.get_slot("worker_name") == "小王2"
    assert not any(isinstance(e, UserUttered) for e in rolled.events)


async def test_the_cache_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    off = CountingStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "a.db"), tracker_cache_size=0)
    await _conversation(off, "w7", 3)
    assert (off.loads, off.counts) == (4, 4)
    monkeypatch.setenv("UH_RASA_SPEEDUPS", "fastval,keepalive")
    assert _store(tmp_path / "b.db").cache.size == 0
    monkeypatch.setenv("UH_RASA_SPEEDUPS", "trackercache")
    assert _store(tmp_path / "c.db").cache.size == tracker_cache.DEFAULT_SIZE


def test_entries_are_bounded_by_number_and_age() -> None:
    now = [0.0]
    cache = TrackerCache(size=2, ttl_seconds=60, clock=lambda: now[0])
    for sender in ("a", "b", "c"):
        cache.put(sender, _session(sender), last_id=1)
    assert cache.get("a") is None and len(cache) == 2
    now[0] = 59.0
    assert cache.get("b") is not None
    now[0] = 61.0
    assert cache.get("b") is None and cache.get("c") is None
    assert len(cache) == 0
