"""The stack launcher takes its configuration from common.settings, reads operators'
settings from .env without overriding the environment, and writes nothing into this
process's environment (so no test leaks a variable into the next)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from common import settings
from common.settings import SettingsError
from scripts.stack import REPO, Stack, load_dotenv


def stack_for(env: dict[str, str], **options: Any) -> Stack:
    return Stack(settings=settings.load(env), base_env=env, **options)


def test_dotenv_fills_unset_variables_only(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nRASA_PORT=6123\nTELEGRAM_TOKEN=\nACTION_PORT='6124'\nUH_VERBOSE=1\n", encoding="utf-8"
    )
    before = dict(os.environ)
    env = load_dotenv(env_file, {"ACTION_PORT": "7000", "PATH": "/usr/bin"})
    assert dict(os.environ) == before, "the process environment is left alone"
    stack = stack_for(env)
    assert stack.rasa_port == 6123
    assert stack.action_port == 7000  # the environment wins over .env
    assert stack.verbose is True
    assert "TELEGRAM_TOKEN" not in env  # empty values do not set anything
    child = stack.environment()
    assert child["RASA_PORT"] == "6123" and child["PATH"] == "/usr/bin"  # the servers see .env too


def test_missing_dotenv_is_fine(tmp_path: Path) -> None:
    assert load_dotenv(tmp_path / "nope.env", {"RASA_PORT": "6000"}) == {"RASA_PORT": "6000"}


def test_the_servers_get_their_settings() -> None:
    env = {
        "UH_DATA_DIR": "/srv/uh",
        "RASA_TOKEN": "secret",
        "ACTION_HOST": "127.0.0.2",
        "SANIC_KEEP_ALIVE_TIMEOUT": "90",
        "LOG_LEVEL": "INFO",
        "RASA_ENDPOINTS": "endpoints.redis.yml",
    }
    stack = stack_for(env)
    assert (stack.data, stack.token, stack.endpoints) == (Path("/srv/uh"), "secret", REPO / "endpoints.redis.yml")
    child = stack.environment()
    assert child["SANIC_HOST"] == "127.0.0.2" and child["SANIC_KEEP_ALIVE_TIMEOUT"] == "90"
    assert child["LOG_LEVEL"] == "INFO" and child["RASA_TOKEN"] == "secret"
    assert child["UH_DATA_DIR"] == "/srv/uh" and child["TRACKER_DB"] == "/srv/uh/tracker.db"
    # an argument wins over the settings; without a token each stack makes its own
    assert stack_for(env, rasa_port=6001, token="t").rasa_port == 6001
    assert stack_for({}).token != stack_for({}).token


def test_the_servers_write_no_access_log_unless_verbose_or_asked() -> None:
    # an access-log record per request costs ~2-3 ms of CPU a turn (docs/bench-ablation.md)
    assert stack_for({}).environment()["SANIC_ACCESS_LOG"] == "False"
    assert stack_for({}, verbose=True).environment()["SANIC_ACCESS_LOG"] == "True"
    assert stack_for({"SANIC_ACCESS_LOG": "True"}).environment()["SANIC_ACCESS_LOG"] == "True"


def test_several_rasa_workers_need_the_redis_lock_store() -> None:
    """Rasa quietly falls back to one worker with the in-memory lock store; we say so instead."""
    stack = stack_for({"UH_RASA_WORKERS": "2"})
    assert stack.rasa_workers == 2
    with pytest.raises(SystemExit, match="endpoints.redis.yml"):
        stack.check()
    redis_stack = stack_for({"UH_RASA_WORKERS": "2", "RASA_ENDPOINTS": "endpoints.redis.yml"})
    assert redis_stack.shared_lock_store() and redis_stack.sqlite_tracker()
    redis_stack.check()


def test_worker_counts_must_be_numbers() -> None:
    with pytest.raises(SettingsError, match="UH_ACTION_WORKERS"):
        stack_for({"UH_ACTION_WORKERS": "two"})


def test_the_production_endpoints_allow_several_workers() -> None:
    assert stack_for({}, endpoints=REPO / "endpoints.production.yml").shared_lock_store()
    assert not stack_for({}, endpoints=REPO / "endpoints.yml").shared_lock_store()


# ------------------------------------------------------------------ endpoints and credentials

ENDPOINTS = sorted(REPO.glob("endpoints*.yml"))


@pytest.mark.parametrize("path", ENDPOINTS, ids=[p.name for p in ENDPOINTS])
def test_every_endpoints_value_from_the_environment_is_expanded_by_rasa(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa expands ``${VAR}`` only in a plain YAML scalar: a quoted one stays literal."""
    from rasa.core.utils import AvailableEndpoints

    names = set(re.findall(r"\$\{([A-Z_]+)\}", path.read_text(encoding="utf-8")))
    assert "ACTION_ENDPOINT_URL" in names
    assert names & {"TRACKER_DB", "UH_DATABASE_URL"}  # SQLite's file, or the one PostgreSQL of every store
    for name in names:
        monkeypatch.setenv(name, f"value-of-{name}")
    endpoints = AvailableEndpoints.read_endpoints(str(path))
    configured = [endpoints.action, endpoints.tracker_store, endpoints.lock_store]
    values = [str(v) for c in configured if c is not None for v in (c.url, *c.kwargs.values())]
    assert not [v for v in values if "${" in v], f"{path.name}: not expanded (quoted?)"
    assert endpoints.action.url == "value-of-ACTION_ENDPOINT_URL"
    # the tracker store that forgets a conversation on 删除我的数据 (rasa_ext/purge.py)
    assert endpoints.tracker_store.type == "rasa_ext.tracker_store.BoundedSQLTrackerStore"


