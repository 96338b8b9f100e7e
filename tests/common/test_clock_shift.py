"""UH_TODAY gives every caller in a process the same running clock."""

from __future__ import annotations

from datetime import date

from common import settings
from common.clock import today


def test_uh_today_clock_is_shared_and_runs_on() -> None:
    env = {"UH_TODAY": "2026-11-16T10:00"}
    first = settings.load(env).clock
    second = settings.load(env).clock
    assert first is second
    assert today(first) == date(2026, 11, 16)
    earlier = first.now()
    assert second.now() >= earlier
