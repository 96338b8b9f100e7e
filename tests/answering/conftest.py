"""The real knowledge files, indexed once for the answering tests, on a fixed day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from common.clock import FixedClock
from knowledge import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def real_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("answering-kb")
    return KnowledgeBase.open(
        REPO / "knowledge",
        root / "knowledge_index.db",
        registry_path=root / "registry.db",
        clock=FixedClock.on(date(2026, 11, 16)),
    )
