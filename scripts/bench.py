"""`make bench`: answer quality and speed of Union Helper beside a stock Rasa baseline.

    python -m scripts.bench                 # full run (~20 min on 2 cores, incl. training)
    python -m scripts.bench --quick         # smaller run (~6 min with a cached baseline)
    python -m scripts.bench --cached-baseline # reuse the stock model of an earlier run
    python -m scripts.bench --only-long       # only the three long conversations (~4 min)

Every speed figure is printed beside a baseline measured in the same run on the same
machine (the machine is shared, so absolute figures move from run to run):

* stock Rasa: the `rasa init --no-prompt` assistant of the installed Rasa version, trained
  in a temporary folder in the same run (--quick and --cached-baseline reuse the model
  cached by Rasa version in $UH_BENCH_CACHE, default /tmp/uh-bench-cache) and served like
  ours: `rasa run`, REST channel, SQLTrackerStore on SQLite, in-memory lock store;
* knowledge search: a plain rapidfuzz scan over every entry question; knowledge reload:
  the full rebuild of the index;
* answer quality: the knowledge base's entry phrasings matched with rapidfuzz alone.

The systems under test run side by side and the measurements alternate between them
(round by round, turn by turn), so a burst of load from someone else's training hits
all of them alike. Besides wall-clock figures the table shows server CPU time per message,
which a busy machine inflates much less. Nothing here is a unit test: no threshold fails
the run; the "target" column only says whether a target held this time.

Results: the table on stdout, docs/benchmarks.md, docs/benchmarks.png, and the raw
figures in $UH_DATA_DIR/bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import settings
from rasa_ext import speedups
from scripts import bench_infra as infra
from scripts import bench_load as load
from scripts.stack import DEFAULT_MODEL, REPO, Stack

DOCS = REPO / "docs"
OUR_TURN = "劳模班学费谁出"
OUR_TURN_FACT = "全额学费"
STOCK_TURN = "hello there"
STOCK_TURN_FACT = "Hey"
LEVELS = (1, 5, 10, 25, 50)
T0 = time.monotonic()


def log(message: str) -> None:
    print(f"[bench {time.monotonic() - T0:6.0f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class Plan:
    quick: bool
    single_messages: int
    single_rounds: int
    level_seconds: float
    level_rounds: int
    long_turns: int
    long_convs: int
    kb_sizes: tuple[int, ...]
    kb_queries: int
    train: bool
    levels: tuple[int, ...] = LEVELS
    patterns: tuple[str, ...] = tuple(p.key for p in load.PATTERNS)
    only_long: bool = False

    @staticmethod
    def make(args: argparse.Namespace) -> Plan:
        if args.quick:
            plan = Plan(True, 60, 4, 4.0, 2, 200, 1, (1000, 10000), 200, False)
        else:
            plan = Plan(False, 120, 6, 4.0, 3, 200, 1, (1000, 10000, 100000), 400, not args.skip_train)
        if args.levels:
            plan.levels = tuple(int(x) for x in args.levels.split(","))
        if args.rounds:
            plan.level_rounds = args.rounds
        if args.long_turns is not None:
            plan.long_turns = args.long_turns
        if args.patterns:
            plan.patterns = tuple(x.strip() for x in args.patterns.split(",") if x.strip())
        plan.only_long = args.only_long
        if plan.only_long:
            plan.train = False
        return plan


@dataclass
class LongRun:
    """One long conversation of a pattern (scripts/bench_load.PATTERNS) on one system.

    ``tail`` are its turns 191–200; ``fresh`` the ten turns after the opening of a
    fresh chat of the same pattern, sent in alternation with them (same machine load,
    the same ten kinds of turn); ``*_cpu`` the server CPU seconds of those turns.
    """

    label: str
    turns: list[float] = field(default_factory=list)  # every turn of the long chat (s)
    tail: list[float] = field(default_factory=list)
    tail_cpu: list[float] = field(default_factory=list)
    fresh: list[float] = field(default_factory=list)
    fresh_cpu: list[float] = field(default_factory=list)
    surprises: int = 0  # replies that did not say what the pattern expects
    first_surprise: str = ""

    def ratio(self) -> float:
        a, b = load.mean(self.fresh), load.mean(self.tail)
        return b / a if a else math.nan

    def cpu_ratio(self) -> float:
        a, b = load.mean(self.fresh_cpu), load.mean(self.tail_cpu)
        return b / a if a else math.nan

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ratio": self.ratio(), "cpu_ratio": self.cpu_ratio()}


@dataclass
class System:
    """One assistant as served for the benchmark."""

    key: str
    label: str
    stack: Stack
    turn_text: str
    turn_fact: str
    stock: bool = False
    notes: str = ""
    start_s: float = math.nan
    first_s: float = math.nan
    single: list[float] = field(default_factory=list)
    single_cpu: list = field(default_factory=lambda: [0.0, 0])  # [server CPU s, messages]
    levels: dict[int, list[load.LoadResult]] = field(default_factory=dict)
    cpu_per_msg_ms: dict[int, float] = field(default_factory=dict)
    cpu_total: dict[int, list] = field(default_factory=dict)  # workers -> [CPU s, messages]
    client_cpu: dict[int, list] = field(default_factory=dict)  # the load generator's own CPU
    long: dict[str, LongRun] = field(default_factory=dict)  # pattern key -> its long chat
    rss: dict[str, float] = field(default_factory=dict)

    def cpu_s(self) -> float:
        return infra.tree_cpu_s(self.stack.rasa_proc.pid if self.stack.rasa_proc else None) + infra.tree_cpu_s(
            self.stack.action_proc.pid if self.stack.action_proc else None
        )

    def level(self, workers: int) -> dict[str, float]:
        runs = self.levels.get(workers) or []
        lat = [x for r in runs for x in r.latencies]
        return {
            "throughput": sum(r.count for r in runs) / sum(r.wall_s for r in runs) if runs else math.nan,
            "p50_ms": load.percentile(lat, 0.5) * 1000,
            "p95_ms": load.percentile(lat, 0.95) * 1000,
            "errors": sum(r.errors for r in runs),
            "count": len(lat),
        }


# --- systems -------------------------------------------------------------------------------------

#: Options of a system name (``ours+2w``): what each changes from the shipped configuration.
OPTIONS_HELP = (
    "+2w: endpoints.redis.yml with UH_RASA_WORKERS=2 (a throw-away redis-server); "
    "+nocache: every speed-up but payload and parsecache; "
    "+nokeep: every speed-up but keepalive (a new connection to the action server per action); "
    "+notc: every speed-up but trackercache (each turn loads and replays its session); "
    "+nops: every speed-up but priorstates (the policies recompute every earlier state); "
    "+nofc: every speed-up but fastcopy; +nofcps: neither fastcopy nor priorstates; "
    "+a2: 2 action-server workers (ACTION_SERVER_SANIC_WORKERS); "
    "+access: SANIC_ACCESS_LOG=True for both servers (off as shipped); "
    "+tf1: TensorFlow threads 1/1; +ses20: max_session_events 20; "
    "+nospeedups: UH_RASA_SPEEDUPS=none (see rasa_ext/speedups.py, rasa_ext/patches.py)"
)


def _all_but(*names: str) -> dict[str, str]:
    """UH_RASA_SPEEDUPS with every speed-up except ``names``."""
    return {"UH_RASA_SPEEDUPS": ",".join(n for n in speedups.FEATURES if n not in names)}


#: Options of a system name that only set environment variables: (variables, note).
ENV_OPTIONS: dict[str, tuple[dict[str, str], str]] = {
    "nokeep": (_all_but("keepalive"), "no keepalive (a connection per action)"),
    "notc": (_all_but("trackercache"), "no tracker cache (every turn loads and replays its session)"),
    "nops": (_all_but("priorstates"), "no priorstates (the policies compute every earlier state again)"),
    "nofc": (_all_but("fastcopy"), "no fastcopy (slots copied through copy.copy)"),
    "nofcps": (_all_but("fastcopy", "priorstates"), "neither fastcopy nor priorstates"),
    "access": ({"SANIC_ACCESS_LOG": "True"}, "Sanic access log on"),
    "tf1": ({"TF_INTRA_OP_PARALLELISM_THREADS": "1", "TF_INTER_OP_PARALLELISM_THREADS": "1"}, "TF threads 1/1"),
    "nospeedups": ({"UH_RASA_SPEEDUPS": "none"}, "UH_RASA_SPEEDUPS=none"),
    # the parse shortcuts off, the other speed-ups on
    "nocache": (_all_but("payload", "parsecache"), "no parse cache / payload shortcut"),
}


def make_systems(
    names: list[str], root: Path, baseline: infra.Baseline | None, redis_port: int | None, models: dict[str, Path]
) -> list[System]:
    """``stock``, ``ours`` (as shipped: endpoints.yml, one Rasa worker) and variants of ours
    (``ours+2w`` …) or of another trained model of ours (``NAME`` from ``--model NAME=PATH``)."""
    systems = []
    for name in names:
        data = root / name
        data.mkdir(parents=True, exist_ok=True)
        common: dict[str, Any] = dict(
            data=data,
            rasa_port=infra.free_port(),
            action_port=infra.free_port(),
            token="bench-token",
            verbose=False,
            rasa_workers=None,
            action_workers=None,
        )
        if name == "stock":
            assert baseline is not None
            stack = Stack(
                model=baseline.model,
                endpoints=infra.stock_endpoints(data),
                with_actions=False,
                credentials=baseline.project / "credentials.yml",
                cwd=baseline.project,
                **common,
            )
            systems.append(
                System(
                    name,
                    "stock Rasa (`rasa init`)",
                    stack,
                    STOCK_TURN,
                    STOCK_TURN_FACT,
                    stock=True,
                    notes="1 Sanic worker, in-memory lock store",
                )
            )
            continue
        model_key, _, variant = name.partition("+")
        if model_key != "ours" and model_key not in models:
            raise SystemExit(f"unknown system {name!r}: use stock, ours[+options] or --model {model_key}=PATH")
        model = DEFAULT_MODEL if model_key == "ours" else models[model_key]
        workers, env, notes = 1, {"UH_KNOWLEDGE_DIR": str(REPO / "knowledge")}, []
        session_events: int | None = None
        action_workers: int | None = None
        for part in filter(None, variant.split("+")):
            if part.endswith("w") and part[:-1].isdigit():
                workers = int(part[:-1])
            elif re.fullmatch(r"a\d+", part):
                action_workers = int(part[1:])
                notes.append(f"{action_workers} action-server workers")
            elif part in ENV_OPTIONS:
                option_env, note = ENV_OPTIONS[part]
                env.update(option_env)
                notes.append(note)
            elif re.fullmatch(r"ses\d+", part):
                session_events = int(part[3:])
                notes.append(f"max_session_events {session_events}")
            else:
                raise SystemExit(f"unknown system option {part!r} in {name!r} ({OPTIONS_HELP})")
        # A copy taken now: the working tree is shared, a file edited mid-run must not change a system.
        source = REPO / ("endpoints.redis.yml" if workers > 1 else "endpoints.yml")
        endpoints = data / source.name
        shutil.copy(source, endpoints)
        if session_events is not None:
            import yaml

            data_ = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
            data_["tracker_store"]["max_session_events"] = session_events
            endpoints.write_text(yaml.safe_dump(data_, allow_unicode=True, sort_keys=False), encoding="utf-8")
        if workers > 1:
            if redis_port is None:
                log(f"skipping {name}: redis-server is not installed (apt-get install -y redis-server)")
                continue
            env.update(REDIS_HOST="127.0.0.1", REDIS_PORT=str(redis_port), REDIS_DB="0")
            notes.insert(
                0,
                f"endpoints.redis.yml, UH_RASA_WORKERS={workers} "
                "(Rasa's RedisLockStore made atomic: rasa_ext/lock_store.py)",
            )
        else:
            notes.insert(0, "endpoints.yml, 1 Sanic worker, in-memory lock store")
        if model_key != "ours":
            notes.append(f"model {models[model_key].name}")
        label = (
            "ours, as shipped"
            if name == "ours"
            else (f"ours, {workers} Rasa workers + Redis" if name == f"ours+{workers}w" else f"ours: {name}")
        )
        common.update(rasa_workers=workers if workers > 1 else None, action_workers=action_workers)
        stack = Stack(model=model, endpoints=endpoints, extra_env=env, **common)
        systems.append(System(name, label, stack, OUR_TURN, OUR_TURN_FACT, notes=", ".join(notes)))
    return systems


def start_system(system: System) -> None:
    """Start alone (nothing else under load) and time it: start → ready → first answer."""
    t0 = time.perf_counter()
    system.stack.start(timeout=400)
    system.start_s = time.perf_counter() - t0
    first, text = load.first_answer(system.stack.rasa_url, system.turn_text)
    system.first_s = system.start_s + first
    if system.turn_fact not in text:
        raise RuntimeError(f"{system.key}: unexpected answer to {system.turn_text!r}: {text[:200]!r}")
    log(f"{system.key}: ready in {system.start_s:.1f}s, first answer after {system.first_s:.1f}s")


# --- measurements ----------------------------------------------------------------------------------


def measure_single(systems: list[System], plan: Plan) -> None:
    per_round = max(1, plan.single_messages // plan.single_rounds)
    for r in range(plan.single_rounds):
        for s in systems if r % 2 == 0 else systems[::-1]:
            c0 = s.cpu_s()
            res = asyncio.run(load.run_load(s.stack.rasa_url, [s.turn_text], 1, 60.0, per_round, f"single-{s.key}"))
            s.single_cpu[0] += s.cpu_s() - c0
            s.single_cpu[1] += res.count
            s.single.extend(res.latencies)
            if res.errors:
                log(f"{s.key}: {res.errors} errors in the single-worker loop: {res.first_error}")


def measure_levels(systems: list[System], plan: Plan) -> None:
    for workers in plan.levels:
        for r in range(plan.level_rounds):
            for s in systems[r % len(systems) :] + systems[: r % len(systems)]:  # rotate who goes first
                c0, client0 = s.cpu_s(), time.process_time()
                res = asyncio.run(
                    load.run_load(
                        s.stack.rasa_url, [s.turn_text], workers, plan.level_seconds, 100_000, f"c{workers}-{s.key}"
                    )
                )
                cpu = s.cpu_s() - c0
                s.client_cpu.setdefault(workers, [0.0, 0])
                s.client_cpu[workers][0] += time.process_time() - client0
                s.client_cpu[workers][1] += res.count
                s.levels.setdefault(workers, []).append(res)
                s.cpu_total.setdefault(workers, [0.0, 0])
                s.cpu_total[workers][0] += cpu
                s.cpu_total[workers][1] += res.count
                if s.cpu_total[workers][1]:
                    s.cpu_per_msg_ms[workers] = s.cpu_total[workers][0] / s.cpu_total[workers][1] * 1000
                if res.errors:
                    log(f"{s.key} @{workers}: {res.errors} errors: {res.first_error}")
        log("  " + "  ".join(f"{s.key}@{workers}: {s.level(workers)['throughput']:.1f} msg/s" for s in systems))


def patterns_of(system: System, plan: Plan) -> list[load.Pattern]:
    """The long conversations a system is measured with: ours all of issue #13's, the
    stock assistant (no forms) its own mixed chat."""
    if system.stock:
        return [load.STOCK_PATTERN] if "faq" in plan.patterns else []
    return [p for p in load.PATTERNS if p.key in plan.patterns]


def register_for_bench(system: System, sender: str) -> None:
    """A worker the registry knows (the alternating pattern confirms a stored profile)."""
    from registry import open_registry, save_worker

    db = open_registry(system.stack.data / "registry.db")
    try:
        save_worker(db, sender, name="测试员", phone="13800000000", employer="宁波测试有限公司", district="海曙区")
    finally:
        db.close()


def measure_long(systems: list[System], plan: Plan, max_seconds: float) -> None:
    """One long chat per system and pattern, turn by turn in alternation between them.

    Turns 191–200 of each long chat are measured in alternation with the first ten turns
    (after its opening) of a fresh chat of the same pattern, so "turn 10 vs turn 200" is
    compared under the same machine load; the server CPU time of each of those turns is
    recorded too. Slots and the form's state carry over as they do for any worker.
    """
    window = 10
    n = plan.long_turns

    async def go() -> None:
        import httpx

        jobs = []
        for s in systems:
            for pattern in patterns_of(s, plan):
                run = s.long.setdefault(pattern.key, LongRun(pattern.label))
                chats = load.Chat(load.new_sender(f"long-{pattern.key}")), load.Chat(load.new_sender("fresh"))
                if pattern.registered:
                    for chat in chats:
                        register_for_bench(s, chat.sender)
                jobs.append((s, pattern, run, *chats))
        deadline = time.monotonic() + max_seconds
        async with httpx.AsyncClient(timeout=60.0) as client:

            async def one(s: System, pattern: load.Pattern, chat: load.Chat) -> tuple[float, float]:
                c0 = s.cpu_s()
                elapsed = await load.chat_turn(client, s.stack.rasa_url, pattern, chat)
                return elapsed, s.cpu_s() - c0

            for i in range(1, n + 1):
                if time.monotonic() > deadline:
                    log(f"long conversations stopped at turn {i} (time bound)")
                    break
                for s, pattern, run, chat, fresh in jobs if i % 2 else jobs[::-1]:
                    elapsed, cpu = await one(s, pattern, chat)
                    run.turns.append(elapsed)
                    if i > n - window:
                        run.tail.append(elapsed)
                        run.tail_cpu.append(cpu)
                    # the fresh chat's opening and its ten measured turns end with the long chat
                    if i > n - window - len(pattern.prefix) and fresh.turn < len(pattern.prefix) + window:
                        elapsed, cpu = await one(s, pattern, fresh)
                        if fresh.turn > len(pattern.prefix):
                            run.fresh.append(elapsed)
                            run.fresh_cpu.append(cpu)
        for s, pattern, run, chat, fresh in jobs:
            run.surprises = chat.surprises + fresh.surprises
            run.first_surprise = chat.first_surprise or fresh.first_surprise
            if run.surprises:
                log(f"{s.key} {pattern.key}: {run.surprises} replies off the pattern, first: {run.first_surprise}")
            log(
                f"{s.key} {pattern.key}: turns 1–10 {load.mean(run.fresh) * 1000:.0f} ms → 191–200 "
                f"{load.mean(run.tail) * 1000:.0f} ms: ratio {run.ratio():.2f} (CPU {run.cpu_ratio():.2f})"
            )

    asyncio.run(go())


def print_ratios(systems: list[System]) -> None:
    """The figure issue #13 asks for: turn 200 against turn 10, per conversation and system."""
    print()
    print("Long conversations, mean latency of turns 191–200 ÷ turns 1–10 (target ≤ 1.2):")
    for s in systems:
        for run in s.long.values():
            flag = "ok" if run.ratio() <= 1.2 else "OVER"
            print(f"  {s.key:<14} {run.label:<38} {run.ratio():5.2f}×  (server CPU {run.cpu_ratio():.2f}×) {flag}")


