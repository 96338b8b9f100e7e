"""Hand-off tickets as the Telegram front end sees them: the shared ticket (:mod:`handoff`)
with where it was posted in the operators' chat (``tg_ticket_posts``), the mapping of the
operators' messages to tickets, and the day's activity for ``/stats``.

:mod:`bot.handoff` decides *when* a ticket opens, what is relayed and when it closes; this
module only stores and finds. All state lives in the database shared by every front end, so
a restart — or another front end behind the same webhook — loses no open ticket and no
message mapping. With :mod:`bot.db` (the schema) and :mod:`bot.buttons` it is the only code
running SQL on the ``tg_*`` tables; the tickets are reached through ``handoff``'s functions.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import handoff
from common.database import Database, retrying
from handoff import TicketAlreadyOpen

__all__ = [
    "TELEGRAM",
    "Ticket",
    "TicketAlreadyOpen",
    "by_ops_message",
    "advance_mirror",
    "by_thread",
    "claim_mirror",
    "close",
    "conversations_on",
    "create",
    "forget_sender",
    "get",
    "handoffs_on",
    "list_open",
    "live_for_user",
    "mark_answered",
    "mark_posted",
    "claim_close_mirror",
    "mirror_cursor",
    "open_count",
    "open_for_user",
    "pending_resumes",
    "record_activity",
    "record_post",
    "release_mirror",
    "remember_message",
    "sender_for",
    "update_seen",
    "user_for",
]

TELEGRAM = "tg"


def sender_for(user_id: int) -> str:
    """The conversation id of a Telegram user (their private chat has the same id)."""
    return f"{TELEGRAM}-{user_id}"


def user_for(sender_id: str) -> int | None:
    """``tg-12345`` → 12345; None for a conversation that is not a Telegram one."""
    prefix, _, rest = sender_id.partition("-")
    return int(rest) if prefix == TELEGRAM and rest.isdigit() else None


@dataclass(frozen=True)
class Ticket:
    id: int
    user_id: int
    chat_id: int
    sender_id: str
    display_name: str  # phone-like parts masked
    reason: str  # request_human | fallback | form_failures | rasa_unavailable
    status: str  # pending | open | closed
    opened_at: str
    answered_at: str | None
    closed_at: str | None
    closed_by: str | None
    ops_chat_id: int  # 0 while pending
    thread_id: int | None
    header_message_id: int | None
    staffed: int
    paused: int
    resume_pending: int
    post_attempts: int = 0
    transcript: str = ""

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"


def _view(db: Database, shared: handoff.Ticket | None) -> Ticket | None:
    if shared is None:
        return None
    user = user_for(shared.sender_id) or 0
    post = db.one("SELECT * FROM tg_ticket_posts WHERE ticket_id = :id", {"id": shared.id}) or {}
    return Ticket(
        id=shared.id,
        user_id=user,
        chat_id=user,
        sender_id=shared.sender_id,
        display_name=shared.display_name,
        reason=shared.reason,
        status=shared.status,
        opened_at=shared.opened_at,
        answered_at=shared.answered_at,
        closed_at=shared.closed_at,
        closed_by=shared.closed_by,
        ops_chat_id=int(post.get("ops_chat_id") or 0),
        thread_id=None if post.get("thread_id") is None else int(post["thread_id"]),
        header_message_id=None if post.get("header_message_id") is None else int(post["header_message_id"]),
        staffed=shared.staffed,
        paused=shared.paused,
        resume_pending=shared.resume_pending,
        post_attempts=shared.post_attempts,
        transcript=shared.transcript,
    )


def view(db: Database, shared: handoff.Ticket | None) -> Ticket | None:
    """The Telegram view of a shared ticket."""
    return _view(db, shared)


def get(db: Database, ticket_id: int) -> Ticket | None:
    return _view(db, handoff.get_ticket(db, ticket_id))


def open_for_user(db: Database, user_id: int) -> Ticket | None:
    """The worker's open ticket: the operators have it, their messages go there."""
    return _view(db, handoff.open_ticket_of(db, sender_for(user_id)))


def live_for_user(db: Database, user_id: int) -> Ticket | None:
    """The worker's pending or open ticket."""
    return _view(db, handoff.live_ticket(db, sender_for(user_id)))


