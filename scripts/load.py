"""Load test: simulated workers asking questions, enrolling and cancelling, against a served
stack on 127.0.0.1 (started here unless --rasa-url is given). Bounded in time and count.

    python -m scripts.load                 # 200 workers, 60 s
    python -m scripts.load --quick         # 50 workers, 15 s
    python -m scripts.load --workers 100 --duration 30 --json var/load.json
    python -m scripts.load --replicas 2    # two Rasa replicas and two action servers on PostgreSQL + Redis

Every worker repeats, until the time is up: think (``--think`` seconds, uniformly), then
one of

* a question (about 2 in 3): a REST message answered from the knowledge base —
  answerable questions, unanswerable ones (the gaps path), topic buttons;
* an enrollment (1 in 4) in one of the few smallest courses (so they fill up and the
  waiting list is used);
* a cancellation (3 in 10 of the actions of a worker who holds an enrollment) of one of
  their enrollments (the seat goes to the waiting list).

Enrollments and cancellations go through the real sign-up conversation when the served
model has it (``--enroll-via conversation``; ``auto`` picks it when the domain has an
``enroll_form``): the worker answers whatever the form asks (the tracker's
``requested_slot``) until it ends, and an enrollment counts as confirmed when the bot told
the worker its number (报名号/候补号). With ``--enroll-via registry`` (or a model without
the forms) the worker sends the sign-up message and the registration is written with the
registry's ``save_worker`` + ``enroll`` on the stack's registry, in a thread, as the
form's submit action does it.

With ``--replicas 2`` (``make load``) every store is in one PostgreSQL and every process has
a twin: two Rasa replicas (the workers' turns alternate between them), two action servers
behind ``scripts.balancer`` (both write the one registry), Redis for the conversation locks.

Errors (target 0): a non-200 answer, an empty answer, the REST channel's apology (Rasa or
the action server failed), a time-out, a form that did not finish, a registry exception.
Afterwards the script checks that every confirmed enrollment is in the database with the
status it must have, that no course holds more enrolled workers than its capacity, and
that no seat is free while someone waits. Exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from common.replies import handoff_request
from knowledge.loader import copy_files
from scripts.scale_services import free_port
from scripts.stack import DEFAULT_MODEL, REPO, Stack

#: Where the registry is: a SQLite file or a database URL (registry.open_registry takes both).
Location = str | Path

ANSWERABLE = [
    "劳模先进班的学费谁出",
    "拿到毕业证以后工会有补贴吗",
    "和电大合作的学历提升班是什么",
    "plc编成在哪学",
    "工业机械人培训有吗",
    "职工书屋示范点有几家",
    "读书团队是干嘛的",
    "文体联赛办了几届",
    "宁海有什么课",
    "学历提升补贴怎么申请",
]
END_HANDOFF = "结束人工"
UNANSWERABLE = ["工会会员卡丢了怎么补办", "工会发的购物卡怎么激活", "年假一共有几天"]
BUTTONS = ["/ask_subsidy", "/ask_course_list", "/ask_reading", "/greet"]
APOLOGY_MARK = "小助手暂时出了点问题"  # in common.texts.NO_TIMELY_REPLY
NUMBER = re.compile(r"BM\d{4}-\d{6}")
MAX_FORM_TURNS = 14


@dataclass
class Course:
    id: str
    name: str
    capacity: int | None


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    operations: Counter = field(default_factory=Counter)
    registry_latencies: list[float] = field(default_factory=list)
    # enrollment_no -> (sender_id, course_id, status the registry confirmed)
    confirmed: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 20:
            self.error_samples.append(f"{kind}: {detail[:200]}")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[index]


def load_courses(knowledge_dir: Path, data_dir: Path, how_many: int) -> list[Course]:
    """The ``how_many`` enrollable courses with the smallest capacity (they fill up)."""
    from knowledge import KnowledgeBase

    kb = KnowledgeBase.open(knowledge_dir, data_dir / "load_knowledge_index.db", registry_path=data_dir / "registry.db")
    courses = [Course(c.id, c.name, c.capacity) for c in kb.list_courses() if c.enrollable and c.capacity]
    courses.sort(key=lambda c: (c.capacity, c.id))
    return courses[:how_many]


class Worker:
    def __init__(self, index: int, run: LoadRun) -> None:
        self.index = index
        self.run = run
        self.sender = f"load-{run.tag}-{index:04d}"
        self.rng = random.Random(run.seed * 100_003 + index)
        self.registered = False
        self.enrollments: list[str] = []
        self.turns = 0

    async def say(self, text: str) -> list[dict] | None:
        """One turn; the replies, or None after counting an error."""
        run, stats = self.run, self.run.stats
        started = time.perf_counter()
        try:
            self.turns += 1
            url = f"{run.url_for(self.turns + self.index)}/webhooks/rest/webhook"
            response = await run.client.post(url, json={"sender": self.sender, "message": text})
        except httpx.TimeoutException:
            stats.error("timeout", text)
            return None
        except httpx.HTTPError as exc:
            stats.error("http", f"{type(exc).__name__}: {exc}")
            return None
        stats.latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            stats.error(f"status {response.status_code}", response.text)
            return None
        try:
            replies = response.json()
        except ValueError:
            stats.error("not json", response.text)
            return None
        if not replies:
            stats.error("empty reply", text)
            return None
        if any(APOLOGY_MARK in (r.get("text") or "") for r in replies):
            stats.error("apology (server-side failure)", text)
            return None
        if any(handoff_request(r) is not None for r in replies):
            # Handed to a person (two unanswerable questions in a row): a simulated worker
            # hands back at once, or its later messages would wait on the operators' queue.
            stats.operations["handoff, ended by the worker"] += 1
            await self.say(END_HANDOFF)
        return replies

    async def form_state(self) -> tuple[str | None, str | None]:
        """(active form, requested slot) from Rasa's HTTP API."""
        run = self.run
        try:
            response = await run.client.get(
                f"{run.url_for(self.turns + self.index + 1)}/conversations/{self.sender}/tracker",
                params={"token": run.token, "include_events": "NONE"},
            )
            response.raise_for_status()
            tracker = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            self.run.stats.error("tracker", f"{type(exc).__name__}: {exc}")
            return None, None
        return (tracker.get("active_loop") or {}).get("name"), (tracker.get("slots") or {}).get("requested_slot")

    def answer(self, slot: str | None, replies: list[dict], course: Course | None, number: str | None) -> str:
        """What a worker types (or presses) for the form's current question."""
        buttons = [b for r in replies for b in (r.get("buttons") or [])]

        def press(*words: str) -> str | None:
            return next(
                (
                    b["payload"]
                    for b in buttons
                    if any(w and w in (b.get("title") or "") + (b.get("payload") or "") for w in words)
                ),
                None,
            )

        slot = slot or ""
        if slot == "course_id" and course is not None:
            return press(course.name, course.id) or course.name
        if slot == "cancel_target" and number is not None:
            return press(number) or number
        if "name" in slot:
            return "张伟"
        if "phone" in slot:
            return f"139{self.index:08d}"
        if "employer" in slot:
            return "宁波负载测试有限公司"
        if "district" in slot:
            return "海曙区"
        if "member" in slot or "confirm" in slot:
            return "/affirm" if any(b.get("payload") == "/affirm" for b in buttons) else "是"
        return "/stop"  # a question this script does not know: leave the form

    async def converse_form(self, opening: str, course: Course | None, number: str | None) -> str:
        """Start a form with ``opening`` and answer it to the end; the bot's last words."""
        active, _ = await self.form_state()
        if active:
            await self.say("/stop")
        replies = await self.say(opening)
        said: list[str] = []
        for _ in range(MAX_FORM_TURNS):
            if replies is None:
                return ""
            said = [r.get("text") or "" for r in replies]
            active, slot = await self.form_state()
            if not active:
                return "\n".join(said)
            replies = await self.say(self.answer(slot, replies, course, number))
        await self.say("/stop")
        self.run.stats.error("form did not finish", f"{opening}: {' / '.join(said)[:150]}")
        return ""

    async def enroll_by_conversation(self, course: Course) -> None:
        text = await self.converse_form(f"我想报名{course.name}", course, None)
        match = NUMBER.search(text)
        if "报名成功" in text and match:
            status = "enrolled"
        elif "候补号" in text and match:
            status = "waitlisted"
        elif "已经报名" in text and match:
            return  # already enrolled in this course: nothing new
        else:
            if text:
                self.run.stats.error("enrollment not confirmed", text)
            return
        self.run.stats.confirmed[match.group()] = (self.sender, course.id, status)
        self.enrollments.append(match.group())

    async def cancel_by_conversation(self, number: str) -> None:
        text = await self.converse_form("我要取消报名", None, number)
        if "已取消" in text and number in text:
            self.run.stats.cancelled.add(number)
        elif text:
            self.run.stats.error("cancellation not confirmed", f"{number}: {text}")

    async def registry(self, fn, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return await asyncio.to_thread(self.run.in_registry, fn, *args)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            self.run.stats.error("registry", f"{type(exc).__name__}: {exc}")
            return None
        finally:
            self.run.stats.registry_latencies.append(time.perf_counter() - started)

    async def ask(self) -> None:
        roll = self.rng.random()
        if roll < 0.7:
            text = self.rng.choice(ANSWERABLE)
        elif roll < 0.85:
            text = self.rng.choice(UNANSWERABLE)
        else:
            text = self.rng.choice(BUTTONS)
        self.run.stats.operations["question"] += 1
        await self.say(text)

    async def enroll(self) -> None:
        course = self.rng.choice(self.run.courses)
        self.run.stats.operations["enroll"] += 1
        if self.run.via_conversation:
            return await self.enroll_by_conversation(course)
        await self.say(f"我想报名{course.name}")
        await self.say("/stop")  # leave the sign-up form the message may have started
        result = await self.registry(_enroll, self.sender, self.index, course, not self.registered)
        if result is None:
            return
        self.registered = True
        status, number = result
        if status in ("enrolled", "waitlisted"):
            self.run.stats.confirmed[number] = (self.sender, course.id, status)
            self.enrollments.append(number)
        elif status != "already":
            self.run.stats.error("enroll result", status)

    async def cancel(self) -> None:
        if not self.enrollments:
            return await self.ask()
        number = self.enrollments.pop(self.rng.randrange(len(self.enrollments)))
        self.run.stats.operations["cancel"] += 1
        if self.run.via_conversation:
            return await self.cancel_by_conversation(number)
        status = await self.registry(_cancel, self.sender, number)
        if status == "cancelled":
            self.run.stats.cancelled.add(number)
        elif status is not None:
            self.run.stats.error("cancel result", f"{number}: {status}")

    async def live(self, deadline: float) -> None:
        lo, hi = self.run.think
        # workers do not all start at once
        await asyncio.sleep(self.rng.uniform(0, min(hi, self.run.duration / 4)))
        while time.monotonic() < deadline:
            roll = self.rng.random()
            if self.enrollments and roll < 0.3:
                await self.cancel()
            elif roll < 0.75:
                await self.ask()
            else:
                await self.enroll()
            await asyncio.sleep(max(0.0, min(self.rng.uniform(lo, hi), deadline - time.monotonic())))


def _enroll(db, sender: str, index: int, course: Course, register: bool) -> tuple[str, str | None]:
    from registry import enroll, save_worker

    if register:
        save_worker(
            db,
            sender,
            name="测试职工",
            phone=f"139{index:08d}",
            employer="宁波负载测试有限公司",
            district="海曙区",
            union_member=True,
        )
    result = enroll(db, sender, course.id, course.name, capacity=course.capacity)
    return result.status, result.number


def _cancel(db, sender: str, number: str) -> str:
    from registry import cancel_enrollment

    return cancel_enrollment(db, sender, number).status


@dataclass
class LoadRun:
    rasa_url: str
    token: str
    via_conversation: bool
    registry_path: Location
    courses: list[Course]
    workers: int
    duration: float
    think: tuple[float, float]
    seed: int
    timeout: float
    tag: str = field(default_factory=lambda: f"{int(time.time()) % 100000:05d}")
    stats: Stats = field(default_factory=Stats)
    http: httpx.AsyncClient | None = None

    # more Rasa replicas (scale-out): a worker's turns alternate between all of them
    replica_urls: tuple[str, ...] = ()

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client :meth:`go` opens for the run."""
        if self.http is None:
            raise RuntimeError("the HTTP client is opened by LoadRun.go()")
        return self.http

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def url_for(self, turn: int) -> str:
        urls = (self.rasa_url, *self.replica_urls)
        return urls[turn % len(urls)]

    def in_registry(self, fn, *args: Any) -> Any:
        from registry import registry

        with registry(self.registry_path) as db:
            return fn(db, *args)

    async def go(self) -> float:
        limits = httpx.Limits(max_connections=self.workers, max_keepalive_connections=self.workers)
        async with httpx.AsyncClient(timeout=self.timeout, limits=limits) as http:
            self.http = http
            started = time.monotonic()
            deadline = started + self.duration
            workers = [Worker(i, self) for i in range(self.workers)]
            tasks = [asyncio.create_task(w.live(deadline)) for w in workers]
            # bounded: the last requests may run up to one timeout past the deadline
            done, pending = await asyncio.wait(tasks, timeout=self.duration + self.timeout + 30)
            for task in pending:
                task.cancel()
                self.stats.error("worker still running at the hard stop", str(task))
            for task in done:
                if task.exception() is not None:
                    self.stats.error("worker crashed", repr(task.exception()))
            return time.monotonic() - started


def check_registry(path: Location, stats: Stats) -> list[str]:
    """Every confirmed enrollment is stored with the status it must have, and the
    registry's own invariants hold (no course over capacity, no free seat while someone
    waits, at most one active enrollment per worker and course, an intact file)."""
    from registry import consistency_problems, get_enrollment, registry

    problems: list[str] = []
    with registry(path) as db:
        for number, (sender, course, _) in stats.confirmed.items():
            stored = get_enrollment(db, number)
            if stored is None:
                problems.append(f"{number} confirmed to {sender} but not in the database")
                continue
            if (stored.sender_id, stored.course_id) != (sender, course):
                problems.append(
                    f"{number} stored as {(stored.sender_id, stored.course_id)}, confirmed as {(sender, course)}"
                )
            want = {"cancelled"} if number in stats.cancelled else {"enrolled", "waitlisted"}
            if stored.status not in want:
                problems.append(f"{number} is {stored.status}, expected one of {sorted(want)}")
        problems.extend(consistency_problems(db))
    return problems


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def summarise(run: LoadRun, elapsed: float, problems: list[str], extra: dict[str, Any]) -> dict[str, Any]:
    from registry import enrollment_status_counts, registry

    stats = run.stats
    lat = stats.latencies
    reg = stats.registry_latencies
    with registry(run.registry_path) as db:
        by_status = enrollment_status_counts(db)
    return {
        "workers": run.workers,
        "duration_s": run.duration,
        "elapsed_s": round(elapsed, 1),
        "think_s": list(run.think),
        "requests": len(lat) + sum(v for k, v in stats.errors.items() if k in ("timeout", "http")),
        "throughput_rps": round(len(lat) / elapsed, 2) if elapsed else 0.0,
        "latency_ms": {
            "p50": round(percentile(lat, 0.50) * 1000),
            "p95": round(percentile(lat, 0.95) * 1000),
            "p99": round(percentile(lat, 0.99) * 1000),
            "max": round(max(lat, default=0) * 1000),
            "mean": round(statistics.fmean(lat) * 1000) if lat else 0,
        },
        "registry_ms": {
            "p50": round(percentile(reg, 0.5) * 1000),
            "p95": round(percentile(reg, 0.95) * 1000),
            "max": round(max(reg, default=0) * 1000),
            "calls": len(reg),
        },
        "operations": dict(stats.operations),
        "errors": sum(stats.errors.values()),
        "errors_by_kind": dict(stats.errors),
        "error_samples": stats.error_samples,
        "enrollments_confirmed": len(stats.confirmed),
        "cancellations": len(stats.cancelled),
        "enrollments_by_status": by_status,
        "courses": [asdict(c) for c in run.courses],
        "checks": problems or "ok",
        "enrollment_path": (
            "the sign-up conversation (enroll_form / cancel_form)"
            if run.via_conversation
            else "registry directly, in parallel with the conversation"
        ),
        **extra,
    }


def registry_benchmark(path: Location, courses: list[Course], threads: int, duration: float, seed: int) -> dict:
    """The registrations database alone: ``threads`` writers (like the action server's
    worker threads) registering, enrolling and cancelling as fast as they can on one
    SQLite file in WAL mode. Capacity in sign-up transactions per second."""
    import threading

    from registry import cancel_enrollment, enroll, registry, save_worker

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def writer(index: int) -> None:
        rng = random.Random(seed * 7919 + index)
        n = 0
        while time.monotonic() < deadline:
            sender = f"bench-{index}-{n}"
            n += 1
            started = time.perf_counter()
            try:
                with registry(path) as db:
                    save_worker(db, sender, name="测试职工", phone=f"139{index:04d}{n % 10000:04d}")
                    course = rng.choice(courses)
                    result = enroll(db, sender, course.id, course.name, capacity=course.capacity)
                    if result.number and rng.random() < 0.2:
                        cancel_enrollment(db, sender, result.number)
            except Exception as exc:  # noqa: BLE001
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    pool = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(duration + 120)
    elapsed = time.monotonic() - started
    return {
        "threads": threads,
        "elapsed_s": round(elapsed, 1),
        "signups": len(latencies),
        "signups_per_s": round(len(latencies) / elapsed, 1),
        "ms": {
            "p50": round(percentile(latencies, 0.5) * 1000, 1),
            "p95": round(percentile(latencies, 0.95) * 1000, 1),
            "max": round(max(latencies, default=0) * 1000, 1),
        },
        "errors": len(errors),
        "error_samples": errors[:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="工会小助手负载测试（只连 127.0.0.1，时间和次数都有上限）")
    parser.add_argument("--workers", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--quick", action="store_true", help="50 workers for 15 s")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(5.0, 15.0),
        metavar=("MIN", "MAX"),
        help="seconds a worker waits between two actions (uniform)",
    )
    parser.add_argument("--courses", type=int, default=4, help="enroll into the N smallest courses")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a request counts as failed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--enroll-via", choices=["auto", "conversation", "registry"], default="auto")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="Rasa replicas; >1: every store in PostgreSQL, Redis for the locks (scripts.replicas, "
        "endpoints.production.yml), and --action-servers action servers behind a balancer",
    )
    parser.add_argument("--action-servers", type=int, default=2, help="with --replicas >1 (default 2)")
    parser.add_argument("--rasa-url", help="use this running Rasa (loopback) instead of starting a stack")
    parser.add_argument("--token", default="", help="with --rasa-url: its HTTP API token")
    parser.add_argument("--data-dir", type=Path, help="with --rasa-url: its UH_DATA_DIR (registry.db)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--json", type=Path, help="write the summary here too")
    parser.add_argument("--keep-logs", type=Path, help="copy the started stack's logs here")
    parser.add_argument(
        "--registry-only",
        action="store_true",
        help="no servers: --workers threads write sign-ups to a fresh registry.db for --duration s",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.workers, args.duration = 50, 15.0
    if not (1 <= args.workers <= 2000 and 1 <= args.duration <= 3600):
        parser.error("--workers 1..2000, --duration 1..3600")
    if args.rasa_url and not args.rasa_url.startswith(("http://127.0.0.1", "http://localhost")):
        parser.error("--rasa-url must be on this machine (127.0.0.1)")
    if not 1 <= args.replicas <= 8 or (args.replicas > 1 and args.rasa_url):
        parser.error("--replicas 1..8, and not with --rasa-url")
    if args.rasa_url and not args.data_dir:
        parser.error("--rasa-url needs --data-dir (where its registry.db is)")

    if args.registry_only:
        with tempfile.TemporaryDirectory(prefix="uh-load-registry-") as tmp:
            courses = load_courses(REPO / "knowledge", Path(tmp), args.courses)
            result = registry_benchmark(Path(tmp) / "registry.db", courses, args.workers, args.duration, args.seed)
            problems = check_registry(Path(tmp) / "registry.db", Stats())
        result["checks"] = problems or "ok"
        print(json.dumps(result, ensure_ascii=False, indent=2))
        if args.json:
            args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        return 0 if result["errors"] == 0 and not problems else 1

    root = Path(tempfile.mkdtemp(prefix="uh-load-"))
    stack = None
    replicas: list[Stack] = []
    deployment = None
    registry_location: Location
    try:
        if args.rasa_url:
            rasa_url, data_dir, knowledge_dir = args.rasa_url.rstrip("/"), args.data_dir, REPO / "knowledge"
            token = args.token
            registry_location = data_dir / "registry.db"
        elif args.replicas > 1:
            from scripts.replicas import Deployment

            knowledge_dir = copy_files(REPO / "knowledge", root / "knowledge")
            deployment = Deployment(
                root,
                model=args.model,
                replicas=args.replicas,
                action_servers=max(1, args.action_servers),
                extra_env={"UH_KNOWLEDGE_DIR": str(knowledge_dir)},
            )
            print(
                f"starting {args.replicas} Rasa replicas and {args.action_servers} action servers on PostgreSQL "
                f"+ Redis (logs in {root}) …",
                flush=True,
            )
            t0 = time.monotonic()
            deployment.start()
            print(f"ready in {time.monotonic() - t0:.0f}s", flush=True)
            replicas = deployment.rasa[1:]
            rasa_url, data_dir, token = deployment.rasa[0].rasa_url, deployment.rasa[0].data, deployment.token
            registry_location = deployment.database_url
        else:
            knowledge_dir = copy_files(REPO / "knowledge", root / "knowledge")
            stack = Stack(
                model=args.model,
                data=root / "var",
                rasa_port=free_port(),
                action_port=free_port(),
                extra_env={"UH_KNOWLEDGE_DIR": str(knowledge_dir)},
            )
            print(f"starting the Rasa server and the action server (logs in {root}) …", flush=True)
            t0 = time.monotonic()
            stack.data.mkdir(parents=True, exist_ok=True)
            stack.start()
            print(f"ready in {time.monotonic() - t0:.0f}s", flush=True)
            rasa_url, data_dir, token = stack.rasa_url, stack.data, stack.token
            registry_location = data_dir / "registry.db"
        courses = load_courses(knowledge_dir, data_dir, args.courses)
        via_conversation = args.enroll_via == "conversation"
        if args.enroll_via == "auto":
            domain = httpx.get(
                f"{rasa_url}/domain", params={"token": token}, headers={"Accept": "application/json"}, timeout=60
            ).json()
            via_conversation = "enroll_form" in (domain.get("forms") or {})
        run = LoadRun(
            rasa_url=rasa_url,
            token=token,
            via_conversation=via_conversation,
            registry_path=registry_location,
            courses=courses,
            workers=args.workers,
            duration=args.duration,
            think=tuple(args.think),
            seed=args.seed,
            timeout=args.timeout,
            replica_urls=tuple(r.rasa_url for r in replicas),
        )
        # one warm-up turn (loads the knowledge index in the action server)
        httpx.post(run.webhook, json={"sender": "load-warmup", "message": ANSWERABLE[0]}, timeout=300)
        print(
            f"{args.workers} workers for {args.duration:.0f}s, think {args.think[0]}–{args.think[1]}s, "
            f"courses {[c.id for c in courses]}, enrollments via "
            f"{'the sign-up conversation' if via_conversation else 'the registry'} …",
            flush=True,
        )
        procs: dict[str, int] = {}
        if stack is not None:
            procs = {
                name: proc.pid
                for name, proc in (("rasa", stack.rasa_proc), ("actions", stack.action_proc))
                if proc is not None
            }
        if deployment is not None:
            procs = deployment.pids()
        cpu_before = {name: cpu_seconds(pid) for name, pid in procs.items()}
        elapsed = asyncio.run(run.go())
        cpu: dict[str, Any] = {
            f"cpu_s_{name}": round(cpu_seconds(pid) - cpu_before[name], 1) for name, pid in procs.items()
        }
        problems = check_registry(run.registry_path, run.stats)
        alive: dict[str, Any] = {}
        if stack is not None:
            alive = {
                "rasa_alive": stack.rasa_proc is not None and stack.rasa_proc.poll() is None,
                "actions_alive": stack.action_proc is not None and stack.action_proc.poll() is None,
            }
        if deployment is not None:
            alive = {"alive": deployment.alive()}
        if not all(v if isinstance(v, bool) else all(v.values()) for v in alive.values()):
            problems.append(f"a server died: {alive}")
        turns = len(run.stats.latencies)
        if turns and cpu:
            rasa_total = sum(v for k, v in cpu.items() if k.startswith("cpu_s_rasa"))
            actions_total = sum(v for k, v in cpu.items() if k.startswith("cpu_s_actions"))
            cpu["cpu_ms_per_turn"] = {
                "rasa": round(1000 * rasa_total / turns),
                "actions": round(1000 * actions_total / turns),
            }
        extra = {"replicas": args.replicas, "action_servers": args.action_servers if deployment else 1}
        summary = summarise(run, elapsed, problems, {**extra, **alive, **cpu})
    finally:
        stacks = [stack] if stack is not None else []
        if deployment is not None:
            stacks = [*deployment.rasa, *deployment.actions]
            deployment.stop()
        elif stack is not None:
            stack.stop()
        if args.keep_logs:
            for each in stacks:
                if each.log_dir.exists():
                    shutil.copytree(each.log_dir, args.keep_logs / each.data.name, dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)

    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    ok = summary["errors"] == 0 and summary["checks"] == "ok"
    print("结果：通过" if ok else "结果：未通过（见 errors / checks）", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
