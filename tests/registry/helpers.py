"""Helpers shared by the registry tests (importable as ``tests.registry.helpers``)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event

from registry import Database, save_worker
from tests.support import TODAY

__all__ = [
    "REPO",
    "TODAY",
    "child_env",
    "commits_fail",
    "phone_for",
    "register",
    "rows",
    "run_cli",
]

REPO = Path(__file__).resolve().parents[2]


def phone_for(i: int) -> str:
    """A distinct valid mobile number per index: 13800000000 + i."""
    return f"138{i:08d}"


def register(db: Database, *sender_ids: str) -> None:
    """Give each sender a valid profile (enrolling needs one)."""
    for i, sender_id in enumerate(sender_ids):
        save_worker(
            db,
            sender_id,
            name=f"职工{chr(0x4E00 + i)}",
            phone=phone_for(i),
            employer="宁波测试有限公司",
            district="海曙区",
        )


def child_env(data_dir: Path | None = None) -> dict[str, str]:
    """Environment for a subprocess importing `actions` from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONIOENCODING"] = "utf-8"
    if data_dir is not None:
        env["UH_DATA_DIR"] = str(data_dir)
    return env


def run_cli(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m registry ARGS`` with UH_DATA_DIR=data_dir (and ``env`` on top)."""
    return subprocess.run(
        [sys.executable, "-m", "registry", *args],
        cwd=REPO,
        env={**child_env(data_dir), **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def rows(db: Database, sql: str, params: dict[str, Any] | None = None) -> list[dict]:
    return db.query(sql, params or {})


class CommitRefused(Exception):
    """What a refused COMMIT raises in these tests (a power cut after the last write)."""


@contextlib.contextmanager
def commits_fail(db: Database) -> Iterator[None]:
    """While inside: every COMMIT this thread makes on ``db``'s store fails after all the
    transaction's writes, as a power cut would; the transaction is rolled back. On SQLite
    and PostgreSQL alike (an engine event, before the driver's commit)."""
    me = threading.get_ident()

    def refuse(conn: Any) -> None:
        if threading.get_ident() == me:
            raise CommitRefused("COMMIT refused by the test")

    event.listen(db.engine, "commit", refuse)
    try:
        yield
    finally:
        event.remove(db.engine, "commit", refuse)