def create(
    db: Database,
    *,
    user_id: int,
    chat_id: int,
    sender_id: str,
    display_name: str,
    reason: str,
    opened_at: datetime,
    staffed: bool,
    ops_chat_id: int,
) -> Ticket:
    """A new pending ticket (not yet posted). Raises :class:`TicketAlreadyOpen`."""
    shared = handoff.request_ticket(
        db, sender_id=sender_id, display_name=display_name, reason=reason, staffed=staffed, now=opened_at
    )
    ticket = _view(db, shared)
    assert ticket is not None
    return ticket


@retrying
def record_post(
    db: Database, ticket_id: int, ops_chat_id: int, thread_id: int | None, header_message_id: int, when: datetime
) -> None:
    """Where the ticket now is in the operators' chat (a retried post replaces it)."""
    db.execute(
        "INSERT INTO tg_ticket_posts (ticket_id, ops_chat_id, thread_id, header_message_id, created_at) "
        "VALUES (:ticket, :chat, :thread, :header, :when) ON CONFLICT (ticket_id) DO UPDATE SET "
        "ops_chat_id = excluded.ops_chat_id, thread_id = excluded.thread_id, "
        "header_message_id = excluded.header_message_id, created_at = excluded.created_at",
        {
            "ticket": ticket_id,
            "chat": ops_chat_id,
            "thread": thread_id,
            "header": header_message_id,
            "when": when.isoformat(),
        },
    )


def mark_posted(db: Database, ticket_id: int, when: datetime, transcript: str) -> Ticket | None:
    """pending → open (None if another front end posted it, or it was given up)."""
    return _view(db, handoff.mark_posted(db, ticket_id, when, transcript=transcript))


def close(
    db: Database, ticket_id: int, *, closed_by: str, closed_at: datetime, notice: str | None = None
) -> Ticket | None:
    """Close an open ticket; ``None`` if it was not open (closed twice, by two operators)."""
    return _view(db, handoff.close_ticket(db, ticket_id, closed_by=closed_by, now=closed_at, notice=notice))


def mark_answered(db: Database, ticket: Ticket, when: datetime) -> None:
    if not ticket.answered_at:
        handoff.mark_answered(db, ticket.id, when)


def list_open(db: Database) -> list[Ticket]:
    return [t for t in (_view(db, s) for s in handoff.list_tickets(db, "open", channel=TELEGRAM)) if t]


def pending_resumes(db: Database, user_id: int | None = None, closed_before: datetime | None = None) -> list[Ticket]:
    sender = None if user_id is None else sender_for(user_id)
    found = handoff.pending_resumes(db, sender, channel=TELEGRAM, closed_before=closed_before)
    return [t for t in (_view(db, s) for s in found) if t]


@retrying
def remember_message(
    db: Database, ticket_id: int, ops_chat_id: int, ops_message_id: int, kind: str, when: datetime
) -> None:
    db.execute(
        "INSERT INTO tg_message_map (ops_chat_id, ops_message_id, ticket_id, kind, created_at) "
        "VALUES (:chat, :message, :ticket, :kind, :when) ON CONFLICT (ops_chat_id, ops_message_id) "
        "DO UPDATE SET ticket_id = excluded.ticket_id, kind = excluded.kind",
        {"chat": ops_chat_id, "message": ops_message_id, "ticket": ticket_id, "kind": kind, "when": when.isoformat()},
    )


def by_ops_message(db: Database, ops_chat_id: int, ops_message_id: int) -> Ticket | None:
    ticket_id = db.scalar(
        "SELECT ticket_id FROM tg_message_map WHERE ops_chat_id = :chat AND ops_message_id = :message",
        {"chat": ops_chat_id, "message": ops_message_id},
    )
    return None if ticket_id is None else get(db, int(ticket_id))


def by_thread(db: Database, ops_chat_id: int, thread_id: int) -> Ticket | None:
    """The ticket of a forum topic (the newest one, should a topic ever be reused)."""
    ticket_id = db.scalar(
        "SELECT ticket_id FROM tg_ticket_posts WHERE ops_chat_id = :chat AND thread_id = :thread "
        "ORDER BY ticket_id DESC LIMIT 1",
        {"chat": ops_chat_id, "thread": thread_id},
    )
    return None if ticket_id is None else get(db, int(ticket_id))


# --- webhook updates handled -------------------------------------------------------------


