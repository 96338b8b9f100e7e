"""Replicas of every process on this machine, the way a scaled-out deployment runs them:
PostgreSQL and Redis (``scripts.scale_services``), N Rasa replicas (``endpoints.production.yml``),
M action servers behind a load balancer (``scripts.balancer``), and a balancer in front of the
Rasa replicas for the front ends — every store in the one database (``UH_DATABASE_URL``).

Used by ``make load --replicas 2`` and ``make chaos``; each process can be SIGKILLed and
started again (:meth:`Deployment.kill`, :meth:`Deployment.restart`)::

    with Deployment(root, replicas=2, action_servers=2) as deployment:
        deployment.rasa_url        # the balancer over the replicas
        deployment.kill("rasa", 0); deployment.restart("rasa", 0)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scripts.scale_services import ScaleServices, free_port
from scripts.stack import DEFAULT_MODEL, REPO, Stack

KINDS = ("rasa", "actions", "frontend", "console")


def http_ok(url: str) -> bool:
    """Whether ``url`` answers 200 (a readiness probe)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until(ready: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``ready`` until it is true; TimeoutError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(0.2)


def start_balancer(log_dir: Path, port: int, backends: list[str], down_for: float = 3.0) -> subprocess.Popen:
    """``python -m scripts.balancer`` on 127.0.0.1:``port``, waited for."""
    args = [sys.executable, "-m", "scripts.balancer", "--listen", f"127.0.0.1:{port}", "--down-for", str(down_for)]
    for backend in backends:
        args += ["--backend", backend]
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / f"balancer-{port}.log", "ab")
    proc = subprocess.Popen(args, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/_balancer"), 60, "balancer")
    return proc


def stop_process(proc: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """Signal ``proc``'s process group (``sig``, SIGTERM by default) and wait; SIGKILL if it
    does not end within 30 s."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


@dataclass
class Deployment:
    root: Path
    model: Path = DEFAULT_MODEL
    replicas: int = 2
    action_servers: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    token: str = "replicas-token"
    services: ScaleServices | None = None
    rasa: list[Stack] = field(default_factory=list)
    actions: list[Stack] = field(default_factory=list)
    action_balancer: subprocess.Popen | None = None
    rasa_balancer: subprocess.Popen | None = None
    action_balancer_port: int = field(default_factory=free_port)
    rasa_balancer_port: int = field(default_factory=free_port)

    @property
    def database_url(self) -> str:
        assert self.services is not None
        return self.services.database_url()

    @property
    def rasa_url(self) -> str:
        """The balancer in front of the Rasa replicas (what front ends are given)."""
        return f"http://127.0.0.1:{self.rasa_balancer_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_balancer_port}"

    def environment(self) -> dict[str, str]:
        assert self.services is not None
        return {
            **self.services.environment(),
            **self.extra_env,
            "ACTION_ENDPOINT_URL": f"{self.action_url}/webhook",
        }

    def start(self, timeout: float = 900.0) -> Deployment:
        self.root.mkdir(parents=True, exist_ok=True)
        self.services = ScaleServices().start()
        try:
            env = self.environment()
            endpoints = REPO / "endpoints.production.yml"
            self.actions = [
                Stack(
                    model=self.model,
                    data=self.root / f"actions{i}",
                    action_port=free_port(),
                    rasa_port=free_port(),
                    token=self.token,
                    endpoints=endpoints,
                    extra_env=env,
                )
                for i in range(self.action_servers)
            ]
            self.rasa = [
                Stack(
                    model=self.model,
                    data=self.root / f"rasa{i}",
                    rasa_port=free_port(),
                    action_port=self.action_balancer_port,
                    token=self.token,
                    endpoints=endpoints,
                    with_actions=False,
                    extra_env=env,
                )
                for i in range(self.replicas)
            ]
            for stack in (*self.actions, *self.rasa):
                stack.data.mkdir(parents=True, exist_ok=True)
            for stack in self.actions:
                stack.start_actions()
            for stack in self.actions:
                wait_until(stack.actions_ready, 120, "action server")
            self.action_balancer = start_balancer(
                self.root, self.action_balancer_port, [s.action_url for s in self.actions]
            )
            for stack in self.rasa:
                stack.start_rasa()
            started = time.monotonic()
            for stack in self.rasa:
                stack.wait_ready(timeout=max(60.0, timeout - (time.monotonic() - started)))
            self.rasa_balancer = start_balancer(self.root, self.rasa_balancer_port, [s.rasa_url for s in self.rasa])
        except BaseException:
            self.stop()
            raise
        return self

    def process(self, kind: str, index: int) -> subprocess.Popen | None:
        if kind == "rasa":
            return self.rasa[index].rasa_proc
        if kind == "actions":
            return self.actions[index].action_proc
        raise ValueError(f"not a process of the deployment: {kind}")

    def kill(self, kind: str, index: int) -> None:
        """SIGKILL one process (no clean-up, no goodbye)."""
        proc = self.process(kind, index)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)

    def restart(self, kind: str, index: int, timeout: float = 600.0) -> None:
        self.kill(kind, index)
        if kind == "rasa":
            self.rasa[index].start_rasa()
            self.rasa[index].wait_ready(timeout=timeout)
        else:
            self.actions[index].start_actions()
            wait_until(self.actions[index].actions_ready, 120, "action server")

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self._procs().items()}

    def alive(self) -> dict[str, bool]:
        return {name: proc.poll() is None for name, proc in self._procs().items()}

    def _procs(self) -> dict[str, subprocess.Popen]:
        procs: dict[str, subprocess.Popen] = {}
        for i, stack in enumerate(self.rasa):
            if stack.rasa_proc is not None:
                procs[f"rasa{i}"] = stack.rasa_proc
        for i, stack in enumerate(self.actions):
            if stack.action_proc is not None:
                procs[f"actions{i}"] = stack.action_proc
        return procs

    def stop(self) -> None:
        stop_process(self.rasa_balancer)
        for stack in self.rasa:
            stack.stop()
        stop_process(self.action_balancer)
        for stack in self.actions:
            stack.stop()
        if self.services is not None:
            self.services.stop()

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