def chart_lines(systems: list[System]) -> dict[str, list[float]]:
    """Per-turn latency of every long chat of the shipped system, the mixed chat of the
    others (the stock assistant's included)."""
    lines: dict[str, list[float]] = {}
    for s in systems:
        for key, run in s.long.items():
            if key == "faq" or s.key == "ours":
                lines[f"{s.label}: {run.label}"] = run.turns
    return lines


def measure_memory(system: System) -> None:
    st = system.stack
    system.rss["rasa"], n = infra.tree_rss_mb(st.rasa_proc.pid if st.rasa_proc else None)
    system.rss["rasa_processes"] = n
    if st.action_proc is not None:
        system.rss["actions"], _ = infra.tree_rss_mb(st.action_proc.pid)


def measure_telegram(system: System, root: Path) -> dict[str, Any]:
    reason = infra.TelegramFrontEnd.unavailable_reason()
    if reason:
        return {"rss": None, "reason": reason}
    front = infra.TelegramFrontEnd(
        system.stack.rasa_url, system.stack.token, root / "telegram", root / "telegram" / "logs"
    )
    try:
        front.start()
        times, replies = [], []
        questions = [OUR_TURN, "匠心工坊是什么", "读书节什么时候", "你好", OUR_TURN]
        for i, q in enumerate(questions):
            seconds, text = front.ask(880000 + i, q, timeout=60)
            times.append(seconds)
            replies.append(text)
        time.sleep(0.5)
        rss, _ = infra.tree_rss_mb(front.proc.pid if front.proc else None)
        ok = OUR_TURN_FACT in replies[0]
        return {"rss": rss, "round_trip_ms": [t * 1000 for t in times], "answer_ok": ok, "reason": ""}
    except Exception as exc:  # noqa: BLE001 - reported as n/a with the reason
        return {"rss": None, "reason": f"front end failed: {exc!r}"[:200]}
    finally:
        front.stop()


