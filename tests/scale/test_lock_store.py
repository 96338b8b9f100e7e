"""rasa_ext.lock_store.AtomicRedisLockStore against a real Redis: two "replicas" (two
store instances, each in its own thread) taking turns of one conversation at once get
distinct tickets and strictly one turn at a time, with no LockError."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
from rasa.utils.endpoints import EndpointConfig

from rasa_ext.lock_store import AtomicRedisLockStore

pytestmark = pytest.mark.scale


def store_for(cluster) -> AtomicRedisLockStore:
    # as Rasa builds it from endpoints.production.yml
    config = EndpointConfig(
        url="127.0.0.1",
        type="rasa_ext.lock_store.AtomicRedisLockStore",
        port=str(cluster.services.redis_port),
        db="0",
        key_prefix="unionhelper",
    )
    return AtomicRedisLockStore(endpoint_config=config)


def test_tickets_issued_by_two_replicas_at_once_are_distinct(cluster) -> None:
    conversation = f"lock-{uuid.uuid4().hex[:8]}"
    stores = [store_for(cluster), store_for(cluster)]
    assert stores[0].key_prefix == "unionhelper:lock:"
    issued: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def issue(index: int) -> None:
        start.wait(10)
        for _ in range(150):
            issued[index].append(stores[index].issue_ticket(conversation, 60))

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    tickets = issued[0] + issued[1]
    assert len(tickets) == 300 and len(set(tickets)) == 300, "two replicas got the same ticket"
    assert len(stores[0].get_lock(conversation).tickets) == 300  # none overwritten
    stores[0].delete_lock(conversation)


def test_turns_on_two_replicas_run_one_at_a_time(cluster) -> None:
    conversation = f"lock-{uuid.uuid4().hex[:8]}"
    stores = [store_for(cluster), store_for(cluster)]
    state = {"inside": 0, "overlaps": 0, "turns": 0}
    errors: list[BaseException] = []
    guard = threading.Lock()
    start = threading.Barrier(8)

    async def turn(store: AtomicRedisLockStore) -> None:
        async with store.lock(conversation, lock_lifetime=60, wait_time_in_seconds=0.01):
            with guard:
                state["inside"] += 1
                state["overlaps"] += state["inside"] > 1
            time.sleep(0.02)  # holds the lock as a turn would (no assertion depends on how long)
            with guard:
                state["inside"] -= 1
                state["turns"] += 1

    def replica_thread(index: int) -> None:
        start.wait(10)
        try:
            for _ in range(5):
                asyncio.run(turn(stores[index % 2]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=replica_thread, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert state == {"inside": 0, "overlaps": 0, "turns": 40}
    assert stores[0].get_lock(conversation) is None  # the last one out removed the lock


def test_a_turn_behind_a_dead_replicas_ticket_goes_ahead_when_it_expires(cluster) -> None:
    """A replica killed mid-turn leaves its ticket. The waiting turn's own ticket, issued a
    moment later with the same lifetime, expires too while it waits: Rasa's loop then waits
    forever (now_serving is 0). Ours takes a new ticket and goes ahead."""
    conversation = f"lock-{uuid.uuid4().hex[:8]}"
    dead, alive = store_for(cluster), store_for(cluster)
    dead.issue_ticket(conversation, 1)  # the killed replica's: never cleaned up

    async def turn() -> str:
        # checks every 2 s: it misses the moment between the two expiries
        async with alive.lock(conversation, lock_lifetime=1, wait_time_in_seconds=2):
            return "served"

    assert asyncio.run(asyncio.wait_for(turn(), 30)) == "served"
    assert alive.get_lock(conversation) is None
