"""Hand-off to the union's operators in a Telegram group.

Rasa's ``action_handoff`` (a request for a person, two fallbacks in a row, repeated form
failures) answers with the custom payload ``{"handoff": {"reason": ...}}``; ``/human`` asks
Rasa for the same. The front end then

1. asks the hand-off store for a ticket (:mod:`handoff`, shared by every front end): a
   *pending* one, not yet a hand-off;
2. posts it in the operators' group: its own forum topic when the group is a forum,
   otherwise a header message the operators reply to, with the worker's display name
   (phone-like numbers masked), the reason and the recent transcript from the Rasa tracker.
   Only once that worked is the ticket *open*. Any failure on the way, of any kind (Telegram
   down, an answer PTB cannot parse, a missing right), leaves it pending: the worker is told
   the operators cannot be reached right now and stays with the bot, the cause is logged,
   and posting is retried (by whichever front end polls first) until the operators' chat is
   back — then the worker is told that someone will answer. Never a worker who thinks a
   person is reading while nobody has the ticket (issue #17);
3. records ``{"event": "pause"}`` in the worker's Rasa conversation;
4. relays everything the worker sends to the operators (not to Rasa) and every operator
   reply in the topic / to a ticket message back to the worker — through the hand-off
   outbox, so a reply that reaches two front ends (a retried webhook) is sent once;
5. on ``/done`` (operators) or ``/cancel`` (worker) closes the ticket, records
   ``{"event": "resume"}`` and tells the worker; if Rasa is unreachable then, the resume is
   retried before the worker's next message reaches Rasa, so no conversation stays paused.

Only members of the operators' group (getChatMember: member/administrator/creator) and
``TELEGRAM_STAFF_IDS`` may answer or close tickets.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, Message, MessageId, ReplyParameters, User
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden, TelegramError

import handoff as store
from bot import buttons, tickets
from bot.context import BotContext, Services, Worker
from bot.formatting import shorten
from bot.notifications import NOT_NOW, SENT, NotificationUpdate
from bot.rasa_client import RasaUnavailable, resume_conversation
from bot.send import send_text
from bot.tickets import Ticket
from common import texts
from common.database import DRIVER_ERRORS
from common.privacy import redact
from knowledge.gaps import count_unanswered

log = logging.getLogger(__name__)

TRANSCRIPT_MESSAGES = 10
_SENDER_SLOT = "\x00sender\x00"  # no digits: untouched by redact
OPERATOR_STATUSES = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
#: Waits between attempts to post a ticket the operators' chat refused (then every 10 min).
POST_RETRY_DELAYS = (30.0, 60.0, 120.0, 300.0, 600.0)
#: A ticket not posted after this long is given up and the worker told (they can ask again).
GIVE_UP_POSTING_AFTER = timedelta(hours=4)


class OperatorDirectory:
    """Who may answer tickets, and whether the operators' group is a forum (cached briefly)."""

    def __init__(self, chat_id: int | None, staff_ids: frozenset[int], ttl: float = 300.0) -> None:
        self.chat_id = chat_id
        self.staff_ids = staff_ids
        self.ttl = ttl
        self._members: dict[int, tuple[bool, float]] = {}
        self._forum: tuple[bool, float] | None = None

    async def is_operator(self, bot: Bot, user: User | None, message: Message | None = None) -> bool:
        if message is not None and message.sender_chat and message.sender_chat.id == self.chat_id:
            return True  # an anonymous administrator posting as the group
        if user is None or user.is_bot:
            return False
        if user.id in self.staff_ids:
            return True
        if self.chat_id is None:
            return False
        cached = self._members.get(user.id)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        try:
            member = await bot.get_chat_member(self.chat_id, user.id)
            allowed = member.status in OPERATOR_STATUSES
        except (TelegramError, TypeError, ValueError) as exc:  # API error, or an answer PTB cannot parse
            log.warning("getChatMember(%s) failed: %s", user.id, exc)
            return False  # not cached: ask again next time
        self._members[user.id] = (allowed, time.monotonic() + self.ttl)
        return allowed

    async def is_forum(self, bot: Bot) -> bool:
        if self._forum and self._forum[1] > time.monotonic():
            return self._forum[0]
        if self.chat_id is None:
            return False
        try:
            chat = await bot.get_chat(self.chat_id)
            forum = bool(chat.is_forum)
        except Exception as exc:  # noqa: BLE001 - an API error, or an answer PTB cannot parse
            log.warning("getChat(operators) failed (%s: %s); assuming no forum", type(exc).__name__, exc)
            return False
        self._forum = (forum, time.monotonic() + self.ttl)
        return forum

    def forget_forum(self) -> None:
        self._forum = None


