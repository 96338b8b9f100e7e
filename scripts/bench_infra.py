"""What the benchmarks run against: the stock `rasa init` assistant, a Redis server, the
Telegram front end on a fake Bot API, and the memory of a process tree.

Everything listens on 127.0.0.1 only and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml

from common import settings
from scripts.stack import REPO, quiet_environment

RASA_VERSION = version("rasa")
#: Trained stock models are cached here by Rasa version (UH_BENCH_CACHE overrides).
CACHE_DIR = settings.load().bench_cache


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _train_env(cache: Path) -> dict[str, str]:
    """A clean Rasa training cache, so a training time is a real training time."""
    env = dict(os.environ)
    env.update(quiet_environment(False, settings.load().log_level))
    env["RASA_CACHE_DIRECTORY"] = str(cache)
    return env


# --- the stock assistant ---------------------------------------------------------------


@dataclass
class Baseline:
    project: Path
    model: Path
    train_s: float
    trained_at: str
    cached: bool


def stock_baseline(fresh: bool, log: Callable[[str], None], timeout: float = 1800) -> Baseline:
    """The stock `rasa init --no-prompt` assistant, trained (and timed) once per Rasa version."""
    key = CACHE_DIR / f"stock-rasa-{RASA_VERSION}"
    meta_path = key / "meta.json"
    if not fresh and meta_path.exists() and (key / "model.tar.gz").exists():
        meta = json.loads(meta_path.read_text())
        return Baseline(key / "project", key / "model.tar.gz", meta["train_s"], meta["trained_at"], True)
    log(f"training the stock `rasa init` assistant (Rasa {RASA_VERSION}); cached in {key}")
    with tempfile.TemporaryDirectory(prefix="uh-stock-") as tmp:
        project = Path(tmp) / "stock"
        project.mkdir()
        t0 = time.perf_counter()
        with open(Path(tmp) / "init.log", "wb") as out:
            proc = subprocess.run(
                [sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(project)],
                cwd=project,
                env=_train_env(Path(tmp) / "cache"),
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
        train_s = time.perf_counter() - t0
        models = sorted((project / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
        if proc.returncode != 0 or not models:
            tail = (Path(tmp) / "init.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"`rasa init --no-prompt` failed ({proc.returncode}):\n{tail}")
        if key.exists():
            shutil.rmtree(key)
        key.mkdir(parents=True)
        shutil.copy(models[-1], key / "model.tar.gz")
        shutil.copytree(project, key / "project", ignore=shutil.ignore_patterns("models", ".rasa", "__pycache__"))
    meta = {"train_s": train_s, "trained_at": time.strftime("%Y-%m-%d %H:%M"), "rasa": RASA_VERSION}
    meta_path.write_text(json.dumps(meta))
    return Baseline(key / "project", key / "model.tar.gz", train_s, meta["trained_at"], False)


def stock_endpoints(directory: Path) -> Path:
    """Stock Rasa served like ours: SQLTrackerStore on SQLite, in-memory lock store."""
    path = directory / "endpoints.stock.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(directory / "tracker.db")},
                "lock_store": {"type": "in_memory"},
            }
        )
    )
    return path


def train_ours(log: Callable[[str], None], timeout: float = 1800, config: Path | None = None) -> tuple[float, Path]:
    """Train our assistant from scratch into a temporary folder; returns (seconds, model)."""
    tmp = Path(tempfile.mkdtemp(prefix="uh-train-"))
    config = config or REPO / "config.yml"
    log(f"training our assistant from scratch ({config.name}, clean training cache)")
    t0 = time.perf_counter()
    with open(tmp / "train.log", "wb") as out:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "rasa",
                "train",
                "--data",
                "nlu_data",
                "--domain",
                "domain",
                "--config",
                str(config),
                "--out",
                str(tmp),
                "--fixed-model-name",
                "bench",
                "--quiet",
            ],
            cwd=REPO,
            env=_train_env(tmp / "cache"),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"training failed ({proc.returncode}), see {tmp / 'train.log'}")
    shutil.rmtree(tmp / "cache", ignore_errors=True)
    return seconds, tmp / "bench.tar.gz"


class RedisServer:
    """A throw-away redis-server (Debian's package) on 127.0.0.1, nothing saved to disk."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def available() -> str | None:
        return shutil.which("redis-server")

    def start(self, timeout: float = 20.0) -> RedisServer:
        binary = self.available()
        if not binary:
            raise RuntimeError("redis-server not installed (apt-get install -y redis-server)")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1).ping():
                    return self
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        raise TimeoutError("redis-server did not answer PING")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# --- memory --------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out.extend(int(c) for c in fh.read().split())
    except OSError:
        pass
    return out


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int | None) -> tuple[float, int]:
    """VmRSS of a process and all its descendants (Sanic workers), MiB; and the count."""
    if pid is None:
        return 0.0, 0
    seen: set[int] = set()
    todo, total = [pid], 0
    while todo and len(seen) < 200:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _status_kb(p, "VmRSS")
        todo.extend(_children(p))
    return total / 1024, len(seen)


