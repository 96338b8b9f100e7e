"""Rasa's REST channel, hardened for what a worker (or a broken client) may send.

Loaded from credentials.yml as ``rasa_ext.channels.RestInput``; its name stays ``rest``,
so the URL is still ``/webhooks/rest/webhook`` and every reply is shaped as Rasa's. It is
Rasa's own class with a few methods overridden; the routes are Rasa's. What it adds:

* **Never silence.** When a custom action fails (the action server is down or times out),
  Rasa logs the error and answers ``200 []``. A user message that gets no reply now gets
  a Chinese apology with a 转人工 button; and when the worker asked for a person (the
  hand-off action is a custom action too) the hand-off text and the ``handoff`` custom
  payload, so the front end switches to a person without the action server. A paused
  conversation (an operator is on it) stays silent, as in Rasa.
* **Any bytes in, a valid request or a clear 400.** Invalid UTF-8 is decoded with
  replacement characters instead of failing the whole message; control characters and
  lone surrogates are dropped (they break storage and terminals); a very long message is
  cut to :data:`MAX_MESSAGE_CHARS` (the NLU would stall the server on it). A missing or
  unusable ``sender`` is a 400, not the shared ``default`` conversation of stock Rasa.

* **Operators' replies reach a REST worker.** Telegram and WeChat have front ends that push
  what an operator wrote (:mod:`handoff`'s outbox); a client of this channel has only its
  requests. So what waits for its worker (a reply from the console's inbox or the Telegram
  topic, the notice that the ticket was closed) comes first in the reply to the worker's
  next message, and ``GET /webhooks/rest/handoff?sender=<id>`` returns it without a message
  (a chat page polls it every few seconds while a person is on the conversation). Each item
  is claimed with a lease and marked delivered as it goes into a response, so two replicas
  never both hand it over (:func:`handoff.claim_for_client`).

It is also where the Rasa server switches its CPU savings on (:mod:`rasa_ext.speedups`):
Rasa calls :meth:`RestInput.blueprint` once, when it builds the server's app.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as _RasaRestInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from common import settings
from common.clock import default_clock
from common.texts import (
    CHANNEL_APOLOGY,
    HANDOFF_CLOSED_BY_OPERATOR,
    HANDOFF_NOTICE,
    HUMAN_BUTTON,
    OPERATOR_PREFIX,
    RELAY_FAILED,
    WX_HANDOFF_CLOSED_BY_OPERATOR,
)
from handoff import (
    OutboxItem,
    claim_for_client,
    drained_by_front_end,
    handoff_store,
    mark_outbox_delivered,
    store_created,
)
from rasa_ext import patches, speedups  # importing rasa_ext masks the server's logs
from rasa_ext.rest_handoff import RestHandoff, applies, instance_name

logger = logging.getLogger(__name__)

#: The most of one message Rasa's NLU gets. The NLU runs on the server's event loop and
#: slows down steeply with length (~0.3 s for 1,000 characters, ~20 s for 10,000 on a small
#: server), so one pasted essay would stall every other worker. The Telegram front end
#: already sends at most this much (bot.relay.MAX_RASA_TEXT); this is the backstop for any
#: client. The original length is kept in the message's metadata (``truncated_from``).
MAX_MESSAGE_CHARS = 1000
#: Rasa's SQLTrackerStore keeps sender ids in a VARCHAR(255).
MAX_SENDER_CHARS = 255
HUMAN_INTENT = "request_human"
#: Rasa's request hooks that :class:`RestInput` overrides are private methods of Rasa's
#: ``RestInput``: on another Rasa version they may be gone or called differently, so
#: there the channel parses requests as Rasa does (and says so once).
HOOKS_REQUIRE = ("rasa",)

# C0 controls except tab/newline/carriage return, DEL, C1 controls, lone surrogates.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class BadRequest(ValueError):
    """The request cannot be turned into a user message; the reason is for the client."""


def clean_text(value: Any) -> str:
    """The message text as Rasa should see it (never None, never unsafe characters)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    text = _UNSAFE.sub("", value)
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS]
    return text


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a request body; bytes that are not UTF-8 become U+FFFD."""
    try:
        data = json.loads(body.decode("utf-8", errors="replace") or "null")
    except ValueError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object with 'sender' and 'message'")
    return data


def clean_sender(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadRequest("'sender' (the conversation id) is required")
    sender = _UNSAFE.sub("", str(value)).strip()
    if not sender:
        raise BadRequest("'sender' (the conversation id) is required")
    if len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(f"'sender' is longer than {MAX_SENDER_CHARS} characters")
    return sender


def clean_metadata(data: dict[str, Any]) -> dict[str, Any] | None:
    """The request's metadata object, plus ``truncated_from`` when the message was cut."""
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else None
    raw = data.get("message")
    if isinstance(raw, str) and len(raw) > MAX_MESSAGE_CHARS:
        metadata = {**(metadata or {}), "truncated_from": len(raw)}
    return metadata


