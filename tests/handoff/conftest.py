"""Fixtures for the hand-off store: a fresh store per test, on SQLite and (``make
test-scale``) on PostgreSQL, and a clock standing on a Monday morning in Ningbo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from common.clock import CHINA_TZ, FixedClock
from common.database import Database
from handoff import open_handoff
from tests.scale.postgres import BACKENDS, postgres_server, postgres_url, store_url_for

__all__ = ["postgres_server", "postgres_url"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str:
    return store_url_for(request, "handoff.db")


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    database = open_handoff(store_url)
    yield database
    database.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 16, 10, 0, tzinfo=CHINA_TZ))
