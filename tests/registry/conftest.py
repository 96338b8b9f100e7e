"""Fixtures for the registrations database: a fresh file under tmp_path per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from registry import enrollments, open_registry


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "registry.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = open_registry(db_path)
    yield database
    database.close()


@pytest.fixture(autouse=True)
def _no_test_hooks() -> Iterator[None]:
    """The enrollment test seam is process-global: never let one test's hook leak."""
    enrollments.TEST_HOOKS.clear()
    yield
    enrollments.TEST_HOOKS.clear()
