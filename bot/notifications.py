"""Delivering what waits for workers in the shared outboxes, exactly once across front ends.

Two stores queue messages for a worker who is not in the conversation right now:

* the registry (``registry.notifications``): a waiting-list seat freed by someone else;
* the hand-off store (``handoff.messages``): an operator's reply (stored by whichever
  front end received it, or by the console), the notice that a ticket was closed.

Each front end runs one background asyncio task (:meth:`NotificationDelivery.start` in the
Application's post-init, :meth:`~NotificationDelivery.stop` in post-shutdown; no JobQueue,
whose APScheduler conflicts with Rasa 3.6). Every ``config.notify_interval`` seconds it

1. *claims* a batch from each outbox for this front end (``tg-`` conversations only),
   with a lease (:mod:`common.outbox`): another front end never gets the same message
   while the lease runs, and only the oldest undelivered message of each worker is
   claimable, so a worker's messages arrive in order whoever sends them;
2. puts one :class:`NotificationUpdate` per message into ``application.update_queue``
   (PTB's ``customwebhookbot`` pattern); a ``TypeHandler`` (:meth:`NotificationDelivery.deliver`)
   renews the lease (if it is not ours any more, it does not send), sends, and marks the
   message delivered;
3. retries the tickets that could not be posted to the operators' chat (``retry_posting``,
   given by :mod:`bot.handoff`) and the resumes Rasa did not get.

A failed send is released for a later attempt, backing off (the interval doubling up to
``MAX_RETRY_DELAY``, timed by the Application's clock so a test moves time instead of
sleeping); one that can never succeed (not a Telegram chat) is given up. A message sent
but not marked (the database was unreachable for a moment) is only marked again, never
re-sent. An operator's reply is also sent at once by the front end that stored it
(:meth:`NotificationDelivery.deliver_now`), in the operator's lane, so the operators see
a failure at once. What a front end dying in the middle means: :mod:`common.outbox`.

The outboxes belong to ``registry`` and ``handoff``: this module reaches them only through
their public functions, in a worker thread, on handles of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, TypeHandler

import handoff
import registry
from bot.context import BotContext
from bot.flood import FloodGate
from bot.send import send_text
from bot.tickets import user_for
from common import texts
from common.clock import Clock
from common.database import DRIVER_ERRORS, Database
from common.outbox import LEASE as outbox_lease

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Messages claimed per poll and outbox.
BATCH = 50
#: Longest wait between retries of a message that keeps failing.
MAX_RETRY_DELAY = 600.0
TELEGRAM_PREFIXES = ("tg-",)


def instance_name(configured: str | None = None) -> str:
    """This front end's name in claims (``UH_INSTANCE``, else host:pid): whoever reads the
    outbox sees which front end holds what."""
    return configured or f"tg@{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class NotificationUpdate:
    """A custom update: one outbox message to send to one worker's private chat."""

    notification_id: int
    sender_id: str
    chat_id: int
    text: str
    kind: str = "message"
    source: str = "registry"  # which outbox: registry | handoff
    payload: str | None = None  # handoff: JSON, e.g. {"copy": {"from_chat_id": …, "message_id": …}}
    ticket_id: int | None = None
    attempts: int = 1


def chat_id_for(sender_id: str) -> int | None:
    """``tg-12345`` → 12345; ``None`` for a conversation that is not a Telegram one."""
    return user_for(sender_id)


class Outbox(Protocol):
    """One store's outbox as this front end uses it (every call off the event loop)."""

    name: str

    async def claim(
        self, owner: str, now: datetime, limit: int, only: int | None = None, lease: timedelta = outbox_lease
    ) -> list[NotificationUpdate]:
        """Claim what is due (only ``tg-`` conversations); ``only``: just that message."""
        ...

    async def renew(self, item_id: int, owner: str, now: datetime, lease: timedelta = outbox_lease) -> bool: ...

    async def mark_delivered(self, item_id: int, now: datetime) -> bool: ...

    async def release(self, item_id: int, owner: str, error: str, retry_at: datetime) -> bool: ...

    async def give_up(self, item_id: int, error: str, now: datetime) -> bool: ...

    async def close(self) -> None: ...


