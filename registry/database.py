"""The registrations database: where it lives, its schema, and how to write to it safely.

One SQLite file, ``$UH_DATA_DIR/registry.db``. :func:`open_registry` opens it (creating
and migrating it as needed) in WAL mode with a busy timeout and foreign keys on. Every
change of more than one row runs inside :func:`write_transaction`, a ``BEGIN IMMEDIATE``
transaction: the write lock is taken before anything is read, so two processes can never
both see the last free seat, and a crash leaves nothing half-written.

A ``Database`` (one SQLite connection) must not be used by two threads or tasks at the
same time; open one per request (:func:`registry`) or per worker thread. Others who only
look (the knowledge validator) use :func:`registry_read_only`, which never creates,
migrates or locks the file.

Every ``*_at`` column is written by :func:`now` from a :class:`common.clock.Clock`: the
writing functions take ``clock=`` (default: the settings' clock, so ``UH_TODAY`` moves a
test stack's registry to the same day as everything else).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from common import settings
from common.clock import Clock, default_clock, stamp

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "MIGRATIONS",
    "TransactionInProgress",
    "now",
    "open_registry",
    "registry",
    "registry_path",
    "registry_read_only",
    "write_transaction",
]

BUSY_TIMEOUT_SECONDS = 30.0
#: A read-only look gives up sooner: the caller treats "unreadable" as "nothing there".
READ_ONLY_TIMEOUT_SECONDS = 5.0


def now(clock: Clock | None = None) -> str:
    """The time as stored in every ``*_at`` column: ISO 8601 with +08:00."""
    return stamp(clock or default_clock())


def registry_path() -> Path:
    """Where the settings put the registry (``$UH_DATA_DIR/registry.db``).

    Asked on every call, so tests can point it at a temporary directory.
    """
    return settings.load().registry_db


# ---------------------------------------------------------------- schema

MIGRATIONS = Migrations("union_helper_registry")


@MIGRATIONS(name="0001_tables")
def _create_tables(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE workers (
            sender_id     TEXT PRIMARY KEY,
            name          TEXT NOT NULL,
            phone         TEXT NOT NULL,
            employer      TEXT,
            district      TEXT,
            union_member  INTEGER NOT NULL DEFAULT 0 CHECK (union_member IN (0, 1)),
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL
        );

        -- Courses as last seen by an enrollment (the knowledge base owns the catalogue;
        -- the name and capacity here are refreshed on every enroll call).
        CREATE TABLE courses (
            course_id     TEXT PRIMARY KEY,
            course_name   TEXT NOT NULL,
            capacity      INTEGER CHECK (capacity IS NULL OR capacity >= 0),
            updated_at    TEXT NOT NULL
        );

        -- sender_id is NULL once the worker has deleted their data (row kept anonymous).
        CREATE TABLE enrollments (
            enrollment_no TEXT PRIMARY KEY,
            sender_id     TEXT REFERENCES workers(sender_id),
            course_id     TEXT NOT NULL REFERENCES courses(course_id),
            course_name   TEXT NOT NULL,
            status        TEXT NOT NULL
                          CHECK (status IN ('enrolled', 'waitlisted', 'cancelled')),
            queue_no      INTEGER NOT NULL CHECK (queue_no > 0),
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL,
            enrolled_at   TEXT,
            cancelled_at  TEXT,
            UNIQUE (course_id, queue_no)
        );

        CREATE TABLE reading_teams (
            team_id       TEXT PRIMARY KEY
                          CHECK (team_id LIKE 'district:_%' OR team_id LIKE 'employer:_%'),
            display_name  TEXT NOT NULL,
            created_at    TEXT NOT NULL
        );

        CREATE TABLE team_members (
            team_id       TEXT NOT NULL REFERENCES reading_teams(team_id),
            sender_id     TEXT NOT NULL REFERENCES workers(sender_id),
            joined_at     TEXT NOT NULL,
            PRIMARY KEY (team_id, sender_id)
        );

        -- name, phone, school, certificate_no and sender_id are NULL after deletion.
        CREATE TABLE applications (
            application_no     TEXT PRIMARY KEY,
            sender_id          TEXT REFERENCES workers(sender_id),
            name               TEXT,
            phone              TEXT,
            school             TEXT,
            programme          TEXT NOT NULL,
            graduation_date    TEXT NOT NULL,
            certificate_no     TEXT,
            model_worker_class INTEGER NOT NULL DEFAULT 0
                               CHECK (model_worker_class IN (0, 1)),
            status             TEXT NOT NULL DEFAULT 'pending'
                               CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
            staff_note         TEXT NOT NULL DEFAULT '',
            created_at         TEXT NOT NULL,
            updated_at         TEXT NOT NULL,
            decided_at         TEXT
        );

        -- Per-name counters behind the human-readable numbers (BM2026-000123).
        CREATE TABLE sequences (
            name          TEXT PRIMARY KEY,
            value         INTEGER NOT NULL
        );

        -- Anonymous statistics; never hold a sender_id, survive deleted workers.
        CREATE TABLE stats (
            metric        TEXT NOT NULL,
            key           TEXT NOT NULL,
            count         INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (metric, key)
        );
        """
    )


