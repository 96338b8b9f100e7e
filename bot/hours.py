"""Staffed hours of the operators: when a person can answer a hand-off.

``STAFFED_HOURS`` is one or more ``HH:MM-HH:MM`` ranges (``09:00-12:00,13:30-17:30`` for a
lunch break), Monday to Friday, in China Standard Time. ``always`` means round the clock.
Public holidays are not modelled: on those days the ticket simply waits a little longer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from common import texts
from common.clock import CHINA_TZ
from common.settings import DEFAULT_STAFFED_HOURS

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class StaffedHours:
    ranges: tuple[tuple[time, time], ...]
    weekdays: frozenset[int] = frozenset(range(5))  # Monday=0 … Friday=4
    tz: tzinfo = CHINA_TZ
    always: bool = False

    @classmethod
    def parse(cls, spec: str | None, tz: tzinfo = CHINA_TZ) -> StaffedHours:
        spec = (spec or "").strip() or DEFAULT_STAFFED_HOURS
        if spec.lower() in {"always", "24x7", "24/7"}:
            return cls(ranges=((time(0, 0), time(23, 59, 59)),), weekdays=frozenset(range(7)), tz=tz, always=True)
        ranges: list[tuple[time, time]] = []
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
            return texts.STAFFED_ALWAYS
        spans = texts.STAFFED_SPAN_SEPARATOR.join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.ranges)
        return texts.STAFFED_WEEKDAYS.format(spans=spans)

    def describe_next_start(self, when: datetime) -> str:
        """'今天 13:30' / '明天 09:00' / '周一 09:00' for the next staffed moment."""
        start = self.next_start(when)
        local = when.astimezone(self.tz)
        days = (start.date() - local.date()).days
        if days == 0:
            day = texts.DAY_TODAY
        elif days == 1:
            day = texts.DAY_TOMORROW
        else:
            day = texts.WEEKDAY_NAMES[start.weekday()]
        return f"{day} {start:%H:%M}"

    def notice(self, when: datetime, staffed: str, unstaffed: str) -> str:
        """What a worker handed to a person is told of who answers when: ``staffed`` in
        staffed hours, else ``unstaffed`` with ``{hours}`` and ``{next_start}`` filled in
        (each channel has its own wording of the two)."""
        if self.is_staffed(when):
            return staffed
        return unstaffed.format(hours=self.describe(), next_start=self.describe_next_start(when))
