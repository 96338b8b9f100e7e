"""删除我的数据, on the Rasa side: forget everything the worker typed.

The action server deletes the worker's registry rows (``action_submit_delete``), but the
conversation itself — every message with the phone and certificate numbers the worker
typed into the forms — lives in Rasa's tracker store, which only the Rasa server writes.
So the action server asks for it: after the registry forgot the worker, the action sets
the slot :data:`PURGE_SLOT` (``purge_conversation``, in domain/delete_data.yml). When the tracker
store saves a tracker holding that marker, :func:`purge_conversation` replaces, in one
transaction, **every** stored event of the sender (all sessions) with a fresh session:

    action_session_start, session_started, action_listen, <the bot's confirmation>

The front ends' own rows about the worker go first (:func:`forget_channels`: WeChat's
``wx_*`` — the 48-hour window, the messages taken with their stored replies, the numbered
options — and Telegram's ``tg_*`` — buttons, activity counts, where the tickets were
posted — each through its owner's function), then the worker's hand-off tickets
(:func:`forget_handoff`: their transcripts, the messages exchanged with the operators and
everything queued for the worker, in the hand-off store — the registry's outbox entries
were deleted by the action with the rest of the registry rows). The confirmation is what
the action that set the marker uttered (it names no personal data). The tracker object in
memory is reset to the same events, so a second ``save`` of it in the same request cannot
write the old events back. The next turn starts from
the fresh session with no slots set.

Plain SQLAlchemy on Rasa's own ``events`` table, so it works on SQLite (the embedded
default) and PostgreSQL (several replicas). On SQLite the deleted rows are overwritten
with zeros (``PRAGMA secure_delete``) and the write-ahead log, if the database uses one,
is checkpointed and truncated, so the numbers are not left in free pages of the files.
On PostgreSQL the deleted row versions are invisible at once and physically reclaimed by
(auto)vacuum.

If the purge fails (database error, in either store), the turn is saved the ordinary way
with the marker in it, and the purge is retried by the next save of that conversation.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from common import settings
from common.conversations import export_conversation as export_conversation
from common.conversations import tracker_url as tracker_url

if TYPE_CHECKING:  # pragma: no cover
    from rasa.core.tracker_store import SQLTrackerStore

logger = logging.getLogger(__name__)

#: The slot the action server sets to ask for the purge (declared in domain/delete_data.yml;
#: the action side has the same name in actions.signup.delete_data.PURGE_SLOT).
PURGE_SLOT = "purge_conversation"


def _is_marker(event: Event) -> bool:
    return isinstance(event, SlotSet) and event.key == PURGE_SLOT and bool(event.value)


def purge_requested(tracker: DialogueStateTracker) -> bool:
    """The tracker holds a marker that no purge has consumed yet (a successful purge
    removes the marker with everything else)."""
    return any(_is_marker(event) for event in tracker.events)


def fresh_events(tracker: DialogueStateTracker, now: float | None = None) -> list[Event]:
    """The events that replace the conversation: a new session and the confirmation.

    The confirmation is every bot message from the action that set the (latest) marker
    onwards, re-stamped: Rasa loads a session by ``timestamp >= SessionStarted``.
    """
    now = time.time() if now is None else now
    events = list(tracker.events)
    marker = max(i for i, event in enumerate(events) if _is_marker(event))
    start = marker
    while start > 0 and not isinstance(events[start], ActionExecuted):
        start -= 1
    confirmation: list[Event] = [
        BotUttered(text=event.text, data=dict(event.data or {}), metadata=dict(event.metadata or {}), timestamp=now)
        for event in events[start:]
        if isinstance(event, BotUttered)
    ]
    return [
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=now),
        SessionStarted(timestamp=now),
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=now),
        *confirmation,
    ]


def _reset_in_memory(tracker: DialogueStateTracker, events: list[Event]) -> None:
    """The same tracker object (Rasa holds it) with only ``events``: slots at their initial
    values, no active loop, not paused. Rasa's public way to rebuild a tracker's state is
    from a stored dialogue; it appends to the events, hence the clear first."""
    tracker.events.clear()
    tracker.recreate_from_dialogue(Dialogue(tracker.sender_id, events))


def forget_handoff(sender_id: str) -> dict[str, int]:
    """Delete the worker's hand-off tickets, transcripts and outbox entries (the hand-off
    store's own function, on the configured store). Nothing to do without a store yet."""
    from handoff import forget_sender, handoff_store, store_created

    url = settings.load().handoff_url
    if not store_created(url):
        return {"tickets": 0, "messages": 0, "outbox": 0}
    with handoff_store(url) as db:
        return forget_sender(db, sender_id)


