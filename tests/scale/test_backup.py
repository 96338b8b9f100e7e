"""Backups and restore of every store (issue #17, item 5), end to end.

* SQLite (every test run): a backup taken with SQLite's online backup API while a writer
  keeps signing workers up, verified, restored onto a fresh data directory — every
  sign-up, application and ticket there, nothing torn; and (``-m slow``) a real bot started
  on the restored directory answers the worker's "我的报名" with their enrollment.
* PostgreSQL (``make test-scale``): ``pg_dump`` of one snapshot while the writer runs,
  restored into a fresh database with exactly the rows of that snapshot.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from bot.db import open_db
from common.clock import CHINA_TZ, FixedClock
from handoff import export_sender
from rasa_ext.purge import export_conversation
from registry import (
    consistency_problems,
    enroll,
    export_worker_data,
    get_enrollment,
    open_registry,
    save_worker,
)
from scripts.backup import BackupError, Places, create, restore, verify
from tests.scale.postgres import postgres_server, postgres_url
from tests.scale.stores import fill
from tests.support import REPO, RestChat, stack_on_free_ports

__all__ = ["postgres_server", "postgres_url"]

CLOCK = FixedClock(datetime(2026, 11, 16, 10, 0, tzinfo=CHINA_TZ))
SENDER = "tg-8080"


class Writer:
    """Sign-ups going on while the backup is taken (an online backup)."""

    def __init__(self, registry_url: str) -> None:
        self.url = registry_url
        self.stop = threading.Event()
        self.done = 0
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        with open_registry(self.url) as db:
            while not self.stop.is_set():
                sender = f"tg-w{self.done}"
                save_worker(db, sender, name="在线职工", phone=f"139{self.done:08d}", clock=CLOCK)
                enroll(db, sender, "c-online", "在线课程", capacity=5, clock=CLOCK)
                self.done += 1

    def wait_for(self, count: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while self.done < count:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the writer got stuck"
            time.sleep(0.01)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(60)


def _sqlite_places(data_dir: Path, knowledge: Path | None = None) -> Places:
    return Places(data_dir, None, knowledge or REPO / "knowledge")


def _urls(data_dir: Path) -> tuple[str, str, str]:
    return tuple(f"sqlite:///{data_dir / name}" for name in ("registry.db", "handoff.db", "tracker.db"))  # type: ignore[return-value]


def test_a_sqlite_backup_taken_while_writing_restores_everything(tmp_path: Path) -> None:
    source = tmp_path / "var"
    registry_url, handoff_url, tracker_url = _urls(source)
    filled = fill(registry_url, handoff_url, tracker_url, SENDER, CLOCK)
    with Writer(registry_url) as writer:
        writer.wait_for(20)  # well under way
        manifest = create(_sqlite_places(source), tmp_path / "backup")
    assert set(manifest["files"]) >= {"registry.db", "handoff.db", "tracker.db", "knowledge/courses.yml"}
    assert verify(tmp_path / "backup") == manifest

    fresh = tmp_path / "restored"
    restore(tmp_path / "backup", _sqlite_places(fresh))
    registry_copy, handoff_copy, tracker_copy = _urls(fresh)
    with open_registry(registry_copy) as db:
        assert get_enrollment(db, filled.enrollment_no).sender_id == SENDER
        data = export_worker_data(db, SENDER)
        assert [a["application_no"] for a in data["subsidy_applications"]] == [filled.application_no]
        assert consistency_problems(db) == []  # a consistent image, though taken mid-write
        copied = db.scalar("SELECT COUNT(*) FROM enrollments WHERE course_id = 'c-online'")
        assert 20 <= copied <= writer.done
    with open_db(handoff_copy) as db:
        (ticket,) = export_sender(db, SENDER)["tickets"]
        assert ticket["id"] == filled.ticket_id and len(ticket["messages"]) == 2
    assert [e["text"] for e in export_conversation(tracker_copy, SENDER)][0] == "我想报名PLC"


def test_restore_never_overwrites_and_a_damaged_backup_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "var"
    fill(*_urls(source), SENDER, CLOCK)
    create(_sqlite_places(source), tmp_path / "backup")
    with pytest.raises(BackupError, match="不会覆盖"):
        restore(tmp_path / "backup", _sqlite_places(source))
    with pytest.raises(BackupError, match="不是空的"):
        create(_sqlite_places(source), tmp_path / "backup")
    with (tmp_path / "backup" / "registry.db").open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xff" * 64)
    with pytest.raises(BackupError, match="已损坏"):
        verify(tmp_path / "backup")


def test_the_command_line_makes_and_restores_a_backup(tmp_path: Path) -> None:
    source = tmp_path / "var"
    fill(*_urls(source), SENDER, CLOCK)
    env = {"UH_DATA_DIR": str(source), "UH_KNOWLEDGE_DIR": str(REPO / "knowledge"), "PYTHONPATH": str(REPO)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scripts.backup", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    made = cli("create", str(tmp_path / "b"))
    assert made.returncode == 0 and "备份完成" in made.stdout, made.stderr
    checked = cli("verify", str(tmp_path / "b"))
    assert checked.returncode == 0 and "enrollments 1 行" in checked.stdout
    restored = cli("restore", str(tmp_path / "b"), "--data-dir", str(tmp_path / "new"))
    assert restored.returncode == 0 and "恢复完成" in restored.stdout, restored.stderr
    again = cli("restore", str(tmp_path / "b"), "--data-dir", str(tmp_path / "new"))
    assert again.returncode == 1 and "不会覆盖" in again.stderr


@pytest.mark.scale
def test_a_postgres_backup_of_one_snapshot_restores_onto_a_fresh_database(postgres_server, tmp_path: Path) -> None:
    name = f"src_{uuid.uuid4().hex[:8]}"
    url = postgres_server.create_database(name)
    fresh_name = f"dst_{uuid.uuid4().hex[:8]}"
    fresh = postgres_server.create_database(fresh_name)
    try:
        filled = fill(url, url, url, SENDER, CLOCK)
        places = Places(tmp_path / "var", url, REPO / "knowledge")
        with Writer(url) as writer:
            writer.wait_for(20)
            manifest = create(places, tmp_path / "backup")
        assert "union_helper.dump" in manifest["files"]
        restore(tmp_path / "backup", Places(tmp_path / "restored", fresh, REPO / "knowledge"))
        with open_registry(fresh) as db:
            assert get_enrollment(db, filled.enrollment_no).sender_id == SENDER
            assert consistency_problems(db) == []
            # exactly the snapshot's rows (the writer went on after it)
            assert db.scalar("SELECT COUNT(*) FROM enrollments") == manifest["tables"]["postgresql"]["enrollments"]
            number = enroll(db, SENDER, "c-after", "恢复后的课程", capacity=1, clock=CLOCK).number
            assert number  # the restored database takes new sign-ups (sequences restored)
        with open_db(fresh) as db:
            assert export_sender(db, SENDER)["tickets"][0]["id"] == filled.ticket_id
        assert len(export_conversation(fresh, SENDER)) == 3
        with pytest.raises(BackupError, match="不是空的"):
            restore(tmp_path / "backup", Places(tmp_path / "again", fresh, REPO / "knowledge"))
    finally:
        from common.database import dispose_engines

        dispose_engines()
        postgres_server.drop_database(name)
        postgres_server.drop_database(fresh_name)


@pytest.mark.slow
def test_a_bot_started_on_the_restored_directory_knows_the_worker(tmp_path: Path) -> None:
    """The whole way: a backup restored onto a fresh data directory is a working bot."""
    stack = stack_on_free_ports(tmp_path / "stack", "backup-token")
    source = tmp_path / "source"
    filled = fill(*_urls(source), SENDER, CLOCK)
    create(_sqlite_places(source), tmp_path / "backup")
    restore(tmp_path / "backup", _sqlite_places(stack.data))
    with stack:
        answer = RestChat(stack.rasa_url, SENDER).say("我的报名")
    assert filled.enrollment_no in answer, answer
    assert filled.application_no in answer, answer
