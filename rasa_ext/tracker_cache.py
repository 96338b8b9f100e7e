"""The trackers of recent conversations, kept in the Rasa process between turns.

Why (issue #18, profile in docs/bench-ablation.md): loading a conversation was 17 % of the
Rasa server's time under load and saving it 21 %, of which half was Rasa counting the
session's stored events before appending. Rasa loads every event of the session from the
database, decodes its JSON and replays it into a new tracker on every turn, although the
process that saved the tracker a moment ago still holds exactly that tracker.

The cache never decides on its own that an entry is current. The tracker store
(:mod:`rasa_ext.tracker_store`) checks each entry against the database before use: the
sender's greatest event id must be the one the entry was stored with, so a write by any
other process (a second Rasa replica, a purge, the retention task) makes the entry stale,
and the tracker object must still hold the events it was stored with, so a turn that
mutated it and then failed (nothing saved) is not served from memory either. What the
cache adds is only a bound (entries and age) and the bookkeeping.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from rasa.shared.core.trackers import DialogueStateTracker

DEFAULT_SIZE = 500
#: Older entries are dropped: the idle conversation is reloaded from the database, and no
#: entry outlives what the retention task or another process may have done meanwhile.
DEFAULT_TTL_SECONDS = 600.0


@dataclass(frozen=True)
class Entry:
    """A tracker as it was stored: ``events`` long, the sender's last row id ``last_id``."""

    tracker: DialogueStateTracker
    events: int
    last_id: int
    stored_at: float

    def unchanged(self) -> bool:
        """Nobody appended to the object since it was stored (every Rasa mutation of a
        tracker is an appended event)."""
        return len(self.tracker.events) == self.events


class TrackerCache:
    """A bounded LRU of :class:`Entry` by sender id; ``size`` 0 keeps nothing."""

    def __init__(
        self,
        size: int = DEFAULT_SIZE,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size = max(0, int(size))
        self.ttl_seconds = float(ttl_seconds)
        self._clock = clock
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._absent: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()  # Rasa may call the store from a thread pool

    def get(self, sender_id: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(sender_id)
            if entry is None:
                return None
            if self._clock() - entry.stored_at > self.ttl_seconds:
                del self._entries[sender_id]
                return None
            self._entries.move_to_end(sender_id)
            return entry

    def put(self, sender_id: str, tracker: DialogueStateTracker, last_id: int) -> None:
        if not self.size:
            return
        with self._lock:
            self._entries[sender_id] = Entry(tracker, len(tracker.events), last_id, self._clock())
            self._entries.move_to_end(sender_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        with self._lock:
            self._entries.pop(sender_id, None)
            self._absent.pop(sender_id, None)

    def note_absent(self, sender_id: str) -> None:
        """The database had no events for ``sender_id`` a moment ago (Rasa is about to
        create its tracker): its first save may append without counting, see
        :meth:`take_absent`."""
        if not self.size:
            return
        with self._lock:
            self._absent[sender_id] = self._clock()
            self._absent.move_to_end(sender_id)
            while len(self._absent) > self.size:
                self._absent.popitem(last=False)

    def take_absent(self, sender_id: str) -> bool:
        """Whether :meth:`note_absent` was said of ``sender_id`` (within the age bound);
        answered once. The store still checks, inside the save's transaction, that its rows
        are the sender's only ones."""
        with self._lock:
            noted = self._absent.pop(sender_id, None)
        return noted is not None and self._clock() - noted <= self.ttl_seconds

    def __len__(self) -> int:
        return len(self._entries)


def as_loaded(tracker: DialogueStateTracker) -> bool:
    """The tracker holds exactly what Rasa's SQL store would load for it: the events from
    the session's ``SessionStarted`` on, by timestamp (or all, if no session started).

    Not so after the first turn of a session that Rasa started itself: its
    ``action_session_start`` is stamped before ``SessionStarted`` and is not loaded again;
    nor when a second session began in the turn. Such a tracker is not kept, so a cached
    turn sees what a loaded one would.
    """
    events = tracker.events
    starts = [event.timestamp for event in events if event.type_name == "session_started"]
    if not starts:
        return True
    if len(starts) > 1:
        return False
    return all(event.timestamp >= starts[0] for event in events)
