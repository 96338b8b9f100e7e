"""The sign-up actions use the session's knowledge base (no index built per test)."""

from __future__ import annotations

import pytest

from actions import stores
from knowledge import KnowledgeBase


@pytest.fixture(autouse=True)
def signup_kb(monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase) -> KnowledgeBase:
    monkeypatch.setattr(stores, "default_kb", lambda: kb)
    return kb
