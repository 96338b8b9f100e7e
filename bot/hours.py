"""Staffed hours of the operators: when a person can answer a hand-off.

``STAFFED_HOURS`` is one or more ``HH:MM-HH:MM`` ranges (``09:00-12:00,13:30-17:30`` for a
lunch break), Monday to Friday, in China Standard Time. ``always`` means round the clock.
Public holidays are not modelled: on those days the ticket simply waits a little longer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone, tzinfo

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def china_tz() -> tzinfo:
    """Asia/Shanghai; a fixed +08:00 if the system has no tz database (China has no DST)."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # noqa: BLE001 - zoneinfo missing or no tzdata on the system
        return timezone(timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True)
class StaffedHours:
    ranges: tuple[tuple[time, time], ...]
    weekdays: frozenset[int] = frozenset(range(5))  # Monday=0 … Friday=4
    tz: tzinfo = field(default_factory=china_tz)
    always: bool = False

    @classmethod
    def parse(cls, spec: str | None, tz: tzinfo | None = None) -> StaffedHours:
        tz = tz or china_tz()
        spec = (spec or "").strip() or "09:00-17:30"
        if spec.lower() in {"always", "24x7", "24/7"}:
            return cls(ranges=((time(0, 0), time(23, 59, 59)),), weekdays=frozenset(range(7)), tz=tz, always=True)
        ranges = []
        for part in spec.split(","):
            match = _RANGE.match(part)
            if not match:
                raise ValueError(f"STAFFED_HOURS: cannot read {part!r}; expected e.g. 09:00-17:30")
            h1, m1, h2, m2 = (int(x) for x in match.groups())
            start, end = time(h1, m1), time(h2, m2)
            if not start < end:
                raise ValueError(f"STAFFED_HOURS: {part!r} ends before it starts")
            ranges.append((start, end))
        return cls(ranges=tuple(sorted(ranges)), tz=tz)

    def is_staffed(self, when: datetime) -> bool:
        if self.always:
            return True
        local = when.astimezone(self.tz)
        if local.weekday() not in self.weekdays:
            return False
        now = local.time()
        return any(start <= now < end for start, end in self.ranges)

    def next_start(self, when: datetime) -> datetime:
        """The next moment someone is on duty (``when`` itself if staffed now)."""
        if self.is_staffed(when):
            return when
        local = when.astimezone(self.tz)
        for days_ahead in range(0, 8):
            day = (local + timedelta(days=days_ahead)).date()
            if day.weekday() not in self.weekdays:
                continue
            for start, _end in self.ranges:
                candidate = datetime.combine(day, start, tzinfo=self.tz)
                if candidate > local:
                    return candidate
        raise ValueError("STAFFED_HOURS has no working day")  # pragma: no cover

    def describe(self) -> str:
        if self.always:
            return "全天"
        spans = "、".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.ranges)
        return f"周一至周五 {spans}"

    def describe_next_start(self, when: datetime) -> str:
        """'今天 13:30' / '明天 09:00' / '周一 09:00' for the next staffed moment."""
        start = self.next_start(when)
        local = when.astimezone(self.tz)
        days = (start.date() - local.date()).days
        if days == 0:
            day = "今天"
        elif days == 1:
            day = "明天"
        else:
            day = WEEKDAY_NAMES[start.weekday()]
        return f"{day} {start:%H:%M}"
