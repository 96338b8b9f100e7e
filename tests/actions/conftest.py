"""Fixtures for the action tests.

* knowledge actions (test_knowledge_actions.py): ``data_dir`` — ``UH_DATA_DIR`` and a
  private copy of the knowledge files (``UH_KNOWLEDGE_DIR``) under ``tmp_path``, the
  process-wide knowledge base forgotten; ``dispatcher``; ``make_tracker(text, intent,
  entities, slots)``.
* sign-up actions (test_form_validation.py, test_records_actions.py): ``domain`` (the real
  domain.yml), ``kb`` (built once per session), a fresh registry per test (``db``) — the
  sign-up actions are pointed at the session's knowledge base, so a test does not rebuild
  the index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlite_utils import Database

from actions import records_support
from knowledge import KnowledgeBase, reset_default_kb
from registry import enrollments, open_registry
from tests.support import copy_knowledge

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- knowledge actions


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    knowledge_dir = copy_knowledge(tmp_path / "knowledge")
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("UH_KNOWLEDGE_DIR", str(knowledge_dir))
    reset_default_kb()
    yield tmp_path
    reset_default_kb()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    def make(
        text: str,
        intent: str,
        entities: list[dict[str, Any]] | None = None,
        slots: dict[str, Any] | None = None,
        sender_id: str = "test-user",
    ) -> Tracker:
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
        }
        events = [{"event": "user", "text": text, "parse_data": latest}]
        return Tracker(sender_id, dict(slots or {}), latest, events, False, None, {}, "action_listen")

    return make


# ---------------------------------------------------------------- sign-up actions


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """domain.yml as the action server receives it (forms → required_slots, slots …)."""
    with open(REPO / "domain.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("kb")
    return KnowledgeBase.open(REPO / "knowledge", root / "knowledge_index.db", registry_path=root / "registry.db")


@pytest.fixture(autouse=True)
def signup_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase) -> Iterator[Path]:
    """Every test gets its own registry file; the sign-up actions use the session's
    knowledge base (``data_dir``, when also used, takes over ``UH_DATA_DIR``)."""
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(records_support, "default_kb", lambda: kb)
    enrollments.TEST_HOOKS.clear()
    yield tmp_path
    enrollments.TEST_HOOKS.clear()


@pytest.fixture
def db(signup_env: Path) -> Iterator[Database]:
    database = open_registry(signup_env / "registry.db")
    yield database
    database.close()
