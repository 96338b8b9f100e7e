"""Telegram front ends as real processes (``python -m bot`` in webhook mode) for the
scale-out tests and ``make chaos`` (importable as ``tests.scale.front_ends``).

The fake Bot API (``tests.bot.fake_bot_api``) plays Telegram and the load balancer in front
of the front ends: it POSTs each update to them in turn, and to the next one when one does
not answer (a killed front end).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from scripts.replicas import http_ok
from scripts.stack import REPO, quiet_environment
from tests.support import free_port

TOKEN = "123456:SCALE-TOKEN"
SECRET = "scale-webhook-secret"
OPS_CHAT = -1001234567890
OPERATOR = 7001


@dataclass
class FrontEnd:
    """One ``python -m bot`` process, webhook mode, on the shared store."""

    name: str
    root: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tg/{self.name}"

    @property
    def log(self) -> Path:
        return self.root / f"frontend-{self.name}.log"

    def start(self, timeout: float = 60.0) -> FrontEnd:
        env = {
            **os.environ,
            **quiet_environment(False, "INFO"),
            **self.env,
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_WEBHOOK_URL": f"https://bot.example.org/tg/{self.name}",
            "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
            "TELEGRAM_WEBHOOK_PORT": str(self.port),
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "UH_INSTANCE": f"fe-{self.name}",
            "UH_DATA_DIR": str(self.root / self.name),
            "PYTHONPATH": str(REPO),
        }
        log = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not http_ok(f"http://127.0.0.1:{self.port}/healthz"):
            if self.proc.poll() is not None:
                raise RuntimeError(f"front end {self.name} exited; see {self.log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"front end {self.name} not up; see {self.log}")
            time.sleep(0.2)
        return self

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL: no goodbye, nothing flushed."""
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def front_end_env(
    telegram_base_url: str, rasa_url: str, token: str, database_url: str, knowledge: Path
) -> dict[str, str]:
    """What every front end of a scaled-out deployment is configured with."""
    return {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": telegram_base_url,
        "TELEGRAM_OPERATOR_CHAT_ID": str(OPS_CHAT),
        "STAFFED_HOURS": "always",
        "RASA_URL": rasa_url,
        "RASA_TOKEN": token,
        "RASA_TIMEOUT": "30",
        "UH_DATABASE_URL": database_url,
        "UH_KNOWLEDGE_DIR": str(knowledge),
    }
