"""Creating, re-opening and migrating the registrations database, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

from common.database import Database as Store
from registry import Database, enroll, open_registry, registry, registry_path, save_worker
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
    "notifications",
}
ALL_MIGRATIONS = ["0001_tables", "0002_indexes", "0003_notifications", "0004_outbox_claims", "0005_office_capacity"]
INTEGRITY = (sqlite3.IntegrityError, psycopg2.IntegrityError)


def test_new_database_has_the_explicit_schema(db: Database) -> None:
    assert TABLES <= set(db.table_names())
    inspector = sa.inspect(db.engine)
    pks = {t: inspector.get_pk_constraint(t)["constrained_columns"] for t in ("workers", "enrollments", "team_members")}
    assert pks == {"workers": ["sender_id"], "enrollments": ["enrollment_no"], "team_members": ["team_id", "sender_id"]}
    assert [c["name"] for c in sa.inspect(db.engine).get_columns("workers")] == [
        "sender_id",
        "name",
        "phone",
        "employer",
        "district",
        "union_member",
        "created_at",
        "updated_at",
    ]
    foreign = {
        (t, fk["constrained_columns"][0], fk["referred_table"]) for t in TABLES for fk in inspector.get_foreign_keys(t)
    }
    assert foreign == {
        ("enrollments", "sender_id", "workers"),
        ("enrollments", "course_id", "courses"),
        ("team_members", "team_id", "reading_teams"),
        ("team_members", "sender_id", "workers"),
        ("applications", "sender_id", "workers"),
    }
    indexes = {i["name"] for t in TABLES for i in inspector.get_indexes(t)}
    assert {
        "enrollments_one_active",
        "enrollments_by_course",
        "applications_by_status",
        "applications_one_live_per_certificate",
        "notifications_queue",
    } <= indexes
    outbox = {c["name"] for c in inspector.get_columns("notifications")}
    assert {"claimed_by", "claimed_until", "attempts", "next_attempt_at", "last_error", "failed_at"} <= outbox


def test_sqlite_connection_settings(sqlite_db: Database) -> None:
    assert sqlite_db.scalar("PRAGMA journal_mode") == "wal"
    assert sqlite_db.scalar("PRAGMA foreign_keys") == 1
    assert sqlite_db.scalar("PRAGMA secure_delete") == 1
    assert sqlite_db.scalar("PRAGMA busy_timeout") >= 5000


def test_opening_twice_is_idempotent_and_keeps_data(store_url: str) -> None:
    first = open_registry(store_url)
    register(first, "tg-1")
    applied = MIGRATIONS.applied(first)
    first.close()

    second = open_registry(store_url)
    assert MIGRATIONS.applied(second) == applied == ALL_MIGRATIONS
    assert MIGRATIONS.apply(second) == []
    assert second["workers"].count == 1
    second.close()


def test_a_file_of_the_previous_release_is_migrated_on_open(db_path: Path) -> None:
    """Before this store layer, sqlite-utils recorded the migrations in _sqlite_migrations."""
    old = Store(f"sqlite:///{db_path}")
    MIGRATIONS.apply(old, stop_before="0004_outbox_claims")
    with old.transaction():
        old.execute("CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT)")
        for name in ALL_MIGRATIONS[:3]:
            old.execute(
                "INSERT INTO _sqlite_migrations VALUES ('union_helper_registry', :name, '2026-01-01')", {"name": name}
            )
        old.execute("DROP TABLE uh_migrations")
        old.execute(
            "INSERT INTO workers (sender_id, name, phone, union_member, created_at, updated_at) "
            "VALUES ('tg-old', '老职工', '13812345678', 1, '2025-01-01T00:00:00+08:00', '2025-01-01T00:00:00+08:00')"
        )
        old.execute("INSERT INTO notifications (sender_id, text, created_at) VALUES ('tg-old', '旧消息', '2025-01-01')")
    assert MIGRATIONS.pending(old) == ["0004_outbox_claims", "0005_office_capacity"]

    db = open_registry(db_path)
    assert MIGRATIONS.applied(db)[-1] == "0005_office_capacity" and not MIGRATIONS.pending(db)
    assert db.one("SELECT name FROM workers WHERE sender_id = 'tg-old'") == {"name": "老职工"}
    assert db.one("SELECT text, attempts, claimed_by FROM notifications") == {
        "text": "旧消息",
        "attempts": 0,
        "claimed_by": None,
    }
    db.close()


def test_default_location_comes_from_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UH_DATABASE_URL", raising=False)
    assert registry_path() == tmp_path / "data" / "registry.db"
    with registry() as db:
        register(db, "tg-1")
    assert (tmp_path / "data" / "registry.db").exists()
    monkeypatch.delenv("UH_DATA_DIR")
    assert registry_path() == REPO / "var" / "registry.db"


def test_the_settings_registry_file_stands_for_the_configured_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from registry import registry_url

    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("UH_DATABASE_URL", "postgresql://u:p@127.0.0.1:1/x")
    assert registry_url() == "postgresql://u:p@127.0.0.1:1/x"
    assert registry_url(tmp_path / "registry.db") == "postgresql://u:p@127.0.0.1:1/x"  # knowledge passes this
    assert registry_url(tmp_path / "backup.db") == f"sqlite:///{tmp_path / 'backup.db'}"  # any other file


def test_check_constraints_guard_statuses(db: Database) -> None:
    register(db, "tg-1")
    number = enroll(db, "tg-1", "c1", "课程", 5).number
    with pytest.raises(INTEGRITY):
        db.execute("UPDATE enrollments SET status = 'maybe' WHERE enrollment_no = :n", {"n": number})
    with pytest.raises(INTEGRITY):  # foreign key: no such worker
        db.execute(
            "INSERT INTO enrollments (enrollment_no, sender_id, course_id, course_name, status,"
            " queue_no, created_at, updated_at) VALUES ('X', 'nobody', 'c1', 'c', 'enrolled',"
            " 99, 'now', 'now')"
        )
    with pytest.raises(INTEGRITY):  # a second active enrollment
        db.execute(
            "INSERT INTO enrollments (enrollment_no, sender_id, course_id, course_name, status,"
            " queue_no, created_at, updated_at) VALUES ('Y', 'tg-1', 'c1', 'c', 'waitlisted',"
            " 98, 'now', 'now')"
        )
    with pytest.raises(INTEGRITY):  # team ids are district:… or employer:…
        db.execute("INSERT INTO reading_teams (team_id, display_name, created_at) VALUES ('club', 'x', 'now')")


def test_write_transaction_rolls_back_and_refuses_nesting(db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with write_transaction(db):
            db.execute("INSERT INTO stats (metric, key, count) VALUES ('t', 'k', 1)")
            raise RuntimeError("boom")
    assert db["stats"].count == 0
    assert not db.in_transaction
    with write_transaction(db):
        with pytest.raises(TransactionInProgress):
            with write_transaction(db):
                pass
    with pytest.raises(TransactionInProgress):
        with write_transaction(db):
            save_worker(db, "tg-x", name="张三", phone="13812345678")


def test_many_processes_opening_a_new_store_at_once(store_url: str, tmp_path: Path) -> None:
    """Several processes creating the database together: one migrates, none fails."""
    if store_url.startswith("sqlite"):
        store_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code = (
        "import sys; from registry import open_registry;"
        "sys.stdin.readline(); db = open_registry(sys.argv[1]); print('ok'); db.close()"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, store_url],
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
    db = open_registry(store_url)
    assert MIGRATIONS.applied(db) == ALL_MIGRATIONS
    db.close()
