"""Staff edits reach the running bot without restart or retraining, and a broken edit
never replaces the last good knowledge.

The action server looks at the files at most once a second, when a question comes in;
each step asks until the expected answer arrives (or, for the broken edit, until the
action server has logged that it rejected it), with a deadline generous enough for a
busy machine: no sleeps, no timing thresholds.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import RestChat

pytestmark = pytest.mark.slow

QUESTION = "食堂几点开饭呀"
DEADLINE_S = 120.0
NEW_ENTRY = """
- id: faq_live_reload_canteen
  title: 职工食堂开饭时间
  questions:
    - 职工食堂几点开饭
    - 食堂什么时候开门
  answer: 职工食堂中午 11:00 开饭，东门进（测试条目）。
  source: 测试条目
"""
REJECTED = "这次修改没有生效"  # what knowledge.kb logs when it rejects an edit


def ask_until(chat: RestChat, done: Callable[[str], bool]) -> str:
    """Ask QUESTION until ``done(reply)``; the last reply. Fails after DEADLINE_S."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        reply = chat.say(QUESTION)
        if done(reply):
            return reply
        assert time.monotonic() < deadline, f"still {reply!r} after {DEADLINE_S:.0f} s"


def test_added_changed_removed_and_broken_faq(rasa_stack, knowledge_dir: Path) -> None:
    faq = knowledge_dir / "faq.yml"
    log = rasa_stack.log_dir / "actions.log"
    original = faq.read_text(encoding="utf-8")
    chat = RestChat(rasa_stack.rasa_url, f"reload-{uuid.uuid4().hex[:8]}")
    try:
        # added
        faq.write_text(original + NEW_ENTRY, encoding="utf-8")
        ask_until(chat, lambda reply: "东门进" in reply)
        # changed
        faq.write_text(original + NEW_ENTRY.replace("东门", "北门"), encoding="utf-8")
        ask_until(chat, lambda reply: "北门进" in reply)
        # broken (a YAML syntax error): once the action server has seen and rejected
        # it, the last good answer is still served
        logged_before = log.read_text(encoding="utf-8", errors="replace").count(REJECTED)
        faq.write_text(original + NEW_ENTRY.replace("东门", "西门") + "\n- id: [broken\n", encoding="utf-8")

        def rejected(reply: str) -> bool:
            assert "西门进" not in reply and "北门进" in reply, reply
            return log.read_text(encoding="utf-8", errors="replace").count(REJECTED) > logged_before

        ask_until(chat, rejected)
        assert "北门进" in chat.say(QUESTION)
        # removed
        faq.write_text(original, encoding="utf-8")
        ask_until(chat, lambda reply: "11:00 开饭" not in reply)
    finally:
        faq.write_text(original, encoding="utf-8")
