"""A hand-off for a worker of the REST channel: the part a front end does elsewhere.

Telegram and WeChat workers have front ends of their own (``tg-``, ``wx-``) that open a
ticket when Rasa's reply carries the ``handoff`` payload; a client of the REST channel (a
chat page, the terminal chat) has only its requests, so the channel does it, inside the
Rasa server, as :mod:`wechat.service` does it for WeChat:

* Rasa's reply hands the worker over → a ticket in the shared hand-off store (``pending``,
  then ``open`` with the masked transcript: the console's inbox and, when configured, the
  Telegram operators' group show it), the conversation paused in Rasa's own tracker store
  (under Rasa's lock for the conversation, as the HTTP API records events), and the worker
  told whether someone is on duty. Any step failing undoes the ones before (the ticket is
  cancelled, the pause lifted), the worker hears that no person could be reached and stays
  with the bot, and the cause is logged.
* While the ticket is open, the worker's messages are stored on it (the operators read
  them) and Rasa never sees them; an end word ("结束人工") closes it; asking for a person
  again says one is already on it.
* A close from anywhere (console, Telegram topic, the worker) leaves ``resume_pending``:
  the resume is recorded in the tracker before the worker's next message reaches Rasa.

Store calls are blocking and run in a thread, never on the server's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ConversationPaused, ConversationResumed, Event

import handoff
from bot.hours import StaffedHours
from common import settings, texts
from common.clock import default_clock
from common.privacy import redact
from common.replies import handoff_request

logger = logging.getLogger(__name__)

MAX_NAME_CHARS = 40
#: A ``pending`` REST ticket older than this was left by a server killed while opening it
#: (opening takes one request): the next request takes it over instead of being refused.
STALE_PENDING = timedelta(minutes=1)
#: What the ``custom.handoff_message.kind`` of the channel's own hand-off replies says (an
#: opened ticket is told by Rasa's ``handoff`` payload, kept in the reply).
ALREADY_OPEN, CLOSED, UNAVAILABLE = "already_open", "closed", "unavailable"


def instance_name(configured: str | None = None) -> str:
    """This Rasa server's name in hand-off claims and leases (``UH_INSTANCE``, or host:pid)."""
    return configured or f"rasa@{socket.gethostname()}:{os.getpid()}"


def applies(sender_id: str) -> bool:
    """Whether this channel opens and routes the worker's tickets (not a front end's)."""
    return not handoff.drained_by_front_end(sender_id)


def handoff_reason(replies: list[dict[str, Any]]) -> str | None:
    """The reason of the ``handoff`` payload in Rasa's replies; None if it hands nobody over."""
    for reply in replies:
        request = handoff_request(reply)
        if request is not None:
            return str(request.get("reason") or "request_human")
    return None


def _reply(sender_id: str, text: str, kind: str, ticket_id: int | None) -> dict[str, Any]:
    return {"recipient_id": sender_id, "text": text, "custom": {"handoff_message": {"kind": kind, "ticket": ticket_id}}}


@contextlib.asynccontextmanager
async def _conversation_lock(agent: Any, sender_id: str) -> AsyncIterator[None]:
    lock_store = getattr(agent, "lock_store", None)
    if lock_store is None:
        yield
        return
    async with lock_store.lock(sender_id):
        yield


async def record_event(agent: Any, sender_id: str, event: Event) -> None:
    """Append ``event`` to the conversation in Rasa's tracker store, under Rasa's lock for
    it (what ``POST /conversations/<id>/tracker/events`` does, without HTTP)."""
    async with _conversation_lock(agent, sender_id):
        processor = getattr(agent, "processor", None)
        if processor is not None:
            tracker = await processor.get_tracker(sender_id)
        else:
            tracker = await agent.tracker_store.get_or_create_tracker(sender_id, append_action_listen=False)
        tracker.update(event)
        await agent.tracker_store.save(tracker)


