"""Delivering the registry's queued notifications (waiting-list promotions) to workers.

A seat freed by one worker goes to the first on the waiting list *while that worker is not
talking to the bot*, so the registry (``registry/notifications.py``) writes a
message into its ``notifications`` outbox in ``$UH_DATA_DIR/registry.db``. The front end
delivers it:

* a background asyncio task (:meth:`NotificationDelivery.start` in the Application's
  post-init, :meth:`~NotificationDelivery.stop` in post-shutdown; no JobQueue, whose
  APScheduler conflicts with Rasa 3.6) polls the outbox every ``config.notify_interval``
  seconds and puts one :class:`NotificationUpdate` per message into
  ``application.update_queue`` (PTB's ``customwebhookbot`` pattern);
* a ``TypeHandler`` (:meth:`NotificationDelivery.deliver`) sends it to the worker's private
  chat (``sender_id`` ``tg-<user id>``; other senders – the terminal chat, tests – are not
  ours and are left alone) and marks it delivered only after Telegram accepted it.

Exactly once, as far as this process can tell: a message is queued again only after its
previous attempt has finished; a failed send is retried on the next poll, and if it keeps
failing (the worker blocked the bot) the retries back off to one every ``MAX_RETRY_DELAY``
seconds; a message sent but not marked (the database was locked) is only marked again,
never re-sent. Polls never overlap, so a test (or a console) may call
:meth:`NotificationDelivery.poll_once` beside the background task.

The outbox belongs to ``registry``: this module reaches it only through the registry's
public functions (``open_registry``, ``pending_notifications``,
``mark_notification_delivered``), never with SQL of its own. Registry calls run in a worker
thread – the action server writes the same file and SQLite may wait for its lock. The
retry times come from the Application's :class:`~common.clock.Clock`, so a test moves
time forward instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database
from telegram.error import TelegramError
from telegram.ext import Application, TypeHandler

from bot.context import BotContext
from bot.flood import FloodGate
from bot.send import send_text
from common.clock import Clock
from registry import Notification, mark_notification_delivered, open_registry, pending_notifications

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Messages fetched per poll (besides those already known to be skipped or waiting).
BATCH = 50
#: Longest wait between retries of a message that keeps failing.
MAX_RETRY_DELAY = 600.0
TELEGRAM_PREFIX = "tg-"


@dataclass(frozen=True)
class NotificationUpdate:
    """A custom update: one outbox message to send to one worker's private chat."""

    notification_id: int
    sender_id: str
    chat_id: int
    text: str
    kind: str = "message"


def chat_id_for(sender_id: str) -> int | None:
    """``tg-12345`` → 12345; ``None`` for a conversation that is not a Telegram one."""
    if not sender_id.startswith(TELEGRAM_PREFIX):
        return None
    rest = sender_id[len(TELEGRAM_PREFIX) :]
    return int(rest) if rest.isdigit() else None