class _ThreadStore:
    """A store handle of this outbox's own, used from a worker thread one call at a time
    (the Application's own handle stays on the event loop)."""

    def __init__(self, opener: Callable[[], Database | None]) -> None:
        self._opener = opener
        self._db: Database | None = None
        self._lock = asyncio.Lock()

    async def call(self, work: Callable[[Database], T], default: T) -> T:
        async with self._lock:
            return await asyncio.to_thread(self._run, work, default)

    def _run(self, work: Callable[[Database], T], default: T) -> T:
        if self._db is None:
            self._db = self._opener()
            if self._db is None:
                return default
        return work(self._db)

    async def close(self) -> None:
        async with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class RegistryOutbox:
    """The registry's ``notifications``. The front end never creates the registry: with
    the SQLite default, until the file exists there are no messages."""

    name = "registry"

    def __init__(self, location: str) -> None:
        self.location = location
        self._store = _ThreadStore(self._open)

    def _open(self) -> Database | None:
        url = registry.registry_url(self.location)
        if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///") :]):
            return None  # only a look at whether it exists: the registry owns (and creates) it
        return registry.open_registry(url)

    async def claim(
        self, owner: str, now: datetime, limit: int, only: int | None = None, lease: timedelta = outbox_lease
    ) -> list[NotificationUpdate]:
        clock = _At(now)

        def work(db: Database) -> list[registry.Notification]:
            return registry.claim_notifications(
                db, owner, prefixes=TELEGRAM_PREFIXES, limit=limit, lease=lease, clock=clock
            )

        none: list[registry.Notification] = []
        notes = await self._store.call(work, none)
        return [
            NotificationUpdate(
                notification_id=n.id,
                sender_id=n.sender_id,
                chat_id=chat_id_for(n.sender_id) or 0,
                text=n.text,
                kind=n.kind,
                source=self.name,
                attempts=n.attempts,
            )
            for n in notes
        ]

    async def renew(self, item_id: int, owner: str, now: datetime, lease: timedelta = outbox_lease) -> bool:
        return await self._store.call(
            lambda db: registry.renew_notification(db, item_id, owner, lease=lease, clock=_At(now)), False
        )

    async def mark_delivered(self, item_id: int, now: datetime) -> bool:
        return await self._store.call(
            lambda db: registry.mark_notification_delivered(db, item_id, clock=_At(now)), False
        )

    async def release(self, item_id: int, owner: str, error: str, retry_at: datetime) -> bool:
        return await self._store.call(
            lambda db: registry.release_notification(db, item_id, owner, error, retry_at), False
        )

    async def give_up(self, item_id: int, error: str, now: datetime) -> bool:
        return await self._store.call(
            lambda db: registry.give_up_notification(db, item_id, error, clock=_At(now)), False
        )

    async def close(self) -> None:
        await self._store.close()


class HandoffOutbox:
    """The hand-off store's ``handoff_outbox`` (operator replies, closing notices)."""

    name = "handoff"

    def __init__(self, location: str) -> None:
        self.location = location
        self._store = _ThreadStore(lambda: handoff.open_handoff(self.location))

    async def claim(
        self, owner: str, now: datetime, limit: int, only: int | None = None, lease: timedelta = outbox_lease
    ) -> list[NotificationUpdate]:
        def work(db: Database) -> list[handoff.OutboxItem]:
            return handoff.claim_outbox(db, owner, now, prefixes=TELEGRAM_PREFIXES, limit=limit, lease=lease, only=only)

        none: list[handoff.OutboxItem] = []
        items = await self._store.call(work, none)
        return [
            NotificationUpdate(
                notification_id=i.id,
                sender_id=i.sender_id,
                chat_id=chat_id_for(i.sender_id) or 0,
                text=i.text,
                kind=i.kind,
                source=self.name,
                payload=i.payload,
                ticket_id=i.ticket_id,
                attempts=i.attempts,
            )
            for i in items
        ]

    async def renew(self, item_id: int, owner: str, now: datetime, lease: timedelta = outbox_lease) -> bool:
        return await self._store.call(lambda db: handoff.renew_outbox(db, item_id, owner, now, lease), False)

    async def mark_delivered(self, item_id: int, now: datetime) -> bool:
        return await self._store.call(lambda db: handoff.mark_outbox_delivered(db, item_id, now), False)

    async def release(self, item_id: int, owner: str, error: str, retry_at: datetime) -> bool:
        return await self._store.call(lambda db: handoff.release_outbox(db, item_id, owner, error, retry_at), False)

    async def give_up(self, item_id: int, error: str, now: datetime) -> bool:
        return await self._store.call(lambda db: handoff.give_up_outbox(db, item_id, error, now), False)

    async def close(self) -> None:
        await self._store.close()


