"""Every setting of the Telegram front end, read from the environment in this one place.

Tests build a :class:`Config` directly (or with :func:`load_config` over a dict) and pass it
to :func:`bot.app.build_application`; nothing else in ``bot/`` reads ``os.environ``.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.hours import StaffedHours

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_RASA_URL = "http://127.0.0.1:5005"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def telegram_urls(base_url: str | None) -> tuple[str, str]:
    """PTB's ``base_url`` and ``base_file_url`` from TELEGRAM_BASE_URL.

    Accepts the server root (``http://127.0.0.1:8081``) or the bot prefix
    (``http://127.0.0.1:8081/bot``); PTB appends the token to both results.
    """
    url = (base_url or DEFAULT_TELEGRAM_BASE_URL).strip().rstrip("/")
    root = url[: -len("/bot")] if url.endswith("/bot") else url
    return f"{root}/bot", f"{root}/file/bot"


def _int_or_none(name: str, value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer chat id, got {value!r}") from exc


def _id_set(name: str, value: str | None) -> frozenset[int]:
    ids = set()
    for part in (value or "").replace(";", ",").split(","):
        part = part.strip()
        if part:
            try:
                ids.add(int(part))
            except ValueError as exc:
                raise ConfigError(f"{name}: {part!r} is not a Telegram user id") from exc
    return frozenset(ids)


def _float(name: str, value: str | None, default: float) -> float:
    if value is None or not value.strip():
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {value!r}") from exc


@dataclass(frozen=True)
class Config:
    telegram_token: str | None = None
    telegram_base_url: str = DEFAULT_TELEGRAM_BASE_URL
    operator_chat_id: int | None = None
    staff_ids: frozenset[int] = frozenset()
    rasa_url: str = DEFAULT_RASA_URL
    rasa_token: str | None = None
    rasa_timeout: float = 8.0
    data_dir: Path = REPO_ROOT / "var"
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

    @property
    def bot_api_urls(self) -> tuple[str, str]:
        return telegram_urls(self.telegram_base_url)

    @property
    def handoff_db_path(self) -> Path:
        return Path(self.data_dir) / "handoff.db"

    @property
    def registry_db_path(self) -> Path:
        """The registrations database (owned by ``actions.registry``; read for its outbox)."""
        return Path(self.data_dir) / "registry.db"

    @property
    def gaps_db_path(self) -> Path:
        return Path(self.data_dir) / "gaps.db"

    @property
    def webhook_path(self) -> str:
        """The path part of TELEGRAM_WEBHOOK_URL, where the local web server listens."""
        return urlsplit(self.webhook_url or "").path or "/telegram"

    def check(self) -> "Config":
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
    """Read the settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    data_dir = env.get("UH_DATA_DIR") or str(REPO_ROOT / "var")
    try:
        staffed = StaffedHours.parse(env.get("STAFFED_HOURS"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    port = env.get("TELEGRAM_WEBHOOK_PORT") or "8443"
    if not port.isdigit():
        raise ConfigError(f"TELEGRAM_WEBHOOK_PORT must be a port number, got {port!r}")
    return Config(
        telegram_token=(env.get("TELEGRAM_TOKEN") or "").strip() or None,
        telegram_base_url=env.get("TELEGRAM_BASE_URL") or DEFAULT_TELEGRAM_BASE_URL,
        operator_chat_id=_int_or_none("TELEGRAM_OPERATOR_CHAT_ID", env.get("TELEGRAM_OPERATOR_CHAT_ID")),
        staff_ids=_id_set("TELEGRAM_STAFF_IDS", env.get("TELEGRAM_STAFF_IDS")),
        rasa_url=(env.get("RASA_URL") or DEFAULT_RASA_URL).rstrip("/"),
        rasa_token=env.get("RASA_TOKEN") or None,
        rasa_timeout=_float("RASA_TIMEOUT", env.get("RASA_TIMEOUT"), 8.0),
        data_dir=Path(data_dir),
        staffed_hours=staffed,
        mode=(env.get("TELEGRAM_MODE") or "polling").strip().lower(),
        webhook_url=env.get("TELEGRAM_WEBHOOK_URL") or None,
        webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN") or "127.0.0.1",
        webhook_port=int(port),
        webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
    )
