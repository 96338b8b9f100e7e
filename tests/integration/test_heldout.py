"""Held-out worker questions (not in the training data) through the real servers.

A question counts as answered correctly when the NLU gives the expected intent (via
Rasa's HTTP API) and, where the set names facts, the REST reply contains every one of
them. The threshold guards against regressions; `make bench` reports the full set.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support import RestChat

pytestmark = pytest.mark.slow

HELDOUT = Path(__file__).resolve().parent.parent / "heldout" / "questions_small.yml"
THRESHOLD = 0.90


def _questions() -> list[dict]:
    return yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))["questions"]


def test_heldout_set_is_large_enough() -> None:
    assert len(_questions()) >= 60


def test_heldout_questions_are_answered_correctly(rasa_stack) -> None:
    questions = _questions()
    failures: list[str] = []
    for question in questions:
        parse = httpx.post(
            f"{rasa_stack.rasa_url}/model/parse",
            params={"token": rasa_stack.token},
            json={"text": question["text"]},
            timeout=30,
        ).json()
        intent = parse["intent"]["name"]
        problem = None
        if intent != question["intent"]:
            problem = f"intent {intent} (want {question['intent']})"
        if question.get("facts"):
            reply = RestChat(rasa_stack.rasa_url, f"heldout-{uuid.uuid4().hex[:8]}").say(question["text"])
            missing = [fact for fact in question["facts"] if fact not in reply]
            if missing:
                problem = f"{problem or ''} missing {missing} in {reply[:80]!r}"
        if problem:
            failures.append(f"{question['text']}: {problem}")
    share = 1 - len(failures) / len(questions)
    print(f"\nheld-out: {share:.1%} of {len(questions)} answered correctly")
    assert share >= THRESHOLD, "\n".join(failures)