# --- where messages go in the operators' chat ---------------------------------------------


def _ops_target(ticket: Ticket) -> dict[str, Any]:
    """send_* keyword arguments that put a message into the ticket's topic / reply chain."""
    if ticket.thread_id:
        return {"message_thread_id": ticket.thread_id}
    if ticket.header_message_id:
        return {
            "reply_parameters": ReplyParameters(message_id=ticket.header_message_id, allow_sending_without_reply=True)
        }
    return {}


def resolve_ticket(svc: Services, message: Message) -> Ticket | None:
    """The ticket an operator's message belongs to: its forum topic, or the message it replies to."""
    chat_id = message.chat_id
    if message.is_topic_message and message.message_thread_id:
        ticket = tickets.by_thread(svc.db, chat_id, message.message_thread_id)
        if ticket is not None:
            return ticket
    if message.reply_to_message is not None:
        return tickets.by_ops_message(svc.db, chat_id, message.reply_to_message.message_id)
    return None


def _remember(svc: Services, ticket: Ticket, sent: list[Message] | MessageId, kind: str) -> None:
    for message in sent if isinstance(sent, list) else [sent]:
        tickets.remember_message(svc.db, ticket.id, ticket.ops_chat_id, message.message_id, kind, svc.now())


# --- transcript ---------------------------------------------------------------------------


async def transcript(svc: Services, worker: Worker) -> str:
    """The last few user/bot messages of the worker's Rasa conversation, numbers masked."""
    try:
        tracker = await svc.rasa.tracker(worker.sender_id)
    except Exception as exc:  # noqa: BLE001 - Rasa down or an odd answer: the ticket goes without it
        log.warning("No transcript for %s: %s", worker.sender_id, exc)
        return texts.TRANSCRIPT_UNAVAILABLE
    events = [
        e for e in tracker.get("events") or [] if e.get("event") in ("user", "bot") and (e.get("text") or "").strip()
    ]
    lines = []
    for event in events[-TRANSCRIPT_MESSAGES:]:
        text = event["text"].strip()
        if event["event"] == "user":
            if text.startswith("/"):
                title = buttons.title_for_payload(svc.db, worker.user_id, text)
                text = texts.TRANSCRIPT_BUTTON.format(title=title or text[1:].split("{")[0])
            prefix = "👤 "
        else:
            prefix = "🤖 "
        lines.append(prefix + shorten(redact(text), 300))
    return "\n".join(lines) or texts.TRANSCRIPT_EMPTY


# --- opening ------------------------------------------------------------------------------


def _reason_label(reason: str) -> str:
    return texts.HANDOFF_REASON_LABELS.get(reason, reason)


async def _tell(bot: Bot, chat_id: int, text: str) -> None:
    """Tell the worker something about their hand-off; a failure is logged, not raised
    (what they are told must never undo what was done)."""
    try:
        await send_text(bot, chat_id, text)
    except TelegramError as exc:
        log.warning("Could not tell %s about their hand-off: %s", chat_id, exc)


async def open_ticket(context: BotContext, worker: Worker, reason: str, notice: str | None = None) -> Ticket | None:
    """Hand ``worker`` to the operators (or point them to the ticket already there)."""
    svc = context.services
    bot = context.bot
    ops_chat = svc.config.operator_chat_id
    if ops_chat is None:
        log.error("Hand-off requested but TELEGRAM_OPERATOR_CHAT_ID is not set")
        await send_text(bot, worker.chat_id, texts.HANDOFF_UNAVAILABLE)
        return None
    now = svc.now()
    staffed = svc.config.staffed_hours.is_staffed(now)
    try:
        shared = store.request_ticket(
            svc.db,
            sender_id=worker.sender_id,
            display_name=worker.display_name,
            reason=reason,
            staffed=staffed,
            now=now,
            owner=svc.notifications.owner,  # this front end posts it; the others' retries wait
            lease=svc.notifications.lease,
        )
    except store.TicketAlreadyOpen:
        existing = tickets.live_for_user(svc.db, worker.user_id)
        waiting = existing is not None and existing.is_pending
        await send_text(bot, worker.chat_id, texts.HANDOFF_DEFERRED_ALREADY if waiting else texts.HANDOFF_ALREADY_OPEN)
        return existing
    ticket = tickets.view(svc.db, shared)
    assert ticket is not None
    posted = await post_ticket(svc, bot, ticket, await transcript(svc, worker))
    if posted is None:  # not with the operators: the worker stays with the bot
        await _tell(bot, worker.chat_id, texts.HANDOFF_DEFERRED)
        return None
    await _opened(svc, bot, posted, notice=notice)
    return posted


