"""The fault matrix (``make chaos``): replicas of every process under load, each kind of
process SIGKILLed in the middle of turns, PostgreSQL and Redis restarted — then nothing may
be lost.

    python -m scripts.chaos                       # ~5 min on 2 cores
    python -m scripts.chaos --workers 40 --telegram-workers 12 --json var/chaos.json
    python -m scripts.chaos --no-console          # without the staff console

The set-up is :class:`scripts.replicas.Deployment` (PostgreSQL, Redis, two Rasa replicas behind
a balancer, two action servers behind another) plus two Telegram front ends in webhook mode
(``python -m bot``) fed by a stand-in for Telegram (``tests.bot.fake_bot_api``), which delivers
an update again to the other front end when one does not answer — as Telegram does.

Two kinds of simulated workers run through every fault:

* REST workers (``scripts.load``'s: questions, sign-ups through the real form, cancellations)
  talk to the Rasa balancer, as a front end would;
* Telegram workers ask questions through the front ends.

* staff on the console (``scripts.chaos_console``): one logging in again and again, one
  saving an FAQ answer again and again through the real forms.

Faults, one after the other while the workers go on (each process is started again after
its kill): a Rasa replica, an action server, a front end, the console (SIGKILLed while a
login or a knowledge edit is in flight), a PostgreSQL restart, a Redis crash and restart.

Afterwards: every sign-up a worker was told is confirmed is in the database, none twice, no
course over its capacity, no free seat while someone waits; and every conversation
continues (each worker's last question, after every process is back, gets an answer, not an
apology or silence; how many of those answers are the expected one is reported beside); the console's
knowledge files are whole and valid, hold an answer that was sent in full, and a login and an
edit work after its restart. The report
says, per fault, what the workers saw (answers, apologies, time-outs). Exit status 1 when a
check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.loader import copy_files
from scripts.chaos_console import ConsoleDrill, ConsoleProcess
from scripts.load import ANSWERABLE, LoadRun, Stats, Worker, check_registry, load_courses
from scripts.replicas import Deployment
from scripts.stack import DEFAULT_MODEL, REPO

APOLOGY_MARKS = ("暂时出了点问题", "小助手暂时")
FINAL_QUESTION = "劳模先进班的学费谁出"
#: What the knowledge base's answer to FINAL_QUESTION says.
FINAL_MARK = "全额"


def _apology(text: str) -> bool:
    return any(m in text for m in APOLOGY_MARKS)


def _said(replies: list[dict] | None) -> str:
    return " ".join(r.get("text") or "" for r in (replies or []))


@dataclass
class Fault:
    name: str
    at: float  # seconds after the start
    started: float = 0.0
    ended: float = 0.0
    note: str = ""


@dataclass
class Seen:
    """What the workers saw: (time, worker, outcome)."""

    events: list[tuple[float, str, str]] = field(default_factory=list)

    def add(self, worker: str, outcome: str) -> None:
        self.events.append((time.monotonic(), worker, outcome))


class ChaosStats(Stats):
    """load.Stats that remembers the kind of the last error (for the per-worker report)."""

    last_kind: str = ""

    def error(self, kind: str, detail: str) -> None:
        self.last_kind = kind
        super().error(kind, detail)


class RestWorker(Worker):
    def __init__(self, index: int, run: LoadRun, seen: Seen) -> None:
        super().__init__(index, run)
        self.seen = seen

    async def say(self, text: str) -> list[dict] | None:
        replies = await super().say(text)
        stats = self.run.stats
        outcome = "answered" if replies is not None else getattr(stats, "last_kind", "error")
        self.seen.add(self.sender, outcome)
        return replies


class ChaosRun(LoadRun):
    seen: Seen

    async def go_chaos(self, seen: Seen) -> tuple[float, list[RestWorker]]:
        import httpx

        limits = httpx.Limits(max_connections=self.workers, max_keepalive_connections=self.workers)
        async with httpx.AsyncClient(timeout=self.timeout, limits=limits) as http:
            self.http = http
            started = time.monotonic()
            deadline = started + self.duration
            workers = [RestWorker(i, self, seen) for i in range(self.workers)]
            tasks = [asyncio.create_task(w.live(deadline)) for w in workers]
            done, pending = await asyncio.wait(tasks, timeout=self.duration + self.timeout + 60)
            for task in pending:
                task.cancel()
            for task in done:
                if task.exception() is not None:
                    self.stats.error("worker crashed", repr(task.exception()))
            return time.monotonic() - started, workers

    async def final_turns(self, workers: list[RestWorker]) -> dict[str, str]:
        """Every conversation continues: one more question each, after everything is back."""
        import httpx

        async with httpx.AsyncClient(timeout=self.timeout) as http:
            self.http = http
            answers = await asyncio.gather(*(w.say(FINAL_QUESTION) for w in workers))
        return {w.sender: _said(a) for w, a in zip(workers, answers, strict=True)}


async def telegram_workers(tg: Any, count: int, until: float, seen: Seen, rng: random.Random) -> list[dict]:
    """Workers asking through the front ends; each waits for its answer (90 s at most)."""
    users = [tg.make_user(91_000 + i, "测", f"试{i}") for i in range(count)]

    async def live(user: dict) -> None:
        name = f"tg-{user['id']}"
        await asyncio.sleep(rng.uniform(0, 5))
        while time.monotonic() < until:
            await ask(user, name, rng.choice(ANSWERABLE))
            await asyncio.sleep(rng.uniform(4, 10))

    async def ask(user: dict, name: str, text: str) -> None:
        before = len(tg.texts_to(user["id"]))
        tg.user_text(user, text)
        try:
            await tg.wait_for(lambda: len(tg.texts_to(user["id"])) > before, timeout=90)
        except AssertionError:
            seen.add(name, "no answer in 90 s")
            return
        said = " ".join(tg.texts_to(user["id"])[before:])
        seen.add(name, "apology" if any(m in said for m in APOLOGY_MARKS) else "answered")

    await asyncio.gather(*(live(u) for u in users))
    return users


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests.bot.fake_bot_api import FakeBotApi
    from tests.scale.front_ends import OPERATOR, OPS_CHAT, SECRET, FrontEnd, front_end_env

    root = Path(tempfile.mkdtemp(prefix="uh-chaos-"))
    knowledge = copy_files(REPO / "knowledge", root / "knowledge")
    deployment = Deployment(
        root, model=args.model, extra_env={"UH_KNOWLEDGE_DIR": str(knowledge), "TICKET_LOCK_LIFETIME": "30"}
    )
    tg = await FakeBotApi().start()
    tg.add_group(OPS_CHAT, "工会人工服务", forum=True)
    tg.set_member(OPS_CHAT, OPERATOR, "member")
    ends: list[FrontEnd] = []
    console: ConsoleProcess | None = None
    drill: ConsoleDrill | None = None
    seen = Seen()
    faults = [
        Fault("rasa replica (SIGKILL mid-turn, then restarted)", 15),
        Fault("action server (SIGKILL mid-turn, then restarted)", 35),
        Fault("front end (SIGKILL mid-turn, then restarted)", 50),
        Fault("console (SIGKILL, then restarted)", 65),
        Fault("PostgreSQL (restarted: every connection cut)", 80),
        Fault("Redis (SIGKILL, then started again: every lock lost)", 100),
    ]
    try:
        print(f"starting the deployment (logs in {root}) …", flush=True)
        await asyncio.to_thread(deployment.start)
        env = front_end_env(tg.base_url, deployment.rasa_url, deployment.token, deployment.database_url, knowledge)
        ends = [FrontEnd(name, root, {**env, "UH_OUTBOX_LEASE_SECONDS": "20"}) for name in ("a", "b")]
        for fe in ends:
            await asyncio.to_thread(fe.start)
        tg.use_webhooks([fe.url for fe in ends], SECRET)
        if args.console:
            console = ConsoleProcess(root / "console", knowledge, database_url=deployment.database_url)
            await asyncio.to_thread(console.create_admin)
            await asyncio.to_thread(console.start)
            drill = ConsoleDrill(console)

        courses = load_courses(knowledge, root / "rasa0", args.courses)
        chaos = ChaosRun(
            rasa_url=deployment.rasa_url,
            token=deployment.token,
            via_conversation=True,
            registry_path=deployment.database_url,
            courses=courses,
            workers=args.workers,
            duration=args.duration,
            think=(3.0, 8.0),
            seed=args.seed,
            timeout=90.0,
            stats=ChaosStats(),
        )
        import httpx

        await asyncio.to_thread(
            httpx.post,
            f"{deployment.rasa_url}/webhooks/rest/webhook",
            json={"sender": "warmup", "message": FINAL_QUESTION},
            timeout=300,
        )
        start = time.monotonic()
        print(
            f"{args.workers} REST workers and {args.telegram_workers} Telegram workers for {args.duration:.0f} s …",
            flush=True,
        )

        restarts: list[asyncio.Task] = []

        async def restart(kind: str, index: int, fault: Fault) -> None:
            """SIGKILL now; the start again runs beside the next faults (a Rasa replica takes
            minutes to load its model on a busy machine: waiting for it pushed every later
            fault past the end of the load in the first run). Runs on the event loop: the
            start is a task of this loop, its blocking work in a thread."""
            await asyncio.to_thread(deployment.kill, kind, index)

            def back() -> None:
                deployment.restart(kind, index)
                fault.ended = time.monotonic()

            restarts.append(asyncio.create_task(asyncio.to_thread(back)))

        async def inject() -> None:
            for fault in faults:
                await asyncio.sleep(max(0.0, start + fault.at - time.monotonic()))
                fault.started = time.monotonic()
                if fault.name.startswith("rasa"):
                    await restart("rasa", 0, fault)
                elif fault.name.startswith("action"):
                    await restart("actions", 1, fault)
                elif fault.name.startswith("front end"):
                    await asyncio.to_thread(ends[0].kill)
                    await asyncio.to_thread(ends[0].start)
                elif fault.name.startswith("console"):
                    if drill is None:
                        fault.note = "skipped (--no-console)"
                    else:
                        drill.start_traffic()
                        await asyncio.to_thread(drill.kill_and_restart, 4.0)
                        fault.note = f"killed with {drill.result.in_flight_at_kill} staff request(s) in flight"
                elif fault.name.startswith("PostgreSQL"):
                    assert deployment.services is not None
                    await asyncio.to_thread(deployment.services.restart_postgres)
                elif fault.name.startswith("Redis"):
                    assert deployment.services is not None
                    deployment.services.kill_redis()
                    await asyncio.to_thread(deployment.services.start_redis)
                if not fault.name.startswith(("rasa", "action")):
                    fault.ended = time.monotonic()
                print(f"  {fault.at:>4.0f}s {fault.name} {fault.note}", flush=True)

        rng = random.Random(args.seed)
        injector = asyncio.create_task(inject())
        (elapsed, rest), _ = await asyncio.gather(
            chaos.go_chaos(seen), telegram_workers(tg, args.telegram_workers, start + args.duration, seen, rng)
        )
        await injector
        await asyncio.gather(*restarts)
        print("every process back; the last turn of every conversation …", flush=True)
        continues = await chaos.final_turns(rest)
        # answers to questions asked before the end may still be arriving: let them land first
        await tg.settle(quiet=3.0, timeout=120)
        tg_users = [tg.make_user(91_000 + i, "测", f"试{i}") for i in range(args.telegram_workers)]
        for user in tg_users:
            before = len(tg.texts_to(user["id"]))
            tg.user_text(user, FINAL_QUESTION)
            try:
                await tg.wait_for(lambda: len(tg.texts_to(user["id"])) > before, timeout=120)  # noqa: B023
                continues[f"tg-{user['id']}"] = " ".join(tg.texts_to(user["id"])[before:])
            except AssertionError:
                continues[f"tg-{user['id']}"] = " ".join(tg.texts_to(user["id"])[before:])
        problems = check_registry(deployment.database_url, chaos.stats)
        staff = (await asyncio.to_thread(drill.finish)).as_dict() if drill is not None else None
        alive = {**deployment.alive(), **({"console": console.alive()} if console is not None else {})}
        summary = report(faults, seen, continues, problems, chaos, elapsed, start, alive)
        if staff is not None:
            summary["console"] = staff
            summary["ok"] = summary["ok"] and staff["problems"] == "ok"
        return summary
    finally:
        for fe in ends:
            await asyncio.to_thread(fe.stop)
        if console is not None:
            await asyncio.to_thread(console.stop)
        await tg.stop()
        await asyncio.to_thread(deployment.stop)


def report(
    faults: list[Fault],
    seen: Seen,
    continues: dict[str, str],
    problems: list[str],
    chaos: ChaosRun,
    elapsed: float,
    start: float,
    alive: dict[str, bool],
) -> dict[str, Any]:
    """Per fault window (from the fault until the next one): what the workers saw."""
    windows: dict[str, Counter] = defaultdict(Counter)
    workers_hit: dict[str, set[str]] = defaultdict(set)
    bounds = [
        (f.name, f.started, (faults[i + 1].started if i + 1 < len(faults) else float("inf")))
        for i, f in enumerate(faults)
    ]
    for at, worker, outcome in seen.events:
        window = next((name for name, lo, hi in bounds if lo <= at < hi), "before the first fault")
        windows[window][outcome] += 1
        if outcome != "answered":
            workers_hit[window].add(worker)
    # continued: the last question got an answer, not an apology or silence; whether it was
    # the knowledge base's answer to that question is answer quality, counted apart
    stuck = sorted(w for w, said in continues.items() if not said.strip() or _apology(said))
    expected = sum(FINAL_MARK in said for said in continues.values())
    summary = {
        "elapsed_s": round(elapsed, 1),
        "faults": [
            {
                "fault": f.name,
                "at_s": round(f.started - start, 1),
                "took_s": round(f.ended - f.started, 1),
                "note": f.note,
            }
            for f in faults
        ],
        "what_workers_saw": {
            window: {"turns": dict(counts), "workers_with_a_failed_turn": len(workers_hit[window])}
            for window, counts in windows.items()
        },
        "sign_ups_confirmed": len(chaos.stats.confirmed),
        "cancellations_confirmed": len(chaos.stats.cancelled),
        "conversations": len(continues),
        "conversations_that_did_not_continue": stuck,
        "last_answers_with_the_expected_content": f"{expected} of {len(continues)}",
        "registry_checks": problems or "ok",
        "processes_alive_at_the_end": alive,
    }
    summary["ok"] = not problems and not stuck and all(alive.values())
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="故障演练：负载下依次杀掉每类进程、重启数据库和 Redis，检查什么都没丢")
    parser.add_argument("--workers", type=int, default=30, help="REST workers (sign-ups through the form)")
    parser.add_argument("--telegram-workers", type=int, default=10)
    parser.add_argument(
        "--duration", type=float, default=180.0, help="seconds of load (the faults start in the first 100)"
    )
    parser.add_argument("--courses", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument(
        "--no-console", dest="console", action="store_false", help="leave the staff console out of the matrix"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"找不到模型 {args.model}，请先运行 make train", file=sys.stderr)
        return 2
    summary = asyncio.run(run(args))
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text, encoding="utf-8")
    print("结果：通过" if summary["ok"] else "结果：未通过（见 registry_checks / conversations_that_did_not_continue）")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
