"""The WeChat front end's own tables, beside the hand-off store's in one database.

Everything here must be shared by every WeChat front-end process (two behind a load
balancer, or one restarted mid-message), so it lives in the shared store — the SQLite file
``handoff.db`` by default, the shared PostgreSQL with ``UH_DATABASE_URL`` — never in memory:

* ``wx_seen`` – messages already taken (``MsgId``, or sender + ``CreateTime`` for events):
  WeChat retries a message it got no answer to within 5 s, up to three times; the retry
  must not run a second Rasa turn (a sign-up submitted twice). The passive reply the first
  copy produced is kept, so a retry whose first answer was lost on the way gets it again.
  A turn under way holds a *lease* its process renews while it works (``owner``,
  ``lease_until``): if that process dies mid-turn (killed, restarted), the lease runs out
  and WeChat's next retry takes the message over instead of getting ``success`` and
  no answer ever;
* ``wx_workers`` – when each worker last wrote (the 48-hour customer-service window) and
  whether they follow the account;
* ``wx_options`` – the numbered options of the last reply a worker saw (WeChat text has no
  buttons: the worker types the number, and the payload behind it is found here);
* ``wx_tokens`` – the API access token, one for every process (WeChat invalidates the
  previous token when a new one is fetched, so per-process tokens would fight).

This module is the only code running SQL on the ``wx_*`` tables.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from common.database import Database, Migrations, retrying
from handoff import open_handoff

__all__ = [
    "MIGRATIONS",
    "Seen",
    "TOKEN_MARGIN",
    "drop_token",
    "finish_seen",
    "forget_sender",
    "is_subscribed",
    "forget_seen_before",
    "last_message_at",
    "load_options",
    "open_db",
    "read_token",
    "record_message",
    "record_subscription",
    "renew_seen",
    "save_options",
    "take_message",
    "take_over",
    "write_token",
]

MIGRATIONS = Migrations("union_helper_wechat")
_MIGRATED: set[str] = set()


@MIGRATIONS(name="0001_tables")
def _tables(db: Database) -> None:
    db.script(
        """
        CREATE TABLE wx_seen (
            key         TEXT PRIMARY KEY,
            sender_id   TEXT NOT NULL,
            state       TEXT NOT NULL,
            reply       TEXT,
            created_at  TEXT NOT NULL
        );
        CREATE INDEX wx_seen_by_time ON wx_seen (created_at);

        CREATE TABLE wx_workers (
            sender_id        TEXT PRIMARY KEY,
            last_message_at  TEXT,
            subscribed       INTEGER NOT NULL DEFAULT 1,
            changed_at       TEXT NOT NULL
        );

        CREATE TABLE wx_options (
            sender_id   TEXT PRIMARY KEY,
            options     TEXT NOT NULL,
            created_at  TEXT NOT NULL
        );

        CREATE TABLE wx_tokens (
            app_id      TEXT PRIMARY KEY,
            token       TEXT NOT NULL,
            expires_at  TEXT NOT NULL
        )
        """
    )


@MIGRATIONS(name="0002_turn_leases")
def _turn_leases(db: Database) -> None:
    """Who runs a taken message's turn and until when (a killed process's turn is taken
    over by a retry); rows taken before this migration count as expired."""
    db.script(
        """
        ALTER TABLE wx_seen ADD COLUMN owner TEXT;
        ALTER TABLE wx_seen ADD COLUMN lease_until TEXT;
        ALTER TABLE wx_seen ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
        CREATE INDEX wx_seen_by_sender ON wx_seen (sender_id)
        """
    )
    db.execute("UPDATE wx_seen SET lease_until = created_at")


def open_db(location: str | os.PathLike[str] | None = None) -> Database:
    """The hand-off store with the WeChat tables (created and migrated if needed)."""
    db = open_handoff(location)
    if db.url not in _MIGRATED or not db.has_table("wx_seen"):
        MIGRATIONS.apply(db)
        _MIGRATED.add(db.url)
    return db


def _at(moment: datetime) -> str:
    return moment.isoformat()


# ---------------------------------------------------------------- de-duplication


@dataclass(frozen=True)
class Seen:
    """A message taken before: ``running`` (its turn is under way), ``passive`` (answered
    in the HTTP response: ``reply`` is that XML) or ``pushed`` (answered by customer-service
    message, or nothing to answer). ``mine``: this call took it over from a process whose
    lease ran out (it died mid-turn): run the turn (``attempts`` counts the takes)."""

    state: str
    reply: str | None
    mine: bool = False
    attempts: int = 1
    owner: str | None = None


@retrying
def take_message(
    db: Database, key: str, sender_id: str, now: datetime, *, owner: str = "", lease: timedelta | None = None
) -> Seen | None:
    """Claim a message for this process: None if it is new (run its turn), a :class:`Seen`
    with ``mine`` if its first taker's lease ran out (run it again), else what the first
    copy did. The primary key, and the compare-and-set on the lease, decide: two processes
    cannot both take it.

    ``lease`` None: the claim never expires (a caller without a heartbeat)."""
    until = _at(now + lease) if lease is not None else None
    params = {"key": key, "sender": sender_id, "now": _at(now), "owner": owner, "until": until}
    inserted = db.scalar(
        "INSERT INTO wx_seen (key, sender_id, state, created_at, owner, lease_until) "
        "VALUES (:key, :sender, 'running', :now, :owner, :until) "
        "ON CONFLICT DO NOTHING RETURNING key",
        params,
    )
    if inserted is not None:
        return None
    retaken = db.scalar(
        "UPDATE wx_seen SET owner = :owner, lease_until = :until, attempts = attempts + 1 "
        "WHERE key = :key AND state = 'running' AND lease_until IS NOT NULL AND lease_until < :now "
        "RETURNING attempts",
        params,
    )
    if retaken is not None:
        return Seen("running", None, mine=True, attempts=int(retaken))
    row = db.one("SELECT state, reply, attempts, owner FROM wx_seen WHERE key = :key", {"key": key})
    if row is None:  # forgotten meanwhile (删除我的数据, the daily sweep): nothing to repeat
        return Seen("pushed", None)
    owner_now = row["owner"] if row["state"] == "running" else None
    return Seen(str(row["state"]), row["reply"], attempts=int(row["attempts"] or 1), owner=owner_now)


@retrying
def take_over(db: Database, key: str, dead: str, owner: str, until: datetime) -> Seen | None:
    """Take a running message from ``dead``, a taker known to be gone (its process ended)
    before its lease ran out; None if it is no longer ``dead``'s (finished, or taken)."""
    attempts = db.scalar(
        "UPDATE wx_seen SET owner = :owner, lease_until = :until, attempts = attempts + 1 "
        "WHERE key = :key AND state = 'running' AND owner = :dead RETURNING attempts",
        {"owner": owner, "until": _at(until), "key": key, "dead": dead},
    )
    return Seen("running", None, mine=True, attempts=int(attempts)) if attempts is not None else None