async def post_ticket(svc: Services, bot: Bot, ticket: Ticket, history: str) -> Ticket | None:
    """Post a pending ticket in the operators' chat and open it. Any failure — of any
    exception type — leaves it pending with the cause logged and a later attempt scheduled;
    None then (or when another front end got there first)."""
    ops_chat = svc.config.operator_chat_id
    now = svc.now()
    try:
        if ops_chat is None:
            raise RuntimeError("TELEGRAM_OPERATOR_CHAT_ID is not set")
        posted = await _post(svc, bot, ticket, ops_chat, history, now)
    except Exception as exc:
        delay = POST_RETRY_DELAYS[min(ticket.post_attempts, len(POST_RETRY_DELAYS) - 1)]
        log.exception("Could not post ticket #%s in the operators' chat; retrying in %.0f s", ticket.id, delay)
        try:
            store.defer_posting(svc.db, ticket.id, f"{type(exc).__name__}: {exc}", now + timedelta(seconds=delay))
        except DRIVER_ERRORS:
            log.exception("Could not record the failed post of ticket #%s", ticket.id)
        return None
    if posted is None:
        log.info("Ticket #%s was posted elsewhere or withdrawn meanwhile", ticket.id)
    return posted


async def _post(
    svc: Services, bot: Bot, ticket: Ticket, ops_chat: int, history: str, now: datetime, *, mark: bool = True
) -> Ticket | None:
    hours = svc.config.staffed_hours
    thread_id = None
    if await svc.operators.is_forum(bot):
        name = texts.TICKET_TOPIC.format(id=ticket.id, name=ticket.display_name, reason=_reason_label(ticket.reason))
        try:
            topic = await bot.create_forum_topic(ops_chat, name=shorten(name, 128))
            thread_id = topic.message_thread_id
        except (BadRequest, Forbidden) as exc:  # no "manage topics" right, or no longer a forum
            log.warning("createForumTopic failed (%s); using a header message instead", exc)
            svc.operators.forget_forum()
    staffed_note = (
        "" if ticket.staffed else texts.TICKET_UNSTAFFED_NOTE.format(next_start=hours.describe_next_start(now))
    )
    header = texts.TICKET_HEADER.format(
        id=ticket.id,
        name=ticket.display_name,
        sender=_SENDER_SLOT,
        reason=_reason_label(ticket.reason),
        opened=ticket.opened_at[:16].replace("T", " "),
        staffed_note=staffed_note,
        transcript=history,
        howto=texts.TICKET_HOWTO_FORUM if thread_id else texts.TICKET_HOWTO_REPLY,
    )
    # Everything is masked except the conversation id, which operators need to find the
    # worker's records: an 11-digit Telegram user id would look like a mobile number.
    header = redact(header).replace(_SENDER_SLOT, ticket.sender_id)
    try:
        sent = await send_text(bot, ops_chat, header, html=False, message_thread_id=thread_id)
    except BaseException:
        if thread_id:  # an empty topic would confuse the operators
            try:
                await bot.delete_forum_topic(ops_chat, thread_id)
            except Exception as exc:  # noqa: BLE001 - best effort; the post failed anyway
                log.info("Could not remove the empty topic %s: %s", thread_id, exc)
        raise
    tickets.record_post(svc.db, ticket.id, ops_chat, thread_id, sent[0].message_id, now)
    for message in sent:
        tickets.remember_message(svc.db, ticket.id, ops_chat, message.message_id, "header", now)
    if not mark:  # another channel's front end opened it already
        return tickets.view(svc.db, store.get_ticket(svc.db, ticket.id))
    return tickets.mark_posted(svc.db, ticket.id, now, history)


