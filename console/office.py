"""The stores behind the office pages, opened per request from the settings (tests point
them elsewhere), and the courses as staff see them: the knowledge file's list joined with
the registry's seat counts.

The console writes nothing here itself: the registry, the hand-off store and Rasa's
conversation store change only through their owners' functions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from common.database import Database
from console import service
from handoff import open_handoff
from knowledge.loader import load
from knowledge.schema import Course
from registry import CourseSummary, course_summaries, open_registry


@contextlib.contextmanager
def registry_db() -> Iterator[Database]:
    db = open_registry(service.config().registry_url)
    try:
        yield db
    finally:
        db.close()


@contextlib.contextmanager
def handoff_db() -> Iterator[Database]:
    db = open_handoff(service.config().handoff_url)
    try:
        yield db
    finally:
        db.close()


def tracker_url() -> str:
    cfg = service.config()
    return cfg.database_url or f"sqlite:///{cfg.tracker_db}"


def now() -> datetime:
    return service.config().clock.now()


def today() -> date:
    return now().date()


@dataclass(frozen=True)
class CourseRow:
    course_id: str
    name: str
    capacity: int | None  # what the registry holds (the knowledge file's before the first sign-up)
    enrolled: int
    waitlisted: int
    in_knowledge: bool
    enrollable: bool
    sample_capacity: bool  # the knowledge file marks the capacity as a sample value

    @property
    def remaining(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.enrolled, 0)


def courses() -> list[CourseRow]:
    """Every course of the knowledge files, and every course someone signed up for that
    the files no longer have (their sign-ups still matter), in the files' order."""
    cfg = service.config()
    with registry_db() as db:
        seats: dict[str, CourseSummary] = {s.course_id: s for s in course_summaries(db)}
    result = load(cfg.knowledge_dir, registry_path=cfg.registry_db, clock=cfg.clock)
    rows = []
    for entry in result.entries:
        if not isinstance(entry, Course):
            continue
        s = seats.pop(entry.id, None)
        rows.append(
            CourseRow(
                entry.id,
                entry.name,
                s.capacity if s else entry.capacity,
                s.enrolled if s else 0,
                s.waitlisted if s else 0,
                True,
                entry.enrollable,
                "capacity" in entry.sample_fields,
            )
        )
    for s in seats.values():
        rows.append(CourseRow(s.course_id, s.course_name, s.capacity, s.enrolled, s.waitlisted, False, False, False))
    return rows


def course(course_id: str) -> CourseRow | None:
    return next((c for c in courses() if c.course_id == course_id), None)
