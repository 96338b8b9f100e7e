"""Fixtures for the sign-up actions: the real domain, a knowledge base built once per
session from the repository's knowledge files, and a fresh registry per test
(``UH_DATA_DIR`` → ``tmp_path``)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlite_utils import Database

from actions import records_support
from actions.registry import enrollments, open_registry
from knowledge import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """domain.yml as the action server receives it (forms → required_slots, slots …)."""
    with open(REPO / "domain.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("kb")
    return KnowledgeBase.open(
        REPO / "knowledge", root / "knowledge_index.db", registry_path=root / "registry.db"
    )


@pytest.fixture(autouse=True)
def data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase
) -> Iterator[Path]:
    """Every test gets its own registry file; the actions use the session's knowledge."""
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(records_support, "default_kb", lambda: kb)
    enrollments.TEST_HOOKS.clear()
    yield tmp_path
    enrollments.TEST_HOOKS.clear()


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    database = open_registry(data_dir / "registry.db")
    yield database
    database.close()