async def _opened(svc: Services, bot: Bot, ticket: Ticket, *, notice: str | None = None, later: bool = False) -> None:
    """The ticket is with the operators: pause Rasa and tell the worker."""
    try:
        await svc.rasa.append_events(ticket.sender_id, [{"event": "pause"}])
        store.set_paused(svc.db, ticket.id, True)
    except RasaUnavailable as exc:
        log.warning("Could not pause %s in Rasa: %s", ticket.sender_id, exc)
    hours = svc.config.staffed_hours
    now = svc.now()
    if later:
        await _tell(bot, ticket.chat_id, texts.HANDOFF_READY_LATER)
    elif notice:
        await _tell(bot, ticket.chat_id, notice)
    await _tell(bot, ticket.chat_id, hours.notice(now, texts.HANDOFF_STAFFED, texts.HANDOFF_UNSTAFFED))
    log.info("Ticket #%s opened for %s (%s)", ticket.id, ticket.sender_id, ticket.reason)


async def retry_posting(svc: Services, bot: Bot, now: datetime) -> None:
    """The poller's chore: post the tickets the operators' chat refused before (any front
    end's), give up those pending too long, and tell each worker."""
    owner, lease = svc.notifications.owner, svc.notifications.lease
    for shared in store.claim_unposted(svc.db, owner, now, channel=tickets.TELEGRAM, lease=lease):
        ticket = tickets.view(svc.db, shared)
        assert ticket is not None
        if now - datetime.fromisoformat(ticket.opened_at) > GIVE_UP_POSTING_AFTER:
            if store.cancel_request(svc.db, ticket.id, now) is not None:
                log.warning("Ticket #%s could not be posted for %s; given up", ticket.id, GIVE_UP_POSTING_AFTER)
                await _tell(bot, ticket.chat_id, texts.HANDOFF_GAVE_UP)
            continue
        worker = Worker(user_id=ticket.user_id, chat_id=ticket.chat_id, display_name=ticket.display_name)
        posted = await post_ticket(svc, bot, ticket, await transcript(svc, worker))
        if posted is not None:
            await _opened(svc, bot, posted, later=True)


def mirrored(channel: str) -> bool:
    """Every channel but Telegram's own opens its tickets in the shared store elsewhere (the
    WeChat front end ``wx``, a client of the REST channel): the console's inbox reads them
    there, the operators' group shows them too, and replies in their topic go back through
    the hand-off outbox, which that channel's front end (or the REST channel) drains."""
    return channel != tickets.TELEGRAM


async def mirror_other_channels(svc: Services, bot: Bot, now: datetime) -> None:
    """The poller's chore: post the open tickets of the :func:`mirrored` channels in the
    operators' chat once, then relay what their workers write (and the notes their front
    end adds, e.g. a reply WeChat's 48-hour rule refused) into the ticket's topic."""
    ops_chat = svc.config.operator_chat_id
    if ops_chat is None:
        return
    for shared in store.inbox_tickets(svc.db, "open"):
        channel = shared.channel
        if shared.status != "open" or not mirrored(channel):
            continue  # Telegram's own, or still being posted by its front end
        ticket = tickets.view(svc.db, shared)
        if ticket is None:
            continue
        if not ticket.ops_chat_id:
            if not tickets.claim_mirror(svc.db, ticket.id, now):
                continue  # another front end is posting it
            try:
                posted = await _post(svc, bot, ticket, ops_chat, shared.transcript, now, mark=False)
            except Exception:
                log.exception("Could not show %s ticket #%s in the operators' chat", channel, ticket.id)
                tickets.release_mirror(svc.db, ticket.id)
                continue
            if posted is None:
                continue
            ticket = posted
        await _relay_stored(svc, bot, ticket)
    await _mirror_closes(svc, bot, now)


#: How long after its close another channel's ticket is still looked at for showing it.
CLOSE_MIRROR_WINDOW = timedelta(hours=1)


async def _mirror_closes(svc: Services, bot: Bot, now: datetime) -> None:
    """Another channel's ticket closed outside Telegram (in the console's inbox, or by its
    worker): what was still unshown, then the close, in its topic — as a Telegram ticket's
    close in the console is shown (:func:`mirror_console_action`). A close made in the topic
    (``operator:…``) was posted there by :func:`close_ticket` already."""
    since = (now - CLOSE_MIRROR_WINDOW).isoformat()
    for shared in store.inbox_tickets(svc.db, "closed", limit=20):
        by = shared.closed_by or ""
        if not mirrored(shared.channel) or by.startswith("operator:") or (shared.closed_at or "") < since:
            continue
        ticket = tickets.view(svc.db, shared)
        if ticket is None or not ticket.ops_chat_id:
            continue
        await _relay_stored(svc, bot, ticket)
        if not tickets.claim_close_mirror(svc.db, ticket.id):
            continue
        author = shorten(by.removeprefix("console:"), 30) if by.startswith("console:") else ""
        who = texts.CONSOLE_CLOSED_BY.format(author=author) if author else texts.TICKET_CLOSED_BY_SYSTEM
        await _show_close(bot, ticket, by_worker=by == "worker", who=who)


