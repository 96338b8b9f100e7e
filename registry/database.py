"""The registrations database: where it lives, its schema, and how to write to it safely.

One store: the SQLite file ``$UH_DATA_DIR/registry.db`` (the embedded default) or, with
``UH_DATABASE_URL``, PostgreSQL shared by every action server and front end.
:func:`open_registry` opens it (creating and migrating it as needed) through
:mod:`common.database`, which gives both the same behaviour:

* every change of more than one row runs inside :func:`write_transaction`. On SQLite that
  is ``BEGIN IMMEDIATE``: the write lock is taken before anything is read, so two
  processes can never both see the last free seat. On PostgreSQL the contended row is
  locked instead — the course (every enrollment, cancellation and promotion of a course
  locks its ``courses`` row first), the worker, the number sequence — so two action
  servers serialise on exactly what they share and nothing else. A crash leaves nothing
  half-written on either;
* the queries are written once, in SQL both understand (named parameters, ``ON CONFLICT``,
  partial indexes, ``RETURNING``);
* errors are the driver's own (``sqlite3.Error`` or ``psycopg2.Error``:
  :data:`DATABASE_ERRORS`); the public functions are run again (:func:`common.database.retrying`)
  when PostgreSQL restarts or resolves a deadlock under them.

A :class:`~common.database.Database` handle must not be used by two threads at the same
time; open one per request (:func:`registry`) or per worker thread — it is cheap, the
connection pool is shared. Others who only look (the knowledge validator) use
:func:`registry_read_only`, which never creates, migrates or locks anything.

Every ``*_at`` column is written by :func:`now` from a :class:`common.clock.Clock`: the
writing functions take ``clock=`` (default: the settings' clock, so ``UH_TODAY`` moves a
test stack's registry to the same day as everything else).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from common import settings
from common.clock import Clock, default_clock, stamp
from common.database import DRIVER_ERRORS, Database, Migrations, TransactionInProgress, sqlite_path, store_for
from common.outbox import OUTBOX_COLUMNS_DDL

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "DATABASE_ERRORS",
    "MIGRATIONS",
    "Database",
    "TransactionInProgress",
    "now",
    "open_registry",
    "registry",
    "registry_path",
    "registry_read_only",
    "registry_url",
    "write_transaction",
]

BUSY_TIMEOUT_SECONDS = 30.0
#: A read-only look gives up sooner: the caller treats "unreadable" as "nothing there".
READ_ONLY_TIMEOUT_SECONDS = 5.0
#: What a registry function raises when the database refuses (catch these).
DATABASE_ERRORS = DRIVER_ERRORS

#: Where the registry is: a path (a SQLite file) or a database URL.
Location = str | os.PathLike[str]


def now(clock: Clock | None = None) -> str:
    """The time as stored in every ``*_at`` column: ISO 8601 with +08:00."""
    return stamp(clock or default_clock())


def registry_path() -> Path:
    """Where the settings put the embedded registry (``$UH_DATA_DIR/registry.db``).

    Asked on every call, so tests can point it at a temporary directory.
    """
    return settings.load().registry_db


def registry_url(location: Location | None = None) -> str:
    """The store behind ``location``: a URL as it is; a path is that SQLite file, except
    the settings' own registry file, which stands for the configured store (PostgreSQL
    when ``UH_DATABASE_URL`` is set) — so ``knowledge`` and the staff CLI, which pass the
    settings' path, look where the action servers write."""
    configured = settings.load()
    if location is None:
        return configured.registry_url
    return store_for(location, configured.registry_db, configured.database_url)


# ---------------------------------------------------------------- schema

MIGRATIONS = Migrations("union_helper_registry")


@MIGRATIONS(name="0001_tables")
def _create_tables(db: Database) -> None:
    db.script(
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
    db.script(
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
    db.script(
        f"""
        -- Outbox of messages for workers who are not in the conversation right now (a
        -- waiting-list promotion). Written in the transaction of the change it reports;
        -- the front end delivers them and sets delivered_at.
        CREATE TABLE notifications (
            id            {db.serial_primary_key},
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


@MIGRATIONS(name="0004_outbox_claims")
def _outbox_claims(db: Database) -> None:
    """Several front ends share the outbox: a claim with a lease (common.outbox)."""
    for column in OUTBOX_COLUMNS_DDL:
        db.script(f"ALTER TABLE notifications ADD COLUMN {column}")
    db.script("CREATE INDEX notifications_queue ON notifications (sender_id, id) WHERE delivered_at IS NULL")


@MIGRATIONS(name="0005_office_capacity")
def _office_capacity(db: Database) -> None:
    """A capacity staff set in the console holds against the knowledge base's older number
    until the bot has reloaded the file (registry.office.set_course_capacity)."""
    db.script("ALTER TABLE courses ADD COLUMN capacity_held_until TEXT")


# ---------------------------------------------------------------- connections


def write_transaction(db: Database) -> contextlib.AbstractContextManager[Database]:
    """One write transaction, rolled back on any exception (see the module docstring).

    Raises :class:`TransactionInProgress` inside another one: registry writes do not nest.
    """
    return db.transaction(write=True)


#: Stores this process has already migrated: (url, SQLite file identity) — a file that
#: was replaced (a restore) is checked again.
_MIGRATED: set[tuple[str, int]] = set()
_MIGRATED_LOCK = threading.Lock()


def _identity(url: str) -> int:
    path = sqlite_path(url)
    try:
        return path.stat().st_ino if path is not None else 0
    except OSError:
        return -1


def _migrate(db: Database) -> None:
    key = (db.url, _identity(db.url))
    if key in _MIGRATED:
        return
    # Several processes may open a new store at once: the first one migrates under the
    # lock (SQLite's write lock, PostgreSQL's advisory lock), the others then find nothing
    # pending.
    MIGRATIONS.apply(db)
    with _MIGRATED_LOCK:
        _MIGRATED.add((db.url, _identity(db.url)))


def open_registry(path: Location | None = None) -> Database:
    """Open (create, migrate) the registrations database: ``path`` (a SQLite file or a
    database URL) or, by default, the settings' (:func:`registry_url`). Close it with
    ``db.close()`` or use :func:`registry` / ``with open_registry() as db:``.
    """
    url = registry_url(path)
    file = sqlite_path(url)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    db = Database(url, busy_timeout=BUSY_TIMEOUT_SECONDS)
    _migrate(db)
    return db


@contextlib.contextmanager
def registry(path: Location | None = None) -> Iterator[Database]:
    """``with registry() as db:`` — open, use, close."""
    db = open_registry(path)
    try:
        yield db
    finally:
        db.close()


@contextlib.contextmanager
def registry_read_only(path: Location | None = None) -> Iterator[Database | None]:
    """``with registry_read_only(path) as db:`` — a look without writing anything.

    ``db`` is None when there is no registry there yet (no file, or a store this package
    never set up), so a reader never creates one by looking. Query it with the package's
    functions (e.g. ``course_registration_counts``), never with SQL of its own.
    """
    url = registry_url(path)
    file = sqlite_path(url)
    if file is not None and not file.is_file():
        yield None
        return
    db = Database(url, busy_timeout=READ_ONLY_TIMEOUT_SECONDS, read_only=True)
    try:
        yield db if MIGRATIONS.applied(db) else None
    finally:
        db.close()
