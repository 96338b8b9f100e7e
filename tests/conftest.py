"""Shared fixtures. `rasa_stack` runs the real action server and Rasa server once per
test session, on free ports, with a temporary data directory and knowledge copy."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from scripts.stack import Stack
from tests.support import MODEL, copy_knowledge, free_port


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    root = tmp_path_factory.mktemp("stack")
    knowledge_dir = copy_knowledge(root / "knowledge")
    stack = Stack(
        model=MODEL,
        data=root / "var",
        rasa_port=free_port(),
        action_port=free_port(),
        token="test-token",
        extra_env={"UH_KNOWLEDGE_DIR": str(knowledge_dir)},
    )
    stack.knowledge_dir = knowledge_dir  # type: ignore[attr-defined]
    stack.start(timeout=300)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def knowledge_dir(rasa_stack: Stack) -> Path:
    return rasa_stack.knowledge_dir  # type: ignore[attr-defined]
