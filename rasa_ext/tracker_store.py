"""Rasa's SQLTrackerStore with a bound on how many events a turn has to load.

Why: a Rasa 3.6 turn loads and replays every event of the current session, so a
Telegram chat, which never ends, gets slower with every message (~50 ms at turn 10,
~470 ms at turn 400 measured here). Rasa already loads only the events since the latest
``SessionStarted``; this store starts a new session (the same events Rasa's own
``action_session_start`` writes, slots carried over) once the current session holds more
than ``max_session_events`` events, at the end of a turn.

That includes a turn inside a form: a worker may stay in one sign-up for hundreds of
messages (questions, greetings, wrong answers), and a form that never ends used to be a
session that never ends (~50 ms at turn 2, ~3 s at turn 200). The new session then also
re-opens the form where it was (``ActiveLoop`` after the slots, ``requested_slot`` among
them), so the next message is validated by the same form as if nothing had happened.

Two more things make a turn's database work independent of how long the chat is:

* indexes. Rasa loads a conversation with ``WHERE sender_id = ? AND timestamp >= (SELECT
  max(timestamp) ... WHERE sender_id = ? AND type_name = 'session_started')``; with only
  Rasa's index on ``sender_id`` that reads *every* event the chat ever had, so a Telegram
  chat (which never ends) still got a little slower with each session.
  ``(sender_id, type_name, timestamp)`` answers the sub-query from the index and
  ``(sender_id, timestamp)`` lets the outer query start at the session's first event.
  Created with IF NOT EXISTS at start-up, so existing databases get them too (SQLite and
  PostgreSQL alike).
* on SQLite, ``journal_mode=WAL`` with ``synchronous=NORMAL``: a commit no longer waits for
  two fsyncs and readers do not block the writer (several Sanic workers may share one
  tracker.db). A committed turn survives a crash of the process; a power cut may lose the
  last turns, never corrupt the file.
* on SQLite, a small pool of open connections. SQLAlchemy 1.4 gives file databases a
  ``NullPool``, so Rasa opened and closed a connection for every read and every save;
  closing the last connection of a WAL database checkpoints it and deletes the WAL file,
  and all of that ran on Sanic's event loop: a fifth of the Rasa server's time per turn
  (profiled with py-spy), during which no other worker's message moved.

And the trackers of recent conversations stay in the process between turns
(:mod:`rasa_ext.tracker_cache`): a turn whose conversation this process saved last and
nobody changed since (checked against the sender's greatest event id, one indexed query)
is not loaded, decoded and replayed again, and its save appends the new events without
Rasa's count of the stored ones. Any other writer — a second replica, the retention task,
a purge — changes that id, and the conversation is loaded as before. ``tracker_cache_size``
(default 500, 0: off) and ``UH_RASA_SPEEDUPS`` (``trackercache``) switch it.

Everything else — schema, dialects (SQLite, PostgreSQL), queries — is Rasa's own.
"""

from __future__ import annotations

import json
import logging
import os
import time
import weakref
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from rasa_ext import purge, speedups, sqlite_rows, tracker_cache

logger = logging.getLogger(__name__)

