"""Where the hand-off store lives, and its schema.

The SQLite file ``$UH_DATA_DIR/handoff.db`` by default; with ``UH_DATABASE_URL`` the
shared PostgreSQL, so every front end (two Telegram front ends behind a load balancer, the
WeChat front end, the console's operators' inbox) sees the same tickets. The channel's own
details (Telegram's forum topics and message ids) are the front end's tables beside these
(``bot.db``), not part of a ticket.

Tables (prefixed, so they sit beside the registry's and Rasa's in one database):

* ``handoff_tickets`` — one row per hand-off; at most one live (pending or open) per worker;
* ``handoff_messages`` — the conversation during a ticket, both directions, a worker's
  numbers masked; ``source`` (unique) is where a message came from, so one delivered twice
  (a webhook retried) is stored once;
* ``handoff_outbox`` — what must reach the worker (operator replies, closing notices),
  claimed by the worker's channel front end with a lease (:mod:`common.outbox`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from common import settings
from common.database import Database, Migrations, sqlite_path, store_for
from common.outbox import OUTBOX_COLUMNS_DDL

__all__ = ["MIGRATIONS", "handoff_store", "handoff_url", "open_handoff"]

MIGRATIONS = Migrations("union_helper_handoff")
_MIGRATED: set[tuple[str, int]] = set()


def handoff_url(location: str | os.PathLike[str] | None = None) -> str:
    """The store behind ``location`` (a URL, or a SQLite file); the settings' by default
    (and for the settings' own ``handoff.db``, which stands for the configured store)."""
    configured = settings.load()
    if location is None:
        return configured.handoff_url
    return store_for(location, configured.handoff_db, configured.database_url)


def store_created(url: str) -> bool:
    """Whether the store at ``url`` (a resolved :func:`handoff_url`) exists to be read:
    PostgreSQL always, a SQLite file once something opened it. A reader that finds no file
    knows nothing was ever handed off, and does not create one by asking."""
    file = sqlite_path(url)
    return file is None or file.exists()


@MIGRATIONS(name="0001_tickets")
def _tickets(db: Database) -> None:
    serial = db.serial_primary_key
    db.script(
        f"""
        CREATE TABLE handoff_tickets (
            id              {serial},
            sender_id       TEXT NOT NULL,
            channel         TEXT NOT NULL,
            display_name    TEXT NOT NULL DEFAULT '',
            reason          TEXT NOT NULL,
            status          TEXT NOT NULL CHECK (status IN ('pending', 'open', 'closed')),
            opened_at       TEXT NOT NULL,
            posted_at       TEXT,
            answered_at     TEXT,
            closed_at       TEXT,
            closed_by       TEXT,
            staffed         INTEGER NOT NULL DEFAULT 1,
            paused          INTEGER NOT NULL DEFAULT 0,
            resume_pending  INTEGER NOT NULL DEFAULT 0,
            transcript      TEXT NOT NULL DEFAULT '',
            post_attempts   INTEGER NOT NULL DEFAULT 0,
            next_post_at    TEXT,
            post_claimed_by TEXT,
            post_claimed_until TEXT,
            last_error      TEXT
        );
        -- At most one live ticket per worker, kept by the database itself.
        CREATE UNIQUE INDEX handoff_one_live_ticket ON handoff_tickets (sender_id)
            WHERE status IN ('pending', 'open');
        CREATE INDEX handoff_tickets_by_status ON handoff_tickets (status, id);
        CREATE INDEX handoff_tickets_by_opened ON handoff_tickets (opened_at);

        CREATE TABLE handoff_messages (
            id              {serial},
            ticket_id       INTEGER NOT NULL REFERENCES handoff_tickets(id) ON DELETE CASCADE,
            direction       TEXT NOT NULL CHECK (direction IN ('from_worker', 'to_worker', 'note', 'system')),
            author          TEXT,
            text            TEXT NOT NULL,
            source          TEXT UNIQUE,
            created_at      TEXT NOT NULL
        );
        CREATE INDEX handoff_messages_by_ticket ON handoff_messages (ticket_id, id);

        CREATE TABLE handoff_outbox (
            id              {serial},
            ticket_id       INTEGER REFERENCES handoff_tickets(id) ON DELETE CASCADE,
            sender_id       TEXT NOT NULL,
            kind            TEXT NOT NULL,
            text            TEXT NOT NULL,
            payload         TEXT,
            created_at      TEXT NOT NULL,
            delivered_at    TEXT,
            {", ".join(OUTBOX_COLUMNS_DDL)}
        );
        CREATE INDEX handoff_outbox_queue ON handoff_outbox (sender_id, id) WHERE delivered_at IS NULL;
        CREATE INDEX handoff_outbox_by_ticket ON handoff_outbox (ticket_id)
        """
    )
    _import_legacy(db)


def _import_legacy(db: Database) -> None:
    """A ``handoff.db`` of the Telegram-only release (table ``tickets``, sqlite-utils):
    its tickets move here with their ids, so the front end's message mapping (moved by
    ``bot.db``) still points at them. Nothing to do on a new store."""
    if "tickets" not in db.table_names():
        return
    db.execute(
        """INSERT INTO handoff_tickets (id, sender_id, channel, display_name, reason, status, opened_at,
               posted_at, answered_at, closed_at, closed_by, staffed, paused, resume_pending)
           SELECT id, sender_id, 'tg', COALESCE(display_name, ''), COALESCE(reason, 'request_human'),
               CASE WHEN status = 'open' THEN 'open' ELSE 'closed' END, opened_at,
               opened_at, answered_at, closed_at, closed_by, COALESCE(staffed, 1), COALESCE(paused, 0),
               COALESCE(resume_pending, 0)
           FROM tickets ORDER BY id"""
    )


def _migrate(db: Database) -> None:
    path = sqlite_path(db.url)
    try:
        key = (db.url, path.stat().st_ino if path is not None else 0)
    except OSError:
        key = (db.url, -1)
    if key in _MIGRATED:
        return
    MIGRATIONS.apply(db)
    _MIGRATED.add(key)


def open_handoff(location: str | os.PathLike[str] | None = None) -> Database:
    """Open (create, migrate) the hand-off store; the caller closes it."""
    url = handoff_url(location)
    file = sqlite_path(url)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    _migrate(db)
    return db


@contextlib.contextmanager
def handoff_store(location: str | os.PathLike[str] | None = None) -> Iterator[Database]:
    """``with handoff_store() as db:`` — open, use, close."""
    db = open_handoff(location)
    try:
        yield db
    finally:
        db.close()
