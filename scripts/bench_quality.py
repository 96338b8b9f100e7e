"""Answer quality on the held-out questions (tests/heldout/questions.yml).

    python -m scripts.bench_quality [--model PATH] [--questions tests/heldout/dev.yml]

starts its own stack (free ports, a temporary data directory), prints the figures and
the worst questions, and stops the stack. Tune on ``tests/heldout/dev.yml``; use the
held-out set only to check.

* NLU: intent accuracy and macro-F1 through Rasa's HTTP API (``POST /model/parse``).
* End to end: the share of questions with ``facts`` whose reply (REST channel, a fresh
  sender per question) contains every fact.
* Baseline: the knowledge base's own entry phrasings (questions and titles) matched with
  rapidfuzz alone; the best-matching entry's answer must contain the facts.
* Multi-turn (``--multiturn``, on by default): the conversations of
  ``tests/heldout/multiturn_*.yml``, a fresh sender each, turn by turn; the share whose
  last reply has every fact it expects.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from scripts.bench_load import new_sender, reply_text, webhook
from scripts.stack import REPO

HELDOUT = REPO / "tests" / "heldout" / "questions.yml"
DEV = REPO / "tests" / "heldout" / "dev.yml"
MULTITURN_GLOB = "multiturn_*.yml"


@dataclass
class Question:
    text: str
    intent: str
    facts: list[str]
    predicted: str = ""
    confidence: float = 0.0
    gold_confidence: float = 0.0
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply: str = ""
    facts_ok: bool | None = None
    fuzz_ok: bool | None = None
    fuzz_entry: str = ""

    @property
    def intent_ok(self) -> bool:
        return self.predicted == self.intent


@dataclass
class Quality:
    questions: list[Question] = field(default_factory=list)
    fuzz_scorer: str = ""
    fuzz_scores: dict[str, float] = field(default_factory=dict)

    @property
    def with_facts(self) -> list[Question]:
        return [q for q in self.questions if q.facts]

    @property
    def accuracy(self) -> float:
        return sum(q.intent_ok for q in self.questions) / len(self.questions)

    @property
    def fallbacks(self) -> int:
        return sum(q.predicted == "nlu_fallback" for q in self.questions)

    @property
    def macro_f1(self) -> float:
        labels = sorted({q.intent for q in self.questions} | {q.predicted for q in self.questions})
        f1s = []
        for label in labels:
            tp = sum(q.intent == label and q.predicted == label for q in self.questions)
            fp = sum(q.intent != label and q.predicted == label for q in self.questions)
            fn = sum(q.intent == label and q.predicted != label for q in self.questions)
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        return sum(f1s) / len(f1s)

    @property
    def facts_share(self) -> float:
        qs = self.with_facts
        return sum(bool(q.facts_ok) for q in qs) / len(qs) if qs else float("nan")

    @property
    def fuzz_share(self) -> float:
        return self.fuzz_scores.get(self.fuzz_scorer, float("nan"))

    def confusions(self) -> list[tuple[str, str, int]]:
        pairs = Counter((q.intent, q.predicted) for q in self.questions if not q.intent_ok)
        return [(gold, pred, n) for (gold, pred), n in pairs.most_common()]

    def worst(self, n: int = 10) -> list[Question]:
        """Wrong facts first, then wrong intents; the lower the confidence in the right intent, the worse."""

        def badness(q: Question) -> tuple:
            return (q.facts_ok is False, not q.intent_ok, -q.gold_confidence)

        bad = [q for q in self.questions if q.facts_ok is False or not q.intent_ok]
        return sorted(bad, key=badness, reverse=True)[:n]


def load_questions(path: Path = HELDOUT) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Question(str(q["text"]), str(q["intent"]), [str(f) for f in q.get("facts") or []]) for q in data["questions"]
    ]


def has_facts(text: str, facts: list[str]) -> bool:
    return all(f in text for f in facts)


async def _bounded(limit: int, jobs: list[Any]) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def one(job: Any) -> Any:
        async with sem:
            return await job

    return await asyncio.gather(*(one(j) for j in jobs))


async def evaluate_rasa(
    rasa_url: str, token: str, questions: list[Question], concurrency: int = 4, timeout: float = 60.0
) -> None:
    """Fill predicted intent (parse API) and the end-to-end reply (REST, fresh sender) of each question."""
    async with httpx.AsyncClient(timeout=timeout) as client:

        async def parse(q: Question) -> None:
            r = await client.post(f"{rasa_url}/model/parse", params={"token": token}, json={"text": q.text})
            r.raise_for_status()
            data = r.json()
            q.predicted = (data.get("intent") or {}).get("name") or ""
            q.confidence = float((data.get("intent") or {}).get("confidence") or 0.0)
            ranking = {i["name"]: float(i.get("confidence") or 0.0) for i in data.get("intent_ranking") or []}
            q.gold_confidence = ranking.get(q.intent, 0.0)
            q.entities = [{k: e.get(k) for k in ("entity", "value")} for e in data.get("entities") or []]

        async def chat(q: Question) -> None:
            r = await client.post(webhook(rasa_url), json={"sender": new_sender("q"), "message": q.text})
            r.raise_for_status()
            q.reply = reply_text(r.json())
            if q.facts:
                q.facts_ok = has_facts(q.reply, q.facts)

        await _bounded(concurrency, [parse(q) for q in questions])
        await _bounded(concurrency, [chat(q) for q in questions])


def evaluate_fuzz(questions: list[Question]) -> dict[str, float]:
    """The rapidfuzz baseline; returns the facts share per scorer (and marks the questions
    with the result of the better scorer)."""
    import jieba
    from rapidfuzz import fuzz, process

    from knowledge import KnowledgeBase

    with tempfile.TemporaryDirectory(prefix="uh-fuzz-") as tmp:
        kb = KnowledgeBase.open(REPO / "knowledge", Path(tmp) / "index.db", registry_path=Path(tmp) / "registry.db")
        choices: list[str] = []
        answers: list[tuple[str, str]] = []
        for entry in kb.list_entries():
            hit = kb.get(entry.id)
            if hit is None:
                continue
            for phrasing in {*entry.questions, entry.title}:
                choices.append(phrasing)
                answers.append((entry.id, hit.answer))
    jieba.setLogLevel(60)
    spaced = [" ".join(jieba.lcut(c)) for c in choices]
    scorers = {
        "WRatio": (fuzz.WRatio, choices, lambda t: t),
        "token_set_ratio (jieba words)": (fuzz.token_set_ratio, spaced, lambda t: " ".join(jieba.lcut(t))),
    }
    shares: dict[str, float] = {}
    picks: dict[str, list[tuple[bool, str]]] = {}
    targets = [q for q in questions if q.facts]
    for name, (scorer, pool, prep) in scorers.items():
        got = []
        for q in targets:
            best = process.extractOne(prep(q.text), pool, scorer=scorer)
            entry_id, answer = answers[best[2]] if best else ("", "")
            got.append((has_facts(answer, q.facts), entry_id))
        picks[name] = got
        shares[name] = sum(ok for ok, _ in got) / len(got) if got else float("nan")
    best_name = max(shares, key=lambda k: shares[k])
    for q, (ok, entry_id) in zip(targets, picks[best_name], strict=True):
        q.fuzz_ok, q.fuzz_entry = ok, entry_id
    return shares


def run_quality(rasa_url: str, token: str, path: Path = HELDOUT) -> Quality:
    questions = load_questions(path)
    asyncio.run(evaluate_rasa(rasa_url, token, questions))
    shares = evaluate_fuzz(questions)
    best = max(shares, key=lambda k: shares[k])
    return Quality(questions, best, shares)


# ---------------------------------------------------------------- multi-turn conversations


@dataclass
class Conversation:
    id: str
    source: str
    turns: list[tuple[str, list[str]]]
    replies: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        reply = self.replies[-1] if self.replies else ""
        return [fact for fact in self.turns[-1][1] if fact not in reply]


def load_conversations(directory: Path = HELDOUT.parent) -> list[Conversation]:
    out = []
    for path in sorted(directory.glob(MULTITURN_GLOB)):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]:
            turns = [(str(t["say"]), [str(f) for f in t.get("expect") or []]) for t in item["turns"]]
            out.append(Conversation(str(item["id"]), path.name, turns))
    return out


async def evaluate_conversations(
    rasa_url: str, conversations: list[Conversation], concurrency: int = 4, timeout: float = 60.0
) -> None:
    """Play every conversation (turns in order, conversations side by side)."""
    async with httpx.AsyncClient(timeout=timeout) as client:

        async def play(c: Conversation) -> None:
            sender = new_sender("mt")
            for text, _ in c.turns:
                r = await client.post(webhook(rasa_url), json={"sender": sender, "message": text})
                r.raise_for_status()
                c.replies.append(reply_text(r.json()))

        await _bounded(concurrency, [play(c) for c in conversations])


def multiturn_report(conversations: list[Conversation], worst: int = 15) -> str:
    right = [c for c in conversations if not c.missing]
    share = len(right) / len(conversations) if conversations else float("nan")
    lines = [f"conversations {len(conversations)}   last reply with the right facts {share:.3f}"]
    for source in sorted({c.source for c in conversations}):
        items = [c for c in conversations if c.source == source]
        lines.append(f"  {source}: {sum(not c.missing for c in items)}/{len(items)}")
    for c in [c for c in conversations if c.missing][:worst]:
        said = " / ".join(t for t, _ in c.turns)
        lines.append(f"  {c.id}: {said}  missing {c.missing}\n      -> {' '.join(c.replies[-1].split())[:90]}")
    return "\n".join(lines)


def report(qual: Quality, worst: int = 15) -> str:
    qs = qual.with_facts
    ours_only = sum(bool(q.facts_ok) and not q.fuzz_ok for q in qs)
    fuzz_only = sum(bool(q.fuzz_ok) and not q.facts_ok for q in qs)
    lines = [
        f"questions {len(qual.questions)} ({len(qs)} with facts)",
        f"intent accuracy {qual.accuracy:.3f}   macro-F1 {qual.macro_f1:.3f}   nlu_fallback {qual.fallbacks}",
        f"facts share     {qual.facts_share:.3f}   rapidfuzz ({qual.fuzz_scorer}) {qual.fuzz_share:.3f}",
        f"ours only {ours_only}, rapidfuzz only {fuzz_only}",
    ]
    for gold, pred, n in qual.confusions():
        lines.append(f"  confusion {gold} -> {pred}: {n}")
    bad = qual.worst(worst)
    if bad:
        lines.append("worst questions:")
    for q in bad:
        reply = " ".join(q.reply.split())[:70]
        lines.append(
            f"  {q.text}  [{q.intent}->{q.predicted} {q.gold_confidence:.2f}] "
            f"facts {q.facts} {'ok' if q.facts_ok else 'MISSING' if q.facts else '-'} "
            f"(rapidfuzz {q.fuzz_entry or '-'}: {'ok' if q.fuzz_ok else '-'})\n      -> {reply}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    import shutil

    from scripts.bench_infra import free_port
    from scripts.stack import DEFAULT_MODEL, Stack

    parser = argparse.ArgumentParser(description="Answer quality on held-out questions (starts its own stack)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument(
        "--questions",
        type=Path,
        action="append",
        help=f"question files (default: {HELDOUT.relative_to(REPO)}); may be repeated",
    )
    parser.add_argument("--worst", type=int, default=15, help="how many of the worst questions to show")
    parser.add_argument("--json", type=Path, help="also write every question's result here")
    parser.add_argument(
        "--no-multiturn",
        action="store_true",
        help="leave out the multi-turn conversations (tests/heldout/multiturn_*.yml)",
    )
    args = parser.parse_args(argv)

    data = Path(tempfile.mkdtemp(prefix="uh-quality-"))
    stack = Stack(model=args.model, data=data, rasa_port=free_port(), action_port=free_port())
    results: dict[str, Any] = {}
    try:
        print(f"starting the stack ({args.model}) ...", flush=True)
        stack.start()
        for path in args.questions or [HELDOUT]:
            qual = run_quality(stack.rasa_url, stack.token, path)
            print(f"== {path}")
            print(report(qual, args.worst), flush=True)
            results[str(path)] = {
                "accuracy": qual.accuracy,
                "macro_f1": qual.macro_f1,
                "facts_share": qual.facts_share,
                "fuzz_share": qual.fuzz_share,
                "questions": [q.__dict__ for q in qual.questions],
            }
        if not args.no_multiturn:
            conversations = load_conversations()
            asyncio.run(evaluate_conversations(stack.rasa_url, conversations))
            print("== multi-turn")
            print(multiturn_report(conversations, args.worst), flush=True)
            results["multiturn"] = {
                "share": sum(not c.missing for c in conversations) / max(len(conversations), 1),
                "conversations": [c.__dict__ for c in conversations],
            }
    finally:
        stack.stop()
        shutil.rmtree(data, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
