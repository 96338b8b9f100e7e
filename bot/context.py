"""What every callback needs, reached through ``context.services`` – no module-level state.

:func:`bot.app.build_application` creates one :class:`Services` per Application and stores it
in ``bot_data``; the custom :class:`BotContext` exposes it as a typed attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram import User
from telegram.ext import CallbackContext, ExtBot

from bot.config import Config
from bot.flood import FloodGate
from bot.formatting import shorten
from bot.rasa_client import RasaClient
from common import texts
from common.clock import Clock
from common.database import Database
from common.privacy import redact

if TYPE_CHECKING:
    from bot.handoff import OperatorDirectory
    from bot.notifications import NotificationDelivery

SERVICES_KEY = "services"


@dataclass
class Services:
    config: Config
    rasa: RasaClient
    db: Database
    gate: FloodGate
    operators: OperatorDirectory
    clock: Clock
    # Waiting-list promotions and other queued messages from the registry (bot/notifications.py).
    notifications: NotificationDelivery
    # Operators' messages keep their order too (no flood limit for staff).
    ops_lanes: FloodGate = field(default_factory=lambda: FloodGate(max_pending=10_000))

    def now(self) -> datetime:
        return self.clock.now().astimezone(self.config.staffed_hours.tz)


class BotContext(CallbackContext[ExtBot, dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services


@dataclass(frozen=True)
class Worker:
    """A worker talking to the bot in a private chat."""

    user_id: int
    chat_id: int
    display_name: str

    @property
    def sender_id(self) -> str:
        return f"tg-{self.user_id}"

    @classmethod
    def from_user(cls, user: User, chat_id: int) -> Worker:
        name = shorten(redact(user.full_name or user.first_name or ""), 40) or texts.UNNAMED_WORKER.format(
            user_id=user.id
        )
        return cls(user_id=user.id, chat_id=chat_id, display_name=name)