@retrying
def renew_seen(db: Database, key: str, owner: str, until: datetime) -> bool:
    """The heartbeat of a turn under way; False if it is no longer this process's (taken
    over after a stall, finished, or forgotten)."""
    renewed = db.execute(
        "UPDATE wx_seen SET lease_until = :until WHERE key = :key AND owner = :owner AND state = 'running'",
        {"until": _at(until), "key": key, "owner": owner},
    ).rowcount
    return bool(renewed)


@retrying
def finish_seen(db: Database, key: str, state: str, reply: str | None = None) -> None:
    """The turn's answer is out (or stored for a retry): no lease any more. Only a turn
    still under way is finished: the first of two takers to finish wins, and a message
    forgotten meanwhile (删除我的数据) stays forgotten."""
    db.execute(
        "UPDATE wx_seen SET state = :state, reply = :reply, lease_until = NULL WHERE key = :key AND state = 'running'",
        {"state": state, "reply": reply, "key": key},
    )


@retrying
def forget_seen_before(db: Database, before: datetime) -> int:
    """WeChat retries within seconds: a day of keys is plenty."""
    return db.execute("DELETE FROM wx_seen WHERE created_at < :before", {"before": _at(before)}).rowcount


# ---------------------------------------------------------------- workers


@retrying
def record_message(db: Database, sender_id: str, now: datetime) -> None:
    """The worker wrote (or clicked, or followed): the 48-hour window starts again."""
    db.execute(
        "INSERT INTO wx_workers (sender_id, last_message_at, subscribed, changed_at) VALUES (:s, :now, 1, :now) "
        "ON CONFLICT (sender_id) DO UPDATE SET last_message_at = :now",
        {"s": sender_id, "now": _at(now)},
    )


