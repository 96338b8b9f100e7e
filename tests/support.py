"""Helpers for tests that talk to the real servers (trained model + action server)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from knowledge.loader import copy_files
from scripts.scale_services import free_port

if TYPE_CHECKING:
    from scripts.stack import Stack

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "union_helper.tar.gz"
#: The day the servers started for tests live on (``UH_TODAY``): a Monday inside staffed
#: hours, in the month ``knowledge/reading.yml`` has a book for. Every process of a stack
#: (and a test process that sets it too) agrees on the date, whatever the machine says.
TODAY = "2026-11-16T10:00"

__all__ = ["MODEL", "REPO", "TODAY", "RestChat", "buttons", "copy_knowledge", "free_port", "stack_on_free_ports"]


def copy_knowledge(target: Path) -> Path:
    """A private copy of the knowledge YAML files that a test may edit."""
    return copy_files(REPO / "knowledge", target)


def stack_on_free_ports(root: Path, token: str, **options: Any) -> Stack:
    """A stack of the trained model on free ports, with its own data folder, its own
    copy of the knowledge files (``stack.knowledge_dir``) and the day ``TODAY``; not
    started yet. ``extra_env`` in ``options`` is added to those variables."""
    import pytest

    from scripts.stack import Stack

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    knowledge_dir = copy_knowledge(root / "knowledge")
    extra_env = {"UH_KNOWLEDGE_DIR": str(knowledge_dir), "UH_TODAY": TODAY, **options.pop("extra_env", {})}
    stack = Stack(
        model=MODEL,
        data=root / "var",
        rasa_port=free_port(),
        action_port=free_port(),
        token=token,
        extra_env=extra_env,
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