class RegistryOutbox:
    """The registry's ``notifications`` table as the front end sees it.

    One connection, opened on first use, used from a worker thread one call at a time.
    The front end never creates the registry: until the file exists there are no messages.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: Database | None = None
        self._lock = asyncio.Lock()

    async def _call(self, work: Callable[[Database], T], default: T) -> T:
        async with self._lock:
            return await asyncio.to_thread(self._run, work, default)

    def _run(self, work: Callable[[Database], T], default: T) -> T:
        if self._db is None:
            # Only a look at whether the file exists: the registry opens it (and owns its
            # schema). registry.open_registry would create a missing file.
            if not self.path.exists():
                return default
            self._db = open_registry(self.path)
        try:
            return work(self._db)
        except sqlite3.Error:
            self._close()  # a fresh connection next time
            raise

    async def pending(self, limit: int) -> list[Notification]:
        return await self._call(lambda db: pending_notifications(db, limit=limit), [])

    async def mark_delivered(self, notification_id: int) -> bool:
        return await self._call(lambda db: mark_notification_delivered(db, notification_id), False)

    def _close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    async def close(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._close)


@dataclass
class _Failure:
    attempts: int
    retry_at: datetime


class NotificationDelivery:
    """The poller (a background task) and the ``TypeHandler`` callback that sends."""

    def __init__(
        self,
        application: Application,
        outbox: RegistryOutbox,
        interval: float,
        clock: Clock,
    ) -> None:
        self.application = application
        self.outbox = outbox
        self.interval = interval
        self.clock = clock
        self.lanes = FloodGate(max_pending=100_000)  # one worker's messages in order
        self._in_flight: set[int] = set()  # queued or being sent
        self._sent_unmarked: set[int] = set()  # sent, but marking it delivered failed
        self._failures: dict[int, _Failure] = {}
        self._skipped: set[int] = set()  # not a Telegram conversation
        self._poll_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def in_flight(self) -> frozenset[int]:
        """Messages queued or being sent right now (a test waits for this to drain)."""
        return frozenset(self._in_flight)

    @property
    def running(self) -> bool:
        """Whether the background poller is running."""
        return self._task is not None and not self._task.done()

    # --- wiring ---------------------------------------------------------------------------

    def handler(self) -> TypeHandler[Any, BotContext, None]:
        return TypeHandler(NotificationUpdate, self.deliver)

    def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._in_flight.clear()  # updates queued before a stop were never handled
            self._task = asyncio.create_task(self._run(), name="uh-notifications")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.outbox.close()

    async def _run(self) -> None:
        while True:
            if self.application.running:
                try:
                    await self.poll_once()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("Polling the notifications outbox failed")
            await asyncio.sleep(self.interval)

    # --- polling --------------------------------------------------------------------------

    async def poll_once(self) -> int:
        """Queue every deliverable pending message; return how many were queued."""
        async with self._poll_lock:
            return await self._poll()

    async def _poll(self) -> int:
        for notification_id in sorted(self._sent_unmarked):
            await self._mark(notification_id)
        known = len(self._in_flight) + len(self._sent_unmarked) + len(self._failures) + len(self._skipped)
        notes = await self.outbox.pending(BATCH + known)
        self._forget_gone(notes)
        now = self.clock.now()
        queued = 0
        for note in notes:
            if note.id in self._in_flight or note.id in self._sent_unmarked or note.id in self._skipped:
                continue
            failure = self._failures.get(note.id)
            if failure is not None and failure.retry_at > now:
                continue
            chat_id = chat_id_for(note.sender_id)
            if chat_id is None:
                log.info("Notification %s is for %r, not a Telegram chat; not sending it", note.id, note.sender_id)
                self._skipped.add(note.id)
                continue
            self._in_flight.add(note.id)
            await self.application.update_queue.put(
                NotificationUpdate(
                    notification_id=note.id, sender_id=note.sender_id, chat_id=chat_id, text=note.text, kind=note.kind
                )
            )
            queued += 1
        return queued

    def _forget_gone(self, notes: list[Notification]) -> None:
        """Drop bookkeeping for messages no longer pending (delivered elsewhere, deleted)."""
        if not notes:
            self._skipped.clear()
            self._failures.clear()
            return
        pending = {note.id for note in notes}
        newest = max(pending)  # results are oldest first: a smaller id missing is gone
        self._skipped = {i for i in self._skipped if i in pending or i > newest}
        self._failures = {i: f for i, f in self._failures.items() if i in pending or i > newest}

    # --- sending --------------------------------------------------------------------------

    async def deliver(self, update: NotificationUpdate, context: BotContext) -> None:
        """The ``TypeHandler`` callback: send, then mark delivered."""

        async def work() -> None:
            try:
                await send_text(context.bot, update.chat_id, update.text, html=False)
            except TelegramError as exc:
                self._failed(update, exc)
                return
            self._failures.pop(update.notification_id, None)
            log.info("Notification %s (%s) delivered to %s", update.notification_id, update.kind, update.sender_id)
            self._sent_unmarked.add(update.notification_id)
            await self._mark(update.notification_id)

        try:
            await self.lanes.run(update.chat_id, work)
        finally:
            self._in_flight.discard(update.notification_id)

    def _failed(self, update: NotificationUpdate, exc: TelegramError) -> None:
        previous = self._failures.get(update.notification_id)
        attempts = previous.attempts + 1 if previous else 1
        delay = min(self.interval * 2 ** (attempts - 1), MAX_RETRY_DELAY)
        self._failures[update.notification_id] = _Failure(attempts, self.clock.now() + timedelta(seconds=delay))
        log.warning(
            "Notification %s to %s not delivered (attempt %d: %s); retrying in %.0f s",
            update.notification_id,
            update.sender_id,
            attempts,
            exc,
            delay,
        )

    async def _mark(self, notification_id: int) -> None:
        try:
            await self.outbox.mark_delivered(notification_id)
        except Exception:
            log.exception("Could not mark notification %s delivered; will retry", notification_id)
            return
        self._sent_unmarked.discard(notification_id)