@MIGRATIONS(name="0002_indexes")
def _create_indexes(db: Database) -> None:
    db.executescript(
        """
        -- One active (enrolled or waitlisted) enrollment per worker and course.
        CREATE UNIQUE INDEX enrollments_one_active
            ON enrollments (sender_id, course_id)
            WHERE status IN ('enrolled', 'waitlisted');
        CREATE INDEX enrollments_by_course ON enrollments (course_id, status, queue_no);
        CREATE INDEX enrollments_by_sender ON enrollments (sender_id);
        CREATE INDEX team_members_by_sender ON team_members (sender_id);
        CREATE INDEX applications_by_sender ON applications (sender_id);
        CREATE INDEX applications_by_status ON applications (status, created_at);
        -- The same certificate cannot be in two live applications of one worker.
        CREATE UNIQUE INDEX applications_one_live_per_certificate
            ON applications (sender_id, certificate_no)
            WHERE status IN ('pending', 'approved');
        """
    )


@MIGRATIONS(name="0003_notifications")
def _create_notifications(db: Database) -> None:
    db.executescript(
        """
        -- Outbox of messages for workers who are not in the conversation right now (a
        -- waiting-list promotion). Written in the transaction of the change it reports;
        -- the front end delivers them and sets delivered_at.
        CREATE TABLE notifications (
            id            INTEGER PRIMARY KEY,
            sender_id     TEXT NOT NULL,
            kind          TEXT NOT NULL DEFAULT 'message',
            ref           TEXT,
            text          TEXT NOT NULL,
            created_at    TEXT NOT NULL,
            delivered_at  TEXT
        );
        CREATE INDEX notifications_pending ON notifications (id) WHERE delivered_at IS NULL;
        CREATE INDEX notifications_by_sender ON notifications (sender_id);
        """
    )


# ---------------------------------------------------------------- connections


class TransactionInProgress(RuntimeError):
    """write_transaction() was called while the connection was already in one."""


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception.

    Taking the write lock up front makes read-check-write sequences (is a seat free? then
    take it) atomic across processes; waiting for the lock is bounded by the busy timeout.
    """
    conn = db.conn
    if conn.in_transaction:
        raise TransactionInProgress("registry writes cannot be nested in an open transaction")
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _migrate(db: Database) -> None:
    if not MIGRATIONS.pending(db):
        return
    # Several processes may open a new file at once: the first one migrates under the
    # write lock, the others wait and then find nothing pending. Migrations.apply()
    # nests each migration in a savepoint inside this transaction.
    with write_transaction(db):
        MIGRATIONS.apply(db)


def open_registry(path: str | os.PathLike[str] | None = None) -> Database:
    """Open (create, migrate) the registrations database; ``path`` defaults to
    :func:`registry_path`. The caller closes it (``db.close()``) or uses :func:`registry`.
    """
    target = Path(path) if path is not None else registry_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(target), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        # Deleted personal data is overwritten with zeros, not left in free pages.
        conn.execute("PRAGMA secure_delete = ON")
        db = Database(conn)
        if db.journal_mode != "wal":
            db.enable_wal()
        conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: no corruption on crash
        _migrate(db)
    except BaseException:
        conn.close()
        raise
    return db


@contextlib.contextmanager
def registry(path: str | os.PathLike[str] | None = None) -> Iterator[Database]:
    """``with registry() as db:`` — open, use, close."""
    db = open_registry(path)
    try:
        yield db
    finally:
        db.close()


@contextlib.contextmanager
def registry_read_only(path: str | os.PathLike[str] | None = None) -> Iterator[Database | None]:
    """``with registry_read_only(path) as db:`` — a look without writing anything.

    ``db`` is None when there is no registry at ``path`` yet (no file, or a file this
    package never set up), so a reader never creates one by looking. Query it with the
    package's functions (e.g. ``course_registration_counts``), never with SQL of its own.
    """
    target = Path(path) if path is not None else registry_path()
    if not target.is_file():
        yield None
        return
    conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True, timeout=READ_ONLY_TIMEOUT_SECONDS)
    try:
        db = Database(conn)
        yield db if MIGRATIONS.applied(db) else None
    finally:
        conn.close()
