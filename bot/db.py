"""The front end's own database, ``$UH_DATA_DIR/handoff.db`` (sqlite-utils, explicit schema).

Everything the bot must not forget across a restart lives here:

* ``tickets`` – one row per hand-off to the operators (see :mod:`bot.tickets`);
* ``ticket_messages`` – which message in the operators' chat belongs to which ticket, so an
  operator's reply finds its worker;
* ``buttons`` – the payload behind each inline-keyboard button (Telegram's callback data is
  limited to 64 bytes; the button carries only a short key, see :mod:`bot.buttons`);
* ``activity`` – how many messages each worker sent per day (for ``/stats``; the user id and
  a count, no text).

This module, :mod:`bot.tickets` and :mod:`bot.buttons` are the only code that touches the
file; everything else calls their functions with the ``Database`` :func:`open_db` returned.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

SCHEMA_VERSION = 1


def open_db(path: Path | str) -> Database:
    """Open (creating if needed) the hand-off database and make sure of its shape."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    db.enable_wal()
    ensure_db_shape(db)
    return db


def ensure_db_shape(db: Database) -> None:
    """Create whatever is missing (tables, indexes); a no-op on a current database."""
    db.table("tickets").create(
        {
            "id": int,
            "user_id": int,  # the worker's Telegram user id
            "chat_id": int,  # the worker's private chat
            "sender_id": str,  # Rasa conversation id, tg-<user id>
            "display_name": str,  # phone-like parts masked
            "reason": str,  # request_human | fallback | form_failures | rasa_unavailable
            "status": str,  # open | closed
            "opened_at": str,  # ISO 8601, Asia/Shanghai
            "answered_at": str,  # first operator reply
            "closed_at": str,
            "closed_by": str,  # operator:<id> | worker | system
            "ops_chat_id": int,
            "thread_id": int,  # forum topic (NULL in a non-forum group)
            "header_message_id": int,
            "staffed": int,  # opened within staffed hours
            "paused": int,  # the pause event reached Rasa
            "resume_pending": int,  # closed, but the resume event has not reached Rasa yet
        },
        pk="id",
        not_null=["user_id", "chat_id", "sender_id", "status", "opened_at"],
        defaults={"status": "open", "staffed": 1, "paused": 0, "resume_pending": 0},
        if_not_exists=True,
    )
    db.table("ticket_messages").create(
        {
            "ops_chat_id": int,
            "ops_message_id": int,
            "ticket_id": int,
            "kind": str,  # header | transcript | relay
            "created_at": str,
        },
        pk=("ops_chat_id", "ops_message_id"),
        foreign_keys=[("ticket_id", "tickets", "id")],
        not_null=["ticket_id"],
        if_not_exists=True,
    )
    db.table("buttons").create(
        {
            "key": str,  # what callback_data carries
            "group_id": str,  # all buttons of one keyboard; pressing one spends the group
            "user_id": int,
            "payload": str,
            "title": str,
            "created_at": str,
            "used_at": str,
        },
        pk="key",
        not_null=["group_id", "payload"],
        if_not_exists=True,
    )
    db.table("activity").create(
        {"day": str, "user_id": int, "messages": int, "last_at": str},
        pk=("day", "user_id"),
        defaults={"messages": 0},
        if_not_exists=True,
    )
    db.table("tickets").create_index(["user_id", "status"], if_not_exists=True)
    db.table("tickets").create_index(["ops_chat_id", "thread_id"], if_not_exists=True)
    db.table("ticket_messages").create_index(["ticket_id"], if_not_exists=True)
    db.table("buttons").create_index(["group_id"], if_not_exists=True)
    with db.conn:
        # At most one open ticket per worker, enforced by the database itself.
        db.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS idx_tickets_one_open_per_user ON tickets(user_id) WHERE status = 'open'"
        )
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