async def _show_close(bot: Bot, ticket: Ticket, *, by_worker: bool, who: str) -> None:
    """The close in the ticket's place in the operators' chat, and its topic closed."""
    if by_worker:
        note = texts.TICKET_CLOSED_BY_WORKER_OPS.format(id=ticket.id)
    else:
        note = texts.TICKET_CLOSED_OPS.format(id=ticket.id, by=who)
    try:
        await send_text(bot, ticket.ops_chat_id, note, html=False, **_ops_target(ticket))
        if ticket.thread_id:
            await bot.close_forum_topic(ticket.ops_chat_id, ticket.thread_id)
    except TelegramError as exc:
        log.warning("Could not post the closing of ticket #%s: %s", ticket.id, exc)


async def _relay_stored(svc: Services, bot: Bot, ticket: Ticket) -> None:
    """The ticket's stored messages from its worker (and its front end's notes, and the
    replies written in the console's inbox) not shown yet."""
    cursor = tickets.mirror_cursor(svc.db, ticket.id)
    for message in store.ticket_messages(svc.db, ticket.id):
        if message.id <= cursor:
            continue
        author = message.author or ""
        console_reply = message.direction == "to_worker" and author.startswith("console:")
        shown = (
            message.direction == "from_worker"
            or (message.direction == "note" and author.startswith("system:"))
            or console_reply
        )
        if not tickets.advance_mirror(svc.db, ticket.id, cursor, message.id):
            return  # another front end relays these
        cursor = message.id
        if not shown:
            continue
        if message.direction == "from_worker":
            body = texts.RELAY_FROM_WORKER.format(name=ticket.display_name, id=ticket.id, text=message.text)
        elif console_reply:
            body = texts.CONSOLE_REPLY_OPS.format(
                author=shorten(author.removeprefix("console:"), 30), text=message.text
            )
        else:
            body = message.text
        try:
            sent = await send_text(bot, ticket.ops_chat_id, body, html=False, **_ops_target(ticket))
        except TelegramError:
            log.exception("Relaying a stored message to the operators failed (ticket #%s)", ticket.id)
            return
        _remember(svc, ticket, sent, "relay")


async def withdraw_request(context: BotContext, ticket: Ticket) -> bool:
    """The worker no longer wants the person they asked for while the ticket was pending."""
    svc = context.services
    if store.cancel_request(svc.db, ticket.id, svc.now(), closed_by="worker") is None:
        return False
    await _tell(context.bot, ticket.chat_id, texts.HANDOFF_REQUEST_WITHDRAWN)
    return True


# --- relaying -----------------------------------------------------------------------------


def _source(chat_id: int, message_id: int) -> str:
    """Where a Telegram message came from: a message delivered twice has the same source."""
    return f"tg:{chat_id}:{message_id}"


async def relay_worker_text(
    context: BotContext, ticket: Ticket, worker: Worker, text: str, message_id: int | None = None
) -> None:
    svc = context.services
    tickets.record_activity(svc.db, worker.user_id, svc.now())
    source = None if message_id is None else _source(worker.chat_id, message_id)
    if store.add_worker_message(svc.db, ticket.id, text, now=svc.now(), source=source) is None:
        return  # this very message was relayed already (a webhook delivered twice)
    body = texts.RELAY_FROM_WORKER.format(name=worker.display_name, id=ticket.id, text=redact(text))
    try:
        sent = await send_text(context.bot, ticket.ops_chat_id, body, html=False, **_ops_target(ticket))
    except TelegramError:
        log.exception("Relaying to the operators failed (ticket #%s)", ticket.id)
        await send_text(context.bot, worker.chat_id, texts.RELAY_FAILED)
        return
    _remember(svc, ticket, sent, "relay")


