"""Time in Ningbo as an injectable object: what the dated knowledge and the registry build on."""

from __future__ import annotations

import datetime as dt

import pytest

from common.clock import (
    CHINA_TZ,
    FixedClock,
    ShiftedClock,
    default_clock,
    month_of,
    next_month,
    parse_moment,
    stamp,
    today,
)


def test_a_fixed_clock_says_what_it_is_told_and_moves_when_told() -> None:
    clock = FixedClock.on(dt.date(2026, 11, 30))
    assert clock.now() == dt.datetime(2026, 11, 30, 10, 0, tzinfo=CHINA_TZ)
    assert (today(clock), month_of(clock)) == (dt.date(2026, 11, 30), "2026-11")
    clock.advance(days=1)
    assert (today(clock), month_of(clock)) == (dt.date(2026, 12, 1), "2026-12")


def test_the_date_is_ningbos_not_utcs() -> None:
    late_in_utc = FixedClock(dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.timezone.utc))
    assert today(late_in_utc) == dt.date(2026, 12, 1)  # 01:30 in Ningbo
    assert stamp(late_in_utc) == "2026-12-01T01:30:00+08:00"


@pytest.mark.parametrize(
    ("month", "following"),
    [("2026-11", "2026-12"), ("2026-12", "2027-01"), ("2027-01", "2027-02")],
)
def test_next_month(month: str, following: str) -> None:
    assert next_month(month) == following


def test_moments_are_read_in_ningbo_time() -> None:
    assert parse_moment("2026-11-16") == dt.datetime(2026, 11, 16, 10, 0, tzinfo=CHINA_TZ)
    assert parse_moment("2026-11-16T08:30") == dt.datetime(2026, 11, 16, 8, 30, tzinfo=CHINA_TZ)
    with pytest.raises(ValueError, match="not a date"):
        parse_moment("下周一")


def test_a_shifted_clock_starts_on_the_given_day() -> None:
    start = parse_moment("2026-11-16T10:00")
    clock = ShiftedClock(start)
    assert today(clock) == dt.date(2026, 11, 16)
    assert clock.now() >= start


def test_the_settings_choose_the_default_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UH_TODAY", "2026-11-16T10:00")
    assert today(default_clock()) == dt.date(2026, 11, 16)
    monkeypatch.setenv("UH_TODAY", "2027-01-01")
    assert month_of(default_clock()) == "2027-01"