def test_the_redis_key_prefix_is_one_rasa_keeps() -> None:
    """Rasa replaces a key prefix that is not purely alphanumeric by "lock:" (and says so)."""
    for path in ENDPOINTS:
        lock = yaml.safe_load(path.read_text(encoding="utf-8")).get("lock_store") or {}
        if "key_prefix" in lock:
            assert str(lock["key_prefix"]).isalnum(), path.name
            assert lock["type"] == "rasa_ext.lock_store.AtomicRedisLockStore", path.name


def test_the_stack_puts_tracker_db_only_into_a_sqlite_tracker() -> None:
    """For PostgreSQL TRACKER_DB is the database's name and comes from the environment."""
    production = stack_for({"TRACKER_DB": "union_helper"}, endpoints=REPO / "endpoints.production.yml")
    assert production.environment()["TRACKER_DB"] == "union_helper"
    assert stack_for({"UH_DATA_DIR": "/srv/uh"}).environment()["TRACKER_DB"] == "/srv/uh/tracker.db"


def test_the_rest_channel_of_credentials_is_ours() -> None:
    from rasa.shared.utils.common import class_from_module_path

    from rasa_ext.channels import RestInput

    credentials = yaml.safe_load((REPO / "credentials.yml").read_text(encoding="utf-8"))
    (name,) = credentials
    assert class_from_module_path(name) is RestInput and RestInput.name() == "rest"


def test_the_stack_runs_the_retention_task(tmp_path: Path) -> None:
    """make run / make serve start the scheduled retention task beside the servers: its first
    pass runs at once and logs its counts where the other servers log."""
    env = {**os.environ, "UH_DATA_DIR": str(tmp_path), "UH_RETENTION_DAYS": "30", "UH_TODAY": "2026-06-01"}
    stack = stack_for(env)
    stack.start_retention()
    try:
        log = tmp_path / "logs" / "retention.log"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "Retention (older than 30 days)" not in _read(log):
            assert stack.retention_proc is not None and stack.retention_proc.poll() is None, _read(log)
            time.sleep(0.2)
        assert "Retention (older than 30 days)" in _read(log)
        assert stack.retention_proc.poll() is None, "it keeps running for the next pass"
    finally:
        stack.stop()
    assert stack.retention_proc.poll() is not None


def test_no_retention_task_when_everything_is_kept(tmp_path: Path) -> None:
    stack = stack_for({"UH_DATA_DIR": str(tmp_path), "UH_RETENTION_DAYS": "0"})
    stack.start_retention()
    assert stack.retention_proc is None


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
