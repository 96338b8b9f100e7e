"""What the hand-off store hands back, as frozen dataclasses (never raw rows)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

TicketStatus = Literal["pending", "open", "closed"]
#: ``from_worker`` (relayed to the operators), ``to_worker`` (an operator's reply),
#: ``note`` (among operators only), ``system`` (what the bot told the worker).
Direction = Literal["from_worker", "to_worker", "note", "system"]


def _of(cls: Any, row: dict[str, Any]) -> dict[str, Any]:
    return {f.name: row.get(f.name) for f in fields(cls)}


@dataclass(frozen=True)
class Ticket:
    """One hand-off of a worker (on one channel) to the operators.

    ``pending``: asked for, not (yet) in front of the operators — the worker stays with
    the bot, and posting is retried (``post_attempts``, ``next_post_at``, ``last_error``);
    ``open``: the operators have it, the worker's messages go to them; ``closed``.
    """

    id: int
    sender_id: str  # tg-<user id>, wx-<openid>, …: the conversation, and the channel
    channel: str  # "tg", "wx", … (the sender id's prefix)
    display_name: str  # numbers masked
    reason: str  # request_human | fallback | form_failures | rasa_unavailable
    status: TicketStatus
    opened_at: str  # when the worker asked
    posted_at: str | None
    answered_at: str | None  # the first operator reply
    closed_at: str | None
    closed_by: str | None  # operator:<id> | worker | system
    staffed: int
    paused: int  # the pause event reached Rasa
    resume_pending: int  # closed, but the resume event has not reached Rasa yet
    transcript: str  # the recent conversation, masked, as the operators got it
    post_attempts: int
    next_post_at: str | None
    last_error: str | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Ticket:
        values = _of(cls, row)
        for name in ("id", "staffed", "paused", "resume_pending", "post_attempts"):
            values[name] = int(values[name] or 0)
        values["display_name"] = values["display_name"] or ""
        values["transcript"] = values["transcript"] or ""
        return cls(**values)


@dataclass(frozen=True)
class Message:
    """One message of a ticket's conversation (numbers in a worker's text masked)."""

    id: int
    ticket_id: int
    direction: Direction
    author: str | None
    text: str
    source: str | None  # where it came from, e.g. tg:<chat>:<message>; unique
    created_at: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Message:
        values = _of(cls, row)
        values["id"], values["ticket_id"] = int(values["id"]), int(values["ticket_id"])
        return cls(**values)


@dataclass(frozen=True)
class OutboxItem:
    """Something that must reach the worker on their channel: an operator's reply, or the
    notice that their ticket was closed (from wherever it was closed)."""

    id: int
    ticket_id: int | None
    sender_id: str
    kind: str  # operator_reply | closed | ready (a deferred ticket reached the operators)
    text: str
    payload: str | None  # JSON for the channel (e.g. a Telegram message to copy)
    created_at: str
    delivered_at: str | None
    attempts: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutboxItem:
        values = _of(cls, row)
        values["id"] = int(values["id"])
        values["ticket_id"] = None if values["ticket_id"] is None else int(values["ticket_id"])
        values["attempts"] = int(values["attempts"] or 0)
        return cls(**values)
