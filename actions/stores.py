"""The two stores the custom actions use, reached only through their owners' functions.

* the knowledge base (``knowledge.default_kb``: staff edits are picked up on the way);
* the registry (``registry``'s public functions, each call on its own connection).

Both are synchronous: they run in a worker thread, so a slow disk or the first build of
the search index never stalls the action server's event loop for other workers.
Tests point the actions at a prepared knowledge base by replacing ``default_kb`` here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from knowledge import KnowledgeBase, default_kb
from registry import registry

T = TypeVar("T")


async def knowledge() -> KnowledgeBase:
    """The process-wide knowledge base; raises ``knowledge.KnowledgeError`` when no
    valid knowledge was ever loaded."""
    return await asyncio.to_thread(default_kb)


async def registry_call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(db, *args, **kwargs)`` on a fresh registry connection in a worker thread."""

    def call() -> T:
        with registry() as db:
            return fn(db, *args, **kwargs)

    return await asyncio.to_thread(call)
