"""Where the Rasa server's time goes under load (issue #18): py-spy samples the running
Rasa server of one system (``ours`` as shipped unless told otherwise) while N concurrent
workers send the benchmark's turn, and the samples are summed by part of a turn.

    .venv/bin/python -m scripts.bench_profile                       # 50 workers, 40 s
    .venv/bin/python -m scripts.bench_profile --speedups none --seconds 30

Only the main thread (Sanic's event loop, where every turn runs) is counted. A sample
counts for every part whose frame is on its stack (a part marked … is inside the one
above it), so the shares need not add up to 100 %. The raw collapsed stacks are kept in
``var/bench/profile-<speedups>.txt``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from common import settings
from scripts import bench_infra as infra
from scripts import bench_load as load
from scripts.bench import OUR_TURN
from scripts.stack import DEFAULT_MODEL, REPO, Stack

#: Parts of a turn: a name and the pattern of a frame ("function (path:line)") on its stack.
PARTS: tuple[tuple[str, str], ...] = (
    ("request handling (Rasa's agent)", r"handle_message \(rasa/core/agent\.py"),
    ("tracker load", r"get_tracker \(rasa/core/processor\.py"),
    ("NLU (parse, with the shortcuts)", r"parse_message \(rasa/core/processor\.py"),
    ("policies", r"_predict_next_with_tracker \(rasa/core/processor\.py"),
    ("… RulePolicy", r"\(rasa/core/policies/rule_policy\.py"),
    ("… Memoization", r"\(rasa/core/policies/memoization\.py"),
    ("custom action run", r"_run_action \(rasa/core/processor\.py"),
    ("… its HTTP call", r"request \(rasa/utils/endpoints\.py"),
    ("tracker save", r"save_tracker \(rasa/core/processor\.py"),
    ("… count of stored events", r"_additional_events \(rasa/core/tracker_store\.py"),
    ("… commit", r"commit \(sqlalchemy/orm/session\.py"),
    ("SQLAlchemy, all", r"\(sqlalchemy/"),
    ("json, all", r"\(json/"),
)
#: A stack of the main thread (Sanic's event loop, where a turn runs) begins with this
#: frame; the other threads (idle pool workers) are left out.
MAIN_THREAD = "_run_module_as_main (runpy.py"


def summarise(collapsed: str) -> tuple[int, Counter[str]]:
    """(main-thread samples, samples per part) of py-spy's ``--format raw`` output."""
    total, parts = 0, Counter[str]()
    compiled = [(name, re.compile(pattern)) for name, pattern in PARTS]
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or not stack.startswith(MAIN_THREAD):
            continue
        n = int(count)
        total += n
        for name, pattern in compiled:
            if pattern.search(stack):
                parts[name] += n
    return total, parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_profile", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--speedups", default="all", help="UH_RASA_SPEEDUPS of the profiled server")
    parser.add_argument("--rate", type=int, default=97, help="py-spy samples per second")
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    root = Path(tempfile.mkdtemp(prefix="uh-profile-"))
    endpoints = root / "endpoints.yml"
    shutil.copy(REPO / "endpoints.yml", endpoints)
    stack = Stack(
        model=DEFAULT_MODEL,
        endpoints=endpoints,
        data=root / "data",
        rasa_port=infra.free_port(),
        action_port=infra.free_port(),
        token="profile-token",
        verbose=False,
        rasa_workers=None,
        action_workers=None,
        extra_env={"UH_KNOWLEDGE_DIR": str(REPO / "knowledge"), "UH_RASA_SPEEDUPS": args.speedups},
    )
    out = settings.load().data_dir / "bench" / f"profile-{args.speedups.replace(',', '+')}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        stack.start(timeout=400)
        load.first_answer(stack.rasa_url, OUR_TURN)
        asyncio.run(load.run_load(stack.rasa_url, [OUR_TURN], 5, 5.0, 50, "warm"))
        assert stack.rasa_proc is not None
        spy = subprocess.Popen(
            [py_spy, "record", "--pid", str(stack.rasa_proc.pid), "--rate", str(args.rate), "--format", "raw"]
            + ["--duration", str(int(args.seconds)), "--output", str(out), "--nonblocking"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        result = asyncio.run(load.run_load(stack.rasa_url, [OUR_TURN], args.workers, args.seconds, 10**9, "profile"))
        spy.wait(timeout=args.seconds + 120)
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)
    total, parts = summarise(out.read_text(encoding="utf-8"))
    busy = total / (args.seconds * args.rate) * 100
    print(
        f"{result.workers} workers, {args.seconds:.0f} s, UH_RASA_SPEEDUPS={args.speedups}: {result.count} answers, "
        f"{total} main-thread samples (the event loop busy {busy:.0f} % of the time; {out})"
    )
    for name, _ in PARTS:
        print(f"  {name:24s} {parts[name] / max(total, 1) * 100:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
