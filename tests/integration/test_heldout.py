"""Held-out worker questions through the real servers, and that they are held out.

A question counts as answered correctly when the NLU gives the expected intent (via
Rasa's HTTP API) and, where the set names facts, the REST reply contains every one of
them. The threshold guards against regressions; `make bench` reports the full set. The
figures mean something only while no held-out question is a training example.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support import RestChat

REPO = Path(__file__).resolve().parents[2]
HELDOUT_DIR = REPO / "tests" / "heldout"
HELDOUT = HELDOUT_DIR / "questions_small.yml"
#: The sets that measure the NLU (dev.yml is for tuning and may resemble anything).
HELD_OUT_SETS = (HELDOUT_DIR / "questions.yml", HELDOUT)
THRESHOLD = 0.90
#: An entity annotation in Rasa's training data: [text](entity) or [text]{"entity": ...}.
ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
#: What a worker may add or leave out without making it another question.
NOISE = re.compile(r"[\s，。？！、,.?!~～…]+")


def _questions(path: Path = HELDOUT) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]


def normalised(text: str) -> str:
    return NOISE.sub("", ANNOTATION.sub(r"\1", text))


def training_examples() -> set[str]:
    """Every intent example of nlu_data/nlu, as a worker would type it (no annotations)."""
    examples = set()
    for path in sorted((REPO / "nlu_data" / "nlu").rglob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" not in item:
                continue  # synonyms, lookups and regexes are not questions
            for line in str(item.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    examples.add(normalised(line.strip()[2:]))
    return examples


def domain_intents() -> set[str]:
    """Every intent of the domain (one file per feature under domain/)."""
    intents: set[str] = set()
    for path in sorted((REPO / "domain").glob("*.yml")):
        intents.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("intents") or [])
    return intents


def test_the_training_data_is_read_as_rasa_reads_it() -> None:
    examples = training_examples()
    assert len(examples) > 1000
    assert "我在北仑" in examples  # 我在[北仑]{"entity": "district", "value": "北仑区"}
    assert "北仑" not in examples  # only a synonym


@pytest.mark.parametrize("path", HELD_OUT_SETS, ids=[p.name for p in HELD_OUT_SETS])
def test_no_held_out_question_is_a_training_example(path: Path) -> None:
    examples = training_examples()
    leaked = [q["text"] for q in _questions(path) if normalised(q["text"]) in examples]
    assert leaked == [], f"{path.name}: in nlu_data/nlu (the figures would flatter the NLU): {leaked}"


def test_the_small_set_is_a_labelled_subset_of_the_full_one() -> None:
    small, full = _questions(HELDOUT), _questions(HELD_OUT_SETS[0])
    assert len(small) >= 60
    assert {(q["text"], q["intent"]) for q in small} <= {(q["text"], q["intent"]) for q in full}
    unknown = {q["intent"] for q in full} - domain_intents()
    assert unknown == set(), f"intents the assistant does not have: {unknown}"


@pytest.mark.slow
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
