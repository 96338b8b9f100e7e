"""Time in Ningbo, as one injectable object.

Everything that depends on the date (this month's book, "a graduation date cannot be in
the future", staffed hours, timestamps in the registry) asks a :class:`Clock` instead of
calling ``datetime.now()`` itself, so a test — or a demo on a fixed day — decides what
"today" is. The servers started for tests get their clock from ``UH_TODAY``
(:func:`common.settings.load`), a unit test passes ``FixedClock(...)`` directly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Protocol


def china_tz() -> tzinfo:
    """Asia/Shanghai; a fixed +08:00 if the system has no tz database (China has no DST)."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # noqa: BLE001 - zoneinfo missing or no tzdata on the system
        return CHINA_FIXED


#: UTC+8 without a tz database: exact for China, which has no daylight saving time.
CHINA_FIXED = timezone(timedelta(hours=8), "Asia/Shanghai")
CHINA_TZ = china_tz()


class Clock(Protocol):
    """Something that tells the time (aware datetimes in Ningbo)."""

    def now(self) -> datetime: ...


@dataclass(frozen=True)
class SystemClock:
    """The machine's clock, in Ningbo time."""

    tz: tzinfo = CHINA_TZ

    def now(self) -> datetime:
        return datetime.now(self.tz)


@dataclass
class FixedClock:
    """A clock that says what it is told; :meth:`advance` moves it (tests, demos)."""

    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            self.at = self.at.replace(tzinfo=CHINA_TZ)

    @classmethod
    def on(cls, day: date, at: time = time(10, 0)) -> FixedClock:
        """A clock standing at ``at`` o'clock (Ningbo) on ``day``."""
        return cls(datetime.combine(day, at, tzinfo=CHINA_TZ))

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at = self.at + timedelta(**delta)


@dataclass
class ShiftedClock:
    """The system clock moved to another day: it starts at ``start`` and runs on.

    What the servers started for tests use (``UH_TODAY``): every process agrees on the
    date while time still passes, so timeouts, ordering and "48 hours later" behave.
    """

    start: datetime
    tz: tzinfo = CHINA_TZ

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            self.start = self.start.replace(tzinfo=self.tz)
        self._offset = self.start - datetime.now(self.tz)

    def now(self) -> datetime:
        return datetime.now(self.tz) + self._offset


_SHIFTED: dict[str, ShiftedClock] = {}
_SHIFTED_LOCK = threading.Lock()


def shifted_clock(start: str) -> ShiftedClock:
    """The process's :class:`ShiftedClock` for ``start`` (``UH_TODAY``), made on first use.

    One per value, so time runs on between calls instead of restarting at ``start``.
    """
    with _SHIFTED_LOCK:
        clock = _SHIFTED.get(start)
        if clock is None:
            clock = _SHIFTED[start] = ShiftedClock(parse_moment(start))
        return clock


def parse_moment(text: str) -> datetime:
    """``2026-11-16`` (10:00 that day) or ``2026-11-16T08:30`` in Ningbo time."""
    text = text.strip()
    try:
        if "T" in text or " " in text:
            moment = datetime.fromisoformat(text.replace(" ", "T"))
        else:
            moment = datetime.combine(date.fromisoformat(text), time(10, 0))
    except ValueError as error:
        raise ValueError(f"not a date: {text!r} (use 2026-11-16 or 2026-11-16T08:30)") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def today(clock: Clock) -> date:
    """The date in Ningbo according to ``clock``."""
    return clock.now().astimezone(CHINA_TZ).date()


def month_of(clock: Clock) -> str:
    """``YYYY-MM`` in Ningbo according to ``clock``."""
    return today(clock).strftime("%Y-%m")


def next_month(month: str) -> str:
    """``2026-12`` → ``2027-01``."""
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def stamp(clock: Clock) -> str:
    """ISO 8601 with +08:00, to the second: how every ``*_at`` column is written."""
    return clock.now().astimezone(CHINA_FIXED).isoformat(timespec="seconds")


def default_clock() -> Clock:
    """The clock the settings choose: fixed on ``UH_TODAY`` if set, the system's otherwise."""
    from common.settings import load

    return load().clock
