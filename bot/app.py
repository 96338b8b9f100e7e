"""Building the one Application of the Telegram front end, and running it.

``build_application(config)`` is what ``python -m bot`` runs and what the tests use: point
``config.telegram_base_url`` at a fake Bot API server and ``config.rasa_url`` at a (fake or
real) Rasa, then ``async with running(app): ...`` inside an async test. Its clock is
``config.clock`` unless ``clock=`` says otherwise (a test's ``FixedClock``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot import buttons, handoff, tickets
from bot.config import Config, ConfigError
from bot.context import SERVICES_KEY, BotContext, Services
from bot.db import open_db
from bot.flood import FloodGate
from bot.handlers import register_handlers
from bot.handoff import OperatorDirectory
from bot.notifications import HandoffOutbox, NotificationDelivery, RegistryOutbox
from bot.rasa_client import RasaClient
from bot.rate_limit import ResilientRateLimiter
from common import texts
from common.clock import Clock

#: The Application as built here (PTB's generic parameters: our context, plain dicts).
App = Application[Any, BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]

log = logging.getLogger(__name__)

#: Updates processed at once; each worker still gets one at a time (bot/flood.py).
CONCURRENT_UPDATES = 64


def build_application(config: Config, *, clock: Clock | None = None) -> App:
    """The configured Application (not yet initialised or started)."""
    config.check()
    if not config.telegram_token:  # check() refuses this already; narrows the type
        raise ConfigError("TELEGRAM_TOKEN is not set")
    clock = clock or config.clock
    base_url, base_file_url = config.bot_api_urls
    builder = (
        Application.builder()
        .token(config.telegram_token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .rate_limiter(
            ResilientRateLimiter(
                max_retries=config.rate_limit_retries,
                network_retries=config.send_retries,
                retry_delay=config.send_retry_delay,
            )
        )
        .concurrent_updates(CONCURRENT_UPDATES)
        .context_types(ContextTypes(context=BotContext))
        .job_queue(None)  # APScheduler (PTB's job-queue extra) conflicts with Rasa 3.6
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if config.mode == "webhook":
        builder = builder.updater(None)  # bot/webhook.py feeds the update queue
    application = builder.build()

    delivery = NotificationDelivery(
        application,
        [RegistryOutbox(config.registry_location), HandoffOutbox(config.handoff_location)],
        config.notify_interval,
        clock,
        owner=config.instance,
        lease=config.outbox_lease,
    )
    services = Services(
        config=config,
        rasa=RasaClient(base_url=config.rasa_url, token=config.rasa_token, timeout=config.rasa_timeout),
        db=open_db(config.handoff_location),
        gate=FloodGate(config.flood_max_pending),
        operators=OperatorDirectory(config.operator_chat_id, config.staff_ids),
        clock=clock,
        notifications=delivery,
    )
    application.bot_data[SERVICES_KEY] = services
    _wire_delivery(services)
    register_handlers(application, config.operator_chat_id)
    return application


def _wire_delivery(svc: Services) -> None:
    """What the outbox poller does besides delivering: post the tickets the operators'
    chat refused, post the resumes Rasa missed (tickets closed elsewhere included), and
    resume a conversation before its worker hears that the ticket closed."""

    async def retry_posting(bot: Any, now: Any) -> None:
        if svc.config.operator_chat_id is not None:
            await handoff.retry_posting(svc, bot, now)

    async def resumes(bot: Any, now: Any) -> None:
        await handoff.flush_resumes(svc, sweep=True)

    async def other_channels(bot: Any, now: Any) -> None:
        await handoff.mirror_other_channels(svc, bot, now)

    async def before_closed_notice(ticket_id: int) -> None:
        await handoff.resume_before_notice(svc, ticket_id)

    async def after_delivered(bot: Any, update: Any) -> None:
        await handoff.mirror_console_action(svc, bot, update)

    svc.notifications.chores += [retry_posting, resumes, other_channels]
    svc.notifications.before_closed_notice = before_closed_notice
    svc.notifications.after_delivered = after_delivered


def services_of(application: App) -> Services:
    services: Services = application.bot_data[SERVICES_KEY]
    return services


async def _post_init(application: App) -> None:
    svc = services_of(application)
    bot = application.bot
    try:
        await bot.set_my_commands(
            [BotCommand(name, label) for name, label in texts.WORKER_COMMAND_MENU.items()],
            scope=BotCommandScopeAllPrivateChats(),
        )
        if svc.config.operator_chat_id is not None:
            await bot.set_my_commands(
                [BotCommand(name, label) for name, label in texts.OPERATOR_COMMAND_MENU.items()],
                scope=BotCommandScopeChat(svc.config.operator_chat_id),
            )
    except TelegramError as exc:
        log.warning("Could not set the command menus: %s", exc)
    buttons.forget_old(svc.db, svc.now())
    await handoff.flush_resumes(svc)
    svc.notifications.start()  # polls the registry's outbox until post-shutdown
    log.info("Telegram front end ready: %d open ticket(s), Rasa at %s", tickets.open_count(svc.db), svc.config.rasa_url)


async def _post_shutdown(application: App) -> None:
    svc = services_of(application)
    await svc.notifications.stop()
    await svc.rasa.close()
    svc.db.close()


@contextlib.asynccontextmanager
async def running(application: App, *, poll_timeout: int = 1) -> AsyncIterator[App]:
    """Initialise, start polling and start ``application``; undo it all on exit.

    ``run_polling`` does the same for ``python -m bot`` but owns the event loop; tests and
    the end-to-end suite use this inside their own loop.
    """
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        if application.updater is not None:
            await application.updater.start_polling(
                poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
            )
        await application.start()
        try:
            yield application
        finally:
            try:
                if application.updater is not None and application.updater.running:
                    await application.updater.stop()
            finally:
                if application.running:
                    await application.stop()
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