def measure_wechat(system: System, root: Path) -> dict[str, Any]:
    """``python -m wechat`` on a free port: signed plaintext callbacks posted as the WeChat
    servers do; the passive reply's latency (callback in → XML out, Rasa included) and the
    front end's resident memory. No API calls are needed (AppID unset: passive replies only)."""
    import subprocess

    import httpx
    from wechatpy import parse_message
    from wechatpy.utils import WeChatSigner

    from scripts.scale_services import free_port

    port, token = free_port(), "bench-token"
    env = system.stack.environment()
    env.update({"WECHAT_TOKEN": token, "WECHAT_PORT": str(port), "UH_DATA_DIR": str(root / "wechat")})
    for name in ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_AES_KEY", "TELEGRAM_TOKEN"):
        env.pop(name, None)
    (root / "wechat").mkdir(parents=True, exist_ok=True)
    log_file = open(root / "wechat" / "wechat.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "wechat"], cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/wechat"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                return {"rss": None, "reason": "the WeChat front end did not start"}
            time.sleep(0.2)
        times, replies = [], []
        questions = [OUR_TURN, "匠心工坊是什么", "读书节什么时候", "你好", OUR_TURN]
        for i, q in enumerate(questions):
            stamp, nonce = str(1_763_258_400 + i), f"n{i}"
            signer = WeChatSigner()
            signer.add_data(token, stamp, nonce)
            xml = (
                f"<xml><ToUserName>gh_bench</ToUserName><FromUserName>oBENCH{i:022d}</FromUserName>"
                f"<CreateTime>{stamp}</CreateTime><MsgType>text</MsgType><Content><![CDATA[{q}]]></Content>"
                f"<MsgId>{880000 + i}</MsgId></xml>"
            )
            started = time.perf_counter()
            response = httpx.post(
                url,
                params={"signature": signer.signature, "timestamp": stamp, "nonce": nonce},
                content=xml.encode(),
                timeout=10,
            )
            times.append(time.perf_counter() - started)
            body = response.text
            replies.append(getattr(parse_message(body), "content", "") if body.startswith("<xml") else body)
        time.sleep(0.5)
        rss, _ = infra.tree_rss_mb(proc.pid)
        ok = OUR_TURN_FACT in str(replies[0])
        return {"rss": rss, "passive_ms": [t * 1000 for t in times], "answer_ok": ok, "reason": ""}
    except Exception as exc:  # noqa: BLE001 - reported as n/a with the reason
        return {"rss": None, "reason": f"front end failed: {exc!r}"[:200]}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log_file.close()


def rapidfuzz_scan(n: int, queries: int, max_seconds: float) -> dict[str, float]:
    """Baseline for the knowledge search: rapidfuzz WRatio over every synthetic question."""
    from rapidfuzz import fuzz, process

    from knowledge import bench as kbench

    with tempfile.TemporaryDirectory(prefix="uh-scan-") as tmp:
        questions_of = kbench.generate(Path(tmp), n, 7)
    choices = [q for qs in questions_of.values() for q in qs]
    qs = kbench._queries(questions_of, random.Random(7), queries)
    times: list[float] = []
    deadline = time.monotonic() + max_seconds
    for q in qs:
        if time.monotonic() > deadline and len(times) >= 20:
            break
        t0 = time.perf_counter()
        process.extractOne(q, choices, scorer=fuzz.WRatio)
        times.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": load.percentile(times, 0.5), "p95_ms": load.percentile(times, 0.95), "queries": len(times)}


def measure_knowledge(plan: Plan) -> list[dict[str, Any]]:
    from knowledge import bench as kbench

    out = []
    for n in plan.kb_sizes:
        t0 = time.perf_counter()
        ours = kbench.run(n, plan.kb_queries)
        scan = rapidfuzz_scan(n, plan.kb_queries, 20.0 if n >= 100000 else 10.0)
        out.append({"entries": n, "ours": ours, "scan": scan})
        log(
            f"knowledge {n}: search p95 {ours['search_p95_ms']:.2f} ms (scan {scan['p95_ms']:.1f} ms), "
            f"reload {ours['reload_s']:.2f}s (rebuild {ours['build_s']:.1f}s) [{time.perf_counter() - t0:.0f}s]"
        )
    return out


# --- the table -------------------------------------------------------------------------------------


def fmt(x: float | None, digits: int = 0, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.{digits}f}{unit}"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("✅ met" if ok else "❌ not met")


def long_rows(add: Any, stock: System | None, ours: list[System]) -> None:
    """One row per long conversation (issue #13): mean latency of turns 1–10 → 191–200
    with the ratio, and the same for server CPU; the stock assistant's mixed chat beside."""
    keys = [p.key for p in load.PATTERNS if any(p.key in s.long for s in ours)]

    def cell(run: LongRun | None, cpu: bool = False) -> str:
        if run is None or not run.tail:
            return "n/a"
        a, b = (run.fresh_cpu, run.tail_cpu) if cpu else (run.fresh, run.tail)
        ratio = run.cpu_ratio() if cpu else run.ratio()
        text = f"{fmt(load.mean(a) * 1000)} → {fmt(load.mean(b) * 1000)} ({ratio:.2f}×)"
        return text + (f", {run.surprises} replies off the pattern" if run.surprises and not cpu else "")

    for key in keys:
        label = next(p.label for p in load.PATTERNS if p.key == key)
        base = stock.long.get(key) if stock is not None else None
        runs = [s.long.get(key) for s in ours]
        ratios = [run.ratio() for run in runs if run is not None and run.tail]
        add(
            f"Long chat, {label}: mean of turns 1–10 → 191–200 (ms)",
            cell(base) if base is not None else ("— (`rasa init` has no forms)" if stock is not None else "n/a"),
            [cell(run) for run in runs],
            "≤ 1.2× turn 10",
            verdict(bool(ratios) and all(x <= 1.2 for x in ratios)),
        )
        add(
            f"Long chat, {label}: server CPU per turn, turns 1–10 → 191–200 (ms)",
            cell(base, cpu=True) if base is not None else "—",
            [cell(run, cpu=True) for run in runs],
        )


def build_report(r: dict[str, Any], systems: list[System], plan: Plan) -> str:
    """Markdown table + notes. Columns: stock baseline, then every variant of ours."""
    stock = next((s for s in systems if s.stock), None)
    ours = [s for s in systems if not s.stock]
    best = r.get("best")
    shipped = next((s for s in ours if s.key == "ours"), ours[0] if ours else None)
    head = ["Figure", "Baseline (same run)", *[f"{s.label}" for s in ours], "Target", "Held?"]
    rows: list[list[str]] = []

    def add(figure: str, base: str, values: list[str], target: str = "", held: str = "") -> None:
        rows.append([figure, base, *values, target, held])

    q = r.get("quality")
    qb = r.get("quality_by") or {}
    if q:

        def qv(key: str, scale: float, digits: int, unit: str) -> list[str]:
            return [fmt(qb[s.key][key] * scale, digits, unit) if s.key in qb else "n/a" for s in ours]

        add(f"Intent accuracy, held-out ({q['n']} questions, parse API)", "—", qv("accuracy", 100, 1, " %"))
        add("Intent macro-F1, held-out", "—", qv("macro_f1", 1, 3, ""))
        best_q = qb.get(best.key) if best is not None else None
        add(
            f"Answer contains the facts ({q['n_facts']} questions, REST, fresh sender)",
            f"{fmt(q['fuzz_share'] * 100, 1, ' %')} (rapidfuzz {q['fuzz_scorer']})",
            qv("facts_share", 100, 1, " %"),
            "clearly above rapidfuzz (+3 points)",
            verdict(best_q["facts_share"] >= best_q["fuzz_share"] + 0.03) if best_q else "n/a",
        )
        if "dev_accuracy" in q:
            add(f"Intent accuracy, dev set ({q['dev_n']} questions)", "—", qv("dev_accuracy", 100, 1, " %"))
            add(
                f"Answer contains the facts, dev set ({q['dev_n_facts']} questions)",
                "—",
                qv("dev_facts_share", 100, 1, " %"),
            )
            add(
                f"Multi-turn: last reply has the facts ({q['multiturn_n']} conversations)",
                "—",
                qv("multiturn_share", 100, 1, " %"),
            )
    long_rows(add, stock, ours)
    if stock:
        sb = stock.single
        base_p50 = load.percentile(sb, 0.5) * 1000
        add(
            "One turn, 1 worker: p50 / p95 (ms)",
            f"{fmt(base_p50)} / {fmt(load.percentile(sb, 0.95) * 1000)}",
            [
                f"{fmt(load.percentile(s.single, 0.5) * 1000)} / {fmt(load.percentile(s.single, 0.95) * 1000)}"
                for s in ours
            ],
            "p50 ≤ stock (as shipped)",
            verdict(shipped is not None and load.percentile(shipped.single, 0.5) * 1000 <= base_p50),
        )

        def cpu1(s: System) -> float:
            return s.single_cpu[0] / s.single_cpu[1] * 1000 if s.single_cpu[1] else math.nan

        add(
            "Server CPU per turn, 1 worker (ms; Rasa + action server)",
            fmt(cpu1(stock), 1),
            [fmt(cpu1(s), 1) + (f" ({cpu1(s) / cpu1(stock):.2f}×)" if cpu1(stock) else "") for s in ours],
        )
        base50 = stock.level(50)
        add(
            "50 workers at once: p50 / p95 (ms)",
            f"{fmt(base50['p50_ms'])} / {fmt(base50['p95_ms'])}",
            [f"{fmt(s.level(50)['p50_ms'])} / {fmt(s.level(50)['p95_ms'])}" for s in ours],
            "p95 ≤ stock's (as shipped)",
            verdict(shipped.level(50)["p95_ms"] <= base50["p95_ms"])
            if shipped is not None and base50["p95_ms"]
            else "",
        )
        for w in plan.levels:
            b = stock.level(w)
            tgt, held = "", ""
            if w == 50 and best is not None and shipped is not None and b["throughput"]:
                as_shipped = shipped.level(50)["throughput"] / b["throughput"]
                at_best = best.level(50)["throughput"] / b["throughput"]
                tgt = "≥ 3× stock as shipped; ≥ 4× best one-machine set-up"
                held = f"{verdict(as_shipped >= 3.0)} ({as_shipped:.2f}×); {verdict(at_best >= 4.0)} ({at_best:.2f}×)"
            add(
                f"Throughput, {w} worker{'s' if w > 1 else ''} (messages/s)",
                fmt(b["throughput"], 1),
                [
                    fmt(s.level(w)["throughput"], 1)
                    + (f" ({s.level(w)['throughput'] / b['throughput']:.2f}×)" if b["throughput"] else "")
                    for s in ours
                ],
                tgt,
                held,
            )
        add(
            "Server CPU per message at 50 workers (ms; Rasa + action server)",
            fmt(stock.cpu_per_msg_ms.get(50)),
            [fmt(s.cpu_per_msg_ms.get(50)) for s in ours],
        )
        errors = sum(s.level(w)["errors"] for s in systems for w in LEVELS)
        if errors:
            add(
                "Failed requests during the load runs",
                str(sum(stock.level(w)["errors"] for w in LEVELS)),
                [str(sum(s.level(w)["errors"] for w in LEVELS)) for s in ours],
            )

        add("Stack start → first answered message (s)", fmt(stock.first_s, 1), [fmt(s.first_s, 1) for s in ours])
        rss_ok = shipped is not None and shipped.rss.get("rasa") and stock.rss.get("rasa")
        add(
            "Resident memory, Rasa server (MiB, all its processes)",
            fmt(stock.rss.get("rasa")),
            [
                fmt(s.rss.get("rasa"))
                + (f" ({int(s.rss['rasa_processes'])} proc.)" if s.rss.get("rasa_processes", 1) > 1 else "")
                for s in ours
            ],
            "≤ stock's (as shipped)",
            verdict(shipped.rss["rasa"] <= stock.rss["rasa"]) if rss_ok and shipped is not None else "",
        )
        add("Resident memory, action server (MiB)", "— (stock has none)", [fmt(s.rss.get("actions")) for s in ours])
    tg = r.get("telegram") or {}
    blank = [""] * (len(ours) - 1)
    if tg.get("rss") is not None:
        rt = tg.get("round_trip_ms") or []
        add("Resident memory, Telegram front end (MiB)", "—", [fmt(tg["rss"]), *blank])
        add("Telegram round trip via fake Bot API, p50 (ms, 5 messages)", "—", [fmt(load.percentile(rt, 0.5)), *blank])
    else:
        add("Resident memory, Telegram front end (MiB)", "—", [f"n/a ({tg.get('reason', 'not measured')})", *blank])
    wx = r.get("wechat") or {}
    if wx.get("rss") is not None:
        add("Resident memory, WeChat front end (MiB)", "—", [fmt(wx["rss"]), *blank])
        add(
            "WeChat passive reply, callback to XML, p50 (ms, 5 messages; WeChat's limit 5000)",
            "—",
            [fmt(load.percentile(wx.get("passive_ms") or [], 0.5)), *blank],
        )
    else:
        add("Resident memory, WeChat front end (MiB)", "—", [f"n/a ({wx.get('reason', 'not measured')})", *blank])
    tr = r.get("training") or {}
    base_train = tr.get("stock_s")
    base_txt = fmt(base_train, 0, " s") + (f" (cached, trained {tr.get('stock_at')})" if tr.get("stock_cached") else "")

    def train_txt(s: System) -> str:
        if s.key.startswith("ours"):
            return (
                fmt(tr.get("ours_s"), 0, " s") if tr.get("ours_s") else f"n/a ({tr.get('ours_reason', 'not measured')})"
            )
        return "n/a"

    ours_train = float(tr.get("ours_s") or 0.0)
    stock_train = 0.0 if tr.get("stock_cached") else float(base_train or 0.0)
    ratio = ours_train / stock_train if ours_train and stock_train else None
    add(
        "Training time from scratch (s, clean training cache)",
        base_txt,
        [train_txt(s) + (f" ({ratio:.2f}×)" if ratio else "") for s in ours],
        "≤ 1.5× stock",
        verdict(ratio <= 1.5) if ratio else "",
    )
    for k in r.get("knowledge") or []:
        n, o, sc = k["entries"], k["ours"], k["scan"]
        target = {10000: 5.0, 100000: 20.0}.get(n)
        cpu95 = o.get("search_cpu_p95_ms")
        add(
            f"Knowledge search p95 at {n:,} entries (ms)",
            f"{fmt(sc['p95_ms'], 1)} (rapidfuzz scan)",
            [f"{fmt(o['search_p95_ms'], 2)}" + (f" (CPU {fmt(cpu95, 2)})" if cpu95 is not None else ""), *blank],
            f"≤ {target:g} ms" if target else "",
            verdict(o["search_p95_ms"] <= target) if target else "",
        )
        rcpu = o.get("reload_cpu_s")
        add(
            f"Knowledge reload after one edit at {n:,} entries (s)",
            f"{fmt(o['build_s'], 2)} (full rebuild)",
            [f"{fmt(o['reload_s'], 2)}" + (f" (CPU {fmt(rcpu, 2)})" if rcpu is not None else ""), *blank],
            "≤ 2 s" if n == 10000 else "",
            verdict(o["reload_s"] <= 2.0) if n == 10000 else "",
        )

    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def other_quality(rasa_url: str, token: str) -> dict[str, Any]:
    """The dev set's figures and the multi-turn conversations' share (issue #18: no
    held-out figure may drop by more than a point, so all three are printed)."""
    from scripts.bench_quality import DEV, evaluate_conversations, load_conversations, run_quality

    dev = run_quality(rasa_url, token, DEV)
    conversations = load_conversations()
    asyncio.run(evaluate_conversations(rasa_url, conversations))
    right = sum(not c.missing for c in conversations)
    log(
        f"quality: dev accuracy {dev.accuracy:.3f}, facts {dev.facts_share:.3f}; "
        f"multi-turn {right}/{len(conversations)}"
    )
    return {
        "dev_n": len(dev.questions),
        "dev_n_facts": len(dev.with_facts),
        "dev_accuracy": dev.accuracy,
        "dev_facts_share": dev.facts_share,
        "multiturn_n": len(conversations),
        "multiturn_share": right / len(conversations) if conversations else math.nan,
    }


def quality_section(q: dict[str, Any]) -> str:
    out = ["### Intent confusions (held-out; gold → predicted)", ""]
    if q["confusions"]:
        out += ["| gold intent | predicted | count |", "|---|---|---|"]
        out += [f"| {g} | {p} | {n} |" for g, p, n in q["confusions"]]
    else:
        out.append("No confusions.")
    out += [
        "",
        "### The ten worst questions",
        "",
        "Wrong facts first, then wrong intents; within each, the lower the confidence in the right intent the worse.",
        "",
        "| question | gold intent | predicted (confidence) | facts in reply | reply starts |",
        "|---|---|---|---|---|",
    ]
    for w in q["worst"]:
        facts = "—" if w["facts_ok"] is None else ("yes" if w["facts_ok"] else "NO (" + "、".join(w["facts"]) + ")")
        reply = w["reply"].replace("\n", " ").replace("|", "/")[:40]
        out.append(f"| {w['text']} | {w['intent']} | {w['predicted']} ({w['confidence']:.2f}) | {facts} | {reply} |")
    out += [
        "",
        "rapidfuzz baseline per scorer: "
        + ", ".join(f"{k}: {v * 100:.1f} %" for k, v in q["fuzz_scores"].items())
        + f"; questions the bot answered with the facts and rapidfuzz did not: {q['ours_only']}, "
        f"the reverse: {q['fuzz_only']}.",
    ]
    return "\n".join(out)


def fresh_clone_phases(mode: str, log: Callable[[str], None]) -> dict[str, Any] | None:
    """``scripts/bench_fresh.py``'s phases: measured now (and kept in var/bench/fresh.json),
    or that file's last figures; None (and one log line) when they failed or are missing."""
    from scripts import bench_fresh

    if mode == "reuse":
        found = bench_fresh.last_result()
        if found is None:
            log(f"fresh clone: no {bench_fresh.RESULT} to reuse")
        return found
    try:
        return bench_fresh.measure_and_keep(log)
    except (RuntimeError, OSError, subprocess.SubprocessError, TimeoutError) as exc:
        log(f"fresh clone: failed: {exc}")
        return None


def write_docs(r: dict[str, Any], table: str, systems: list[System], chart: Path | None, plan: Plan) -> str:
    m = r["machine"]
    ours = [s for s in systems if not s.stock]
    parts = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`python -m scripts.bench{' --quick' if plan.quick else ''}`) on {r['date']}. "
        "Do not edit by hand: re-run the benchmark.",
        "",
        f"* Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, shared (load average "
        f"{r['load_start']} at the start, {r['load_end']} at the end). Python {m['python']}, Rasa {m['rasa']}, "
        f"rasa-sdk {m['rasa_sdk']}, commit {m['commit']}.",
        f"* Run: {'quick' if plan.quick else 'full'}, {r['duration_s'] / 60:.1f} min.",
        "* Baseline: the stock `rasa init --no-prompt` assistant of the same Rasa version, trained in a temporary "
        "folder and served the same way (`rasa run`, REST channel, SQLTrackerStore on SQLite, in-memory lock "
        f"store). Its turn is `{STOCK_TURN}` (NLU → `utter_greet` → listen); ours is `{OUR_TURN}` (NLU → "
        "`action_answer_question` on the action server, which searches the knowledge base → listen), so our "
        "turn does strictly more work (one more HTTP hop and a search).",
        "* Systems: " + "; ".join(f"**{s.label}**: {s.notes}" for s in ours) + ".",
        "* **ours, as shipped** is the repository's own configuration (`make serve`): `config.yml` (no "
        "`TEDPolicy`), `endpoints.yml` (bounded SQLite tracker store in WAL mode with two indexes, in-memory lock "
        "store, one Rasa worker) and the CPU savings of `rasa_ext/speedups.py` (`rasa_ext/patches.py`). "
        "**ours, 2 Rasa workers + Redis** "
        "is the shipped one-machine option for more load: `RASA_ENDPOINTS=endpoints.redis.yml UH_RASA_WORKERS=2` "
        "(Rasa's `RedisLockStore` made atomic, `rasa_ext/lock_store.py`, on a throw-away `redis-server` on "
        "127.0.0.1). How these choices were made, one "
        "change at a time: [bench-ablation.md](bench-ablation.md).",
        "* All systems run side by side; measurements alternate between them (round by round, turn by turn), "
        "so load from other users of the machine hits them alike. Chats restart every "
        f"{load.TURNS_PER_CONVERSATION} turns in the latency and throughput runs (a fresh sender), so those "
        "figures are not affected by history length. The concurrent workers are coroutines of one aiohttp "
        "client in the benchmark's own process, on the same two cores (~5 % of a core at 180 msg/s; httpx, used "
        "before, took ~70 %: bench-ablation.md, fourth pass).",
        f"* Long conversations (issue #13): {plan.long_turns} turns each, one chat per system and pattern — "
        "**a mix of questions** (ten knowledge questions and small talk in turn); **a form that gets off-topic "
        "messages** (`帮我报名PLC编程`, then questions, thanks, greetings, 我的报名 and the weather while the form "
        "asks for the name; the form stays open all along); **a form and questions alternating** (a registered "
        "worker enrolls in PLC编程, asks, confirms, asks, cancels the enrollment, asks …, ten turns a cycle). "
        "Slots and the form's state carry over as for any worker. Turns 191–200 of each chat are measured "
        "alternately with the ten turns (after the opening) of a fresh chat of the same pattern, so both means "
        "hold the same kinds of turn under the same load; every reply is checked against what the pattern "
        'expects ("replies off the pattern" would say the conversation went elsewhere). The stock assistant '
        "has no forms: its own small talk is its mixed chat. The chart shows every turn of the long chats.",
        "* Server CPU = user+system CPU seconds of the server processes (Rasa server with all its workers + "
        "action server) ÷ answered messages. A busy machine inflates it much less than wall-clock figures, so it "
        "is the figure to compare when the load average is high: throughput at 50 workers is what the machine "
        "had free at that moment (stock Rasa can only use one core, so it loses less when others take the "
        "second).",
        "",
        table,
        "",
    ]
    if chart is not None:
        parts += [f"![latency against turn number and throughput against workers]({chart.name})", ""]
    if r.get("fresh"):
        from scripts import bench_fresh

        parts += ["## From a fresh clone to the first answer", "", *bench_fresh.table(r["fresh"]), ""]
    if r.get("quality"):
        parts += [quality_section(r["quality"]), ""]
    parts += [
        "## How to reproduce",
        "",
        "```bash",
        "make bench                                   # full run, ~15 min on a quiet machine incl. both trainings",
        ".venv/bin/python -m scripts.bench --quick    # ~8 min: no training-time row, 100k-entry search skipped",
        ".venv/bin/python -m scripts.bench --cached-baseline  # reuse an earlier run's stock model (no training row)",
        ".venv/bin/python -m scripts.bench --systems stock,ours,ours+nospeedups --levels 50 --rounds 6",
        ".venv/bin/python -m scripts.bench --only-long --cached-baseline  # only the long conversations, ~5 min",
        "```",
        "",
        "Needs the trained model (`make train`) and, for the several-worker variant, Debian's `redis-server` "
        "(`apt-get install -y redis-server`); the benchmark starts its own on a free port of 127.0.0.1 and "
        f"stops it. The stock model is cached in `{infra.CACHE_DIR}` by Rasa version; raw figures of the latest "
        "run are in `var/bench/results.json`.",
        "",
    ]
    return "\n".join(parts)


