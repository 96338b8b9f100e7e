"""Sending to Telegram: long texts split on sentence boundaries, HTML with a plain fallback.

Everything the front end sends to a chat goes through :func:`send_text`,
:func:`send_photo` or :func:`send_document`, so Telegram's length limits and its occasional refusal of our HTML are
handled in one place. (Retries of failed requests are the rate limiter's job,
:mod:`bot.rate_limit`.)
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.formatting import MAX_CAPTION, split_text, tg_len, to_html
from common import texts

log = logging.getLogger(__name__)


async def send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    html: bool = True,
    **kwargs: Any,
) -> list[Message]:
    """Send ``text`` split on sentence boundaries; the keyboard goes on the last part.

    ``kwargs`` go to every ``sendMessage`` (e.g. ``message_thread_id``, ``reply_parameters``).
    """
    parts = split_text(text) or ["…"]
    sent = []
    for index, part in enumerate(parts):
        markup = reply_markup if index == len(parts) - 1 else None
        if not html:
            sent.append(await bot.send_message(chat_id, part, reply_markup=markup, **kwargs))
            continue
        try:
            sent.append(
                await bot.send_message(
                    chat_id,
                    to_html(part),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    **kwargs,
                )
            )
        except BadRequest as exc:
            if "parse" not in str(exc).lower():
                raise
            log.warning("Telegram rejected our HTML (%s); sending plain text", exc)
            sent.append(await bot.send_message(chat_id, part, reply_markup=markup, **kwargs))
    return sent


async def send_photo(bot: Bot, chat_id: int, url: str, caption: str | None = None) -> None:
    if caption and tg_len(caption) > MAX_CAPTION:
        await send_text(bot, chat_id, caption)
        caption = None
    try:
        await bot.send_photo(chat_id, photo=url, caption=caption)
    except BadRequest as exc:  # Telegram could not fetch the image: give the link instead
        log.warning("sendPhoto %s failed (%s); sending the link", url, exc)
        link = texts.IMAGE_LINK.format(caption=caption or texts.IMAGE_DEFAULT_CAPTION, url=url)
        await send_text(bot, chat_id, link, html=False)


async def send_document(bot: Bot, chat_id: int, document: Any) -> bool:
    """Send the ``document`` custom payload (``{"filename", "content", "mime_type"}``: 导出我的数据)
    as a file; False (and the worker told, and a log line) when it is malformed or Telegram
    refuses it, so a worker who asked for their data never hears nothing."""
    try:
        filename = str(document["filename"]) or "data.json"
        content = str(document["content"]).encode("utf-8")
    except (KeyError, TypeError):
        log.warning("A document payload without a filename or content: %r", document)
        await send_text(bot, chat_id, texts.DOCUMENT_NOT_SENT, html=False)
        return False
    try:
        await bot.send_document(chat_id, document=content, filename=filename)
    except TelegramError as exc:
        log.warning("sendDocument %s failed (%s)", filename, exc)
        await send_text(bot, chat_id, texts.DOCUMENT_NOT_SENT, html=False)
        return False
    return True
