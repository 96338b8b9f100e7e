"""Start and stop the action server, the Rasa server and the staff console together.

One place knows how the processes are launched (ports, environment, quiet logs), so
`make serve`, `make run`, the integration tests and the benchmarks all run the same stack.

    python -m scripts.stack serve          # the servers in the foreground until Ctrl-C
    python -m scripts.stack run            # the servers + Telegram bot or terminal chat

``serve`` and ``run`` also start the staff console (``python -m console serve``, on
``UH_CONSOLE_HOST:UH_CONSOLE_PORT``) and print its address; ``--no-console`` leaves it out.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common import settings as config
from common.settings import Settings, SettingsError

REPO = config.REPO_ROOT
DEFAULT_MODEL = REPO / "models" / "union_helper.tar.gz"


def quiet_environment(verbose: bool, log_level: str) -> dict[str, str]:
    """Environment that keeps TensorFlow, SQLAlchemy and Sanic noise out of the logs.

    Telemetry is off because nothing here may reach the internet.
    """
    env = {
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    if not verbose:
        env.update(
            {
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "PYTHONWARNINGS": "ignore",
                "LOG_LEVEL_LIBRARIES": "ERROR",
                "LOG_LEVEL": log_level,
            }
        )
    return env


#: A field left to the settings: ``__post_init__`` fills it from ``Stack.settings``.
_FROM_SETTINGS: Any = object()


@dataclass
class Stack:
    """The action server and the Rasa server as two child processes.

    Every field an operator configures defaults to ``settings`` (by default
    :func:`common.settings.load` of this process's environment); an argument wins.
    """

    model: Path = DEFAULT_MODEL
    data: Path = _FROM_SETTINGS
    rasa_port: int = _FROM_SETTINGS
    action_port: int = _FROM_SETTINGS
    console_port: int = _FROM_SETTINGS
    token: str = _FROM_SETTINGS  # RASA_TOKEN, or a random one per start
    verbose: bool = _FROM_SETTINGS
    endpoints: Path = _FROM_SETTINGS
    extra_env: dict[str, str] = field(default_factory=dict)
    # Options for benchmarks and deployments; the defaults keep the behaviour above.
    # Sanic workers of the Rasa server (Rasa uses >1 only with a Redis or custom lock
    # store) and of the action server; None: SANIC_WORKERS from the environment, if any.
    rasa_workers: int | None = _FROM_SETTINGS
    action_workers: int | None = _FROM_SETTINGS
    # Another assistant's files (e.g. the stock `rasa init` project in the benchmarks).
    credentials: Path = REPO / "credentials.yml"
    cwd: Path = REPO
    with_actions: bool = True
    #: Also start the staff console (``make run`` / ``make serve``; tests start it themselves).
    with_console: bool = False
    #: Also start the retention task (``make run`` / ``make serve``): without it nothing ever
    #: deletes the conversations and tickets older than UH_RETENTION_DAYS.
    with_retention: bool = False
    # Environment for the Rasa server / the action server process only (after extra_env).
    rasa_env: dict[str, str] = field(default_factory=dict)
    action_env: dict[str, str] = field(default_factory=dict)
    settings: Settings = field(default_factory=config.load)
    #: What the children's environment starts from (default: this process's).
    base_env: Mapping[str, str] | None = None
    action_proc: subprocess.Popen | None = None
    rasa_proc: subprocess.Popen | None = None
    console_proc: subprocess.Popen | None = None
    retention_proc: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        defaults = {
            "data": self.settings.data_dir,
            "rasa_port": self.settings.rasa_port,
            "action_port": self.settings.action_port,
            "console_port": self.settings.console.port,
            "token": self.settings.rasa_token or secrets.token_urlsafe(24),
            "verbose": self.settings.verbose,
            "endpoints": self.settings.rasa_endpoints,
            "rasa_workers": self.settings.rasa_workers,
            "action_workers": self.settings.action_workers,
        }
        for name, value in defaults.items():
            if getattr(self, name) is _FROM_SETTINGS:
                setattr(self, name, value)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def console_url(self) -> str:
        host = self.settings.console.host
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.console_port}"

    @property
    def log_dir(self) -> Path:
        return self.data / "logs"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ if self.base_env is None else self.base_env)
        env.update(quiet_environment(self.verbose, self.settings.log_level))
        env.update(
            {
                "UH_DATA_DIR": str(self.data),
                "RASA_TOKEN": self.token,
                "RASA_URL": self.rasa_url,
                "ACTION_ENDPOINT_URL": f"{self.action_url}/webhook",
                # rasa-sdk binds 0.0.0.0 unless told otherwise; keep it on this machine.
                "SANIC_HOST": self.settings.action_host,
                # Sanic closes an idle keep-alive connection after 5 s, but Rasa's action
                # client (aiohttp) keeps idle connections for 15 s: under load Rasa reused
                # a connection the action server had just closed ("Cannot write to closing
                # transport") and the worker got an apology instead of an answer. A server
                # timeout longer than the client's leaves the closing to the client.
                "SANIC_KEEP_ALIVE_TIMEOUT": self.settings.sanic_keep_alive_timeout,
                # Sanic formats an access-log record for every request, although the
                # servers run with warnings only (docs/bench-ablation.md: ~2-3 ms of CPU a
                # turn). Verbose runs keep it; a SANIC_ACCESS_LOG that is set wins.
                "SANIC_ACCESS_LOG": self.settings.sanic_access_log or ("True" if self.verbose else "False"),
                "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
            }
        )
        # The embedded default keeps conversations in <data>/tracker.db. With another
        # tracker store (endpoints.production.yml: PostgreSQL) TRACKER_DB is that
        # database's name and comes from the environment, as the README's recipe says.
        if self.sqlite_tracker():
            env["TRACKER_DB"] = str(self.data / "tracker.db")
        env.update(self.extra_env)
        return env

    def _endpoints(self) -> dict | None:
        """The endpoints file as YAML (``${VAR}`` stays a plain string); None if unreadable."""
        try:
            data = yaml.safe_load(self.endpoints.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return None
        return data if isinstance(data, dict) else {}

    def shared_lock_store(self) -> bool:
        """Whether the endpoints file names a lock store several workers can share (Redis)."""
        lock = (self._endpoints() or {}).get("lock_store") or {}
        kind = str(lock.get("type", "")) if isinstance(lock, dict) else ""
        return kind == "redis" or kind.endswith("RedisLockStore")

    def check(self) -> None:
        """Refuse settings Rasa would silently ignore, with a message an operator can act on."""
        if (self.rasa_workers or 1) > 1 and not self.shared_lock_store():
            raise SystemExit(
                f"UH_RASA_WORKERS={self.rasa_workers} 需要 Redis 锁存储：请设置 RASA_ENDPOINTS=endpoints.redis.yml "
                f"和 REDIS_HOST/REDIS_PORT/REDIS_DB（现在的 {self.endpoints.name} 用内存锁，Rasa 只会启动 1 个进程）"
            )

    def sqlite_tracker(self) -> bool:
        """Whether the endpoints file keeps the tracker in SQLite (the embedded default)."""
        endpoints = self._endpoints()
        if endpoints is None:
            return True
        tracker = endpoints.get("tracker_store") or {}
        return isinstance(tracker, dict) and str(tracker.get("dialect", "")) == "sqlite"

    def _spawn(
        self,
        name: str,
        args: list[str],
        workers: int | None = None,
        env_extra: dict[str, str] | None = None,
        workers_variable: str = "SANIC_WORKERS",
    ) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")
        env = self.environment()
        env.update(env_extra or {})
        if workers is not None:
            env[workers_variable] = str(workers)
        return subprocess.Popen(
            args,
            cwd=self.cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_actions(self) -> None:
        level = "-v" if self.verbose else "--quiet"
        self.action_proc = self._spawn(
            "actions",
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(self.action_port), level],
            self.action_workers,
            self.action_env,
            workers_variable="ACTION_SERVER_SANIC_WORKERS",  # what rasa-sdk reads
        )

    def start_rasa(self) -> None:
        if not self.model.exists():
            raise SystemExit(f"找不到模型 {self.model}，请先运行 make train")
        level = ["-v"] if self.verbose else []
        self.rasa_proc = self._spawn(
            "rasa",
            [
                sys.executable,
                "-m",
                "rasa",
                "run",
                "--model",
                str(self.model),
                "--endpoints",
                str(self.endpoints),
                "--credentials",
                str(self.credentials),
                "--enable-api",
                "--auth-token",
                self.token,
                "-i",
                self.settings.rasa_host,
                "-p",
                str(self.rasa_port),
                *level,
            ],
            self.rasa_workers,
            self.rasa_env,
        )

    def start_console(self) -> None:
        """The staff console (its own process; it migrates its database on start)."""
        self.console_proc = self._spawn(
            "console", [sys.executable, "-m", "console", "serve", "--port", str(self.console_port)]
        )

    def start_retention(self) -> None:
        """The scheduled retention task (scripts/retention.py): a pass at start, then one every
        UH_RETENTION_EVERY_HOURS, each logged with its counts. Not started with
        UH_RETENTION_DAYS=0 (keep everything)."""
        if self.settings.retention_days > 0:
            self.retention_proc = self._spawn("retention", [sys.executable, "-m", "scripts.retention", "run"])

    def start(self, timeout: float = 240.0) -> Stack:
        self.check()
        self.data.mkdir(parents=True, exist_ok=True)
        if self.with_console:
            self.start_console()
        if self.with_actions:
            self.start_actions()
        self.start_rasa()
        self.wait_ready(timeout)
        if self.with_retention:  # after the servers: its first pass reads the stores they created
            self.start_retention()
        return self

    def wait_ready(self, timeout: float = 240.0) -> None:
        """Until every server this stack started answers; one that exits is an error."""
        servers = [
            (name, proc, ready)
            for name, proc, ready in (
                ("actions", self.action_proc, self.actions_ready),
                ("rasa", self.rasa_proc, self.rasa_ready),
                ("console", self.console_proc, self.console_ready),
            )
            if proc is not None
        ]
        if not servers:
            raise RuntimeError("no server of this stack was started")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc, _ in servers:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{name} server exited with {proc.returncode}; see {self.log_dir / (name + '.log')}"
                    )
            if all(ready() for _, _, ready in servers):
                return
            time.sleep(0.5)
        raise TimeoutError(f"servers not ready after {timeout:.0f}s; see {self.log_dir}")

    def actions_ready(self) -> bool:
        return _get_ok(f"{self.action_url}/health")

    def rasa_ready(self) -> bool:
        return _get_ok(f"{self.rasa_url}/status?token={self.token}")

    def console_ready(self) -> bool:
        return _get_ok(f"{self.console_url}/healthz")

    def stop_process(self, proc: subprocess.Popen | None, grace: float = 15.0) -> None:
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def stop(self) -> None:
        self.stop_process(self.retention_proc)
        self.stop_process(self.console_proc)
        self.stop_process(self.rasa_proc)
        self.stop_process(self.action_proc)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _get_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _front_end_commands(settings: Settings) -> list[list[str]]:
    """Telegram when ``TELEGRAM_TOKEN`` is set, WeChat when ``WECHAT_TOKEN`` is (both, side
    by side, when both are); the terminal chat when neither is."""
    commands = []
    if settings.telegram.token:
        commands.append([sys.executable, "-m", "bot"])
    if settings.wechat.enabled:
        commands.append([sys.executable, "-m", "wechat"])
    return commands or [[sys.executable, "-m", "bot.local_chat"]]


def _run_front_ends(commands: list[list[str]], env: dict[str, str]) -> int:
    """Start every front end; when one exits, stop the others and return its code."""
    procs = [subprocess.Popen(command, cwd=REPO, env=env) for command in commands]
    try:
        if len(procs) == 1:
            return procs[0].wait()
        while True:
            for proc in procs:
                code = proc.poll()
                if code is not None:
                    return code
            time.sleep(1)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()


def load_dotenv(path: Path = REPO / ".env", environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``environ`` (default: this process's environment) with the values of a .env file
    under it: a variable that is set wins, an empty value in the file sets nothing.

    Operators configure the bot by copying .env.example to .env; no shell tricks needed.
    Nothing is written to the process environment: the servers and the front end get the
    result as their environment (``Stack.base_env``).
    """
    return {**config.read_dotenv(path), **(os.environ if environ is None else environ)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="启动工会小助手的动作服务器和 Rasa 服务器")
    parser.add_argument("mode", choices=["serve", "run"], help="serve：只启动服务器；run：再加上聊天前端")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--no-console", action="store_true", help="不启动工作人员后台")
    args = parser.parse_args(argv)

    env = load_dotenv()
    try:
        settings = config.load(env)
    except SettingsError as error:
        raise SystemExit(str(error)) from None
    stack = Stack(
        model=args.model, settings=settings, base_env=env, with_console=not args.no_console, with_retention=True
    )
    print(f"正在启动服务器（日志在 {stack.log_dir}）…", flush=True)
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
        print(f"已就绪：Rasa {stack.rasa_url}/webhooks/rest/webhook ，动作服务器 {stack.action_url}", flush=True)
        if stack.console_proc is not None:
            print(
                f"工作人员后台：{stack.console_url}/ （第一次用先建管理员：make console-admin NAME=登录名）", flush=True
            )
        if args.mode == "serve":
            while True:
                servers = (
                    ("动作服务器", stack.action_proc),
                    ("Rasa 服务器", stack.rasa_proc),
                    ("工作人员后台", stack.console_proc),
                    ("过期数据清理", stack.retention_proc),
                )
                for name, proc in servers:
                    if proc is not None and proc.poll() is not None:
                        print(f"{name}意外退出（{proc.returncode}），请查看 {stack.log_dir}", flush=True)
                        return 1
                time.sleep(1)
        if settings.wechat.enabled:
            print(
                f"微信公众号前端：http://{settings.wechat.host}:{settings.wechat.port}/wechat"
                "（在反向代理后面用 HTTPS 对外）",
                flush=True,
            )
        return _run_front_ends(_front_end_commands(settings), stack.environment())
    except KeyboardInterrupt:
        return 0
    finally:
        print("正在停止服务器…", flush=True)
        stack.stop()
        print("已停止。", flush=True)


if __name__ == "__main__":
    sys.exit(main())