# --- main ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller run; no training-time measurement")
    parser.add_argument(
        "--cached-baseline",
        action="store_true",
        help="reuse the stock model of an earlier run (the full run trains it, so both training "
        "times come from the same run; --quick always reuses it)",
    )
    parser.add_argument("--skip-train", action="store_true", help="do not time a training of our model")
    parser.add_argument(
        "--systems",
        default="stock,ours,ours+2w",
        help="comma-separated systems: stock, ours or NAME (a --model), each optionally followed by "
        "options: " + OPTIONS_HELP,
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="another trained model of ours to measure as system NAME (or NAME+2w)",
    )
    parser.add_argument("--best", default=None, help="the system the targets are checked on (default: the last)")
    parser.add_argument(
        "--fresh-clone",
        choices=("run", "reuse", "skip"),
        default=None,
        help="fresh clone → first answer phases (scripts/bench_fresh.py): run them (default of the full run), "
        "reuse the last measured var/bench/fresh.json, or skip (default of --quick)",
    )
    parser.add_argument("--no-knowledge", action="store_true", help="skip the knowledge search benchmark")
    parser.add_argument("--no-quality", action="store_true", help="skip the held-out quality evaluation")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md and the chart")
    parser.add_argument("--levels", default="", help="concurrent workers to measure, e.g. 1,50 (default 1,5,10,25,50)")
    parser.add_argument("--rounds", type=int, default=0, help="alternating rounds per level")
    parser.add_argument("--long-turns", type=int, default=None, help="turns of the long conversations (0: skip)")
    parser.add_argument(
        "--patterns",
        default="",
        help="long conversations to run: " + ", ".join(f"{p.key} ({p.label})" for p in load.PATTERNS),
    )
    parser.add_argument(
        "--only-long",
        action="store_true",
        help="only the long conversations (no quality, knowledge, load, memory, docs): while developing",
    )
    args = parser.parse_args(argv)
    plan = Plan.make(args)
    names = [n.strip() for n in args.systems.split(",") if n.strip()]
    models = {}
    for item in args.model:
        name, _, path = item.partition("=")
        models[name] = Path(path).resolve()
    if not DEFAULT_MODEL.exists():
        raise SystemExit(f"no trained model at {DEFAULT_MODEL}: run `make train` first")

    r: dict[str, Any] = {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": infra.machine(),
        "load_start": infra.load_average(),
        "plan": plan.__dict__,
    }
    log(f"{'quick' if plan.quick else 'full'} run; machine {r['machine']['cores']} cores, load {r['load_start']}")

    baseline = None
    if "stock" in names:
        baseline = infra.stock_baseline(not (plan.quick or args.cached_baseline), log)
        log(f"stock model: {baseline.model} ({'cached' if baseline.cached else 'trained'} in {baseline.train_s:.0f}s)")
    training: dict[str, Any] = {}
    if baseline is not None:
        training.update(stock_s=baseline.train_s, stock_cached=baseline.cached, stock_at=baseline.trained_at)
    if plan.train:
        seconds, model = infra.train_ours(log)
        training["ours_s"] = seconds
        shutil.rmtree(model.parent, ignore_errors=True)
        log(f"our training: {seconds:.0f}s")
    else:
        training["ours_reason"] = "--quick" if plan.quick else "--skip-train"
    r["training"] = training
    fresh_mode = args.fresh_clone or ("skip" if plan.quick or plan.only_long else "run")
    if fresh_mode != "skip":
        r["fresh"] = fresh_clone_phases(fresh_mode, log)

    if not args.no_knowledge and not plan.only_long:
        r["knowledge"] = measure_knowledge(plan)

    out_dir = settings.load().data_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="uh-bench-"))
    redis = None
    systems: list[System] = []
    try:
        if any(re.search(r"\+\d+w", n) for n in names) and infra.RedisServer.available():
            redis = infra.RedisServer(root).start()
            log(f"redis-server on 127.0.0.1:{redis.port}")
        systems = make_systems(names, root, baseline, redis.port if redis else None, models)
        for s in systems:  # one at a time: the start-up figure is measured alone
            start_system(s)
        ours = [s for s in systems if not s.stock]
        r["best"] = next((s for s in ours if s.key == args.best), ours[-1] if ours else None)
        if not args.no_quality and ours and not plan.only_long:
            from scripts.bench_quality import run_quality

            by_model: dict[str, dict[str, Any]] = {}
            r["quality_by"] = {}
            for s in ours:  # once per model (workers and speed-ups change no answer)
                model_id = str(s.stack.model)
                if model_id not in by_model:
                    log(f"quality: held-out questions through {s.key}")
                    qual = run_quality(s.stack.rasa_url, s.stack.token)
                    by_model[model_id] = {
                        "n": len(qual.questions),
                        "n_facts": len(qual.with_facts),
                        "accuracy": qual.accuracy,
                        "macro_f1": qual.macro_f1,
                        "facts_share": qual.facts_share,
                        "fuzz_share": qual.fuzz_share,
                        "fuzz_scorer": qual.fuzz_scorer,
                        "fuzz_scores": qual.fuzz_scores,
                        "fallbacks": qual.fallbacks,
                        "confusions": qual.confusions(),
                        "worst": [w.__dict__ for w in qual.worst(10)],
                        "ours_only": sum(bool(q.facts_ok) and not q.fuzz_ok for q in qual.with_facts),
                        "fuzz_only": sum(bool(q.fuzz_ok) and not q.facts_ok for q in qual.with_facts),
                        "system": s.key,
                    }
                    log(
                        f"quality: accuracy {qual.accuracy:.3f}, macro-F1 {qual.macro_f1:.3f}, "
                        f"facts {qual.facts_share:.3f} vs rapidfuzz {qual.fuzz_share:.3f}"
                    )
                    by_model[model_id].update(other_quality(s.stack.rasa_url, s.stack.token))
                r["quality_by"][s.key] = by_model[model_id]
            r["quality"] = r["quality_by"][ours[0].key]
        log("warm-up")
        for s in systems:
            asyncio.run(load.run_load(s.stack.rasa_url, [s.turn_text], 5, 10.0, 40, f"warm-{s.key}"))
        if not plan.only_long:
            log("one worker in a loop")
            measure_single(systems, plan)
            log("throughput at " + ", ".join(map(str, plan.levels)) + " workers")
            measure_levels(systems, plan)
        if plan.long_turns:
            log(f"long conversations of {plan.long_turns} turns: " + ", ".join(plan.patterns))
            measure_long(systems, plan, max_seconds=900.0)
        if not plan.only_long:
            for s in systems:
                measure_memory(s)
            if ours:
                log("Telegram front end")
                r["telegram"] = measure_telegram(ours[0], root)
                log("WeChat front end")
                r["wechat"] = measure_wechat(ours[0], root)
    finally:
        for s in systems:
            s.stack.stop()
        if redis is not None:
            redis.stop()
    r["load_end"] = infra.load_average()
    r["duration_s"] = time.monotonic() - T0

    raw = {k: v for k, v in r.items() if k != "best"}
    raw["systems"] = {
        s.key: {
            "label": s.label,
            "notes": s.notes,
            "start_s": s.start_s,
            "first_s": s.first_s,
            "single": s.single,
            "single_cpu": s.single_cpu,
            "long": {key: run.as_dict() for key, run in s.long.items()},
            "rss": s.rss,
            "cpu_per_msg_ms": s.cpu_per_msg_ms,
            "client_cpu": s.client_cpu,
            "levels": {w: [x.as_dict() for x in v] for w, v in s.levels.items()},
        }
        for s in systems
    }
    (out_dir / "results.json").write_text(json.dumps(raw, ensure_ascii=False, indent=1, default=str))
    table = build_report(r, systems, plan)
    print(table, flush=True)
    print_ratios(systems)
    chart = None
    if not args.no_docs and not plan.only_long:
        from scripts.bench_chart import draw

        turns = chart_lines(systems)
        lvl = {s.label: {w: s.level(w)["throughput"] for w in plan.levels} for s in systems if s.levels}
        chart = draw(DOCS / "benchmarks.png", turns, lvl, f"{r['date']}, {r['machine']['cores']} cores, shared machine")
        (DOCS / "benchmarks.md").write_text(write_docs(r, table, systems, chart, plan), encoding="utf-8")
        log(f"wrote {DOCS / 'benchmarks.md'} and {chart}")
    if r.get("fresh"):
        from scripts import bench_fresh

        print()
        print("\n".join(bench_fresh.table(r["fresh"])))
    if r.get("quality"):
        print()
        print(quality_section(r["quality"]))
    shutil.rmtree(root, ignore_errors=True)
    log(f"done in {(time.monotonic() - T0) / 60:.1f} min; raw figures in {out_dir / 'results.json'}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
