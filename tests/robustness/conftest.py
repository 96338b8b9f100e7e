"""Fixtures for the robustness tests (faults, bad input, security).

``private_stack``: the one stack these tests use — our own (free ports, a temporary data
directory, a private knowledge copy, DEBUG logging so the log-masking test sees every line
Rasa can write), because some tests kill and restart its servers and the shared
``rasa_stack`` must not be disturbed. It is launched as soon as collection ends when a
selected test needs it, so its model loads while other tests run; the fixture only waits.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.stack import Stack
from tests.support import MODEL, stack_on_free_ports

HERE = Path(__file__).resolve().parent
_private: dict[str, object] = {}


def _launch_private_stack() -> Stack:
    root = Path(tempfile.mkdtemp(prefix="uh-robustness-"))
    # verbose: DEBUG, Rasa logs every message, slot and tracker it handles
    stack = stack_on_free_ports(root, "robustness-token", verbose=True)
    stack.data.mkdir(parents=True, exist_ok=True)
    stack.start_actions()
    stack.start_rasa()
    _private.update(stack=stack, root=root)
    return stack


def pytest_collection_finish(session: pytest.Session) -> None:
    wanted = any(
        "private_stack" in getattr(item, "fixturenames", ()) and HERE in Path(str(item.fspath)).resolve().parents
        for item in session.items
    )
    if wanted and MODEL.exists() and "stack" not in _private and not session.config.option.collectonly:
        _launch_private_stack()


def pytest_sessionfinish(session: pytest.Session) -> None:
    stack = _private.pop("stack", None)
    root = _private.pop("root", None)
    if isinstance(stack, Stack):
        stack.stop()
    if isinstance(root, Path):
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def private_stack() -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    stack = _private.get("stack")
    if not isinstance(stack, Stack):
        stack = _launch_private_stack()
    stack.wait_ready(timeout=600)
    yield stack


def ensure_actions_running(stack: Stack, timeout: float = 120.0) -> None:
    """(Re)start the stack's action server if a test left it down."""
    if stack.action_proc is None or stack.action_proc.poll() is not None:
        stack.start_actions()
    stack.wait_ready(timeout)
