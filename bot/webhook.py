"""Webhook mode for production: a small aiohttp server that handles Telegram's updates.

PTB's own ``run_webhook`` needs its ``webhooks`` extra (tornado), which is not installed;
this follows PTB's ``customwebhookbot`` pattern instead: the Application is built with
``.updater(None)`` and every POST from Telegram becomes ``Update.de_json(...)``, handled by
the Application. Telegram's ``X-Telegram-Bot-Api-Secret-Token`` header must match
``TELEGRAM_WEBHOOK_SECRET``. Put the server behind the HTTPS reverse proxy that
``TELEGRAM_WEBHOOK_URL`` points to; ``GET /healthz`` answers 200 for monitoring.

Several front ends behind one webhook (issue #17): the answer to Telegram is sent only
once the update was handled, and the update is then recorded as handled in the shared
store (``tg_updates``). A front end killed in the middle of a turn never answers, so
Telegram delivers the update again — to another front end, which handles it: the turn is
not lost. An update handled already (its answer to Telegram got lost) is answered at once
and not handled twice. What a retried turn means for Rasa: docs/scale.md.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal

from aiohttp import web
from telegram import Update

from bot import tickets
from bot.app import App, services_of
from bot.config import Config
from common.database import DRIVER_ERRORS

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def make_web_app(application: App, config: Config) -> web.Application:
    secret = config.webhook_secret or ""

    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return web.Response(status=403)
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400)
        try:
            update = Update.de_json(data, application.bot)
        except Exception:
            log.exception("Dropping an update PTB cannot parse: %.500s", data)
            return web.Response(status=200)
        svc = services_of(application)
        try:
            if tickets.update_handled(svc.db, update.update_id, svc.now()):
                return web.Response(status=200)  # delivered again; handled before
        except DRIVER_ERRORS as exc:
            log.warning("Could not check update %s (%s); handling it", update.update_id, exc)
        await application.process_update(update)
        try:
            tickets.update_seen(svc.db, update.update_id, svc.now())
        except DRIVER_ERRORS as exc:
            log.warning("Could not record update %s as handled: %s", update.update_id, exc)
        return web.Response(status=200)

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    web_app = web.Application(client_max_size=2 * 1024 * 1024)
    web_app.router.add_post(config.webhook_path, receive)
    web_app.router.add_get("/healthz", healthz)
    return web_app


async def serve_webhook(
    application: App,
    config: Config,
    stop: asyncio.Event | None = None,
    listening: asyncio.Event | None = None,
) -> None:
    """Run until ``stop`` is set (by default: until SIGINT/SIGTERM).

    ``listening`` is set once the web server accepts connections (a test waits for it
    instead of retrying its first request).
    """
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(make_web_app(application, config))
    async with application:  # initialize() … shutdown()
        if application.post_init:
            await application.post_init(application)
        await application.bot.set_webhook(
            url=config.webhook_url, secret_token=config.webhook_secret, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        await runner.setup()
        site = web.TCPSite(runner, config.webhook_listen, config.webhook_port)
        await site.start()
        if listening is not None:
            listening.set()
        log.info("Webhook listening on %s:%s%s", config.webhook_listen, config.webhook_port, config.webhook_path)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            await application.stop()
    if application.post_shutdown:
        await application.post_shutdown(application)