async def relay_worker_message(
    context: BotContext, ticket: Ticket, worker: Worker, message: Message, kind: str
) -> None:
    """A photo, voice message, document… during a ticket: copy it to the operators."""
    svc = context.services
    tickets.record_activity(svc.db, worker.user_id, svc.now())
    note = texts.RELAY_MEDIA_NOTE.format(kind=kind, caption=redact(message.caption or ""))
    source = _source(worker.chat_id, message.message_id)
    if store.add_worker_message(svc.db, ticket.id, note, now=svc.now(), source=source) is None:
        return
    try:
        copied = await context.bot.copy_message(
            ticket.ops_chat_id,
            from_chat_id=worker.chat_id,
            message_id=message.message_id,
            caption=redact(message.caption) if message.caption else None,  # None: no caption
            **_ops_target(ticket),
        )
        _remember(svc, ticket, copied, "relay")
    except BadRequest as exc:  # some messages cannot be copied: say what it was
        log.info("copyMessage failed (%s); relaying a note instead", exc)
        await relay_worker_text(context, ticket, worker, texts.RELAY_UNCOPYABLE.format(kind=kind))
    except TelegramError:
        log.exception("Relaying to the operators failed (ticket #%s)", ticket.id)
        await send_text(context.bot, worker.chat_id, texts.RELAY_FAILED)


async def relay_operator_message(context: BotContext, ticket: Ticket, message: Message) -> None:
    """An operator's reply: stored once (whichever front end got it, however often), then
    sent to the worker through the hand-off outbox — at once, in this operator's lane."""
    svc = context.services
    bot = context.bot
    if not ticket.is_open:
        await message.reply_text(texts.TICKET_ALREADY_CLOSED.format(id=ticket.id))
        return
    text = message.text or ""
    author = f"operator:{message.from_user.id}" if message.from_user else "operator"
    source = _source(message.chat_id, message.message_id)
    shared = store.get_ticket(svc.db, ticket.id)
    if shared is None:
        return
    if text.startswith("//"):  # an internal note among the operators
        store.add_message(svc.db, ticket.id, "note", text, now=svc.now(), author=author, source=source)
        return
    payload = None
    if not text:  # a photo, a file…: copied from the operators' chat
        payload = {"copy": {"from_chat_id": message.chat_id, "message_id": message.message_id}}
        text = texts.OPERATOR_MEDIA_NOTE
    reply = store.add_operator_reply(svc.db, shared, text, author=author, now=svc.now(), source=source, payload=payload)
    if reply is None:
        return  # the same reply again (a webhook delivered twice): already on its way
    tickets.mark_answered(svc.db, ticket, svc.now())
    outcome, error = await svc.notifications.deliver_now(bot, "handoff", reply.outbox_id)
    if outcome not in (SENT, NOT_NOW):  # the worker blocked the bot, or Telegram kept failing
        log.warning("Operator reply for ticket #%s not delivered yet: %s", ticket.id, error)
        await message.reply_text(texts.TICKET_DELIVERY_FAILED.format(id=ticket.id, error=error))


# --- closing ------------------------------------------------------------------------------


async def post_resume(svc: Services, ticket: Ticket | store.Ticket) -> bool:
    return await resume_conversation(svc.rasa, svc.db, ticket)


#: The periodic sweep leaves a close this recent to the front end that made it (a resume
#: posted twice is harmless in Rasa, but the sweep exists for the failures, not the race).
RESUME_SWEEP_GRACE = timedelta(seconds=30)


async def flush_resumes(svc: Services, user_id: int | None = None, *, sweep: bool = False) -> None:
    """Post resume events that could not reach Rasa when their ticket closed (here, on
    another front end, or in the console). ``sweep``: the periodic chore, which leaves the
    closes of the last RESUME_SWEEP_GRACE to their closer."""
    before = svc.now() - RESUME_SWEEP_GRACE if sweep else None
    for ticket in tickets.pending_resumes(svc.db, user_id, closed_before=before):
        if not await post_resume(svc, ticket):
            return


async def resume_before_notice(svc: Services, ticket_id: int) -> None:
    """Before the worker hears that their ticket closed: the resume, so that what they say
    next is answered by the bot."""
    ticket = store.get_ticket(svc.db, ticket_id)
    if ticket is not None and ticket.resume_pending:
        await post_resume(svc, ticket)


