"""Shared fixtures. `rasa_stack` runs the real action server and Rasa server once per
test session, on free ports, with a temporary data directory and knowledge copy, on the
day ``tests.support.TODAY`` (``UH_TODAY``), never the machine's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.stack import Stack
from tests.support import stack_on_free_ports


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = stack_on_free_ports(tmp_path_factory.mktemp("stack"), "test-token")
    stack.start(timeout=300)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def knowledge_dir(rasa_stack: Stack) -> Path:
    return rasa_stack.knowledge_dir  # type: ignore[attr-defined]