DEFAULT_MAX_SESSION_EVENTS = 60
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_events_sender_type_ts ON events (sender_id, type_name, timestamp)",
    "CREATE INDEX IF NOT EXISTS ix_events_sender_ts ON events (sender_id, timestamp)",
)
#: The cache's check, max(id) of a sender, from an index: SQLite's index on sender_id
#: already holds the rowid; PostgreSQL's does not.
POSTGRESQL_INDEXES = ("CREATE INDEX IF NOT EXISTS ix_events_sender_id_id ON events (sender_id, id)",)
SQLITE_POOL_SIZE = 4
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=10000")


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """The columns of the ``events`` row Rasa's ``SQLTrackerStore.save`` writes for
    ``event``: every row this package writes (a turn, a rollover, a purge) is made here."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": (data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


class BoundedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that rolls a long session over into a new one."""

    engine: sa.engine.Engine

    def __init__(
        self,
        *args: Any,
        max_session_events: int | str | None = None,
        tracker_cache_size: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_session_events = int(max_session_events or DEFAULT_MAX_SESSION_EVENTS)
        size = tracker_cache.DEFAULT_SIZE if tracker_cache_size in (None, "") else int(tracker_cache_size)
        if not speedups.enabled("trackercache"):
            size = 0
        self.cache = tracker_cache.TrackerCache(size)
        if self.engine.dialect.name == "sqlite":
            self._pool_sqlite_connections()
        else:
            self._check_connections_before_use()
        self._create_indexes()

    def _pool_sqlite_connections(self) -> None:
        """Replace Rasa's NullPool engine by a pooled one on the same file (see module doc).

        ``engine`` and ``sessionmaker`` are attributes SQLTrackerStore sets in its
        constructor and uses everywhere; Rasa has no hook to choose the pool.
        """
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=sa.pool.QueuePool,
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_SIZE,
            # Connections are only ever used by one session at a time, but Rasa may touch
            # the store from a thread pool; the pool hands each to one user.
            connect_args={"check_same_thread": False, "timeout": 10},
        )
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        engine = weakref.ref(self.engine)

        def _forget_in_child() -> None:  # a forked worker must not share the parent's SQLite handles
            alive = engine()
            if alive is not None:
                alive.dispose(close=False)

        os.register_at_fork(after_in_child=_forget_in_child)

    def _check_connections_before_use(self) -> None:
        """PostgreSQL: test each pooled connection before a turn uses it (``pool_pre_ping``).

        Why (issue #17, a PostgreSQL restart under load): Rasa's engine keeps its pooled
        connections; after a restart the first turn on each got "server closed the
        connection", and Rasa's FailSafeTrackerStore then *silently* served that turn from
        an empty in-memory tracker and saved it as a new session: the worker's half-filled
        sign-up form was gone. With the check, a dead connection is replaced before use.
        """
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, pool_recycle=1800, **create_engine_kwargs(str(url)))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _create_indexes(self) -> None:
        """Speed only, so a failure is logged, not fatal: replicas starting together on one
        PostgreSQL can race on CREATE INDEX IF NOT EXISTS (the loser gets a duplicate-key
        error although the index exists)."""
        extra = POSTGRESQL_INDEXES if self.engine.dialect.name == "postgresql" else ()
        for statement in (*INDEXES, *extra):
            try:
                with self.engine.begin() as connection:
                    connection.execute(sa.text(statement))
            except sa.exc.SQLAlchemyError as exc:
                logger.warning("Tracker index not created (%s): %s", statement.split(" ON ")[0], exc)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session, from the cache when the database still ends where the cached
        tracker does, else loaded as Rasa loads it (and then kept)."""
        entry = self.cache.get(sender_id)
        if entry is not None:
            if entry.unchanged() and self._last_event_id(sender_id) == entry.last_id:
                return entry.tracker
            self.cache.forget(sender_id)
        tracker, last_id = self._load(sender_id)
        if tracker is not None and last_id is not None:
            self.cache.put(sender_id, tracker, last_id)
        elif tracker is None:
            self.cache.note_absent(sender_id)
        return tracker

    def _last_event_id(self, sender_id: str) -> int | None:
        """One indexed query on a pooled connection (no ORM session: this runs every turn)."""
        if self.engine.dialect.name == "sqlite":
            return sqlite_rows.last_id(self.engine, sender_id)
        table = self.SQLEvent.__table__
        query = sa.select(sa.func.max(table.c.id)).where(table.c.sender_id == sender_id)
        with self.engine.connect() as connection:
            return connection.execute(query).scalar()

    def _load(self, sender_id: str) -> tuple[DialogueStateTracker | None, int | None]:
        """Rasa's ``_retrieve`` of the latest session (the same query), reading only the
        two columns it needs instead of ORM objects, and the greatest id among them."""
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
            rows = query.with_entities(self.SQLEvent.id, self.SQLEvent.data).all()
        if not rows or not self.domain:
            return None, None
        events = [json.loads(data) for _, data in rows]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots), max(row_id for row_id, _ in rows)

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        if purge.try_purge(self, tracker):  # 删除我的数据: see rasa_ext/purge.py
            self.cache.forget(sender_id)
            return
        entry = self.cache.get(sender_id)
        if entry is None and self.cache.take_absent(sender_id):
            entry = tracker_cache.Entry(tracker, events=0, last_id=0, stored_at=0.0)  # every event is new
        if entry is None or entry.tracker is not tracker or not await self._append_new(tracker, entry):
            self.cache.forget(sender_id)
            await super().save(tracker)
        if self._should_roll_over(tracker):
            self.cache.forget(sender_id)
            self._append(sender_id, self.rollover_events(tracker))
            logger.debug("Started a new session for %s after %d events", sender_id, len(tracker.events))

    async def _append_new(self, tracker: DialogueStateTracker, entry: tracker_cache.Entry) -> bool:
        """Save the events added since ``entry`` without counting the stored ones; False
        (nothing written) when the database no longer ends where the entry does.

        The rows are Rasa's own (:func:`event_row`); the check runs after the inserts, inside
        their transaction: exactly our rows follow the entry's last id, or nothing commits.
        """
        if len(tracker.events) < entry.events:
            return False
        new_events = list(tracker.events)[entry.events :]
        await self.stream_events(tracker)
        rows = [event_row(tracker.sender_id, event) for event in new_events]
        if self.engine.dialect.name == "sqlite":
            last_id = sqlite_rows.append_after(self.engine, tracker.sender_id, entry.last_id, rows)
        else:
            last_id = self._append_after(tracker.sender_id, entry.last_id, rows)
        if last_id is None:
            return False
        if tracker_cache.as_loaded(tracker):
            self.cache.put(tracker.sender_id, tracker, last_id)
        else:
            self.cache.forget(tracker.sender_id)
        return True

    def _append_after(self, sender_id: str, after_id: int, rows: list[dict[str, Any]]) -> int | None:
        """:func:`rasa_ext.sqlite_rows.append_after` through SQLAlchemy (PostgreSQL)."""
        table = self.SQLEvent.__table__
        check = sa.select(sa.func.count(), sa.func.max(table.c.id)).where(
            table.c.sender_id == sender_id, table.c.id > after_id
        )
        with self.session_scope() as session:
            if rows:
                session.execute(table.insert(), rows)
            count, last_id = session.execute(check).one()
            if count != len(rows) or (rows and last_id is None):
                session.rollback()
                return None
            session.commit()
        return int(last_id) if rows else after_id

    def _should_roll_over(self, tracker: DialogueStateTracker) -> bool:
        """Only between turns (the last action is a listen), never while a person has
        the conversation (paused: the front end resumes it by posting events)."""
        return (
            len(tracker.events) > self.max_session_events
            and tracker.latest_action_name == ACTION_LISTEN_NAME
            and not tracker.is_paused()
        )

    @staticmethod
    def rollover_events(tracker: DialogueStateTracker) -> list[Event]:
        """What Rasa's action_session_start writes, with every set slot carried over, the
        active form, if any, re-opened in the state it was left in, and the turn's last
        action (:meth:`_last_action_of_the_turn`).

        ``SessionStarted`` resets the tracker (slots, active loop), so the slots come
        after it and the form after the slots; a form whose last run was rejected stays
        rejected, so the rules see the same state as before the rollover.
        """
        now = time.time()
        slot_events: list[Event] = [
            SlotSet(slot.name, slot.value, timestamp=now)
            for slot in tracker.slots.values()
            if slot.value != slot.initial_value
        ]
        loop_events: list[Event] = []
        form = tracker.active_loop_name
        if form:
            loop_events.append(ActiveLoop(form, timestamp=now))
            if tracker.is_active_loop_rejected:
                loop_events.append(ActionExecutionRejected(form, timestamp=now))
        last = BoundedSQLTrackerStore._last_action_of_the_turn(tracker)
        return [
            ActionExecuted(ACTION_SESSION_START_NAME, timestamp=now),
            SessionStarted(timestamp=now),
            *slot_events,
            *loop_events,
            *([ActionExecuted(last, timestamp=now)] if last else []),
            ActionExecuted(ACTION_LISTEN_NAME, timestamp=now),
        ]

    @staticmethod
    def _last_action_of_the_turn(tracker: DialogueStateTracker) -> str | None:
        """The bot's last action before it listened, repeated (not run again) in the new
        session: a rule that reacts to what the bot just did ("现在帮您报名吗？" → 好的 →
        the form) must see the same last action after a rollover as before it."""
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                return None
            if isinstance(event, ActionExecuted) and event.action_name not in (
                ACTION_LISTEN_NAME,
                ACTION_SESSION_START_NAME,
                None,
            ):
                return event.action_name
        return None

    def _append(self, sender_id: str, events: list[Event]) -> None:
        with self.session_scope() as session:
            for event in events:
                session.add(self.SQLEvent(**event_row(sender_id, event)))
            session.commit()
