"""One worker turn: text → Rasa's REST channel → every reply back as Telegram messages.

Rasa owns the dialogue; this module only carries messages and renders them:
text (split to Telegram's limits, Markdown links as links), buttons (an inline keyboard,
payloads kept in the front end's tables), images (sendPhoto), files (the ``document``
custom payload of 导出我的数据, sendDocument) and the ``handoff`` custom payload, which it
hands to :mod:`bot.handoff`. If Rasa (or the action server behind it) fails, the worker gets
an apology and the offer of a person within a few seconds, never silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot import buttons, handoff, tickets
from bot.context import BotContext, Worker
from bot.formatting import MAX_RASA_TEXT, for_rasa
from bot.rasa_client import RasaUnavailable
from bot.send import send_document, send_photo, send_text
from common import replies as replies_shape
from common import texts

log = logging.getLogger(__name__)

__all__ = ["MAX_RASA_TEXT", "converse", "deliver", "for_rasa", "offer_person", "typing"]

TYPING_EVERY = 4.5  # Telegram shows "typing…" for about 5 seconds


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in the chat until the block ends."""

    stop = asyncio.Event()

    async def keep_typing() -> None:
        # Ended by ``stop``, not by cancelling alone: a cancellation that lands inside
        # send_chat_action can come back out of PTB's network layer as a TelegramError,
        # which the suppress() below would swallow, and the turn would wait here forever.
        while not stop.is_set():
            with contextlib.suppress(TelegramError):
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def offer_person(context: BotContext, worker: Worker, text: str = texts.NO_REPLY_OFFER_PERSON) -> None:
    svc = context.services
    keyboard = buttons.make_keyboard(svc.db, worker.user_id, [texts.HUMAN_BUTTON], svc.now())
    await send_text(context.bot, worker.chat_id, text, reply_markup=keyboard)


async def deliver(context: BotContext, worker: Worker, replies: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Send Rasa's replies to the worker; return the ``handoff`` payload if there is one.

    Rasa's REST channel cuts a text at every blank line into separate replies; consecutive
    plain texts are joined again so an answer arrives as one message (split only where
    Telegram's limit requires).
    """
    svc = context.services
    bot = context.bot
    pending: list[str] = []
    handoff_request: dict[str, Any] | None = None

    async def flush(button_specs: list[dict[str, Any]] | None = None) -> None:
        text = "\n\n".join(t.strip() for t in pending if t and t.strip())
        pending.clear()
        markup = None
        if button_specs:
            markup = buttons.make_keyboard(svc.db, worker.user_id, button_specs, svc.now())
            text = text or texts.CHOOSE_PROMPT
        if text:
            await send_text(bot, worker.chat_id, text, reply_markup=markup)

    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and "document" in custom:
            await flush()  # the text that announces the file comes before it
            await send_document(bot, worker.chat_id, custom["document"])
        else:
            request = replies_shape.handoff_request(reply)
            if request is not None:
                handoff_request = request
        if reply.get("text"):
            pending.append(str(reply["text"]))
        button_specs = reply.get("buttons") or reply.get("quick_replies")
        if button_specs:
            await flush(list(button_specs))
        if reply.get("image"):
            await flush()
            await send_photo(bot, worker.chat_id, str(reply["image"]))
        if reply.get("attachment"):
            pending.append(_attachment_text(reply["attachment"]))
    await flush()
    return handoff_request


def _attachment_text(attachment: Any) -> str:
    """Rasa attachments are a URL or ``{"type": ..., "payload": {"src": url}}``: show the link."""
    if isinstance(attachment, dict):
        payload = attachment.get("payload")
        if not isinstance(payload, dict):
            payload = {}
        return str(payload.get("src") or payload.get("url") or attachment.get("url") or "")
    return str(attachment)


async def converse(context: BotContext, worker: Worker, text: str, message_id: int | None = None) -> None:
    """The worker's turn; runs in the worker's lane (see :mod:`bot.flood`)."""
    svc = context.services
    ticket = tickets.open_for_user(svc.db, worker.user_id)
    if ticket is not None:  # a person is on it: relay, do not ask Rasa
        await handoff.relay_worker_text(context, ticket, worker, text, message_id)
        return
    await handoff.flush_resumes(svc, worker.user_id)
    tickets.record_activity(svc.db, worker.user_id, svc.now())
    message = for_rasa(text)
    if message is not text:
        log.info("A %d-character message from %s shortened to %d for Rasa", len(text), worker.sender_id, len(message))
    try:
        async with typing(context.bot, worker.chat_id):
            replies = await svc.rasa.send(worker.sender_id, message, {"display_name": worker.display_name})
    except RasaUnavailable as exc:
        log.warning("Rasa unavailable for %s: %s", worker.sender_id, exc)
        if text.strip() == texts.HUMAN_BUTTON["payload"]:  # asked for a person: do it without Rasa
            await handoff.open_ticket(context, worker, "rasa_unavailable", notice=texts.HANDOFF_NOTICE["request_human"])
        else:
            await offer_person(context, worker)
        return
    handoff_request = await deliver(context, worker, replies)
    if handoff_request is not None:
        await handoff.open_ticket(context, worker, str(handoff_request.get("reason") or "request_human"))
