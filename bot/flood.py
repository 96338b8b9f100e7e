"""Per-worker flood control: a flooding worker slows down only themselves.

The Application processes updates concurrently (``concurrent_updates``); each worker has a
lane with an :class:`asyncio.Lock`, so one worker's messages reach Rasa one at a time and in
order while other workers are served in parallel. A lane holds at most ``max_pending``
updates (the one in flight plus a small queue); beyond that the update is dropped and the
worker is told "请慢一点" once, until their queue has drained.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: int = 0
    warned: bool = False


class FloodGate:
    def __init__(self, max_pending: int = 4) -> None:
        self.max_pending = max(1, max_pending)
        self._lanes: dict[int, _Lane] = {}

    def pending(self, user_id: int) -> int:
        lane = self._lanes.get(user_id)
        return lane.pending if lane else 0

    async def run(
        self,
        user_id: int,
        work: Callable[[], Awaitable[None]],
        on_flood: Callable[[], Awaitable[None]] | None = None,
    ) -> bool:
        """Run ``work`` in the worker's lane; ``False`` if it was dropped as flooding."""
        lane = self._lanes.setdefault(user_id, _Lane())
        if lane.pending >= self.max_pending:
            if not lane.warned:
                lane.warned = True
                if on_flood is not None:
                    await on_flood()
            return False
        lane.pending += 1
        try:
            async with lane.lock:
                await work()
        finally:
            lane.pending -= 1
            if lane.pending == 0 and self._lanes.get(user_id) is lane:
                del self._lanes[user_id]  # drained: forget the lane (and the warning)
        return True
