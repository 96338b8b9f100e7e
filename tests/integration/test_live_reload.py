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
- id: faq_live_reload_canteen
  title: 职工食堂开饭时间
  questions:
    - 职工食堂几点开饭
    - 食堂什么时候开门
  answer: 职工食堂中午 11:00 开饭，东门进（测试条目）。
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
        reply, took = _ask_until(chat, "食堂几点开饭呀", "东门进", 5.0)
        assert "东门进" in reply, reply
        # changed
        faq.write_text(original + NEW_ENTRY.replace("东门", "北门"), encoding="utf-8")
        reply, took = _ask_until(chat, "食堂几点开饭呀", "北门进", 5.0)
        assert "北门进" in reply, reply
        # broken (a YAML syntax error): the last good answer is still served
        faq.write_text(original + NEW_ENTRY.replace("东门", "西门") + "\n- id: [broken\n", encoding="utf-8")
        time.sleep(2.5)
        assert "西门进" not in (reply := chat.say("食堂几点开饭呀"))
        assert "北门进" in reply, reply
        # removed
        faq.write_text(original, encoding="utf-8")
        start = time.monotonic()
        while time.monotonic() - start < 5.0 and "11:00 开饭" in chat.say("食堂几点开饭呀"):
            time.sleep(0.25)
        assert "11:00 开饭" not in chat.say("食堂几点开饭呀")
    finally:
        faq.write_text(original, encoding="utf-8")
