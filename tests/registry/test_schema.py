"""Creating, re-opening and migrating the registrations database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database

from registry import enroll, open_registry, registry, registry_path, save_worker
from registry.database import MIGRATIONS, TransactionInProgress, write_transaction
from tests.registry.helpers import REPO, child_env, register

TABLES = {
    "workers",
    "courses",
    "enrollments",
    "reading_teams",
    "team_members",
    "applications",
    "sequences",
    "stats",
}
ALL_MIGRATIONS = ["0001_tables", "0002_indexes", "0003_notifications"]


def test_new_database_has_the_explicit_schema(db: Database) -> None:
    assert TABLES <= set(db.table_names())
    assert db["workers"].pks == ["sender_id"]
    assert db["enrollments"].pks == ["enrollment_no"]
    assert db["team_members"].pks == ["team_id", "sender_id"]
    assert db["stats"].pks == ["metric", "key"]
    assert db["workers"].columns_dict == {
        "sender_id": str,
        "name": str,
        "phone": str,
        "employer": str,
        "district": str,
        "union_member": int,
        "created_at": str,
        "updated_at": str,
    }
    foreign = {(fk.table, fk.column, fk.other_table) for t in TABLES for fk in db[t].foreign_keys}
    assert foreign == {
        ("enrollments", "sender_id", "workers"),
        ("enrollments", "course_id", "courses"),
        ("team_members", "team_id", "reading_teams"),
        ("team_members", "sender_id", "workers"),
        ("applications", "sender_id", "workers"),
    }
    indexes = {i.name for t in TABLES for i in db[t].indexes}
    assert {
        "enrollments_one_active",
        "enrollments_by_course",
        "applications_by_status",
        "applications_one_live_per_certificate",
    } <= indexes


def test_connection_settings(db: Database) -> None:
    assert db.journal_mode == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_opening_twice_is_idempotent_and_keeps_data(db_path: Path) -> None:
    first = open_registry(db_path)
    register(first, "tg-1")
    applied = [(m.name, m.applied_at) for m in MIGRATIONS.applied(first)]
    schema = first.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    first.close()

    second = open_registry(db_path)
    assert [(m.name, m.applied_at) for m in MIGRATIONS.applied(second)] == applied
    assert [name for name, _ in applied] == ALL_MIGRATIONS
    assert second.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema
    assert second["workers"].count == 1
    second.close()


def test_an_older_database_is_migrated_on_open(db_path: Path) -> None:
    old = Database(db_path)
    MIGRATIONS.apply(old, stop_before="0002_indexes")
    old["workers"].insert(
        {
            "sender_id": "tg-old",
            "name": "老职工",
            "phone": "13812345678",
            "union_member": 1,
            "created_at": "2025-01-01T00:00:00+08:00",
            "updated_at": "2025-01-01T00:00:00+08:00",
        }
    )
    assert "enrollments_one_active" not in {i.name for i in old["enrollments"].indexes}
    old.close()

    db = open_registry(db_path)
    assert [m.name for m in MIGRATIONS.applied(db)] == ALL_MIGRATIONS
    assert "enrollments_one_active" in {i.name for i in db["enrollments"].indexes}
    assert db["workers"].get("tg-old")["name"] == "老职工"
    db.close()


def test_default_path_comes_from_uh_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path / "data"))
    assert registry_path() == tmp_path / "data" / "registry.db"
    with registry() as db:
        register(db, "tg-1")
    assert (tmp_path / "data" / "registry.db").exists()
    monkeypatch.delenv("UH_DATA_DIR")
    assert registry_path() == REPO / "var" / "registry.db"


def test_check_constraints_guard_statuses(db: Database) -> None:
    register(db, "tg-1")
    number = enroll(db, "tg-1", "c1", "课程", 5).number
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE enrollments SET status = 'maybe' WHERE enrollment_no = ?", [number])
    with pytest.raises(sqlite3.IntegrityError):  # foreign key: no such worker
        db.execute(
            "INSERT INTO enrollments (enrollment_no, sender_id, course_id, course_name, status,"
            " queue_no, created_at, updated_at) VALUES ('X', 'nobody', 'c1', 'c', 'enrolled',"
            " 99, 'now', 'now')"
        )
    with pytest.raises(sqlite3.IntegrityError):  # a second active enrollment
        db.execute(
            "INSERT INTO enrollments (enrollment_no, sender_id, course_id, course_name, status,"
            " queue_no, created_at, updated_at) VALUES ('Y', 'tg-1', 'c1', 'c', 'waitlisted',"
            " 98, 'now', 'now')"
        )


def test_write_transaction_rolls_back_and_refuses_nesting(db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with write_transaction(db):
            save_worker_row = "INSERT INTO stats (metric, key, count) VALUES ('t', 'k', 1)"
            db.execute(save_worker_row)
            raise RuntimeError("boom")
    assert db["stats"].count == 0
    assert not db.conn.in_transaction
    with write_transaction(db):
        with pytest.raises(TransactionInProgress):
            with write_transaction(db):
                pass
    with pytest.raises(TransactionInProgress):
        with write_transaction(db):
            save_worker(db, "tg-x", name="张三", phone="13812345678")


def test_many_processes_opening_a_new_file_at_once(tmp_path: Path) -> None:
    """Several processes creating the database together: one migrates, none fails."""
    path = tmp_path / "fresh.db"
    code = (
        "import sys; from registry import open_registry;"
        "sys.stdin.readline(); db = open_registry(sys.argv[1]); print('ok'); db.close()"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path)],
            cwd=REPO,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outcomes = [proc.communicate(timeout=120) for proc in procs]
    assert [out.strip() for out, _ in outcomes] == ["ok"] * 8, [err for _, err in outcomes]
    db = open_registry(path)
    assert [m.name for m in MIGRATIONS.applied(db)] == ALL_MIGRATIONS
    db.close()