async def _refuse(request: Request, exception: Exception) -> HTTPResponse:
    return response.json({"status": "failure", "message": str(exception)}, status=400)


def operator_message(item: OutboxItem) -> dict[str, Any]:
    """An outbox item as one REST reply: the text the worker reads (as the Telegram and
    WeChat front ends word it) and, for the client, what it is (``closed``: the person left
    and the bot answers again)."""
    if item.kind == "operator_reply":
        text = OPERATOR_PREFIX + item.text
    elif item.text == HANDOFF_CLOSED_BY_OPERATOR:
        text = WX_HANDOFF_CLOSED_BY_OPERATOR  # the same words without Telegram's /start
    else:
        text = item.text
    return {
        "recipient_id": item.sender_id,
        "text": text,
        "custom": {"handoff_message": {"kind": item.kind, "ticket": item.ticket_id}},
    }


class OperatorMessages:
    """Hands a REST worker what the operators queued for them (see the module docstring).

    Store calls are blocking: they run in a thread, never on the server's event loop. A
    failing store costs the worker nothing but the wait: the items stay queued."""

    def __init__(self) -> None:
        cfg = settings.load()
        self.url = cfg.handoff_url
        self.owner = instance_name(cfg.instance)
        self.lease = timedelta(seconds=cfg.outbox_lease_seconds)
        self.clock = default_clock()

    def take(self, sender_id: str) -> list[dict[str, Any]]:
        if drained_by_front_end(sender_id):
            return []
        if not store_created(self.url):
            return []  # no hand-off has ever been stored: nothing can wait
        with handoff_store(self.url) as db:
            items = claim_for_client(db, sender_id, self.owner, self.clock.now(), lease=self.lease)
            try:
                for item in items:
                    mark_outbox_delivered(db, item.id, self.clock.now())
            except Exception:  # they go out now all the same; the unmarked again when the lease ends
                logger.warning("Operators' messages for %s not marked delivered", sender_id, exc_info=True)
        return [operator_message(item) for item in items]

    async def for_sender(self, sender_id: str) -> list[dict[str, Any]]:
        try:
            return await asyncio.to_thread(self.take, sender_id)
        except Exception:
            logger.warning("Operators' messages for %s not fetched (the hand-off store)", sender_id, exc_info=True)
            return []


