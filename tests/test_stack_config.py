"""The stack reads operators' settings from .env without overriding the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.stack import Stack, load_dotenv


def test_dotenv_fills_unset_variables_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nRASA_PORT=6123\nTELEGRAM_TOKEN=\nACTION_PORT='6124'\nUH_VERBOSE=1\n", encoding="utf-8"
    )
    monkeypatch.delenv("RASA_PORT", raising=False)
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    monkeypatch.setenv("ACTION_PORT", "7000")
    monkeypatch.delenv("UH_VERBOSE", raising=False)
    load_dotenv(env_file)
    stack = Stack()
    assert stack.rasa_port == 6123
    assert stack.action_port == 7000  # the environment wins over .env
    assert stack.verbose is True
    import os

    assert "TELEGRAM_TOKEN" not in os.environ  # empty values do not set anything


def test_missing_dotenv_is_fine(tmp_path: Path) -> None:
    load_dotenv(tmp_path / "nope.env")


def test_several_rasa_workers_need_the_redis_lock_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa quietly falls back to one worker with the in-memory lock store; we say so instead."""
    monkeypatch.setenv("UH_RASA_WORKERS", "2")
    stack = Stack()
    assert stack.rasa_workers == 2
    with pytest.raises(SystemExit, match="endpoints.redis.yml"):
        stack.check()
    redis_stack = Stack(endpoints=Path(__file__).resolve().parent.parent / "endpoints.redis.yml")
    assert redis_stack.shared_lock_store() and redis_stack.sqlite_tracker()
    redis_stack.check()


def test_worker_counts_must_be_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UH_ACTION_WORKERS", "two")
    with pytest.raises(SystemExit, match="UH_ACTION_WORKERS"):
        Stack()


def test_the_production_endpoints_allow_several_workers() -> None:
    root = Path(__file__).resolve().parent.parent
    assert Stack(endpoints=root / "endpoints.production.yml").shared_lock_store()
    assert not Stack(endpoints=root / "endpoints.yml").shared_lock_store()
