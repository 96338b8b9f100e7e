"""Search and reload speed on synthetic knowledge: ``python -m knowledge.bench``.

Generates 1k / 10k / 100k entries (words drawn from jieba's own dictionary, so
word frequencies look like real Chinese) in a temporary directory, opens a
knowledge base on them and prints:

* ``build``: first open (validate + segment everything + write the index);
* ``search p50/p95``: ``kb.search`` over a mix of exact questions, questions
  with a typo, short keyword queries and off-topic questions;
* ``find_courses p50/p95``;
* ``reload``: ``kb.refresh()`` after staff edit one FAQ entry (the usual case:
  texts that did not change are not segmented again).

Targets: search p95 <= 5 ms at 10,000 entries and <= 20 ms at 100,000;
reload <= 2 s at 10,000.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import jieba

from knowledge.kb import KnowledgeBase

KIND_SHARE = (
    ("faq.yml", 0.6),
    ("courses.yml", 0.2),
    ("subsidies.yml", 0.1),
    ("reading.yml", 0.05),
    ("sports.yml", 0.05),
)
TEMPLATES = (
    "{a}怎么报名",
    "{a}{b}在哪里",
    "有没有{a}",
    "{a}什么时候开始",
    "我想了解{a}和{b}",
    "{a}{b}有补贴吗",
    "{a}要多少钱",
)


def _vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    """Common two-to-four character words from jieba's dictionary."""
    words = []
    with open(jieba.get_dict_file().name, encoding="utf-8") as fh:
        for line in fh:
            word, freq, *_ = line.split()
            if 2 <= len(word) <= 4 and int(freq) > 300 and all("\u4e00" <= ch <= "\u9fff" for ch in word):
                words.append(word)
    rng.shuffle(words)
    return words[:size]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(directory: Path, n: int, seed: int = 7) -> dict[str, list[str]]:
    """Write ``n`` synthetic entries; returns sample questions per entry id."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    questions_of: dict[str, list[str]] = {}
    for file, share in KIND_SHARE:
        count = max(1, int(n * share))
        prefix = file.split(".")[0][:4]
        lines: list[str] = []
        for i in range(count):
            entry_id = f"{prefix}_{i}"
            words = rng.sample(vocab, 6)
            questions = [t.format(a=words[j % 3], b=words[3 + j % 3]) for j, t in enumerate(rng.sample(TEMPLATES, 4))]
            answer = "，".join(rng.sample(vocab, 20)) + "。"
            questions_of[entry_id] = questions
            lines.append(f"- id: {entry_id}")
            if file == "courses.yml":
                lines.append(f"  name: {_quote(words[0] + words[1] + str(i))}")
                lines.append(f"  aliases: [{_quote(words[0] + str(i))}, {_quote(words[1] + '班' + str(i))}]")
                lines.append("  category: 技能培训")
                lines.append("  provider: 宁波市总工会")
                lines.append(f"  region: {rng.choice(['全市', '奉化区', '宁海县', '象山县'])}")
                lines.append(f"  description: {_quote(answer)}")
                lines.append("  capacity: 30")
            else:
                lines.append(f"  title: {_quote(words[0] + words[1])}")
                lines.append(f"  answer: {_quote(answer)}")
            lines.append("  questions:")
            lines.extend(f"    - {_quote(q)}" for q in questions)
            lines.append("  source: 合成数据")
        (directory / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return questions_of


def _typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text))
    return text[:i] + rng.choice("的一是在不了有和人这中大为上个国") + text[i + 1 :]


def _queries(questions_of: dict[str, list[str]], rng: random.Random, count: int) -> list[str]:
    ids = list(questions_of)
    off_topic = ["今天天气怎么样", "股票怎么买", "工资怎么算", "哪里有好吃的", "明天会下雨吗", "手机坏了怎么办"]
    out = []
    for i in range(count):
        question = rng.choice(questions_of[rng.choice(ids)])
        mode = i % 10
        if mode < 4:
            out.append(question)
        elif mode < 7:
            out.append(_typo(question, rng))
        elif mode < 9:
            out.append(question[: max(2, len(question) // 2)])
        else:
            out.append(rng.choice(off_topic))
    return out


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p95 = samples[min(len(samples) - 1, int(0.95 * len(samples)))]
    return p50, p95


def run(n: int, queries: int, seed: int = 7) -> dict[str, float]:
    """Benchmark one size; returns the figures (milliseconds / seconds)."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="uh-bench-") as tmp:
        kdir = Path(tmp) / "knowledge"
        kdir.mkdir()
        t0 = time.perf_counter()
        questions_of = generate(kdir, n, seed)
        gen_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        kb = KnowledgeBase.open(kdir, Path(tmp) / "index.db", registry_path=Path(tmp) / "registry.db")
        build_s = time.perf_counter() - t0
        qs = _queries(questions_of, rng, queries)
        for q in qs[:20]:  # warm-up
            kb.search(q)
        times, cpu = [], []
        for q in qs:
            t0, c0 = time.perf_counter(), time.process_time()
            kb.search(q)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        s50, s95 = _percentiles(times)
        cpu50, cpu95 = _percentiles(cpu)
        ctimes = []
        for q in qs[: max(50, queries // 4)]:
            t0 = time.perf_counter()
            kb.find_courses(q[:6])
            ctimes.append((time.perf_counter() - t0) * 1000)
        c50, c95 = _percentiles(ctimes)
        # A typical staff edit: one FAQ entry added at the end of faq.yml.
        with open(kdir / "faq.yml", "a", encoding="utf-8") as fh:
            fh.write(
                '- id: bench_added\n  title: 新加的问题\n  answer: "这是工作人员刚加的一条回答，用来测重新加载。"\n'
                '  questions: ["新加的问题怎么问", "重新加载测试"]\n  source: 合成数据\n'
            )
        os.utime(kdir / "faq.yml")
        t0, c0 = time.perf_counter(), time.process_time()
        reloaded = kb.refresh(force=True)
        reload_s = time.perf_counter() - t0
        reload_cpu = time.process_time() - c0
        assert reloaded and kb.get("bench_added") is not None, "reload did not pick up the edit"
    return {
        "entries": n,
        "generate_s": gen_s,
        "build_s": build_s,
        "search_p50_ms": s50,
        "search_p95_ms": s95,
        "search_cpu_p50_ms": cpu50,
        "search_cpu_p95_ms": cpu95,
        "reload_cpu_s": reload_cpu,
        "courses_p50_ms": c50,
        "courses_p95_ms": c95,
        "reload_s": reload_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m knowledge.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    print("wall = elapsed time; cpu = this process's CPU time (what a busy machine cannot inflate)")
    print(
        f"{'entries':>8} {'build s':>8} {'search p50':>11} {'search p95':>11} {'cpu p50':>9} {'cpu p95':>9}"
        f" {'courses p50':>12} {'courses p95':>12} {'reload s':>9} {'reload cpu':>10}"
    )
    for n in args.sizes:
        r = run(n, args.queries)
        print(
            f"{r['entries']:>8} {r['build_s']:>8.2f} {r['search_p50_ms']:>8.2f} ms {r['search_p95_ms']:>8.2f} ms"
            f" {r['search_cpu_p50_ms']:>6.2f} ms {r['search_cpu_p95_ms']:>6.2f} ms"
            f" {r['courses_p50_ms']:>9.2f} ms {r['courses_p95_ms']:>9.2f} ms"
            f" {r['reload_s']:>9.2f} {r['reload_cpu_s']:>10.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
