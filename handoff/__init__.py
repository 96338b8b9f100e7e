"""The hand-off store: tickets that hand a worker to the union's operators, whatever the
channel (``tg-…`` Telegram, ``wx-…`` WeChat, any other id a client of the REST channel),
with their conversation and an outbox of what must reach the worker.

Plain functions over a :class:`~common.database.Database` handle — the SQLite file
``$UH_DATA_DIR/handoff.db`` by default, the shared PostgreSQL with ``UH_DATABASE_URL`` — so
several front ends (and the console's operators' inbox) share the tickets::

    from handoff import handoff_store, request_ticket, mark_posted

    with handoff_store() as db:
        ticket = request_ticket(db, sender_id="tg-5001", display_name="张 三", reason="request_human",
                                staffed=True, now=clock.now())      # pending: not yet with the operators
        ...post it to the operators' chat...
        ticket = mark_posted(db, ticket.id, clock.now())           # open

This package owns the ``handoff_*`` tables: nothing else runs SQL on them. The front ends
keep their channel's details (Telegram's topics and message ids) in tables of their own.
Importing it has no side effects.
"""

from __future__ import annotations

from handoff.inbox import WebReply, handoff_period, inbox_tickets, reply_if_open
from handoff.messages import (
    OperatorReply,
    add_message,
    add_operator_reply,
    add_worker_message,
    claim_for_client,
    claim_outbox,
    drained_by_front_end,
    give_up_outbox,
    mark_outbox_delivered,
    queue_for_worker,
    release_outbox,
    renew_outbox,
    ticket_messages,
    undelivered_for_ticket,
)
from handoff.models import Message, OutboxItem, Ticket
from handoff.privacy import export_sender, forget_closed_before, forget_sender
from handoff.store import MIGRATIONS, handoff_store, handoff_url, open_handoff, store_created
from handoff.tickets import (
    TicketAlreadyOpen,
    cancel_request,
    channel_of,
    claim_unposted,
    close_ticket,
    defer_posting,
    get_ticket,
    list_tickets,
    live_ticket,
    mark_answered,
    mark_posted,
    open_count,
    open_ticket_of,
    pending_resumes,
    request_ticket,
    resume_recorded,
    set_paused,
    tickets_opened_on,
)
from handoff.transcripts import transcript_of

__all__ = [
    "WebReply",
    "handoff_period",
    "inbox_tickets",
    "reply_if_open",
    "MIGRATIONS",
    "Message",
    "OperatorReply",
    "OutboxItem",
    "Ticket",
    "TicketAlreadyOpen",
    "add_message",
    "add_operator_reply",
    "add_worker_message",
    "cancel_request",
    "channel_of",
    "claim_for_client",
    "claim_outbox",
    "claim_unposted",
    "close_ticket",
    "defer_posting",
    "drained_by_front_end",
    "export_sender",
    "forget_closed_before",
    "forget_sender",
    "get_ticket",
    "give_up_outbox",
    "handoff_store",
    "handoff_url",
    "list_tickets",
    "live_ticket",
    "mark_answered",
    "mark_outbox_delivered",
    "mark_posted",
    "open_count",
    "open_handoff",
    "open_ticket_of",
    "pending_resumes",
    "queue_for_worker",
    "release_outbox",
    "renew_outbox",
    "request_ticket",
    "resume_recorded",
    "set_paused",
    "store_created",
    "ticket_messages",
    "tickets_opened_on",
    "transcript_of",
    "undelivered_for_ticket",
]
