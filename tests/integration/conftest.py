"""The integration tests run on the day of the servers they talk to.

The servers get ``UH_TODAY`` from ``tests.support.stack_on_free_ports``; this process
gets the same (restored after each test), so what a test writes to the registry
directly is stamped on the same day as what the action server writes.
"""

from __future__ import annotations

import pytest

from tests.support import TODAY


@pytest.fixture(autouse=True)
def _the_stacks_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UH_TODAY", TODAY)
