"""Fixtures for the registrations database: a fresh file under tmp_path per test.

Nothing here reads the machine's clock: every stamp, record number (BM2026-…) and
"not later than this month" comes from ``TODAY`` — a ``FixedClock`` where a test passes
one, the settings' clock (``UH_TODAY``, also inherited by child processes) elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from common.clock import FixedClock, parse_moment
from registry import open_registry
from tests.registry.helpers import TODAY


@pytest.fixture(autouse=True)
def _registry_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UH_TODAY", TODAY)


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at TODAY; ``clock.advance(...)`` moves it."""
    return FixedClock(parse_moment(TODAY))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "registry.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = open_registry(db_path)
    yield database
    database.close()
