"""Every setting of Union Helper, read from the environment in this one place.

Entry points (the stack launcher, the front ends, the staff command lines) call
:func:`load` once and hand the parts on; library code takes paths and values as
arguments. The action server and the Rasa server have no entry point of ours (rasa-sdk
and Rasa import our modules), so the few modules they import call :func:`load` where
they need a value; it re-reads the environment on every call, so a test that sets a
variable sees it at once, and nothing is cached behind anyone's back.

``.env.example`` documents every variable for the people who set them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from common.clock import Clock, SystemClock, parse_moment, shifted_clock

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_RASA_URL = "http://127.0.0.1:5005"
DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_STAFFED_HOURS = "09:00-17:30"
DEFAULT_BENCH_CACHE = Path(tempfile.gettempdir()) / "uh-bench-cache"
DEFAULT_RETENTION_DAYS = 180
DEFAULT_WECHAT_API_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
#: The schemes UH_DATABASE_URL may have (SQLAlchemy's names for PostgreSQL with psycopg2).
DATABASE_SCHEMES = ("postgresql://", "postgresql+psycopg2://")


class SettingsError(ValueError):
    """A variable is malformed; the message names it (operators read it at start-up)."""


@dataclass(frozen=True)
class TelegramSettings:
    token: str | None = None
    base_url: str = DEFAULT_TELEGRAM_BASE_URL
    mode: str = "polling"  # polling | webhook
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = None
    operator_chat_id: int | None = None
    staff_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class WeChatSettings:
    """The WeChat Official Account front end (``wechat/``, its own process)."""

    #: ``WECHAT_TOKEN``: the Token filled in on the platform; None: the front end is off.
    token: str | None = None
    app_id: str | None = None
    app_secret: str | None = None
    #: ``WECHAT_AES_KEY``: the 43-character EncodingAESKey; None: plaintext mode.
    aes_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8088
    api_base_url: str = DEFAULT_WECHAT_API_BASE_URL
    #: ``WECHAT_TEMPLATE_ID``: the template message for notifications outside the 48-hour
    #: window; None: such notifications wait for the worker's next message.
    template_id: str | None = None
    #: ``WECHAT_REPLY_SECONDS``: how long to wait for Rasa before answering ``success`` and
    #: sending the answer as a customer-service message (WeChat gives up after 5 s).
    reply_seconds: float = 4.0

    @property
    def enabled(self) -> bool:
        return self.token is not None


@dataclass(frozen=True)
class ConsoleSettings:
    """The staff console (``console/``, its own process)."""

    host: str = "127.0.0.1"
    port: int = 8000
    #: PostgreSQL instead of ``$UH_DATA_DIR/console.db``: ``postgresql://user:pw@host:5432/db``.
    database_url: str | None = None
    #: Django's signing key; None: generated once into ``$UH_DATA_DIR/console_secret.key``.
    secret_key: str | None = None
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    #: Origins of a reverse proxy in front (``https://kb.example.org``), for CSRF checks.
    trusted_origins: tuple[str, ...] = ()
    #: Cookies only over HTTPS (set behind a TLS-terminating proxy).
    secure_cookies: bool = False
    #: A session ends after this many hours without a request.
    session_hours: float = 8.0
    #: Failed logins (per user and address) before the login is locked for ``lockout_minutes``.
    login_attempts: int = 5
    lockout_minutes: int = 15
    upload_max_mb: float = 5.0


@dataclass(frozen=True)
class Settings:
    """One consistent reading of the environment."""

    data_dir: Path = REPO_ROOT / "var"
    knowledge_dir: Path = REPO_ROOT / "knowledge"
    verbose: bool = False
    #: ``UH_TODAY``: run as if it were that day (tests and demos); None: the real date.
    today_override: str | None = None
    # Rasa and the action server
    rasa_url: str = DEFAULT_RASA_URL
    rasa_token: str | None = None
    rasa_timeout: float = 8.0
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    rasa_endpoints: Path = REPO_ROOT / "endpoints.yml"
    rasa_workers: int | None = None
    action_workers: int | None = None
    rasa_speedups: str = "all"
    log_level: str = "WARNING"
    sanic_keep_alive_timeout: str = "75"
    #: ``SANIC_ACCESS_LOG``: None lets the stack decide (off, on when verbose).
    sanic_access_log: str | None = None
    #: ``UH_BENCH_CACHE``: where ``make bench`` keeps the trained stock model between runs.
    bench_cache: Path = DEFAULT_BENCH_CACHE
    # Front ends
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    wechat: WeChatSettings = field(default_factory=WeChatSettings)
    staffed_hours: str = DEFAULT_STAFFED_HOURS
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    # Stores
    #: ``UH_DATABASE_URL``: one PostgreSQL database for every store that is not a cache
    #: (registry, hand-off, the front ends' state, Rasa's tracker); None: SQLite files in
    #: ``data_dir``.
    database_url: str | None = None
    #: ``UH_RETENTION_DAYS``: conversations, tickets and delivered messages older than this
    #: are deleted by the retention task; 0 keeps everything.
    retention_days: int = DEFAULT_RETENTION_DAYS
    #: ``UH_RETENTION_EVERY_HOURS``: how often the retention task runs.
    retention_every_hours: float = 24.0
    #: ``UH_INSTANCE``: this process's name in outbox claims and logs (default host:pid).
    instance: str | None = None
    #: ``UH_OUTBOX_LEASE_SECONDS``: how long a front end's claim on an outbox message holds
    #: (another front end sends it once the lease ran out: a dead front end's messages wait
    #: this long). Longer than one send with all its retries.
    outbox_lease_seconds: float = 120.0
    #: ``UH_BACKUP_DIR``: where ``python -m scripts.backup create`` writes by default.
    backup_dir: Path | None = None

    # ------------------------------------------------------------ files in the data dir

    @property
    def registry_db(self) -> Path:
        """Sign-ups (owned by ``registry``), embedded default; see :attr:`registry_url`."""
        return self.data_dir / "registry.db"

    @property
    def tracker_db(self) -> Path:
        """Conversations, embedded default (owned by Rasa's tracker store)."""
        return self.data_dir / "tracker.db"

    @property
    def handoff_db(self) -> Path:
        """Hand-off tickets, their messages and outbox (owned by ``handoff``), with the
        Telegram front end's own tables (``bot.db``) beside them."""
        return self.data_dir / "handoff.db"

    @property
    def gaps_db(self) -> Path:
        """Unanswered questions (owned by ``knowledge.gaps``)."""
        return self.data_dir / "gaps.db"

    @property
    def documents_db(self) -> Path:
        """Imported notices, their passages and use counts (owned by ``knowledge.documents``)."""
        return self.data_dir / "documents.db"

    @property
    def console_db(self) -> Path:
        """The staff console's accounts, sessions, versions and audit log (owned by ``console``)."""
        return self.data_dir / "console.db"

    @property
    def knowledge_index(self) -> Path:
        """The rebuildable search index (owned by ``knowledge``)."""
        return self.data_dir / "knowledge_index.db"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    # ------------------------------------------------------------ the stores

    @property
    def uses_postgres(self) -> bool:
        return self.database_url is not None

    def store_url(self, sqlite_file: Path) -> str:
        """Where a store lives: ``UH_DATABASE_URL`` when set (every store shares it), else
        the SQLite file ``sqlite_file`` (one of the paths above)."""
        return self.database_url or f"sqlite:///{sqlite_file}"

    @property
    def registry_url(self) -> str:
        return self.store_url(self.registry_db)

    @property
    def handoff_url(self) -> str:
        return self.store_url(self.handoff_db)

    @property
    def backups(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    # ------------------------------------------------------------ derived objects

    @property
    def clock(self) -> Clock:
        """The system clock, or — with ``UH_TODAY`` — one shifted clock per process that
        started on that day and keeps running (every call hands out the same one)."""
        if self.today_override:
            return shifted_clock(self.today_override)
        return SystemClock()


# ---------------------------------------------------------------- parsing


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _text(env, name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} 必须是整数（现在是 {value!r}）") from None


def _positive_or_none(env: Mapping[str, str], name: str) -> int | None:
    value = _text(env, name)
    if value is None:
        return None
    try:
        return max(1, int(value))
    except ValueError:
        raise SettingsError(f"{name} 必须是正整数（现在是 {value!r}）") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _text(env, name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise SettingsError(f"{name} 必须是数字（现在是 {value!r}）") from None


def _chat_id(env: Mapping[str, str], name: str) -> int | None:
    value = _text(env, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be an integer chat id, got {value!r}") from None


def _id_set(env: Mapping[str, str], name: str) -> frozenset[int]:
    ids = set()
    for part in (env.get(name) or "").replace(";", ",").split(","):
        part = part.strip()
        if part:
            try:
                ids.add(int(part))
            except ValueError:
                raise SettingsError(f"{name}: {part!r} is not a Telegram user id") from None
    return frozenset(ids)


def _database_url(env: Mapping[str, str], name: str) -> str | None:
    value = _text(env, name)
    if value is None:
        return None
    if value.startswith("postgres://"):  # Heroku-style; SQLAlchemy 1.4 wants postgresql://
        value = "postgresql://" + value[len("postgres://") :]
    if not value.startswith(DATABASE_SCHEMES):
        shown = value.split("@")[-1]  # never the password
        raise SettingsError(f"{name} 必须是 postgresql://用户:密码@主机:端口/数据库 （现在是 …{shown!r}）")
    return value


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = _text(env, name)
    return Path(value).expanduser() if value else default


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    today = _text(env, "UH_TODAY")
    if today is not None:
        try:
            parse_moment(today)
        except ValueError as error:
            raise SettingsError(f"UH_TODAY: {error}") from None
    port = _text(env, "TELEGRAM_WEBHOOK_PORT") or "8443"
    if not port.isdigit():
        raise SettingsError(f"TELEGRAM_WEBHOOK_PORT must be a port number, got {port!r}")
    endpoints = _text(env, "RASA_ENDPOINTS") or "endpoints.yml"
    return Settings(
        data_dir=_path(env, "UH_DATA_DIR", REPO_ROOT / "var"),
        knowledge_dir=_path(env, "UH_KNOWLEDGE_DIR", REPO_ROOT / "knowledge"),
        verbose=bool(_text(env, "UH_VERBOSE")),
        today_override=today,
        rasa_url=(_text(env, "RASA_URL") or DEFAULT_RASA_URL).rstrip("/"),
        rasa_token=_text(env, "RASA_TOKEN"),
        rasa_timeout=_float(env, "RASA_TIMEOUT", 8.0),
        rasa_host=_text(env, "RASA_HOST") or "127.0.0.1",
        rasa_port=_int(env, "RASA_PORT", 5005),
        action_host=_text(env, "ACTION_HOST") or "127.0.0.1",
        action_port=_int(env, "ACTION_PORT", 5055),
        rasa_endpoints=REPO_ROOT / endpoints,
        rasa_workers=_positive_or_none(env, "UH_RASA_WORKERS"),
        action_workers=_positive_or_none(env, "UH_ACTION_WORKERS"),
        rasa_speedups=_text(env, "UH_RASA_SPEEDUPS") or "all",
        log_level=_text(env, "LOG_LEVEL") or "WARNING",
        sanic_keep_alive_timeout=_text(env, "SANIC_KEEP_ALIVE_TIMEOUT") or "75",
        sanic_access_log=_text(env, "SANIC_ACCESS_LOG") or None,
        bench_cache=_path(env, "UH_BENCH_CACHE", DEFAULT_BENCH_CACHE),
        telegram=TelegramSettings(
            token=_text(env, "TELEGRAM_TOKEN"),
            base_url=_text(env, "TELEGRAM_BASE_URL") or DEFAULT_TELEGRAM_BASE_URL,
            mode=(_text(env, "TELEGRAM_MODE") or "polling").lower(),
            webhook_url=_text(env, "TELEGRAM_WEBHOOK_URL"),
            webhook_listen=_text(env, "TELEGRAM_WEBHOOK_LISTEN") or "127.0.0.1",
            webhook_port=int(port),
            webhook_secret=_text(env, "TELEGRAM_WEBHOOK_SECRET"),
            operator_chat_id=_chat_id(env, "TELEGRAM_OPERATOR_CHAT_ID"),
            staff_ids=_id_set(env, "TELEGRAM_STAFF_IDS"),
        ),
        wechat=_wechat(env),
        staffed_hours=_text(env, "STAFFED_HOURS") or DEFAULT_STAFFED_HOURS,
        console=_console(env),
        database_url=_database_url(env, "UH_DATABASE_URL"),
        retention_days=max(0, _int(env, "UH_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)),
        retention_every_hours=max(0.01, _float(env, "UH_RETENTION_EVERY_HOURS", 24.0)),
        instance=_text(env, "UH_INSTANCE"),
        outbox_lease_seconds=max(1.0, _float(env, "UH_OUTBOX_LEASE_SECONDS", 120.0)),
        backup_dir=_path(env, "UH_BACKUP_DIR", Path()) if _text(env, "UH_BACKUP_DIR") else None,
    )


def _words(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = _text(env, name)
    if value is None:
        return default
    return tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())


def _wechat(env: Mapping[str, str]) -> WeChatSettings:
    aes_key = _text(env, "WECHAT_AES_KEY")
    if aes_key is not None and len(aes_key) != 43:
        raise SettingsError("WECHAT_AES_KEY 必须是公众号后台生成的 43 位 EncodingAESKey（明文模式请留空）")
    base = _text(env, "WECHAT_API_BASE_URL") or DEFAULT_WECHAT_API_BASE_URL
    wechat = WeChatSettings(
        token=_text(env, "WECHAT_TOKEN"),
        app_id=_text(env, "WECHAT_APP_ID"),
        app_secret=_text(env, "WECHAT_APP_SECRET"),
        aes_key=aes_key,
        host=_text(env, "WECHAT_LISTEN") or "127.0.0.1",
        port=_int(env, "WECHAT_PORT", 8088),
        api_base_url=base if base.endswith("/") else base + "/",
        template_id=_text(env, "WECHAT_TEMPLATE_ID"),
        reply_seconds=_float(env, "WECHAT_REPLY_SECONDS", 4.0),
    )
    if not 0 < wechat.reply_seconds < 5:
        raise SettingsError("WECHAT_REPLY_SECONDS 必须大于 0、小于 5（微信 5 秒内收不到回复就会重试）")
    if wechat.enabled and aes_key and not wechat.app_id:
        raise SettingsError("安全模式（WECHAT_AES_KEY）需要同时设置 WECHAT_APP_ID")
    return wechat


def _console(env: Mapping[str, str]) -> ConsoleSettings:
    url = _text(env, "UH_CONSOLE_DATABASE_URL")
    if url is not None and not url.startswith(("postgres://", "postgresql://")):
        raise SettingsError("UH_CONSOLE_DATABASE_URL 只支持 postgresql://用户:密码@主机:端口/库名（不设置就用 SQLite）")
    console = ConsoleSettings(
        host=_text(env, "UH_CONSOLE_HOST") or "127.0.0.1",
        port=_int(env, "UH_CONSOLE_PORT", 8000),
        database_url=url,
        secret_key=_text(env, "UH_CONSOLE_SECRET_KEY"),
        allowed_hosts=_words(env, "UH_CONSOLE_ALLOWED_HOSTS", ("127.0.0.1", "localhost")),
        trusted_origins=_words(env, "UH_CONSOLE_TRUSTED_ORIGINS", ()),
        secure_cookies=(_text(env, "UH_CONSOLE_SECURE_COOKIES") or "").lower() in ("1", "true", "yes"),
        session_hours=_float(env, "UH_CONSOLE_SESSION_HOURS", 8.0),
        login_attempts=_int(env, "UH_CONSOLE_LOGIN_ATTEMPTS", 5),
        lockout_minutes=_int(env, "UH_CONSOLE_LOCKOUT_MINUTES", 15),
        upload_max_mb=_float(env, "UH_CONSOLE_UPLOAD_MAX_MB", 5.0),
    )
    if console.session_hours <= 0 or console.login_attempts < 1 or console.upload_max_mb <= 0:
        raise SettingsError("UH_CONSOLE_SESSION_HOURS、UH_CONSOLE_LOGIN_ATTEMPTS、UH_CONSOLE_UPLOAD_MAX_MB 必须大于 0")
    return console


def read_dotenv(path: Path = REPO_ROOT / ".env") -> dict[str, str]:
    """``KEY=VALUE`` lines of a ``.env`` file (comments and blank lines skipped).

    Operators configure Union Helper by copying ``.env.example`` to ``.env``; the caller
    decides how the values meet the environment (``make run``: set variables win).
    """
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key, value = key.strip(), value.strip().strip('"').strip("'")
        if key and value:
            values[key] = value
    return values