async def close_ticket(
    context: BotContext, ticket: Ticket, *, by_worker: bool = False, operator: User | None = None
) -> bool:
    svc = context.services
    bot = context.bot
    closed_by = "worker" if by_worker else f"operator:{operator.id}" if operator else "system"
    notice = texts.HANDOFF_CLOSED_BY_WORKER if by_worker else texts.HANDOFF_CLOSED_BY_OPERATOR
    closed = tickets.close(svc.db, ticket.id, closed_by=closed_by, closed_at=svc.now(), notice=notice)
    if closed is None:
        return False
    await post_resume(svc, closed)  # before the worker hears it, so their next message is answered
    for item in store.undelivered_for_ticket(svc.db, closed.id):  # the notice (a poller retries it)
        await svc.notifications.deliver_now(bot, "handoff", item)
    who = shorten(operator.full_name, 30) if operator else texts.TICKET_CLOSED_BY_SYSTEM
    await _show_close(bot, closed, by_worker=by_worker, who=who)
    log.info("Ticket #%s closed by %s", closed.id, closed_by)
    return True


async def mirror_console_action(svc: Services, bot: Bot, update: NotificationUpdate) -> None:
    """A reply or a close made in the staff console's inbox, shown in the ticket's topic
    once it reached the worker, so the Telegram operators see what the worker got (the
    console marks those outbox items with ``{"mirror": "console", "author": …}``)."""
    if update.source != "handoff" or update.ticket_id is None or not update.payload:
        return
    try:
        payload = json.loads(update.payload)
    except ValueError:
        return
    if not isinstance(payload, dict) or payload.get("mirror") != "console":
        return
    ticket = tickets.get(svc.db, update.ticket_id)
    if ticket is None or not ticket.ops_chat_id:
        return
    author = shorten(str(payload.get("author") or ""), 30)
    if update.kind == "operator_reply":
        text = texts.CONSOLE_REPLY_OPS.format(author=author, text=update.text)
    elif update.kind == "closed":
        text = texts.TICKET_CLOSED_OPS.format(id=ticket.id, by=texts.CONSOLE_CLOSED_BY.format(author=author))
    else:
        return
    try:
        await send_text(bot, ticket.ops_chat_id, text, html=False, **_ops_target(ticket))
        if update.kind == "closed" and ticket.thread_id:
            await bot.close_forum_topic(ticket.ops_chat_id, ticket.thread_id)
    except TelegramError as exc:
        log.warning("Could not show the console's %s of ticket #%s in its topic: %s", update.kind, ticket.id, exc)


# --- operator views -----------------------------------------------------------------------


def _topic_link(ticket: Ticket) -> str:
    chat = str(ticket.ops_chat_id)
    if ticket.thread_id and chat.startswith("-100"):
        return f" https://t.me/c/{chat[4:]}/{ticket.thread_id}"
    return ""


def open_tickets_text(svc: Services) -> str:
    open_now = tickets.list_open(svc.db)
    if not open_now:
        return texts.NO_OPEN_TICKETS
    lines = [texts.TICKETS_TITLE.format(count=len(open_now))]
    for ticket in open_now:
        lines.append(
            texts.TICKET_LINE.format(
                id=ticket.id,
                name=ticket.display_name,
                reason=_reason_label(ticket.reason),
                opened=ticket.opened_at[5:16].replace("T", " "),
                state=texts.TICKET_STATE_ANSWERED if ticket.answered_at else texts.TICKET_STATE_WAITING,
            )
            + _topic_link(ticket)
        )
    return "\n".join(lines)


def stats_text(svc: Services) -> str:
    day = svc.now().date().isoformat()
    return texts.STATS.format(
        day=day,
        conversations=tickets.conversations_on(svc.db, day),
        handoffs=tickets.handoffs_on(svc.db, day),
        open_tickets=tickets.open_count(svc.db),
        gaps=_unanswered_text(svc, day),
    )


def _unanswered_text(svc: Services, day: str) -> str:
    """The unanswered questions as ``knowledge.gaps`` counts them (it owns ``gaps.db``)."""
    try:
        counts = count_unanswered(day, db_path=svc.config.gaps_db_path)
    except DRIVER_ERRORS as exc:  # locked or damaged: /stats still answers
        log.warning("Could not count the unanswered questions: %s", exc)
        counts = None
    if counts is None:
        return texts.STATS_GAPS_MISSING
    on_day, total = counts
    return texts.STATS_GAPS.format(today=on_day, total=total)
