"""Claiming outbox messages with a lease, so that several front ends deliver each one once.

Two stores keep messages for workers who are not in the conversation right now: the
registry (``notifications``: a waiting-list seat) and the hand-off store (``handoff_outbox``:
an operator's reply, a ticket closed from elsewhere). Each owns its table; both tables have
the columns below, and their owners call these functions on them.

A front end *claims* a batch (in one transaction, under a per-table lock so two claims
never interleave): each row gets ``claimed_by`` (the front end) and ``claimed_until`` (the
lease). Only the oldest undelivered message of each worker is ever claimable, so one
worker's messages arrive in order whichever front end takes them. Before sending, the front
end renews the lease (:func:`renew`: a fence — if the lease was lost meanwhile, it does not
send); after sending it marks the row delivered (:func:`mark_delivered`). A failed send is
released for a later attempt (:func:`release`), a hopeless one given up (:func:`give_up`).

What holds when a front end dies (docs/scale.md, "exactly once"): before its send, the
lease runs out and another front end sends — nothing lost, nothing twice. Between
Telegram accepting the message and the commit of ``delivered_at`` (milliseconds), nobody
can know whether it went out: the message is sent again when the lease ends (at least once;
``attempts`` shows it). Never lost, and twice only in that window.

Columns (the owner's migration creates them): ``id`` (integer key, order of arrival),
``sender_id``, ``created_at``, ``delivered_at``, ``claimed_by``, ``claimed_until``,
``attempts`` (integer, default 0), ``next_attempt_at``, ``last_error``, ``failed_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from common.clock import CHINA_FIXED
from common.database import Database

__all__ = [
    "LEASE",
    "OUTBOX_COLUMNS_DDL",
    "claim",
    "claim_waiting",
    "give_up",
    "mark_delivered",
    "outbox_columns",
    "release",
    "renew",
]

#: How long a claim holds: longer than one send with all its retries (bot/rate_limit.py).
LEASE = timedelta(seconds=120)
#: The outbox columns as ``ALTER TABLE … ADD COLUMN`` clauses (for a table that exists).
OUTBOX_COLUMNS_DDL = (
    "claimed_by TEXT",
    "claimed_until TEXT",
    "attempts INTEGER NOT NULL DEFAULT 0",
    "next_attempt_at TEXT",
    "last_error TEXT",
    "failed_at TEXT",
)


def outbox_columns() -> list[sa.Column]:
    """The same columns for a table declared with SQLAlchemy (a new table)."""
    return [
        sa.Column("claimed_by", sa.Text),
        sa.Column("claimed_until", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.Text),
        sa.Column("last_error", sa.Text),
        sa.Column("failed_at", sa.Text),
    ]


def _at(moment: datetime) -> str:
    """The stored form of a time: ISO 8601 in +08:00 like every ``*_at`` column, to the
    microsecond (leases and retry times compare as text, and retries may be sub-second)."""
    return moment.astimezone(CHINA_FIXED).isoformat(timespec="microseconds")


def claim(
    db: Database,
    table: str,
    owner: str,
    now: datetime,
    *,
    prefixes: Sequence[str] = (),
    limit: int = 50,
    lease: timedelta = LEASE,
    only: int | None = None,
) -> list[dict[str, Any]]:
    """Claim up to ``limit`` messages (the oldest undelivered one of each worker whose
    ``sender_id`` starts with one of ``prefixes``); their rows, oldest first. ``only``: just
    that message, if it is claimable now (a front end sending what it has just queued)."""
    stamp, until = _at(now), _at(now + lease)
    channel = " OR ".join(f"o.sender_id LIKE :prefix{i}" for i in range(len(prefixes))) or "1 = 1"
    params: dict[str, Any] = {f"prefix{i}": f"{prefix}%" for i, prefix in enumerate(prefixes)}
    params.update({"now": stamp, "limit": int(limit)})
    if only is not None:
        channel = f"({channel}) AND o.id = :only"
        params["only"] = int(only)
    with db.transaction():
        _lock_claims(db, table)
        rows = db.query(
            f"""SELECT o.* FROM {table} o
                WHERE o.delivered_at IS NULL AND o.failed_at IS NULL
                  AND (o.claimed_until IS NULL OR o.claimed_until < :now)
                  AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= :now)
                  AND ({channel})
                  AND NOT EXISTS (
                      SELECT 1 FROM {table} e
                      WHERE e.sender_id = o.sender_id AND e.id < o.id
                        AND e.delivered_at IS NULL AND e.failed_at IS NULL)
                ORDER BY o.id LIMIT :limit""",
            params,
        )
        _mark_claimed(db, table, rows, owner, until)
    return rows


def claim_waiting(
    db: Database, table: str, sender_id: str, owner: str, now: datetime, *, lease: timedelta = LEASE, limit: int = 20
) -> list[dict[str, Any]]:
    """Claim what is waiting for one worker, oldest first, up to the first message that
    is leased (to anyone) or held back for a retry: for a client that is reachable only
    while it asks (the REST channel hands all of it over in one response). Under the same
    per-table lock as :func:`claim`, so the worker's messages still go out in order and
    once; a lease that runs out (the taker died before marking) makes them claimable again."""
    stamp, until = _at(now), _at(now + lease)
    with db.transaction():
        _lock_claims(db, table)
        waiting = db.query(
            f"SELECT * FROM {table} WHERE sender_id = :sender AND delivered_at IS NULL AND failed_at IS NULL "
            "ORDER BY id LIMIT :limit",
            {"sender": sender_id, "limit": int(limit)},
        )
        taken: list[dict[str, Any]] = []
        for row in waiting:
            if row["claimed_until"] and str(row["claimed_until"]) >= stamp:
                break  # another request (this replica's or another's) is handing these over right now
            if row["next_attempt_at"] and str(row["next_attempt_at"]) > stamp:
                break  # held back: its later messages wait behind it
            taken.append(row)
        _mark_claimed(db, table, taken, owner, until)
    return taken


def _lock_claims(db: Database, table: str) -> None:
    """Claims of ``table`` one at a time (inside the caller's transaction)."""
    db.execute("INSERT INTO uh_locks (name) VALUES (:name) ON CONFLICT (name) DO NOTHING", {"name": table})
    db.lock_row("uh_locks", "name", table)


def _mark_claimed(db: Database, table: str, rows: list[dict[str, Any]], owner: str, until: str) -> None:
    for row in rows:
        db.execute(
            f"UPDATE {table} SET claimed_by = :owner, claimed_until = :until, attempts = attempts + 1 WHERE id = :id",
            {"owner": owner, "until": until, "id": row["id"]},
        )
        row.update(claimed_by=owner, claimed_until=until, attempts=int(row.get("attempts") or 0) + 1)


def renew(db: Database, table: str, message_id: int, owner: str, now: datetime, lease: timedelta = LEASE) -> bool:
    """Extend ``owner``'s lease right before sending; False if it is not theirs (any more)
    or already delivered — then do not send."""
    result = db.execute(
        f"UPDATE {table} SET claimed_until = :until "
        "WHERE id = :id AND claimed_by = :owner AND delivered_at IS NULL AND failed_at IS NULL",
        {"until": _at(now + lease), "id": int(message_id), "owner": owner},
    )
    return result.rowcount == 1


def mark_delivered(db: Database, table: str, message_id: int, now: datetime) -> bool:
    """The message went out; False if it was unknown or already marked."""
    result = db.execute(
        f"UPDATE {table} SET delivered_at = :now, claimed_by = NULL, claimed_until = NULL, last_error = NULL "
        "WHERE id = :id AND delivered_at IS NULL",
        {"now": _at(now), "id": int(message_id)},
    )
    return result.rowcount == 1


def release(db: Database, table: str, message_id: int, owner: str, error: str, retry_at: datetime) -> bool:
    """A send failed: free the message for another attempt at ``retry_at``."""
    result = db.execute(
        f"UPDATE {table} SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = :retry, last_error = :error "
        "WHERE id = :id AND claimed_by = :owner AND delivered_at IS NULL",
        {"retry": _at(retry_at), "error": error[:500], "id": int(message_id), "owner": owner},
    )
    return result.rowcount == 1


def give_up(db: Database, table: str, message_id: int, error: str, now: datetime) -> bool:
    """The message cannot be delivered (no such chat): stop trying; it stays, undelivered,
    with the reason, and no longer holds back the worker's later messages."""
    result = db.execute(
        f"UPDATE {table} SET claimed_by = NULL, claimed_until = NULL, failed_at = :now, last_error = :error "
        "WHERE id = :id AND delivered_at IS NULL",
        {"now": _at(now), "error": error[:500], "id": int(message_id)},
    )
    return result.rowcount == 1
