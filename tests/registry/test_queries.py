"""What other parts ask the registry instead of reading its file themselves."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from registry import (
    DATABASE_ERRORS,
    Database,
    cancel_enrollment,
    consistency_problems,
    course_registration_counts,
    enroll,
    enrollment_status_counts,
    get_enrollment,
    registry_read_only,
)
from tests.registry.helpers import register


def test_active_registrations_per_course(db: Database) -> None:
    register(db, "a", "b", "c")
    enroll(db, "a", "c1", "课程一", 1)
    enroll(db, "b", "c1", "课程一", 1)  # waitlisted: still holds a place
    number = enroll(db, "c", "c2", "课程二", 5).number
    assert course_registration_counts(db) == {"c1": 2, "c2": 1}
    cancel_enrollment(db, "c", number)
    assert course_registration_counts(db) == {"c1": 2}
    assert enrollment_status_counts(db) == {"enrolled": 1, "waitlisted": 1, "cancelled": 1}


def test_any_enrollment_by_its_number(db: Database) -> None:
    register(db, "a")
    number = enroll(db, "a", "c1", "课程一", 1).number
    found = get_enrollment(db, number.lower().replace("-", " "))
    assert found is not None and (found.sender_id, found.course_id, found.status) == ("a", "c1", "enrolled")
    assert get_enrollment(db, "BM2026-999999") is None


def test_a_read_only_look_never_creates_or_changes_the_file(sqlite_db: Database, db_path: Path, tmp_path: Path) -> None:
    register(sqlite_db, "a")
    enroll(sqlite_db, "a", "c1", "课程一", 1)
    sqlite_db.close()
    before = db_path.read_bytes()
    with registry_read_only(db_path) as looking:
        assert looking is not None and course_registration_counts(looking) == {"c1": 1}
    assert db_path.read_bytes() == before
    with registry_read_only(tmp_path / "none.db") as nothing:
        assert nothing is None
    assert not (tmp_path / "none.db").exists()
    stranger = tmp_path / "other.db"
    sqlite3.connect(stranger).execute("CREATE TABLE enrollments (course_id TEXT)").connection.close()
    with registry_read_only(stranger) as not_ours:
        assert not_ours is None  # a file the registry never set up holds no registrations


def test_consistency_problems_name_what_must_never_happen(db: Database) -> None:
    register(db, "a", "b", "c")
    enroll(db, "a", "c1", "课程一", 2)
    enroll(db, "b", "c1", "课程一", 2)
    enroll(db, "c", "c1", "课程一", 2)
    assert consistency_problems(db) == []
    # Break the invariants behind the registry's back, as a bug would.
    db.execute("UPDATE enrollments SET status = 'enrolled' WHERE sender_id = 'c'")
    db.execute("UPDATE courses SET capacity = 2")
    assert consistency_problems(db) == ["c1: 3 enrolled, capacity 2"]
    db.execute("UPDATE courses SET capacity = 5")
    db.execute("UPDATE enrollments SET status = 'waitlisted' WHERE sender_id = 'c'")
    assert consistency_problems(db) == ["c1: 3 free seats while 1 wait"]


def test_a_read_only_look_at_the_database(db: Database, store_url: str) -> None:
    register(db, "a")
    enroll(db, "a", "c1", "课程一", 1)
    with registry_read_only(store_url) as looking:
        assert looking is not None and course_registration_counts(looking) == {"c1": 1}
        with pytest.raises(DATABASE_ERRORS):  # it cannot write, even by mistake
            looking.execute("DELETE FROM enrollments")
    assert course_registration_counts(db) == {"c1": 1}