@dataclass(frozen=True)
class _At:
    """A clock standing at one moment (the registry's functions take a clock)."""

    at: datetime

    def now(self) -> datetime:
        return self.at


#: What the poller calls besides the outboxes (``bot.handoff``: post deferred tickets,
#: post resumes Rasa missed); each gets the bot and the time.
Chore = Callable[[Bot, datetime], Awaitable[None]]

#: Delivery outcomes of :meth:`NotificationDelivery.deliver_now`.
SENT, RETRYING, UNDELIVERABLE, NOT_NOW = "sent", "retrying", "undeliverable", "not_now"


class NotificationDelivery:
    """The poller (a background task) and the ``TypeHandler`` callback that sends."""

    def __init__(
        self,
        application: Application,
        outbox: Outbox | list[Outbox],
        interval: float,
        clock: Clock,
        *,
        owner: str | None = None,
        lease: float = outbox_lease.total_seconds(),
    ) -> None:
        self.application = application
        self.lease = timedelta(seconds=lease)
        self.outboxes: list[Outbox] = list(outbox) if isinstance(outbox, list) else [outbox]
        self.interval = interval
        self.clock = clock
        self.owner = instance_name(owner)
        self.lanes = FloodGate(max_pending=100_000)  # one worker's messages in order
        self.chores: list[Chore] = []
        #: Called before a "closed" notice goes out (the resume must reach Rasa first).
        self.before_closed_notice: Callable[[int], Awaitable[None]] | None = None
        #: Called after a message reached the worker (the console's replies and closes are
        #: then shown in the ticket's topic too, so both views agree).
        self.after_delivered: Callable[[Bot, NotificationUpdate], Awaitable[None]] | None = None
        self._in_flight: set[tuple[str, int]] = set()  # queued or being sent
        self._sent_unmarked: set[tuple[str, int]] = set()  # sent, but marking it delivered failed
        self._poll_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def outbox(self) -> Outbox:
        """The first outbox (the registry's)."""
        return self.outboxes[0]

    def _source(self, name: str) -> Outbox:
        return next(o for o in self.outboxes if o.name == name)

    @property
    def in_flight(self) -> frozenset[tuple[str, int]]:
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
        for outbox in self.outboxes:
            await outbox.close()

    async def _run(self) -> None:
        while True:
            if self.application.running:
                try:
                    await self.poll_once()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("Polling the outboxes failed")
            await asyncio.sleep(self.interval)

    # --- polling --------------------------------------------------------------------------

    async def poll_once(self) -> int:
        """Claim and queue every deliverable message; return how many were queued."""
        async with self._poll_lock:
            return await self._poll()

    async def _poll(self) -> int:
        now = self.clock.now()
        for source, item_id in sorted(self._sent_unmarked):
            await self._mark(source, item_id)
        for chore in self.chores:
            try:
                await chore(self.application.bot, now)
            except Exception:
                log.exception("A delivery chore failed (%s)", getattr(chore, "__name__", chore))
        queued = 0
        for outbox in self.outboxes:
            try:
                claimed = await outbox.claim(self.owner, now, BATCH, lease=self.lease)
            except DRIVER_ERRORS as exc:
                log.warning("Could not read the %s outbox: %s", outbox.name, exc)
                continue
            for update in claimed:
                key = (update.source, update.notification_id)
                if key in self._in_flight or key in self._sent_unmarked:
                    continue
                if not update.chat_id:
                    log.info("Message %s is for %r, not a Telegram chat; not sending it", key, update.sender_id)
                    await outbox.give_up(update.notification_id, "not a Telegram chat", now)
                    continue
                self._in_flight.add(key)
                await self.application.update_queue.put(update)
                queued += 1
        return queued

    # --- sending --------------------------------------------------------------------------

    async def deliver(self, update: NotificationUpdate, context: BotContext) -> None:
        """The ``TypeHandler`` callback: renew the claim, send, then mark delivered."""
        try:
            await self.lanes.run(update.chat_id, lambda: self._send(context.bot, update))
        finally:
            self._in_flight.discard((update.source, update.notification_id))

    async def deliver_now(self, bot: Bot, source: str, item_id: int) -> tuple[str, TelegramError | None]:
        """Claim and send one message at once (an operator's reply, by the front end that
        stored it). ``NOT_NOW``: another front end holds it, or an older message of the same
        worker is still on its way — the poller sends it in order."""
        outbox = self._source(source)
        claimed = await outbox.claim(self.owner, self.clock.now(), 1, only=item_id, lease=self.lease)
        if not claimed:
            return NOT_NOW, None
        update = claimed[0]
        key = (update.source, update.notification_id)
        self._in_flight.add(key)
        outcome: list[tuple[str, TelegramError | None]] = []
        try:
            await self.lanes.run(update.chat_id, lambda: self._send(bot, update, outcome))
        finally:
            self._in_flight.discard(key)
        return outcome[0] if outcome else (NOT_NOW, None)

    async def _send(
        self, bot: Bot, update: NotificationUpdate, outcome: list[tuple[str, TelegramError | None]] | None = None
    ) -> None:
        outbox = self._source(update.source)
        now = self.clock.now()
        if not await outbox.renew(update.notification_id, self.owner, now, self.lease):
            log.info("Message %s/%s is no longer ours; not sending it", update.source, update.notification_id)
            return
        if update.attempts > 1:
            log.warning(
                "Message %s/%s: attempt %d (an earlier attempt failed or its front end stopped)",
                update.source,
                update.notification_id,
                update.attempts,
            )
        if update.kind == "closed" and update.ticket_id is not None and self.before_closed_notice is not None:
            await self.before_closed_notice(update.ticket_id)
        try:
            await _send_to_worker(bot, update)
        except TelegramError as exc:
            state = await self._failed(update, exc)
            if outcome is not None:
                outcome.append((state, exc))
            return
        log.info(
            "Message %s/%s (%s) delivered to %s", update.source, update.notification_id, update.kind, update.sender_id
        )
        self._sent_unmarked.add((update.source, update.notification_id))
        await self._mark(update.source, update.notification_id)
        if outcome is not None:
            outcome.append((SENT, None))
        if self.after_delivered is not None:
            try:
                await self.after_delivered(bot, update)
            except Exception:  # the worker has the message; a failed mirror must not undo that
                log.exception("After delivering %s/%s", update.source, update.notification_id)

    async def _failed(self, update: NotificationUpdate, exc: TelegramError) -> str:
        outbox = self._source(update.source)
        now = self.clock.now()
        if isinstance(exc, BadRequest) and "chat not found" in str(exc).lower():
            await outbox.give_up(update.notification_id, str(exc), now)
            log.warning(
                "Message %s/%s can never reach %s: %s", update.source, update.notification_id, update.sender_id, exc
            )
            return UNDELIVERABLE
        delay = min(self.interval * 2 ** (max(update.attempts, 1) - 1), MAX_RETRY_DELAY)
        await outbox.release(
            update.notification_id, self.owner, f"{type(exc).__name__}: {exc}", now + timedelta(seconds=delay)
        )
        log.warning(
            "Message %s/%s to %s not delivered (attempt %d: %s); retrying in %.1f s",
            update.source,
            update.notification_id,
            update.sender_id,
            update.attempts,
            exc,
            delay,
        )
        return UNDELIVERABLE if isinstance(exc, Forbidden) else RETRYING

    async def _mark(self, source: str, item_id: int) -> None:
        try:
            await self._source(source).mark_delivered(item_id, self.clock.now())
        except Exception:
            log.exception("Could not mark message %s/%s delivered; will retry", source, item_id)
            return
        self._sent_unmarked.discard((source, item_id))


async def _send_to_worker(bot: Bot, update: NotificationUpdate) -> None:
    """The message as the worker reads it on Telegram."""
    payload = json.loads(update.payload) if update.payload else {}
    copy = payload.get("copy") if isinstance(payload, dict) else None
    if isinstance(copy, dict) and copy.get("from_chat_id") and copy.get("message_id"):
        await bot.copy_message(
            update.chat_id, from_chat_id=int(copy["from_chat_id"]), message_id=int(copy["message_id"])
        )
        return
    text = texts.OPERATOR_PREFIX + update.text if update.kind == "operator_reply" else update.text
    await send_text(bot, update.chat_id, text, html=False)
