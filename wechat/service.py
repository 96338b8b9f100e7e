"""One WeChat worker's turn, and everything that reaches a WeChat worker later.

The callback server (:mod:`wechat.server`) hands every new message to :meth:`FrontEnd.turn`
and gets back what to answer. Rasa owns the dialogue; this module decides only what
WeChat needs decided:

* what a message *is* (:mod:`wechat.inbound`: text, a voice transcript, a menu click, a
  photo the assistant cannot read, following or unfollowing);
* a typed number after numbered options is the option's payload (:mod:`wechat.render`);
* a hand-off (Rasa's ``handoff`` payload) opens a ticket in the shared hand-off store,
  which the operators see — the console's inbox reads the store, and the Telegram group
  gets it from the Telegram front end; while it is open, the worker's messages go to the
  ticket, not to Rasa; "结束人工" closes it and returns them to the bot;
* :meth:`FrontEnd.deliver_once` (the poller) sends what waits for WeChat workers: operator
  replies and closing notices from the hand-off outbox, promotions and application results
  from the registry's outbox — by customer-service message inside WeChat's 48-hour window,
  else (notifications only) by template message if one is configured, else they wait.
  An operator reply that cannot be sent is never dropped silently: the ticket gets a note
  saying why, which the operators read.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import handoff
import registry
from bot.formatting import for_rasa
from bot.hours import StaffedHours
from bot.rasa_client import RasaClient, RasaUnavailable, resume_conversation
from common import texts
from common.clock import Clock
from common.database import DRIVER_ERRORS, Database
from wechat import render, store
from wechat.api import GONE_ERRORS, WINDOW_ERRORS, ApiClient, ApiError
from wechat.inbound import Inbound

log = logging.getLogger(__name__)

#: WeChat allows customer-service messages this long after the worker's last message.
WINDOW = timedelta(hours=48)
PREFIX = "wx-"
#: A failed send is retried after this long; given up after MAX_ATTEMPTS.
RETRY_AFTER = timedelta(seconds=30)
MAX_ATTEMPTS = 6
#: A notification for a worker outside the window (and no template): looked at again this often.
WAIT_AFTER = timedelta(minutes=1)
RESUME_SWEEP_GRACE = timedelta(seconds=30)
#: WeChat retries within 15 seconds; de-duplication keys (and stored replies) go after a day.
SEEN_KEPT = timedelta(days=1)
#: The message's de-duplication key in the Rasa message's metadata: a turn taken over from
#: a killed front end finds out from the tracker whether Rasa ran it already.
KEY_METADATA = "wechat_key"


def sender_for(openid: str) -> str:
    return f"{PREFIX}{openid}"


def openid_of(sender_id: str) -> str:
    return sender_id[len(PREFIX) :] if sender_id.startswith(PREFIX) else sender_id


def instance_name(configured: str | None = None) -> str:
    return configured or f"wx@{socket.gethostname()}:{os.getpid()}"


def _pid_ended(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def owner_gone(owner: str | None, me: str, mine: set[str] | None = None, key: str = "") -> bool:
    """Whether the taker ``owner`` of message ``key`` has certainly ended, so its claim need
    not wait for the lease: this very instance name without the message in hand (a restart
    of a configured ``UH_INSTANCE``), or a process of this machine that no longer exists
    (the default ``wx@host:pid`` names). A taker elsewhere is only known gone by its lease."""
    if not owner:
        return False
    if owner == me:
        return key not in (mine or set())
    prefix = f"wx@{socket.gethostname()}:"
    if owner.startswith(prefix) and owner[len(prefix) :].isdigit():
        pid = int(owner[len(prefix) :])
        return pid != os.getpid() and _pid_ended(pid)
    return False


@dataclass(frozen=True)
class Answer:
    """What a turn answers: ``plain`` for a passive reply, ``linked`` (the same with
    bizmsgmenu links) for customer-service messages."""

    plain: list[str]
    linked: list[str]

    @classmethod
    def of(cls, *parts: str) -> Answer:
        return cls(list(parts), list(parts))

    def __bool__(self) -> bool:
        return bool(self.plain)


def replies_of_turn(events: list[Any], key: str) -> list[dict[str, Any]] | None:
    """What Rasa answered to the message carrying ``key`` in its metadata, as the REST
    channel returns it (text, buttons, image, custom); None if no such message is stored.
    Rasa stores a turn whole (its message with its answers) once it has run."""
    start = None
    for index, event in enumerate(events):
        metadata = event.get("metadata") if isinstance(event, dict) else None
        if event.get("event") == "user" and isinstance(metadata, dict) and key and metadata.get(KEY_METADATA) == key:
            start = index
    if start is None:
        return None
    replies: list[dict[str, Any]] = []
    for event in events[start + 1 :]:
        if not isinstance(event, dict) or event.get("event") == "user":
            break
        if event.get("event") != "bot":
            continue
        raw = event.get("data")
        data: dict[str, Any] = raw if isinstance(raw, dict) else {}
        reply: dict[str, Any] = {"text": event["text"]} if event.get("text") else {}
        for name in ("buttons", "quick_replies", "image", "custom"):
            if data.get(name):
                reply[name] = data[name]
        if reply:
            replies.append(reply)
    return replies or [{"text": texts.NO_REPLY_OFFER_PERSON, "buttons": [texts.HUMAN_BUTTON]}]


@dataclass
class FrontEnd:
    db: Database  # the hand-off store with the wx_* tables (wechat.store.open_db)
    rasa: RasaClient
    api: ApiClient | None  # None: no AppID/AppSecret, passive replies only
    clock: Clock
    hours: StaffedHours
    registry_location: str | None = None
    template_id: str | None = None
    owner: str = ""
    lease: timedelta = timedelta(seconds=120)
    #: A message's claim lapses this long after its taker's last heartbeat (wechat.server).
    turn_lease: timedelta = timedelta(seconds=8)

    def __post_init__(self) -> None:
        self.owner = self.owner or instance_name()
        self._registry: Database | None = None

    def close(self) -> None:
        if self._registry is not None:
            self._registry.close()
            self._registry = None
        self.db.close()

    def _registry_db(self) -> Database | None:
        """The registry, opened once it exists (the registry owns and creates its file)."""
        if self._registry is None:
            location = self.registry_location
            if location is not None and location.startswith("sqlite:///") and not os.path.exists(location[10:]):
                return None
            self._registry = registry.open_registry(location)
        return self._registry

    def now(self) -> datetime:
        return self.clock.now()

    # ------------------------------------------------------------ a turn

    async def turn(self, inbound: Inbound, *, retaken: bool = False) -> Answer:
        """Everything one new message causes; what to answer (possibly nothing).
        ``retaken``: a front end took it before and stopped mid-turn (every step below is
        safe to repeat; the Rasa turn is not repeated if it ran)."""
        sender = inbound.sender_id
        now = self.now()
        if inbound.event == "unsubscribe":
            store.record_subscription(self.db, sender, False, now)
            log.info("%s unfollowed the account", sender)
            return Answer.of()
        store.record_message(self.db, sender, now)
        if inbound.event == "subscribe":
            store.record_subscription(self.db, sender, True, now)
            store.save_options(self.db, sender, [], now)
            return Answer.of(texts.WX_WELCOME)
        if inbound.reply is not None:  # a photo, a sticker, a voice WeChat could not read…
            ticket = handoff.open_ticket_of(self.db, sender)
            if ticket is not None:
                handoff.add_worker_message(self.db, ticket.id, inbound.reply_note, now=now, source=inbound.source)
                return Answer.of()
            return Answer.of(inbound.reply)
        if inbound.text is None:
            return Answer.of()  # an event with nothing to say (a menu link opened…)
        ticket = handoff.open_ticket_of(self.db, sender)
        if ticket is not None:
            return await self._in_ticket(ticket, inbound.text, inbound.source)
        await self._flush_resumes(sender)
        return await self._converse(sender, inbound.text, key=inbound.key, retaken=retaken)

    async def _in_ticket(self, ticket: handoff.Ticket, text: str, source: str) -> Answer:
        if text.strip() in texts.WX_END_HANDOFF_WORDS:
            closed = handoff.close_ticket(self.db, ticket.id, closed_by="worker", now=self.now())
            if closed is not None:
                await self._post_resume(closed)  # before the worker's next message reaches Rasa
                return Answer.of(texts.WX_HANDOFF_CLOSED_BY_WORKER)
        handoff.add_worker_message(self.db, ticket.id, text, now=self.now(), source=source)
        return Answer.of()  # the operators answer by customer-service message

    async def _converse(self, sender: str, text: str, *, key: str = "", retaken: bool = False) -> Answer:
        payload = render.choose(text, store.load_options(self.db, sender))
        message = payload or for_rasa(text)
        name = texts.WX_WORKER_NAME.format(tail=openid_of(sender)[-4:])
        try:
            replies = await self._ran_before(sender, key) if retaken else None
            if replies is None:
                replies = await self.rasa.send(sender, message, {"display_name": name, KEY_METADATA: key})
        except RasaUnavailable as exc:
            log.warning("Rasa unavailable for %s: %s", sender, exc)
            if message.strip() == texts.HUMAN_BUTTON["payload"]:
                return await self._open_ticket(sender, "rasa_unavailable", texts.HANDOFF_NOTICE["request_human"])
            replies = [{"text": texts.NO_REPLY_OFFER_PERSON, "buttons": [texts.HUMAN_BUTTON]}]
        plain = render.render(replies)
        linked = render.render(replies, links=self.api is not None)
        store.save_options(self.db, sender, plain.options, self.now())
        if plain.handoff is not None:
            reason = str(plain.handoff.get("reason") or "request_human")
            opened = await self._open_ticket(sender, reason, None)
            plain.texts.extend(opened.plain)
            linked.texts.extend(opened.linked)
        return Answer(plain.parts(), linked.parts())

    async def _ran_before(self, sender: str, key: str) -> list[dict[str, Any]] | None:
        """The replies of the Rasa turn of message ``key`` if Rasa ran it (a front end
        killed after sending it, before answering); None if not, or Rasa cannot say."""
        try:
            tracker = await self.rasa.tracker(sender)
        except RasaUnavailable as exc:
            log.warning("Could not ask Rasa whether %s ran: %s", key, exc)
            return None
        replies = replies_of_turn(tracker.get("events") or [], key)
        if replies is not None:
            log.info("Rasa ran %s before its front end stopped: answering with that turn", key)
        return replies

    # ------------------------------------------------------------ hand-off

    async def _open_ticket(self, sender: str, reason: str, notice: str | None) -> Answer:
        now = self.now()
        name = texts.WX_WORKER_NAME.format(tail=openid_of(sender)[-4:])
        try:
            ticket = handoff.request_ticket(
                self.db,
                sender_id=sender,
                display_name=name,
                reason=reason,
                staffed=self.hours.is_staffed(now),
                now=now,
                owner=self.owner,
                lease=self.lease,
            )
        except handoff.TicketAlreadyOpen:
            return Answer.of(texts.WX_HANDOFF_ALREADY_OPEN)
        # The shared store is where the operators find it (the console's inbox, and the
        # Telegram front end posts wx- tickets in its group): it is theirs now.
        opened = handoff.mark_posted(self.db, ticket.id, now, transcript=await self._transcript(sender))
        if opened is None:
            return Answer.of(texts.WX_HANDOFF_ALREADY_OPEN)
        try:
            await self.rasa.append_events(sender, [{"event": "pause"}])
            handoff.set_paused(self.db, opened.id, True)
        except RasaUnavailable as exc:  # messages go to the ticket anyway; the resume comes later
            log.warning("Could not pause %s in Rasa: %s", sender, exc)
        log.info("Ticket #%s opened for %s (%s)", opened.id, sender, reason)
        lines = [notice] if notice else []
        lines.append(self.hours.notice(now, texts.WX_HANDOFF_STAFFED, texts.WX_HANDOFF_UNSTAFFED))
        return Answer.of("\n".join(lines))

    async def _transcript(self, sender: str) -> str:
        """The last messages of the Rasa conversation, numbers masked, for the operators."""
        try:
            tracker = await self.rasa.tracker(sender)
        except RasaUnavailable as exc:
            log.warning("No transcript for %s: %s", sender, exc)
            return texts.TRANSCRIPT_UNAVAILABLE
        return handoff.transcript_of((tracker.get("events") or [])[-200:])

    async def _post_resume(self, ticket: handoff.Ticket) -> bool:
        return await resume_conversation(self.rasa, self.db, ticket)

    async def _flush_resumes(self, sender: str | None = None, *, sweep: bool = False) -> None:
        before = self.now() - RESUME_SWEEP_GRACE if sweep else None
        channel = None if sender else "wx"
        for ticket in handoff.pending_resumes(self.db, sender, channel=channel, closed_before=before):
            if not await self._post_resume(ticket):
                return

    # ------------------------------------------------------------ sending later

    def in_window(self, sender: str) -> tuple[bool, datetime | None]:
        last = store.last_message_at(self.db, sender)
        return last is not None and self.now() - last < WINDOW, last

    async def push(self, sender: str, parts: list[str]) -> ApiError | None:
        """Customer-service messages, in order; the first failure stops (and is returned)."""
        if self.api is None:
            return ApiError(None, "WECHAT_APP_ID / WECHAT_APP_SECRET not set")
        for part in parts:
            try:
                await asyncio.to_thread(self.api.send_text, openid_of(sender), part)
            except ApiError as exc:
                log.warning("Customer-service message to %s failed: %s", sender, exc)
                return exc
        return None

    async def deliver_once(self) -> int:
        """One round of the poller; how many messages went out."""
        sent = 0
        try:
            store.forget_seen_before(self.db, self.now() - SEEN_KEPT)
            await self._flush_resumes(sweep=True)
            sent += await self._deliver_handoff()
            sent += await self._deliver_notifications()
        except DRIVER_ERRORS:
            log.exception("The WeChat delivery round failed (the store); trying again next round")
        return sent

    async def _deliver_handoff(self) -> int:
        sent = 0
        now = self.now()
        for item in handoff.claim_outbox(self.db, self.owner, now, prefixes=(PREFIX,), lease=self.lease):
            if item.kind == "closed" and item.ticket_id is not None:
                ticket = handoff.get_ticket(self.db, item.ticket_id)
                if ticket is not None and ticket.resume_pending:
                    await self._post_resume(ticket)  # before the worker hears it
            text = texts.OPERATOR_PREFIX + item.text if item.kind == "operator_reply" else item.text
            if item.kind == "closed" and item.text == texts.HANDOFF_CLOSED_BY_OPERATOR:
                text = texts.WX_HANDOFF_CLOSED_BY_OPERATOR  # no /start on WeChat
            open_, last = self.in_window(item.sender_id)
            if not store.is_subscribed(self.db, item.sender_id):
                self._undeliverable(item, texts.WX_REPLY_UNSUBSCRIBED.format(text=item.text), "unsubscribed")
                continue
            if not open_:
                self._undeliverable(item, self._outside_note(last, item.text), "outside the 48-hour window")
                continue
            if not handoff.renew_outbox(self.db, item.id, self.owner, self.now(), self.lease):
                continue  # the lease was lost meanwhile: another front end sends it
            error = await self.push(item.sender_id, render.render([{"text": text}]).parts())
            if error is None:
                handoff.mark_outbox_delivered(self.db, item.id, self.now())
                sent += 1
            elif error.errcode in WINDOW_ERRORS:
                self._undeliverable(item, self._outside_note(last, item.text), str(error))
            elif error.errcode in GONE_ERRORS or item.attempts >= MAX_ATTEMPTS:
                self._undeliverable(item, texts.WX_REPLY_FAILED.format(error=error, text=item.text), str(error))
            else:
                handoff.release_outbox(self.db, item.id, self.owner, str(error), self.now() + RETRY_AFTER)
        return sent

    def _outside_note(self, last: datetime | None, text: str) -> str:
        shown = last.strftime("%Y-%m-%d %H:%M") if last else texts.WX_NEVER
        return texts.WX_REPLY_OUTSIDE_WINDOW.format(last=shown, text=text)

    def _undeliverable(self, item: handoff.OutboxItem, note: str, error: str) -> None:
        """Give the item up and tell the operators on its ticket why (never silently)."""
        handoff.give_up_outbox(self.db, item.id, error, self.now())
        if item.ticket_id is not None and item.kind == "operator_reply":
            handoff.add_message(self.db, item.ticket_id, "note", note, now=self.now(), author="system:wechat")
        log.warning("Outbox item %s for %s not delivered: %s", item.id, item.sender_id, error)

    async def _deliver_notifications(self) -> int:
        reg = self._registry_db()
        if reg is None:
            return 0  # no registry yet: nothing to deliver
        sent = 0
        for note in registry.claim_notifications(
            reg, self.owner, prefixes=(PREFIX,), lease=self.lease, clock=self.clock
        ):
            open_, _ = self.in_window(note.sender_id)
            if (open_ or self.template_id) and not registry.renew_notification(
                reg, note.id, self.owner, lease=self.lease, clock=self.clock
            ):
                continue  # the lease was lost meanwhile: another front end sends it
            if open_:
                error = await self.push(note.sender_id, render.render([{"text": note.text}]).parts())
            elif self.template_id and self.api is not None and store.is_subscribed(self.db, note.sender_id):
                error = await self._template(note)
            else:  # waits: sent when the worker writes again (their records show it meanwhile)
                registry.release_notification(
                    reg, note.id, self.owner, "outside the 48-hour window", self.now() + WAIT_AFTER
                )
                continue
            if error is None:
                registry.mark_notification_delivered(reg, note.id, clock=self.clock)
                sent += 1
            elif error.errcode in GONE_ERRORS:
                registry.give_up_notification(reg, note.id, str(error), clock=self.clock)
            else:
                registry.release_notification(reg, note.id, self.owner, str(error), self.now() + RETRY_AFTER)
        return sent

    async def _template(self, note: Any) -> ApiError | None:
        assert self.api is not None and self.template_id is not None
        data = {
            "first": {"value": texts.WX_TEMPLATE_TITLE},
            "keyword1": {"value": note.text[:180]},
            "keyword2": {"value": self.now().strftime("%Y-%m-%d %H:%M")},
            "remark": {"value": texts.WX_TEMPLATE_REMARK},
        }
        try:
            await asyncio.to_thread(self.api.send_template, openid_of(note.sender_id), self.template_id, data)
        except ApiError as exc:
            log.warning("Template message to %s failed: %s", note.sender_id, exc)
            return exc
        return None
