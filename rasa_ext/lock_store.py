"""Rasa's RedisLockStore with atomic ticket updates, for several Rasa replicas.

Loaded from endpoints.production.yml (``lock_store: type: rasa_ext.lock_store.AtomicRedisLockStore``).

Why: Rasa 3.6 keeps a conversation's ticket lock as one JSON value in Redis and changes
it read-modify-write (``get_lock`` … ``save_lock``) with nothing in between. Two replicas
taking turns of the same conversation at the same moment (a worker tapping two buttons,
the load balancer sending them to different replicas) then race:

* both read ``tickets: [1]`` and both write ``tickets: [1, 2]``: both hold ticket 2, both
  turns run at once, and SQLTrackerStore (which appends "the events after the ones already
  stored", by count) silently drops one turn's events;
* ``cleanup`` removes its ticket, then — separately — deletes the lock when nobody seems
  to wait; a ticket issued in between is deleted with it, and that turn fails with
  ``LockError: Could not acquire lock`` (the worker gets the apology).

``make test-scale`` (8 concurrent turns over two replicas) showed both. Here every change
of a lock is one Redis transaction (``WATCH`` / ``MULTI`` / ``EXEC``, retried when another
replica changed the lock in between), and the delete happens in the same transaction as
the check that nobody waits. Keys, values and the waiting loop are Rasa's own, so
replicas with this class and with Rasa's interoperate (but only this one is safe).

One more race, found by killing a replica in the middle of a turn (issue #17): the dead
replica's ticket stays in Redis until it expires, and the turn waiting behind it has a
ticket of the same lifetime, issued a moment later. Rasa's waiting loop looks once a second;
when it misses the moment between the two expiries, its own ticket is gone too, Rasa's
``now_serving`` is 0 and the turn waits forever (the worker gets no answer, and every later
turn of that conversation queues behind it). :meth:`AtomicRedisLockStore.lock` takes a new
ticket when its own has expired while waiting, so the turn goes ahead once the dead
replica's ticket has expired.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: The stored lock (None: none) → (the lock to store, None to delete it, or _KEEP to
#: leave it as it is; what the caller gets back).
Change = Callable[[TicketLock | None], tuple[Any, T]]
_KEEP = object()


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore whose ticket changes are Redis transactions."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa creates a lock store given by module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change[T]) -> T:
        """Apply ``change`` to the stored lock in one optimistic transaction."""
        key = self.key_prefix + conversation_id

        def transaction(pipe: Any) -> T:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            new, result = change(lock)
            pipe.multi()
            if new is None:
                if lock is not None:
                    pipe.delete(key)
            elif new is not _KEEP:
                pipe.set(key, new.dumps())
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, change)
        except Exception as e:  # as Rasa's: the channel answers with its apology
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        """Rasa's ``LockStore.lock``, except that a ticket which expired while waiting is
        replaced by a new one (see the module docstring)."""
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        held = [ticket]
        try:
            yield await self._wait_for_turn(conversation_id, held, lock_lifetime, wait_time_in_seconds)
        finally:
            self.cleanup(conversation_id, held[0])

    async def _wait_for_turn(
        self, conversation_id: str, held: list[int], lock_lifetime: float, wait_time_in_seconds: float
    ) -> TicketLock:
        while True:
            lock = self.get_lock(conversation_id)
            if lock is not None:
                lock.remove_expired_tickets()
            if lock is None or all(t.number != held[0] for t in lock.tickets):
                # our ticket expired while the turn ahead (a dead replica's) held the lock
                logger.warning(
                    "Ticket %s of conversation %s expired while waiting; taking a new one", held[0], conversation_id
                )
                self.cleanup(conversation_id, held[0])
                held[0] = self.issue_ticket(conversation_id, lock_lifetime)
                continue
            if not lock.is_locked(held[0]):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            self.update_lock(conversation_id)

    def update_lock(self, conversation_id: str) -> None:
        def change(lock: TicketLock | None) -> tuple[Any, None]:
            if lock is None:
                return _KEEP, None
            lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, change)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def change(lock: TicketLock | None) -> tuple[Any, None]:
            if lock is None:
                return _KEEP, None
            lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, change)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket, and the lock if nobody waits — in one transaction."""

        def change(lock: TicketLock | None) -> tuple[Any, bool]:
            if lock is None:
                return _KEEP, False
            lock.remove_ticket_for(ticket_number)
            if lock.is_someone_waiting():
                return lock, False
            return None, True

        if self._change(conversation_id, change):
            logger.debug("Deleted lock for conversation '%s'.", conversation_id)