def forget_channels(sender_id: str) -> dict[str, int]:
    """Delete the front ends' rows about the worker (the ``wx_*`` and ``tg_*`` tables beside
    the hand-off store's, through ``wechat.store`` and ``bot.tickets``: their owners); how
    many of each. Before :func:`forget_handoff`: the Telegram rows are found by the
    worker's tickets. Nothing to do without a store yet."""
    from bot.tickets import forget_sender as forget_telegram
    from handoff import handoff_store, store_created
    from wechat.store import forget_sender as forget_wechat

    url = settings.load().handoff_url
    if not store_created(url):
        return {}
    with handoff_store(url) as db:
        wechat = forget_wechat(db, sender_id)
        telegram = forget_telegram(db, sender_id)
    return {**{f"wx_{k}": v for k, v in wechat.items()}, **{f"tg_{k}": v for k, v in telegram.items()}}


def purge_conversation(store: SQLTrackerStore, tracker: DialogueStateTracker) -> int:
    """Forget the worker's hand-offs, then replace every stored event of
    ``tracker.sender_id`` by :func:`fresh_events`.

    Returns the number of event rows deleted. Raises on database errors (the events are
    not changed then: one transaction; the hand-off deletion is repeated by the retry).
    """
    from rasa_ext.tracker_store import event_row  # the store imports this module

    sender_id = tracker.sender_id
    channels = forget_channels(sender_id)
    forgotten = forget_handoff(sender_id)
    fresh = fresh_events(tracker)
    # Through a scratch tracker so the rows carry the metadata Rasa adds (model id).
    scratch = DialogueStateTracker(sender_id, [])
    scratch.model_id = tracker.model_id
    scratch.assistant_id = tracker.assistant_id
    for event in fresh:
        scratch.update(event)
    with store.session_scope() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        if sqlite:
            # Overwrite the deleted rows' content with zeros instead of leaving it in
            # free pages (per connection; harmless to keep on a pooled connection).
            session.execute(sa.text("PRAGMA secure_delete = ON"))
        deleted = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id == sender_id)
            .delete(synchronize_session=False)
        )
        for event in scratch.events:
            session.add(store.SQLEvent(**event_row(sender_id, event)))
        session.commit()
        if sqlite:
            try:  # in WAL mode the old page images live on in the -wal file until then
                session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
                session.commit()
            except Exception:
                logger.debug("WAL checkpoint after a purge did not complete", exc_info=True)
    _reset_in_memory(tracker, list(scratch.events))
    logger.info(
        "Conversation %s purged at the worker's request (%d events, %d hand-off tickets, %d front-end rows deleted)",
        sender_id,
        deleted,
        forgotten["tickets"],
        sum(channels.values()),
    )
    return deleted


def try_purge(store: SQLTrackerStore, tracker: DialogueStateTracker) -> bool:
    """The save hook: purge when asked to. ``True`` when the tracker is stored (purged)
    and the ordinary save must be skipped; ``False`` to save it the ordinary way."""
    if not purge_requested(tracker):
        return False
    try:
        purge_conversation(store, tracker)
    except Exception:
        logger.exception("Purging conversation %s failed; saved as usual, retried at the next save", tracker.sender_id)
        return False
    return True


# ---------------------------------------------------------------- retention and a worker's copy


def _events_engine(url: str) -> sa.engine.Engine:
    return sa.create_engine(url, future=True, poolclass=sa.pool.NullPool)


def forget_conversations_before(url: str, before: float) -> int:
    """Retention: delete every event of each conversation whose latest event is older than
    ``before`` (a Unix time, as Rasa stores it); returns the rows deleted. A conversation
    still going on keeps its whole current history."""
    engine = _events_engine(url)
    try:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table("events"):
                return 0
            stale = "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :before"
            deleted = conn.execute(sa.text(f"DELETE FROM events WHERE sender_id IN ({stale})"), {"before": before})
            return int(deleted.rowcount or 0)
    finally:
        engine.dispose()