# --- the Telegram front end ---------------------------------------------------------------------


class TelegramFrontEnd:
    """`python -m bot` against tests/bot/fake_bot_api.py (an aiohttp Bot API on 127.0.0.1),
    which runs in its own thread and event loop."""

    FAKE = REPO / "tests" / "bot" / "fake_bot_api.py"

    def __init__(self, rasa_url: str, rasa_token: str, data: Path, log_dir: Path) -> None:
        self.rasa_url, self.rasa_token, self.data, self.log_dir = rasa_url, rasa_token, data, log_dir
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.fake: Any = None
        self.proc: subprocess.Popen | None = None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        if not cls.FAKE.exists():
            return "tests/bot/fake_bot_api.py does not exist"
        if not (REPO / "bot" / "__main__.py").exists():
            return "bot/__main__.py does not exist"
        return None

    def _call(self, coro: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> TelegramFrontEnd:
        # The front end's test double; by name, so that type-checking scripts/ leaves tests/ out.
        FakeBotApi = importlib.import_module("tests.bot.fake_bot_api").FakeBotApi

        self.thread.start()
        self.fake = self._call(FakeBotApi().start())
        env = dict(os.environ)
        env.update(quiet_environment(False, settings.load().log_level))
        env.update(
            {
                "TELEGRAM_TOKEN": "123456:BENCH-TOKEN",
                "TELEGRAM_BASE_URL": self.fake.base_url,
                "RASA_URL": self.rasa_url,
                "RASA_TOKEN": self.rasa_token,
                "UH_DATA_DIR": str(self.data),
                "STAFFED_HOURS": "always",
                "PYTHONPATH": str(REPO),
            }
        )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / "bot.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def ask(self, user_id: int, text: str, timeout: float = 60.0) -> tuple[float, str]:
        """Push a worker's message; wait for the bot's first reply. Returns (seconds, text)."""
        fake = self.fake
        user = fake.make_user(user_id)

        async def go() -> tuple[float, str]:
            before = len(fake.sent_to(user_id))
            t0 = time.perf_counter()
            fake.user_text(user, text)  # pushes the update to getUpdates
            await fake.wait_for(lambda: len(fake.sent_to(user_id)) > before, timeout=timeout)
            sent = fake.sent_to(user_id)[before:]
            return time.perf_counter() - t0, " ".join(str(m.get("text", "")) for m in sent)

        return self._call(go(), timeout + 5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.fake is not None:

            async def shutdown() -> None:
                await self.fake.stop()
                pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)

            try:
                self._call(shutdown(), 10)
            except Exception:  # noqa: BLE001 - best effort at shutdown
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _tree_pids(pid: int) -> list[int]:
    seen: list[int] = []
    todo = [pid]
    while todo and len(seen) < 200:
        p = todo.pop()
        if p not in seen:
            seen.append(p)
            todo.extend(_children(p))
    return seen


def tree_cpu_s(pid: int | None) -> float:
    """User + system CPU seconds used so far by a process and its live descendants."""
    if pid is None:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _tree_pids(pid):
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def machine() -> dict[str, str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "?", ""
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_gb:.0f} GiB",
        "python": sys.version.split()[0],
        "rasa": RASA_VERSION,
        "rasa_sdk": version("rasa-sdk"),
        "commit": commit + (" + uncommitted changes" if dirty else ""),
    }


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