@retrying
def update_seen(db: Database, update_id: int, when: datetime) -> bool:
    """Record that a webhook update was handled; False if it had been already (Telegram
    delivered it again: to this front end or another)."""
    inserted = db.execute(
        "INSERT INTO tg_updates (update_id, done_at) VALUES (:id, :when) ON CONFLICT (update_id) DO UPDATE "
        "SET done_at = excluded.done_at WHERE tg_updates.done_at < :since",
        {"id": int(update_id), "when": when.isoformat(), "since": (when - REMEMBER_UPDATES).isoformat()},
    ).rowcount
    return inserted == 1


#: How long a handled update is remembered: Telegram gives up redelivering long before, and
#: after a week without updates it may start its update ids anew.
REMEMBER_UPDATES = timedelta(days=1)


def update_handled(db: Database, update_id: int, now: datetime) -> bool:
    """Whether this update was handled (by any front end) within :data:`REMEMBER_UPDATES`."""
    return (
        db.scalar(
            "SELECT 1 FROM tg_updates WHERE update_id = :id AND done_at >= :since",
            {"id": int(update_id), "since": (now - REMEMBER_UPDATES).isoformat()},
        )
        is not None
    )


# --- activity and statistics -------------------------------------------------------------


def _user_key(db: Database, user_id: int) -> str:
    """A keyed hash of the user id: /stats counts workers without naming them."""
    salt = db.scalar("SELECT value FROM tg_meta WHERE key = 'activity_salt'") or ""
    return hmac.new(salt.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()[:16]


@retrying
def record_activity(db: Database, user_id: int, when: datetime) -> None:
    db.execute(
        "INSERT INTO tg_activity (day, user_key, messages, last_at) VALUES (:day, :user, 1, :when) "
        "ON CONFLICT (day, user_key) DO UPDATE SET messages = tg_activity.messages + 1, last_at = excluded.last_at",
        {"day": when.date().isoformat(), "user": _user_key(db, user_id), "when": when.isoformat()},
    )


def _count(db: Database, sql: str, params: dict[str, Any]) -> int:
    return int(db.scalar(sql, params) or 0)


def conversations_on(db: Database, day: str) -> int:
    """Workers who wrote to the bot on ``day`` (``YYYY-MM-DD``, Ningbo)."""
    return _count(db, "SELECT COUNT(*) FROM tg_activity WHERE day = :day", {"day": day})


def handoffs_on(db: Database, day: str) -> int:
    return handoff.tickets_opened_on(db, day)


def open_count(db: Database) -> int:
    return handoff.open_count(db)


@retrying
def forget_before(db: Database, before: datetime) -> dict[str, int]:
    """Retention of the Telegram tables: activity days, handled updates, and the
    mappings of tickets the hand-off store no longer has."""
    cutoff = {"before": before.isoformat(), "day": before.date().isoformat()}
    with db.transaction():
        activity = db.execute("DELETE FROM tg_activity WHERE day < :day", cutoff).rowcount
        updates = db.execute(
            "DELETE FROM tg_updates WHERE done_at < :recent", {"recent": (before - REMEMBER_UPDATES).isoformat()}
        ).rowcount
        gone = "NOT IN (SELECT id FROM handoff_tickets)"
        mapping = db.execute(f"DELETE FROM tg_message_map WHERE ticket_id {gone}").rowcount
        mapping += db.execute(f"DELETE FROM tg_ticket_posts WHERE ticket_id {gone}").rowcount
    return {"activity": activity, "updates": updates, "mappings": mapping}


@retrying
def forget_sender(db: Database, sender_id: str) -> dict[str, int]:
    """删除我的数据 (``rasa_ext.purge`` calls it): the Telegram rows about the worker, in one
    transaction — their buttons (``tg_buttons``: user id and payloads), their activity
    counts (a keyed hash of the user id), and where their tickets (any channel's: a WeChat
    ticket is shown in the operators' chat too) were posted and mirrored. Call it before
    ``handoff.forget_sender``; mappings of tickets already gone go as well. The buttons are
    deleted here rather than in :mod:`bot.buttons`, which imports ``telegram``: the Rasa
    server runs this. A store no Telegram front end ever used has nothing to forget."""
    if not db.has_table("tg_buttons"):
        return {"buttons": 0, "activity": 0, "mappings": 0}
    user_id = user_for(sender_id)
    mine = {"sender": sender_id}
    worker = "SELECT id FROM handoff_tickets WHERE sender_id = :sender"
    with db.transaction():
        tickets = [int(row[0]) for row in db.execute(worker, mine)]
        buttons = activity = 0
        if user_id is not None:
            buttons = db.execute("DELETE FROM tg_buttons WHERE user_id = :u", {"u": user_id}).rowcount
            activity = db.execute("DELETE FROM tg_activity WHERE user_key = :k", {"k": _user_key(db, user_id)}).rowcount
        gone = f"ticket_id IN ({worker}) OR ticket_id NOT IN (SELECT id FROM handoff_tickets)"
        mappings = db.execute(f"DELETE FROM tg_message_map WHERE {gone}", mine).rowcount
        mappings += db.execute(f"DELETE FROM tg_ticket_posts WHERE {gone}", mine).rowcount
        for ticket_id in tickets:
            db.execute("DELETE FROM tg_meta WHERE key = :k", {"k": _mirror_key(ticket_id)})
    db.checkpoint()
    return {"buttons": buttons, "activity": activity, "mappings": mappings}


# --- tickets of other channels shown in the operators' chat (WeChat) ------------------------
#: A placeholder post (ops_chat_id 0) older than this belongs to a front end that died
#: while posting: another may post the ticket.
MIRROR_CLAIM_STALE = timedelta(minutes=5)


@retrying
def claim_mirror(db: Database, ticket_id: int, when: datetime) -> bool:
    """Take the posting of another channel's ticket in the operators' chat: a placeholder
    row only one Telegram front end can insert (or take over when it went stale)."""
    inserted = db.scalar(
        "INSERT INTO tg_ticket_posts (ticket_id, ops_chat_id, created_at) VALUES (:id, 0, :when) "
        "ON CONFLICT DO NOTHING RETURNING ticket_id",
        {"id": int(ticket_id), "when": when.isoformat()},
    )
    if inserted is not None:
        return True
    taken = db.execute(
        "UPDATE tg_ticket_posts SET created_at = :when WHERE ticket_id = :id AND ops_chat_id = 0 "
        "AND created_at < :stale",
        {"id": int(ticket_id), "when": when.isoformat(), "stale": (when - MIRROR_CLAIM_STALE).isoformat()},
    )
    return taken.rowcount == 1


@retrying
def release_mirror(db: Database, ticket_id: int) -> None:
    """Posting failed: drop the placeholder, so the next round tries again."""
    db.execute("DELETE FROM tg_ticket_posts WHERE ticket_id = :id AND ops_chat_id = 0", {"id": int(ticket_id)})


@retrying
def claim_close_mirror(db: Database, ticket_id: int) -> bool:
    """Take the showing of another channel's ticket closing (in the console, or by its
    worker) in the operators' chat: only one Telegram front end, once."""
    inserted = db.scalar(
        "INSERT INTO tg_meta (key, value) VALUES (:k, '1') ON CONFLICT DO NOTHING RETURNING key",
        {"k": f"mirror-closed:{int(ticket_id)}"},
    )
    return inserted is not None


def _mirror_key(ticket_id: int) -> str:
    return f"mirror:{int(ticket_id)}"


@retrying
def mirror_cursor(db: Database, ticket_id: int) -> int:
    """The last message of the ticket's conversation shown in the operators' chat."""
    value = db.scalar("SELECT value FROM tg_meta WHERE key = :k", {"k": _mirror_key(ticket_id)})
    return int(value) if value else 0


@retrying
def advance_mirror(db: Database, ticket_id: int, old: int, new: int) -> bool:
    """Move the cursor from ``old`` to ``new``; False if another front end moved it first
    (then it shows those messages, not this one)."""
    key = _mirror_key(ticket_id)
    if old == 0:
        inserted = db.scalar(
            "INSERT INTO tg_meta (key, value) VALUES (:k, :v) ON CONFLICT DO NOTHING RETURNING key",
            {"k": key, "v": str(new)},
        )
        if inserted is not None:
            return True
    result = db.execute(
        "UPDATE tg_meta SET value = :new WHERE key = :k AND value = :old", {"k": key, "new": str(new), "old": str(old)}
    )
    return result.rowcount == 1
