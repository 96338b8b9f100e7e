"""The callback endpoint the Official Account platform calls: ``GET /wechat`` (the server
URL check) and ``POST /wechat`` (every message and event), plaintext or 安全模式.

The 5-second rule: WeChat waits 5 s for the HTTP answer, then retries (three times in
all). The turn runs as a task; if Rasa answers within ``reply_seconds`` (4 s by default,
a second's margin for the network) the answer is the passive XML reply, otherwise
``success`` at once and the answer follows as customer-service messages when the turn ends.
A message is taken once (:func:`wechat.store.take_message`, shared by every process): a
retry runs no second turn; it gets the stored passive reply if the first answer was one
(the network lost it), else ``success``. The taker holds a lease on the message, renewed
every :data:`HEARTBEAT_SECONDS` until its answer is out (passive reply stored, or the
customer-service messages sent). If the taker dies first (killed, restarted), its lease
runs out and the next retry takes the turn over, so the worker is answered after all;
the new taker first asks Rasa whether the first copy's turn ran (the message carries its
key in the metadata) and answers with that turn's replies instead of running it twice.

Signatures, decryption, XML parsing and replies are wechatpy's. A bad signature is 403
before anything is read, malformed XML 400, a body over :data:`MAX_BODY` 413.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from common import texts
from wechat import store
from wechat.inbound import Inbound, classify
from wechat.service import Answer, FrontEnd, owner_gone

log = logging.getLogger(__name__)

PATH = "/wechat"
#: WeChat's messages are a few kilobytes; anything much larger is not from WeChat.
MAX_BODY = 64 * 1024
SUCCESS = "success"
#: How often a turn under way renews its lease on the message (the lease is
#: ``FrontEnd.turn_lease``, a few heartbeats long, and shorter than WeChat's 3 retries
#: over ~15 s, so a dead taker's message is taken over by a retry).
HEARTBEAT_SECONDS = 2.0


@dataclass(frozen=True)
class CallbackConfig:
    token: str
    app_id: str | None = None
    aes_key: str | None = None  # None: plaintext mode
    reply_seconds: float = 4.0


class CallbackServer:
    """The aiohttp application around one :class:`FrontEnd`."""

    def __init__(self, config: CallbackConfig, front: FrontEnd) -> None:
        self.config = config
        self.front = front
        self.crypto = WeChatCrypto(config.token, config.aes_key, config.app_id) if config.aes_key else None
        self._background: set[asyncio.Task[None]] = set()
        #: The messages this process holds a claim on (a claim by this instance's name
        #: that is not in here was left by an earlier life of it).
        self._claimed: set[str] = set()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[_size_cap])
        app.router.add_get(PATH, self.verify)
        app.router.add_post(PATH, self.receive)
        app.router.add_get("/healthz", self.health)
        app.on_shutdown.append(self._drain)  # type: ignore[arg-type]
        return app

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    def _signed(self, request: web.Request) -> bool:
        q = request.query
        try:
            check_signature(self.config.token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
        except InvalidSignatureException:
            return False
        return True

    async def verify(self, request: web.Request) -> web.Response:
        """The platform's server-URL check: echo ``echostr`` if the signature is ours."""
        if not self._signed(request):
            return web.Response(status=403, text="invalid signature")
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        if not self._signed(request):
            log.warning("Refused a callback with a bad signature from %s", request.remote)
            return web.Response(status=403, text="invalid signature")
        body = await request.read()
        q = request.query
        encrypted = q.get("encrypt_type", "raw").lower() == "aes"
        if encrypted and self.crypto is None:
            return web.Response(status=400, text="encrypted message but no EncodingAESKey configured")
        try:
            xml = body
            if encrypted:
                assert self.crypto is not None
                xml = self.crypto.decrypt_message(
                    body, q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", "")
                )
            message = parse_message(xml)
            inbound = classify(message)
        except (InvalidSignatureException, InvalidAppIdException):
            return web.Response(status=403, text="invalid message signature")
        except Exception as exc:  # noqa: BLE001 - expat, a missing field, bad base64: all "malformed"
            log.warning("Malformed callback body (%s: %s)", type(exc).__name__, exc)
            return web.Response(status=400, text="malformed message")
        if message is None or not inbound.openid:
            return web.Response(status=400, text="malformed message")
        reply = await self._answer(inbound, message)
        if reply is None:
            return web.Response(text=SUCCESS)
        if self.crypto is not None and encrypted:
            reply = self.crypto.encrypt_message(reply, q.get("nonce") or secrets.token_hex(8), q.get("timestamp"))
        return web.Response(text=reply, content_type="application/xml")

    async def _answer(self, inbound: Inbound, message: object) -> str | None:
        """The passive reply XML, or None (``success``)."""
        front = self.front
        seen = store.take_message(
            front.db, inbound.key, inbound.sender_id, front.now(), owner=front.owner, lease=front.turn_lease
        )
        if seen is not None and not seen.mine and owner_gone(seen.owner, front.owner, self._claimed, inbound.key):
            assert seen.owner is not None
            seen = store.take_over(
                front.db, inbound.key, seen.owner, front.owner, front.now() + front.turn_lease
            ) or store.take_message(
                front.db, inbound.key, inbound.sender_id, front.now(), owner=front.owner, lease=front.turn_lease
            )
        if seen is not None and not seen.mine:
            log.info("WeChat sent %s again (%s)", inbound.key, seen.state)
            return seen.reply if seen.state == "passive" else None
        if seen is not None:
            log.warning("Taking over %s (attempt %s): its first taker stopped mid-turn", inbound.key, seen.attempts)
        claim = _Claim(front, inbound.key, self._claimed)
        task = asyncio.ensure_future(self._turn(inbound, retaken=seen is not None))
        done, _ = await asyncio.wait({task}, timeout=self.config.reply_seconds)
        if not done:
            self._later(self._push_when_done(inbound, task, claim))
            return None
        answer = task.result()
        if not answer:
            claim.finish("pushed")
            return None
        first, rest = (
            answer.plain[0],
            answer.linked[1:] if len(answer.linked) == len(answer.plain) else answer.plain[1:],
        )
        xml = TextReply(content=first, message=message).render()
        claim.finish("passive", xml)
        if rest:  # a passive reply is one message: the rest follows
            self._later(self._push(inbound.sender_id, rest))
        return str(xml)

    async def _turn(self, inbound: Inbound, *, retaken: bool = False) -> Answer:
        try:
            return await self.front.turn(inbound, retaken=retaken)
        except Exception:
            log.exception("Handling %s from %s failed", inbound.key, inbound.sender_id)
            return Answer.of(texts.HANDLING_FAILED.replace("发送 /human", "发“转人工”"))

    async def _push_when_done(self, inbound: Inbound, task: asyncio.Future[Answer], claim: _Claim) -> None:
        """The late answer by customer-service message; the claim is held until it is out,
        so a front end killed meanwhile leaves the message to WeChat's next retry."""
        try:
            answer = await task
            if answer:
                await self._push(inbound.sender_id, answer.linked)
        finally:
            claim.finish("pushed")

    async def _push(self, sender: str, parts: list[str]) -> None:
        error = await self.front.push(sender, parts)
        if error is not None:
            log.error("The answer to %s could not be sent (%s)", sender, error)

    def _later(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _drain(self, app: web.Application) -> None:
        """On shutdown, let the answers under way go out."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=10)


class _Claim:
    """This process's hold on one message until its answer is out: a heartbeat renewing
    the lease in the shared store, stopped by :meth:`finish`."""

    def __init__(self, front: FrontEnd, key: str, held: set[str]) -> None:
        self.front = front
        self.key = key
        self._held = held
        held.add(key)
        self._beat = asyncio.ensure_future(self._heartbeat())

    async def _heartbeat(self) -> None:
        front = self.front
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                held = store.renew_seen(front.db, self.key, front.owner, front.now() + front.turn_lease)
            except Exception:  # a store hiccup: the next beat tries again
                log.warning("Renewing the lease on %s failed", self.key, exc_info=True)
                continue
            if not held:
                return

    def finish(self, state: str, reply: str | None = None) -> None:
        self._beat.cancel()
        self._held.discard(self.key)
        store.finish_seen(self.front.db, self.key, state, reply)


@web.middleware
async def _size_cap(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Refuse an oversized body from its Content-Length, before reading it."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return web.Response(status=413, text="body too large")
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return web.Response(status=413, text="body too large")
