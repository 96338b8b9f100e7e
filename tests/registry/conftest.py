"""Fixtures for the registrations database: a fresh store per test, on SQLite (always)
and on PostgreSQL (``make test-scale``: the ``postgresql`` parameter is marked ``scale``).

Nothing here reads the machine's clock: every stamp, record number (BM2026-…) and
"not later than this month" comes from ``TODAY`` — a ``FixedClock`` where a test passes
one, the settings' clock (``UH_TODAY``, also inherited by child processes) elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from common.clock import FixedClock, parse_moment
from registry import Database, open_registry
from tests.registry.helpers import TODAY
from tests.scale.postgres import BACKENDS, postgres_server, postgres_url, store_url_for

__all__ = ["postgres_server", "postgres_url"]  # fixtures used through store_url


@pytest.fixture(autouse=True)
def _registry_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UH_TODAY", TODAY)


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at TODAY; ``clock.advance(...)`` moves it."""
    return FixedClock(parse_moment(TODAY))


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str:
    """Where this test's registry lives: a SQLite file, or a fresh PostgreSQL database."""
    return store_url_for(request, "registry.db")


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    database = open_registry(store_url)
    yield database
    database.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A SQLite file, for the tests of what only SQLite has (files, pragmas, old files)."""
    return tmp_path / "registry.db"


@pytest.fixture
def sqlite_db(db_path: Path) -> Iterator[Database]:
    database = open_registry(db_path)
    yield database
    database.close()
