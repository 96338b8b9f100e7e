"""Fixtures for the action tests.

Every test runs on a fixed day (``UH_TODAY``, read by ``common.clock.default_clock``)
with its own data directory (``UH_DATA_DIR`` under ``tmp_path``): no test reads the real
clock or writes to ``var/``.

* ``domain`` — the domain as the action server receives it (``domain/``, merged by Rasa);
* ``db`` — this test's registry;
* ``kb`` — the real knowledge files, indexed once per session (the sign-up tests point
  the actions at it: ``tests/actions/signup/conftest.py``);
* ``data_dir`` — a private, editable copy of the knowledge files for the knowledge
  base the actions open themselves (answers: staff edits, broken files).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from sqlite_utils import Database

from knowledge import KnowledgeBase, reset_default_kb
from registry import open_registry
from tests.support import REPO, copy_knowledge

#: The day every action test runs on (a Monday; knowledge/reading.yml has its month's book).
TODAY = "2026-11-16"


@pytest.fixture(autouse=True)
def action_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("UH_TODAY", TODAY)
    return tmp_path


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return Domain.load(str(REPO / "domain")).as_dict()


@pytest.fixture
def db(action_env: Path) -> Iterator[Database]:
    database = open_registry(action_env / "registry.db")
    yield database
    database.close()


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("kb")
    return KnowledgeBase.open(REPO / "knowledge", root / "knowledge_index.db", registry_path=root / "registry.db")


@pytest.fixture
def data_dir(action_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    knowledge_dir = copy_knowledge(action_env / "knowledge")
    monkeypatch.setenv("UH_KNOWLEDGE_DIR", str(knowledge_dir))
    reset_default_kb()
    yield action_env
    reset_default_kb()
