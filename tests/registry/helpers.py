"""Helpers shared by the registry tests (importable as ``tests.registry.helpers``)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlite_utils import Database

from registry import save_worker
from tests.support import TODAY

__all__ = ["REPO", "TODAY", "child_env", "phone_for", "refuse_commits", "register", "rows", "run_cli"]

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


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m registry ARGS`` with UH_DATA_DIR=data_dir."""
    return subprocess.run(
        [sys.executable, "-m", "registry", *args],
        cwd=REPO,
        env=child_env(data_dir),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def rows(db: Database, sql: str, params: list[object] | None = None) -> list[dict]:
    return list(db.query(sql, params or []))


def refuse_commits(db: Database) -> None:
    """Make every COMMIT on this connection fail, as a power cut after the last write
    would: SQLite asks the authorizer before it runs a statement, and a refused COMMIT
    leaves the transaction to be rolled back. Use a connection of its own (the authorizer
    cannot be taken off again on Python 3.10)."""

    def authorize(action: int, arg1: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_TRANSACTION and arg1 == "COMMIT":
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    db.conn.set_authorizer(authorize)
