"""Rasa's REST channel, hardened for what a worker (or a broken client) may send.

Loaded from credentials.yml as ``rasa_ext.channels.RestInput``; its name stays ``rest``,
so the URL is still ``/webhooks/rest/webhook`` and every reply is shaped as Rasa's.
What it adds:

* **Never silence.** When a custom action fails (the action server is down or times out),
  Rasa logs the error and answers ``200 []``. A user message that gets no reply now gets
  a Chinese apology with a 转人工 button; and when the worker asked for a person (the
  hand-off action is a custom action too) the hand-off text and the ``handoff`` custom
  payload, so the front end switches to a person without the action server. A paused
  conversation (an operator is on it) stays silent, as in Rasa.
* **Any bytes in, a valid request or a clear 400.** Invalid UTF-8 is decoded with
  replacement characters instead of failing the whole message; control characters and
  lone surrogates are dropped (they break storage and terminals); a very long message is
  cut to :data:`MAX_MESSAGE_CHARS` (the NLU would stall the server on it). A missing or unusable ``sender`` is a 400, not the
  shared ``default`` conversation of stock Rasa.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as _RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

import rasa_ext  # noqa: F401 - log masking in the Rasa server process

logger = logging.getLogger(__name__)

#: The most of one message Rasa's NLU gets. The NLU runs on the server's event loop and
#: slows down steeply with length (~0.3 s for 1,000 characters, ~20 s for 10,000 on a small
#: server), so one pasted essay would stall every other worker. The Telegram front end
#: already sends at most this much (bot.relay.MAX_RASA_TEXT); this is the backstop for any
#: client. The original length is kept in the message's metadata (``truncated_from``).
MAX_MESSAGE_CHARS = 1000
#: Rasa's SQLTrackerStore keeps sender ids in a VARCHAR(255).
MAX_SENDER_CHARS = 255

#: Said when Rasa produced no reply. The turn may still have done its work: under load the
#: action server can save a sign-up while Rasa's call to it fails or times out, so the
#: apology must not say it failed — it points to 我的报名 (scripts/load.py matches the
#: first sentence).
APOLOGY = (
    "抱歉，小助手暂时出了点问题，没能及时回复您。"
    "如果您刚才在报名或申请，可能已经办好了，请先发“我的报名”查看，不要急着重新报名。"
    "其他问题请稍后再试，或者点下面的“转人工”找工作人员。"
)
HUMAN_BUTTON = {"title": "转人工", "payload": "/request_human"}
HANDOFF_TEXT = "好的，已为您转接工会工作人员，请稍候，工作人员会在这里回复您。"
HUMAN_INTENT = "request_human"

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


class RestInput(_RasaRestInput):
    """Rasa's ``rest`` channel with the additions described in the module docstring."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def fallback_replies(
        self, request: Request, sender_id: str, text: str, failed: bool = False
    ) -> list[dict[str, Any]]:
        """What to answer when Rasa produced nothing for a user message (``failed``: it
        raised, e.g. the lock store or tracker store is unreachable)."""
        tracker = None
        agent = getattr(request.app.ctx, "agent", None)
        store = getattr(agent, "tracker_store", None)
        if store is not None:
            try:
                tracker = await asyncio.wait_for(store.retrieve(sender_id), timeout=5)
            except Exception:
                logger.warning("No tracker for the apology of %s", sender_id, exc_info=True)
        if tracker is not None and tracker.is_paused():
            return []  # a person is on it: the bot stays quiet by design
        intent = None
        if tracker is not None and (tracker.latest_message.text or "") == text.strip():
            intent = (tracker.latest_message.intent or {}).get("name")
        if intent == HUMAN_INTENT or text.strip().startswith("/" + HUMAN_INTENT):
            logger.warning("The hand-off action gave no reply for %s; handing off from the channel", sender_id)
            return [
                {"recipient_id": sender_id, "text": HANDOFF_TEXT},
                {"recipient_id": sender_id, "custom": {"handoff": {"reason": HUMAN_INTENT}}},
            ]
        cause = "handling it failed" if failed else "is the action server down?"
        logger.warning("No reply for a message of %s (%s); sent the apology", sender_id, cause)
        return [{"recipient_id": sender_id, "text": APOLOGY, "buttons": [dict(HUMAN_BUTTON)]}]

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            try:
                data = parse_body(request.body or b"")
                sender_id = clean_sender(data.get("sender"))
            except BadRequest as exc:
                return response.json({"status": "failure", "message": str(exc)}, status=400)
            raw = data.get("message")
            text = clean_text(raw)
            metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else None
            if isinstance(raw, str) and len(raw) > MAX_MESSAGE_CHARS:
                metadata = {**(metadata or {}), "truncated_from": len(raw)}
            input_channel = data.get("input_channel") if isinstance(data.get("input_channel"), str) else None
            input_channel = input_channel or self.name()

            if request.args.get("stream", "false").lower() == "true":
                return response.stream(
                    self.stream_response(on_new_message, text, sender_id, input_channel, metadata),
                    content_type="text/event-stream",
                )

            collector = CollectingOutputChannel()
            failed = False
            try:
                await on_new_message(
                    UserMessage(text, collector, sender_id, input_channel=input_channel, metadata=metadata)
                )
            except asyncio.CancelledError:
                failed = True
                logger.error("Handling a message of %s timed out", sender_id)
            except Exception:
                failed = True
                logger.exception("Handling a message of %s failed", sender_id)
            messages = list(collector.messages)
            if not messages:
                messages = await self.fallback_replies(request, sender_id, text, failed)
            return response.json(messages)

        return webhook