@retrying
def record_subscription(db: Database, sender_id: str, subscribed: bool, now: datetime) -> None:
    db.execute(
        "INSERT INTO wx_workers (sender_id, subscribed, changed_at) VALUES (:s, :sub, :now) "
        "ON CONFLICT (sender_id) DO UPDATE SET subscribed = :sub, changed_at = :now",
        {"s": sender_id, "sub": int(subscribed), "now": _at(now)},
    )


@retrying
def last_message_at(db: Database, sender_id: str) -> datetime | None:
    value = db.scalar("SELECT last_message_at FROM wx_workers WHERE sender_id = :s", {"s": sender_id})
    return datetime.fromisoformat(value) if value else None


@retrying
def is_subscribed(db: Database, sender_id: str) -> bool:
    value = db.scalar("SELECT subscribed FROM wx_workers WHERE sender_id = :s", {"s": sender_id})
    return value is None or bool(value)


# ---------------------------------------------------------------- numbered options


@retrying
def save_options(db: Database, sender_id: str, options: list[dict[str, str]], now: datetime) -> None:
    """The options of the reply the worker just got; none: the numbers mean nothing now."""
    if not options:
        db.execute("DELETE FROM wx_options WHERE sender_id = :s", {"s": sender_id})
        return
    db.execute(
        "INSERT INTO wx_options (sender_id, options, created_at) VALUES (:s, :o, :now) "
        "ON CONFLICT (sender_id) DO UPDATE SET options = :o, created_at = :now",
        {"s": sender_id, "o": json.dumps(options, ensure_ascii=False), "now": _at(now)},
    )


@retrying
def load_options(db: Database, sender_id: str) -> list[dict[str, str]]:
    value = db.scalar("SELECT options FROM wx_options WHERE sender_id = :s", {"s": sender_id})
    if not value:
        return []
    loaded: Any = json.loads(value)
    return [o for o in loaded if isinstance(o, dict)] if isinstance(loaded, list) else []


# ---------------------------------------------------------------- the access token


@retrying
def read_token(db: Database, app_id: str) -> tuple[str, datetime] | None:
    row = db.one("SELECT token, expires_at FROM wx_tokens WHERE app_id = :a", {"a": app_id})
    return (str(row["token"]), datetime.fromisoformat(row["expires_at"])) if row else None


@retrying
def write_token(db: Database, app_id: str, token: str, expires_at: datetime) -> None:
    db.execute(
        "INSERT INTO wx_tokens (app_id, token, expires_at) VALUES (:a, :t, :e) "
        "ON CONFLICT (app_id) DO UPDATE SET token = :t, expires_at = :e",
        {"a": app_id, "t": token, "e": _at(expires_at)},
    )


@retrying
def drop_token(db: Database, app_id: str, token: str) -> None:
    """WeChat refused ``token``: forget it (unless another process replaced it already)."""
    db.execute("DELETE FROM wx_tokens WHERE app_id = :a AND token = :t", {"a": app_id, "t": token})


# ---------------------------------------------------------------- 删除我的数据


@retrying
def forget_sender(db: Database, sender_id: str) -> dict[str, int]:
    """删除我的数据: every ``wx_*`` row of the worker, in one transaction; how many rows of
    each. The 48-hour window and follow state and the numbered options are deleted; a
    message taken (its stored passive reply holds the openid and the answer) keeps only
    its anonymous ``msg:<MsgId>`` key, marked answered, so a late WeChat retry of it — the
    very message that asked for the deletion — runs no second turn; a follow or menu event,
    whose key names the openid, goes. The access token is the account's, not the worker's.
    A store the front end never created has nothing to forget."""
    if not db.has_table("wx_seen"):
        return {"seen": 0, "workers": 0, "options": 0}
    mine = {"s": sender_id}
    with db.transaction():
        seen = db.execute(
            "UPDATE wx_seen SET sender_id = '', reply = NULL, state = 'pushed', owner = NULL, lease_until = NULL "
            "WHERE sender_id = :s AND key LIKE 'msg:%'",
            mine,
        ).rowcount
        seen += db.execute("DELETE FROM wx_seen WHERE sender_id = :s", mine).rowcount
        workers = db.execute("DELETE FROM wx_workers WHERE sender_id = :s", mine).rowcount
        options = db.execute("DELETE FROM wx_options WHERE sender_id = :s", mine).rowcount
    db.checkpoint()
    return {"seen": seen, "workers": workers, "options": options}


#: Refresh this long before WeChat's expiry (its tokens live 7200 s).
TOKEN_MARGIN = timedelta(minutes=5)
