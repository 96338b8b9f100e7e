"""Outgoing requests that survive Telegram's bad moments without being lost or doubled.

PTB's :class:`~telegram.ext.AIORateLimiter` keeps the bot inside Telegram's flood limits and,
with ``max_retries``, waits out a 429 ``RetryAfter`` and sends again. This subclass adds a
bounded, backing-off retry for the other transient failures:

* Telegram answered with a 5xx (or another non-4xx error): it did not take the request, so
  sending again cannot duplicate the message;
* the connection could not be made (connect error/timeout, pool exhausted): nothing was sent.

A read timeout or a connection dropped *after* the request went out is ambiguous – Telegram
may already have delivered the message – so it is retried only for idempotent methods
(reads, edits, chat actions). A ``sendMessage`` in that state is logged and not repeated:
a worker seeing an answer twice is worse than the rare, logged, lost one.
``getUpdates`` never passes through the rate limiter; the Updater retries it itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import AIORateLimiter

#: What a Bot API method returns, as PTB's rate limiters pass it on.
JSONDict = dict[str, Any]

log = logging.getLogger(__name__)

#: Methods that are safe to repeat even if the first attempt might have reached Telegram.
IDEMPOTENT = frozenset(
    {
        "getMe",
        "getChat",
        "getChatMember",
        "getWebhookInfo",
        "getMyCommands",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "sendChatAction",
        "setMyCommands",
        "deleteMyCommands",
        "setWebhook",
        "deleteWebhook",
        "closeForumTopic",
        "leaveChat",
    }
)
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def is_retryable(exc: NetworkError, endpoint: str) -> bool:
    if isinstance(exc, BadRequest):
        return False
    cause = exc.__cause__
    if cause is None or isinstance(cause, TelegramError):
        return True  # Telegram answered 5xx (maybe with a non-JSON body): it did not take it
    if isinstance(cause, _NOT_SENT):
        return True  # the request never left
    return endpoint in IDEMPOTENT  # the request may have arrived


class ResilientRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` + bounded exponential back-off on transient network errors."""

    def __init__(
        self, *, network_retries: int = 5, retry_delay: float = 1.0, max_delay: float = 30.0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._network_retries = network_retries
        self._retry_delay = retry_delay
        self._max_delay = max_delay

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        attempt = 0
        while True:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except NetworkError as exc:
                if attempt >= self._network_retries or not is_retryable(exc, endpoint):
                    if not isinstance(exc, BadRequest):
                        log.warning("%s failed for good after %d attempt(s): %s", endpoint, attempt + 1, exc)
                    raise
                delay = min(self._retry_delay * (2**attempt), self._max_delay)
                attempt += 1
                log.info("%s failed (%s); retry %d/%d in %.1fs", endpoint, exc, attempt, self._network_retries, delay)
                await asyncio.sleep(delay)
