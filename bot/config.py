"""The settings of the Telegram front end, handed to :func:`bot.app.build_application`.

:func:`load_config` takes them from :mod:`common.settings` (the one reader of the
environment); tests build a :class:`Config` directly or with :func:`load_config` over a dict.
Nothing else in ``bot/`` reads the environment: every module is handed what it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.hours import StaffedHours
from common import settings
from common.clock import Clock, SystemClock


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def telegram_urls(base_url: str | None) -> tuple[str, str]:
    """PTB's ``base_url`` and ``base_file_url`` from TELEGRAM_BASE_URL.

    Accepts the server root (``http://127.0.0.1:8081``) or the bot prefix
    (``http://127.0.0.1:8081/bot``); PTB appends the token to both results.
    """
    url = (base_url or settings.DEFAULT_TELEGRAM_BASE_URL).strip().rstrip("/")
    root = url[: -len("/bot")] if url.endswith("/bot") else url
    return f"{root}/bot", f"{root}/file/bot"


@dataclass(frozen=True)
class Config:
    telegram_token: str | None = None
    telegram_base_url: str = settings.DEFAULT_TELEGRAM_BASE_URL
    operator_chat_id: int | None = None
    staff_ids: frozenset[int] = frozenset()
    rasa_url: str = settings.DEFAULT_RASA_URL
    rasa_token: str | None = None
    rasa_timeout: float = 8.0
    data_dir: Path = settings.Settings.data_dir
    #: ``UH_DATABASE_URL``: the shared PostgreSQL of every store (two front ends behind one
    #: webhook share tickets, buttons and outboxes there); None: SQLite files in data_dir.
    database_url: str | None = None
    #: ``UH_INSTANCE``: this front end's name in outbox claims (default host:pid).
    instance: str | None = None
    #: ``UH_OUTBOX_LEASE_SECONDS``: how long this front end's claim on a message holds.
    outbox_lease: float = 120.0
    staffed_hours: StaffedHours = field(default_factory=lambda: StaffedHours.parse(None))
    mode: str = "polling"  # polling | webhook
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = None
    # Outgoing-message robustness (tests shorten the delays).
    send_retries: int = 5  # bounded retries on network errors / Telegram 5xx
    send_retry_delay: float = 1.0  # first back-off; doubles each retry
    rate_limit_retries: int = 5  # AIORateLimiter max_retries on 429 RetryAfter
    # Per-worker flood control: one Rasa turn in flight plus a small queue.
    flood_max_pending: int = 4
    # Seconds between polls of the registry's notifications outbox (0 turns delivery off).
    notify_interval: float = 2.0
    # What "now" is: ticket times, staffed hours, /stats' day, notification retries.
    # UH_TODAY moves it to another day (servers under test); tests pass a FixedClock.
    clock: Clock = field(default_factory=SystemClock)

    @property
    def bot_api_urls(self) -> tuple[str, str]:
        return telegram_urls(self.telegram_base_url)

    @property
    def _files(self) -> settings.Settings:
        """The data files' names come from the settings, the one place that knows them."""
        return settings.Settings(data_dir=Path(self.data_dir))

    @property
    def handoff_db_path(self) -> Path:
        """The embedded hand-off store (tickets; the front end's buttons, mapping, activity)."""
        return self._files.handoff_db

    @property
    def registry_db_path(self) -> Path:
        """The registrations database (owned by ``registry``; its outbox is read through it)."""
        return self._files.registry_db

    @property
    def handoff_location(self) -> str:
        """The hand-off store with the front end's own tables (URL)."""
        return self.database_url or f"sqlite:///{self.handoff_db_path}"

    @property
    def registry_location(self) -> str:
        """The registry (URL): its outbox is read through its functions."""
        return self.database_url or f"sqlite:///{self.registry_db_path}"

    @property
    def gaps_db_path(self) -> Path:
        """Unanswered questions (owned by ``knowledge.gaps``; counted for ``/stats``)."""
        return self._files.gaps_db

    @property
    def webhook_path(self) -> str:
        """The path part of TELEGRAM_WEBHOOK_URL, where the local web server listens."""
        return urlsplit(self.webhook_url or "").path or "/telegram"

    def check(self) -> Config:
        """Raise :class:`ConfigError` if the bot cannot start with these settings."""
        if not self.telegram_token:
            raise ConfigError("TELEGRAM_TOKEN is not set")
        if self.mode not in {"polling", "webhook"}:
            raise ConfigError(f"TELEGRAM_MODE must be polling or webhook, got {self.mode!r}")
        if self.mode == "webhook":
            if not self.webhook_url or not self.webhook_url.startswith("https://"):
                raise ConfigError("TELEGRAM_WEBHOOK_URL must be an https:// URL in webhook mode")
            if not self.webhook_secret:
                raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be set in webhook mode")
        return self


def load_config(env: Mapping[str, str] | None = None) -> Config:
    """The front end's settings, from ``env`` (default: the process environment)."""
    try:
        read = settings.load(env)
        staffed = StaffedHours.parse(read.staffed_hours)
    except ValueError as exc:  # SettingsError included
        raise ConfigError(str(exc)) from exc
    tg = read.telegram
    return Config(
        telegram_token=tg.token,
        telegram_base_url=tg.base_url,
        operator_chat_id=tg.operator_chat_id,
        staff_ids=tg.staff_ids,
        rasa_url=read.rasa_url,
        rasa_token=read.rasa_token,
        rasa_timeout=read.rasa_timeout,
        data_dir=read.data_dir,
        database_url=read.database_url,
        instance=read.instance,
        outbox_lease=read.outbox_lease_seconds,
        staffed_hours=staffed,
        mode=tg.mode,
        webhook_url=tg.webhook_url,
        webhook_listen=tg.webhook_listen,
        webhook_port=tg.webhook_port,
        webhook_secret=tg.webhook_secret,
        clock=read.clock,
    )
