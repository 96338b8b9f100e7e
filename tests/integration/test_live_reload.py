"""Staff edits reach the running bot within 5 s, without restart or retraining, and a
broken edit never replaces the last good knowledge."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.support import RestChat

pytestmark = pytest.mark.slow

NEW_ENTRY = """
- id: faq_live_reload_parking
  title: 文化宫停车
  questions:
    - 工人文化宫能停车吗
    - 文化宫停车场在哪
  answer: 工人文化宫东门有职工停车场，培训期间可以免费停放（测试条目）。
  source: 测试条目
"""


def _ask_until(chat: RestChat, question: str, expected: str, deadline_s: float) -> tuple[str, float]:
    start = time.monotonic()
    reply = ""
    while time.monotonic() - start < deadline_s:
        reply = chat.say(question)
        if expected in reply:
            return reply, time.monotonic() - start
        time.sleep(0.25)
    return reply, time.monotonic() - start


def test_added_changed_removed_and_broken_faq(rasa_stack, knowledge_dir: Path) -> None:
    faq = knowledge_dir / "faq.yml"
    original = faq.read_text(encoding="utf-8")
    chat = RestChat(rasa_stack.rasa_url, f"reload-{uuid.uuid4().hex[:8]}")
    try:
        # added
        faq.write_text(original + NEW_ENTRY, encoding="utf-8")
        reply, took = _ask_until(chat, "文化宫那边能停车不", "东门有职工停车场", 5.0)
        assert "东门有职工停车场" in reply, reply
        # changed
        faq.write_text(original + NEW_ENTRY.replace("东门", "北门"), encoding="utf-8")
        reply, took = _ask_until(chat, "文化宫那边能停车不", "北门有职工停车场", 5.0)
        assert "北门有职工停车场" in reply, reply
        # broken (a YAML syntax error): the last good answer is still served
        faq.write_text(original + NEW_ENTRY.replace("北门", "北门") + "\n- id: [broken\n", encoding="utf-8")
        time.sleep(2.5)
        assert "东门有职工停车场" not in (reply := chat.say("文化宫那边能停车不"))
        assert "北门有职工停车场" in reply, reply
        # removed
        faq.write_text(original, encoding="utf-8")
        start = time.monotonic()
        while time.monotonic() - start < 5.0 and "停车场" in chat.say("文化宫那边能停车不"):
            time.sleep(0.25)
        assert "职工停车场" not in chat.say("文化宫那边能停车不")
    finally:
        faq.write_text(original, encoding="utf-8")
