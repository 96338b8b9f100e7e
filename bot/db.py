"""The Telegram front end's own tables, kept beside the hand-off store's in one database.

The tickets themselves are the hand-off store's (:mod:`handoff`: channel-neutral, shared by
every front end and the console). What only Telegram needs lives here, in ``tg_*`` tables
of the same database — the SQLite file ``handoff.db`` by default, the shared PostgreSQL
with ``UH_DATABASE_URL`` — so two front ends behind a load balancer share it too:

* ``tg_ticket_posts`` – where a ticket was posted in the operators' chat (its forum topic,
  its header message);
* ``tg_message_map`` – which message in the operators' chat belongs to which ticket, so an
  operator's reply finds its worker;
* ``tg_buttons`` – the payload behind each inline-keyboard button (Telegram's callback data
  is limited to 64 bytes; the button carries only a short key, see :mod:`bot.buttons`);
* ``tg_activity`` – how many messages each worker sent per day (for ``/stats``): a keyed
  hash of the user id and a count, no text;
* ``tg_updates`` – webhook updates already handled (Telegram delivers one again when a
  front end died before answering; a handled one is not handled twice).

This module, :mod:`bot.tickets` and :mod:`bot.buttons` are the only code that touches these
tables; everything else calls their functions with the handle :func:`open_db` returned.
"""

from __future__ import annotations

import os
import secrets

from common.database import Database, Migrations
from handoff import open_handoff

__all__ = ["MIGRATIONS", "open_db"]

MIGRATIONS = Migrations("union_helper_telegram")
_MIGRATED: set[str] = set()


@MIGRATIONS(name="0001_tables")
def _tables(db: Database) -> None:
    db.script(
        """
        CREATE TABLE tg_ticket_posts (
            ticket_id         BIGINT PRIMARY KEY,
            ops_chat_id       BIGINT NOT NULL,
            thread_id         BIGINT,
            header_message_id BIGINT,
            created_at        TEXT NOT NULL
        );
        CREATE INDEX tg_ticket_posts_by_thread ON tg_ticket_posts (ops_chat_id, thread_id);

        CREATE TABLE tg_message_map (
            ops_chat_id     BIGINT NOT NULL,
            ops_message_id  BIGINT NOT NULL,
            ticket_id       BIGINT NOT NULL,
            kind            TEXT NOT NULL,
            created_at      TEXT NOT NULL,
            PRIMARY KEY (ops_chat_id, ops_message_id)
        );
        CREATE INDEX tg_message_map_by_ticket ON tg_message_map (ticket_id);

        CREATE TABLE tg_buttons (
            key         TEXT PRIMARY KEY,
            group_id    TEXT NOT NULL,
            user_id     BIGINT NOT NULL,
            payload     TEXT NOT NULL,
            title       TEXT NOT NULL DEFAULT '',
            created_at  TEXT NOT NULL,
            used_at     TEXT
        );
        CREATE INDEX tg_buttons_by_group ON tg_buttons (group_id);
        CREATE INDEX tg_buttons_by_user ON tg_buttons (user_id, payload);

        CREATE TABLE tg_activity (
            day       TEXT NOT NULL,
            user_key  TEXT NOT NULL,
            messages  INTEGER NOT NULL DEFAULT 0,
            last_at   TEXT NOT NULL,
            PRIMARY KEY (day, user_key)
        );

        CREATE TABLE tg_updates (
            update_id  BIGINT PRIMARY KEY,
            done_at    TEXT NOT NULL
        );

        CREATE TABLE tg_meta (
            key    TEXT PRIMARY KEY,
            value  TEXT NOT NULL
        )
        """
    )
    db.execute("INSERT INTO tg_meta (key, value) VALUES ('activity_salt', :salt)", {"salt": secrets.token_hex(16)})
    _import_legacy(db)


def _import_legacy(db: Database) -> None:
    """A ``handoff.db`` of the Telegram-only release: its tickets moved to the hand-off
    store already (same ids); the Telegram parts move here, then the old tables go."""
    tables = set(db.table_names())
    if "tickets" in tables:
        db.execute(
            "INSERT INTO tg_ticket_posts (ticket_id, ops_chat_id, thread_id, header_message_id, created_at) "
            "SELECT id, ops_chat_id, thread_id, header_message_id, opened_at FROM tickets WHERE ops_chat_id IS NOT NULL"
        )
    if "ticket_messages" in tables:
        db.execute(
            "INSERT INTO tg_message_map (ops_chat_id, ops_message_id, ticket_id, kind, created_at) "
            "SELECT ops_chat_id, ops_message_id, ticket_id, COALESCE(kind, 'relay'), COALESCE(created_at, '') "
            "FROM ticket_messages"
        )
    if "buttons" in tables:
        db.execute(
            "INSERT INTO tg_buttons (key, group_id, user_id, payload, title, created_at, used_at) "
            "SELECT key, group_id, COALESCE(user_id, 0), payload, COALESCE(title, ''), "
            "COALESCE(created_at, ''), used_at FROM buttons"
        )
    # The old activity counts named the user; they are only statistics of past days: not kept.
    for table in ("ticket_messages", "buttons", "activity", "tickets"):
        if table in tables:
            db.execute(f"DROP TABLE {table}")


def open_db(location: str | os.PathLike[str] | None = None) -> Database:
    """Open (creating and migrating if needed) the hand-off store with the Telegram tables:
    ``location`` is a SQLite file or a database URL (default: the settings')."""
    db = open_handoff(location)
    if db.url not in _MIGRATED or not db.has_table("tg_buttons"):
        MIGRATIONS.apply(db)
        _MIGRATED.add(db.url)
    return db
