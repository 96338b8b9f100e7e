"""A thin async client for the Rasa server the front ends talk to.

The front ends never interpret the dialogue themselves: they relay a worker's text to
Rasa's REST channel and render what comes back. Tracker reads and pause/resume events
go through Rasa's HTTP API, which needs the server's auth token. The caller hands in the
address and the token (from :mod:`common.settings`); this module reads no environment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

import handoff
from common.database import Database

log = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not give a usable answer."""


@dataclass
class RasaClient:
    """Talks to one Rasa server; one instance per front-end process."""

    base_url: str
    token: str | None = None
    timeout: float = 10.0
    _client: httpx.AsyncClient | None = field(default=None, init=False, repr=False)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(base_url=self.base_url.rstrip("/"), timeout=self.timeout)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _params(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Send one worker message; return Rasa's replies (text/buttons/image/custom dicts).

        An empty list is treated as a failure: Rasa answers 200 with nothing when the
        action server is down, and the worker must never be left with silence.
        """
        payload: dict[str, Any] = {"sender": sender_id, "message": text}
        if metadata:
            payload["metadata"] = metadata
        try:
            response = await self._http().post("/webhooks/rest/webhook", json=payload)
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        if not isinstance(replies, list) or not replies:
            raise RasaUnavailable("empty reply")
        return replies

    async def tracker(self, sender_id: str) -> dict[str, Any]:
        """The conversation's tracker (current session) from Rasa's HTTP API."""
        try:
            response = await self._http().get(f"/conversations/{sender_id}/tracker", params=self._params())
            response.raise_for_status()
            tracker = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        if not isinstance(tracker, dict):
            raise RasaUnavailable("not a tracker")
        return tracker

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        """Append events (e.g. ``{"event": "pause"}``) to the conversation's tracker."""
        try:
            response = await self._http().post(
                f"/conversations/{sender_id}/tracker/events",
                params=self._params(),
                json=events,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc


class _Closed(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def sender_id(self) -> str: ...


async def resume_conversation(rasa: RasaClient, db: Database, ticket: _Closed) -> bool:
    """Record ``{"event": "resume"}`` for a closed ticket's conversation and mark it done in
    the hand-off store; False (logged, retried by the caller's sweep) if Rasa is unreachable.
    Every front end resumes its tickets this way."""
    try:
        await rasa.append_events(ticket.sender_id, [{"event": "resume"}])
    except RasaUnavailable as exc:
        log.warning("Resume for %s not recorded yet (%s); will retry", ticket.sender_id, exc)
        return False
    handoff.resume_recorded(db, ticket.id)
    return True
