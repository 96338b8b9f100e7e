"""Helpers for tests that talk to the real servers (trained model + action server)."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from scripts.stack import Stack

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "union_helper.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_knowledge(target: Path) -> Path:
    """A private copy of the knowledge YAML files that a test may edit."""
    target.mkdir(parents=True, exist_ok=True)
    for path in (REPO / "knowledge").glob("*.yml"):
        shutil.copy(path, target / path.name)
    return target


def stack_on_free_ports(root: Path, token: str, **options: Any) -> Stack:
    """A stack of the trained model on free ports, with its own data folder and its own
    copy of the knowledge files (``stack.knowledge_dir``), not started yet."""
    import pytest

    from scripts.stack import Stack

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    knowledge_dir = copy_knowledge(root / "knowledge")
    stack = Stack(
        model=MODEL,
        data=root / "var",
        rasa_port=free_port(),
        action_port=free_port(),
        token=token,
        extra_env={"UH_KNOWLEDGE_DIR": str(knowledge_dir)},
        **options,
    )
    stack.knowledge_dir = knowledge_dir  # type: ignore[attr-defined]
    return stack


class RestChat:
    """One worker talking to Rasa's REST channel."""

    def __init__(self, rasa_url: str, sender_id: str) -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.sender_id = sender_id

    def send(self, text: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        response = httpx.post(self.url, json={"sender": self.sender_id, "message": text}, timeout=timeout)
        response.raise_for_status()
        return response.json()

    def say(self, text: str) -> str:
        """All reply texts of one turn, joined, for substring assertions."""
        return "\n".join(r.get("text", "") for r in self.send(text) if r.get("text"))


def buttons(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for r in replies for b in (r.get("buttons") or [])]