class RestHandoff:
    """Opens, routes and hands back the REST channel's tickets (module docstring)."""

    def __init__(self) -> None:
        cfg = settings.load()
        self.url = cfg.handoff_url
        self.owner = instance_name(cfg.instance)
        self.hours = StaffedHours.parse(cfg.staffed_hours)
        self.clock = default_clock()

    # ------------------------------------------------------------ before Rasa

    async def before_rasa(self, agent: Any, message: UserMessage) -> list[dict[str, Any]] | None:
        """The reply instead of Rasa's while a ticket is open (possibly ``[]``: the operators
        answer later); None when Rasa handles the message — after any close is resumed.
        Raises when the hand-off store cannot say (the caller lets Rasa answer)."""
        sender = message.sender_id
        if not handoff.store_created(self.url):
            return None  # no hand-off has ever been stored: nothing is open
        ticket, closed = await asyncio.to_thread(self._look, sender)
        if ticket is not None:
            text = (message.text or "").strip()
            if text in texts.WX_END_HANDOFF_WORDS:
                return await self._close_by_worker(agent, ticket)
            await asyncio.to_thread(self._keep, ticket, message.text or "")
            if text in texts.REST_HANDOFF_REQUEST_WORDS:
                return [_reply(sender, texts.WX_HANDOFF_ALREADY_OPEN, ALREADY_OPEN, ticket.id)]
            return []
        for done in closed:
            await self._resume(agent, done)
        return None

    def _look(self, sender: str) -> tuple[handoff.Ticket | None, list[handoff.Ticket]]:
        with handoff.handoff_store(self.url) as db:
            ticket = handoff.open_ticket_of(db, sender)
            return ticket, ([] if ticket else handoff.pending_resumes(db, sender))

    def _keep(self, ticket: handoff.Ticket, text: str) -> None:
        with handoff.handoff_store(self.url) as db:
            handoff.add_worker_message(db, ticket.id, text, now=self.clock.now())

    async def _close_by_worker(self, agent: Any, ticket: handoff.Ticket) -> list[dict[str, Any]]:
        def close() -> handoff.Ticket | None:
            with handoff.handoff_store(self.url) as db:
                closed = handoff.close_ticket(db, ticket.id, closed_by="worker", now=self.clock.now())
                return closed or next(iter(handoff.pending_resumes(db, ticket.sender_id)), None)

        closed = await asyncio.to_thread(close)
        if closed is not None:
            await self._resume(agent, closed)  # before the worker's next message reaches Rasa
        logger.info("Ticket #%s closed by its REST worker %s", ticket.id, ticket.sender_id)
        return [_reply(ticket.sender_id, texts.WX_HANDOFF_CLOSED_BY_WORKER, CLOSED, ticket.id)]

    async def _resume(self, agent: Any, ticket: handoff.Ticket) -> None:
        """Hand the conversation back to Rasa; a failure is logged and retried on the next
        message (``resume_pending`` stays)."""
        try:
            await record_event(agent, ticket.sender_id, ConversationResumed())
            await asyncio.to_thread(self._resumed, ticket.id)
        except Exception:
            logger.warning("Resume of %s (ticket #%s) not recorded yet", ticket.sender_id, ticket.id, exc_info=True)

    def _resumed(self, ticket_id: int) -> None:
        with handoff.handoff_store(self.url) as db:
            handoff.resume_recorded(db, ticket_id)

    # ------------------------------------------------------------ after Rasa

    async def after_rasa(self, agent: Any, message: UserMessage, collected: list[dict[str, Any]]) -> None:
        """When Rasa's reply hands the worker over, open the ticket and say so (appended to
        ``collected``); when that fails, undo it, take the payload out and say why."""
        reason = handoff_reason(collected)
        if reason is None:
            return
        sender = message.sender_id
        now = self.clock.now()
        metadata = message.metadata if isinstance(message.metadata, dict) else {}
        given = redact(str(metadata.get("display_name") or "").strip())[:MAX_NAME_CHARS]  # the client's word only
        name = given or texts.REST_WORKER_NAME.format(tail=sender[-4:])
        transcript = await self._transcript(agent, sender)
        staffed = self.hours.is_staffed(now)
        try:
            ticket, already = await asyncio.to_thread(self._request, sender, name, reason, staffed, now, transcript)
        except Exception:
            logger.exception("No ticket for %s: the hand-off store failed; the worker stays with the bot", sender)
            self._unavailable(sender, collected)
            return
        if already:
            collected.append(_reply(sender, texts.WX_HANDOFF_ALREADY_OPEN, ALREADY_OPEN, ticket.id))
            return
        try:
            await record_event(agent, sender, ConversationPaused())
        except Exception:
            logger.exception("Ticket #%s for %s undone: the pause could not be recorded in Rasa", ticket.id, sender)
            await self._undo(agent, ticket, paused=False)
            self._unavailable(sender, collected)
            return
        try:
            opened = await asyncio.to_thread(self._post, ticket.id, now)
        except Exception:
            logger.exception("Ticket #%s for %s undone: it could not be opened", ticket.id, sender)
            opened = None
        if opened is None:
            await self._undo(agent, ticket, paused=True)
            self._unavailable(sender, collected)
            return
        logger.info("Ticket #%s opened for REST worker %s (%s)", opened.id, sender, reason)
        status = self.hours.notice(now, texts.WX_HANDOFF_STAFFED, texts.WX_HANDOFF_UNSTAFFED)
        # Text only: the ``handoff`` payload already tells the client a person has it.
        collected.append({"recipient_id": sender, "text": status})

    def _request(
        self, sender: str, name: str, reason: str, staffed: bool, now: datetime, transcript: str
    ) -> tuple[handoff.Ticket, bool]:
        """A pending ticket to open, and whether the worker already had one (open, or
        being opened by another request right now)."""
        with handoff.handoff_store(self.url) as db:
            for _ in range(3):  # a live ticket closed between the two statements: ask again
                try:
                    ticket = handoff.request_ticket(
                        db,
                        sender_id=sender,
                        display_name=name,
                        reason=reason,
                        staffed=staffed,
                        now=now,
                        transcript=transcript,
                        owner=self.owner,
                    )
                    return ticket, False
                except handoff.TicketAlreadyOpen:
                    live = handoff.live_ticket(db, sender)
                if live is not None:
                    stale = live.status == "pending" and datetime.fromisoformat(live.opened_at) < now - STALE_PENDING
                    if stale:
                        logger.warning(
                            "Taking over ticket #%s of %s, left pending by a stopped server", live.id, sender
                        )
                    return live, not stale
            raise RuntimeError(f"no ticket could be requested for {sender}")

    def _post(self, ticket_id: int, now: datetime) -> handoff.Ticket | None:
        """``pending`` → ``open``; the store is the operators' inbox, nothing to post to."""
        with handoff.handoff_store(self.url) as db:
            opened = handoff.mark_posted(db, ticket_id, now)
            if opened is not None:
                handoff.set_paused(db, opened.id, True)
            return opened

    async def _undo(self, agent: Any, ticket: handoff.Ticket, *, paused: bool) -> None:
        def cancel() -> None:
            with handoff.handoff_store(self.url) as db:
                handoff.cancel_request(db, ticket.id, self.clock.now())

        try:
            await asyncio.to_thread(cancel)
        except Exception:  # a stale pending ticket: the next request takes it over
            logger.warning("Ticket #%s of %s not cancelled", ticket.id, ticket.sender_id, exc_info=True)
        if paused:
            try:
                await record_event(agent, ticket.sender_id, ConversationResumed())
            except Exception:
                logger.exception("%s stays paused in Rasa after ticket #%s was undone", ticket.sender_id, ticket.id)

    def _unavailable(self, sender: str, collected: list[dict[str, Any]]) -> None:
        """No person: the client must not switch to one (the payload goes), the worker hears it."""
        collected[:] = [r for r in collected if handoff_request(r) is None]
        collected.append(_reply(sender, texts.REST_HANDOFF_FAILED, UNAVAILABLE, None))

    async def _transcript(self, agent: Any, sender: str) -> str:
        try:
            tracker = await agent.tracker_store.retrieve(sender)
        except Exception:
            logger.warning("No transcript for %s", sender, exc_info=True)
            return texts.TRANSCRIPT_UNAVAILABLE
        if tracker is None:
            return texts.TRANSCRIPT_EMPTY
        return handoff.transcript_of(event.as_dict() for event in list(tracker.events)[-200:])
