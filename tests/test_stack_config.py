"""The stack launcher takes its configuration from common.settings, reads operators'
settings from .env without overriding the environment, and writes nothing into this
process's environment (so no test leaks a variable into the next)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

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