class RestInput(_RasaRestInput):
    """Rasa's ``rest`` channel with the additions described in the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.sanic_app: Sanic | None = None
        self.clean_input = True
        self._operators: OperatorMessages | None = None
        self._handoffs: RestHandoff | None = None

    @property
    def operators(self) -> OperatorMessages:
        if self._operators is None:
            self._operators = OperatorMessages()  # the settings of the server, not of the import
        return self._operators

    @property
    def handoffs(self) -> RestHandoff:
        if self._handoffs is None:
            self._handoffs = RestHandoff()
        return self._handoffs

    @classmethod
    def name(cls) -> str:
        return "rest"

    # ------------------------------------------------------------ the request

    def _payload(self, request: Request) -> dict[str, Any]:
        """The request body, parsed once per request (Rasa's hooks each read
        ``request.json``, which refuses bytes that are not UTF-8)."""
        payload = getattr(request.ctx, "uh_payload", None)
        if payload is None:
            payload = parse_body(request.body or b"")
            request.ctx.uh_payload = payload
        return payload

    # Private hooks of Rasa's RestInput.blueprint (rasa 3.6.21): the narrowest places to
    # change how a request is read; there is no public one.
    async def _extract_sender(self, req: Request) -> str | None:
        if not self.clean_input:
            return await super()._extract_sender(req)
        return clean_sender(self._payload(req).get("sender"))

    def _extract_message(self, req: Request) -> str | None:
        if not self.clean_input:
            return super()._extract_message(req)
        return clean_text(self._payload(req).get("message"))

    def _extract_input_channel(self, req: Request) -> str:
        if not self.clean_input:
            return super()._extract_input_channel(req)
        value = self._payload(req).get("input_channel")
        return value if isinstance(value, str) and value else self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        if not self.clean_input:
            return super().get_metadata(request)
        return clean_metadata(self._payload(request))

    # ------------------------------------------------------------ the reply

    async def fallback_replies(
        self, agent: Agent | None, sender_id: str, text: str, failed: bool = False
    ) -> list[dict[str, Any]]:
        """What to answer when Rasa produced nothing for a user message (``failed``: it
        raised, e.g. the lock store or tracker store is unreachable)."""
        tracker = None
        store = getattr(agent, "tracker_store", None)
        if store is not None:
            try:
                tracker = await asyncio.wait_for(store.retrieve(sender_id), timeout=5)
            except Exception:  # the apology goes out without the tracker
                logger.warning("No tracker for the apology of %s", sender_id, exc_info=True)
        if tracker is not None and tracker.is_paused():
            return []  # a person is on it: the bot stays quiet by design
        intent = None
        if tracker is not None and (tracker.latest_message.text or "") == text.strip():
            intent = (tracker.latest_message.intent or {}).get("name")
        if intent == HUMAN_INTENT or text.strip().startswith("/" + HUMAN_INTENT):
            logger.warning("The hand-off action gave no reply for %s; handing off from the channel", sender_id)
            return [
                {"recipient_id": sender_id, "text": HANDOFF_NOTICE[HUMAN_INTENT]},
                {"recipient_id": sender_id, "custom": {"handoff": {"reason": HUMAN_INTENT}}},
            ]
        cause = "handling it failed" if failed else "is the action server down?"
        logger.warning("No reply for a message of %s (%s); sent the apology", sender_id, cause)
        return [{"recipient_id": sender_id, "text": CHANNEL_APOLOGY, "buttons": [dict(HUMAN_BUTTON)]}]

    def never_silent(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[..., Awaitable[None]]:
        """``on_new_message`` that leaves no user message without a reply, and that hands
        a REST worker to a person and back (:mod:`rasa_ext.rest_handoff`): while their
        ticket is open, Rasa does not see their messages. An error still reaches Rasa's
        handler (which logs it and answers what was collected)."""

        async def handle(message: UserMessage) -> None:
            collector = message.output_channel
            collected = isinstance(collector, CollectingOutputChannel) and isinstance(collector.messages, list)
            # Only collected replies can be checked (streamed ones are on their way already).
            routed, unreachable = None, False
            if collected and applies(message.sender_id):
                try:
                    routed = await self.handoffs.before_rasa(self._agent(), message)
                except Exception:  # Rasa answers; a paused conversation is told below
                    unreachable = True
                    logger.warning("Hand-off store unreachable for %s's message", message.sender_id, exc_info=True)
            if routed is not None:
                collector.messages[:0] = await self.operators.for_sender(message.sender_id) + routed
                return
            failed = False
            try:
                await on_new_message(message)
            except BaseException:
                failed = True
                raise
            finally:
                if collected:
                    if not collector.messages:
                        await self._say_fallback(collector, message, failed, unreachable)
                    if applies(message.sender_id):
                        await self.handoffs.after_rasa(self._agent(), message, collector.messages)
                    # Written before this answer: they come first.
                    collector.messages[:0] = await self.operators.for_sender(message.sender_id)

        return handle

    def _agent(self) -> Agent | None:
        app = self.sanic_app
        return getattr(app.ctx, "agent", None) if app is not None else None

    async def _say_fallback(
        self, collector: CollectingOutputChannel, message: UserMessage, failed: bool, unreachable: bool = False
    ) -> None:
        replies = await self.fallback_replies(self._agent(), message.sender_id, message.text or "", failed)
        if not replies and unreachable:  # paused for a ticket the store cannot be asked about
            replies = [{"recipient_id": message.sender_id, "text": RELAY_FAILED}]
        for reply in replies:
            await collector.send_response(reply.pop("recipient_id"), reply)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's routes and handling, with :meth:`never_silent` around ``on_new_message``
        and a 400 for requests :class:`BadRequest` refuses. Rasa calls this once, when it
        builds the server: the moment the server's CPU savings go in."""
        problem = patches.version_problem(HOOKS_REQUIRE)
        if problem:
            self.clean_input = False
            logger.warning("REST channel: %s; requests are read as Rasa reads them (no input cleaning)", problem)
        speedups.install()
        webhook = super().blueprint(self.never_silent(on_new_message))
        webhook.exception(BadRequest)(_refuse)

        @webhook.route("/handoff", methods=["GET"])
        async def operator_messages(request: Request) -> HTTPResponse:
            """What the operators wrote to ``sender`` since it last asked (``[]``: nothing)."""
            sender = clean_sender(request.args.get("sender"))
            return response.json(await self.operators.for_sender(sender))

        @webhook.listener("before_server_start")
        async def remember_app(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
            self.sanic_app = app  # the agent (app.ctx.agent) is loaded later; read at each reply

        @webhook.listener("after_server_stop")
        async def close_kept_sessions(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
            await patches.close_kept_sessions()  # the action server's connections (keepalive)

        return webhook
