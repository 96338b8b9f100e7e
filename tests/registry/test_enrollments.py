"""Enrolling, the waiting list, cancelling, promotion and ownership."""

from __future__ import annotations

import re

import pytest

from registry import (
    Database,
    cancel_enrollment,
    course_summaries,
    enroll,
    find_active_enrollment,
    get_course_summary,
    get_enrollments,
    get_stats,
    roster,
    waitlist,
)
from tests.registry.helpers import CommitRefused, commits_fail, phone_for, register, rows


def test_enroll_gives_a_seat_and_a_readable_number(db: Database) -> None:
    register(db, "tg-1")
    result = enroll(db, "tg-1", "jxgf_plc", "PLC编程入门", capacity=30)
    assert result.status == "enrolled"
    assert re.fullmatch(r"BM\d{4}-\d{6}", result.number)
    assert result.waitlist_position is None
    assert result.enrollment.course_name == "PLC编程入门"
    assert result.enrollment.enrolled_at is not None
    assert get_course_summary(db, "jxgf_plc").seats_left == 29


def test_numbers_are_unique_and_increasing(db: Database) -> None:
    register(db, "a", "b", "c")
    numbers = [enroll(db, s, "c1", "课程", None).number for s in ("a", "b", "c")]
    assert numbers == sorted(set(numbers))
    assert [int(n[-6:]) for n in numbers] == [1, 2, 3]


def test_enrolling_twice_returns_the_existing_enrollment(db: Database) -> None:
    register(db, "tg-1")
    first = enroll(db, "tg-1", "c1", "课程", 2)
    again = enroll(db, "tg-1", "c1", "课程", 2)
    assert again.status == "already"
    assert again.number == first.number
    assert again.enrollment.status == "enrolled"
    assert db["enrollments"].count == 1
    assert get_stats(db)["enrollments.created"] == {"c1": 1}


def test_unregistered_worker_cannot_enroll(db: Database) -> None:
    result = enroll(db, "tg-nobody", "c1", "课程", 5)
    assert result.status == "not_registered"
    assert result.number is None
    assert db["enrollments"].count == 0


def test_full_course_puts_workers_on_the_waiting_list_in_order(db: Database) -> None:
    register(db, "a", "b", "c", "d")
    results = [enroll(db, s, "c1", "课程", 2) for s in ("a", "b", "c", "d")]
    assert [r.status for r in results] == ["enrolled", "enrolled", "waitlisted", "waitlisted"]
    assert [r.waitlist_position for r in results] == [None, None, 1, 2]
    assert [e.enrollment.sender_id for e in waitlist(db, "c1")] == ["c", "d"]
    assert [e.enrollment.waitlist_position for e in waitlist(db, "c1")] == [1, 2]
    again = enroll(db, "d", "c1", "课程", 2)
    assert (again.status, again.enrollment.status, again.waitlist_position) == ("already", "waitlisted", 2)


def test_unlimited_capacity_never_waitlists(db: Database) -> None:
    senders = [f"w{i}" for i in range(25)]
    register(db, *senders)
    assert {enroll(db, s, "c1", "课程", None).status for s in senders} == {"enrolled"}
    assert get_course_summary(db, "c1").capacity is None
    assert get_course_summary(db, "c1").seats_left is None


def test_zero_capacity_waitlists_everyone(db: Database) -> None:
    register(db, "a")
    assert enroll(db, "a", "c1", "课程", 0).status == "waitlisted"


def test_bad_capacity_is_a_programming_error(db: Database) -> None:
    register(db, "a")
    for capacity in (-1, 2.5, "10"):
        with pytest.raises(ValueError):
            enroll(db, "a", "c1", "课程", capacity)  # type: ignore[arg-type]


def test_cancelling_a_seat_promotes_the_first_waiting(db: Database) -> None:
    register(db, "a", "b", "c", "d")
    numbers = {s: enroll(db, s, "c1", "课程", 2).number for s in ("a", "b", "c", "d")}
    result = cancel_enrollment(db, "a", numbers["a"])
    assert result.status == "cancelled"
    assert result.enrollment.status == "cancelled"
    assert len(result.promoted) == 1
    (promoted,) = result.promoted
    assert (promoted.sender_id, promoted.enrollment_no) == ("c", numbers["c"])
    assert promoted.course_name == "课程"
    assert [e.enrollment.sender_id for e in roster(db, "c1")] == ["b", "c"]
    assert [(e.enrollment.sender_id, e.enrollment.waitlist_position) for e in waitlist(db, "c1")] == [("d", 1)]
    assert find_active_enrollment(db, "c", "c1").status == "enrolled"


def test_cancelling_a_waiting_place_promotes_nobody(db: Database) -> None:
    register(db, "a", "b", "c")
    numbers = {s: enroll(db, s, "c1", "课程", 1).number for s in ("a", "b", "c")}
    result = cancel_enrollment(db, "b", numbers["b"])
    assert result.status == "cancelled" and result.promoted == ()
    assert [e.enrollment.sender_id for e in roster(db, "c1")] == ["a"]
    assert [(e.enrollment.sender_id, e.enrollment.waitlist_position) for e in waitlist(db, "c1")] == [("c", 1)]


def test_cancel_twice_and_re_enroll(db: Database) -> None:
    register(db, "a")
    number = enroll(db, "a", "c1", "课程", 1).number
    assert cancel_enrollment(db, "a", number).status == "cancelled"
    assert cancel_enrollment(db, "a", number).status == "already_cancelled"
    again = enroll(db, "a", "c1", "课程", 1)
    assert again.status == "enrolled" and again.number != number
    assert [e.enrollment_no for e in get_enrollments(db, "a")] == [again.number]
    assert len(get_enrollments(db, "a", include_cancelled=True)) == 2


def test_cancel_accepts_the_number_as_a_worker_types_it(db: Database) -> None:
    register(db, "a")
    number = enroll(db, "a", "c1", "课程", 1).number  # BM2026-000001
    typed = number.lower().replace("-00000", " ")  # "bm2026 1"
    assert cancel_enrollment(db, "a", typed).status == "cancelled"


def test_a_worker_cannot_cancel_someone_elses_enrollment(db: Database) -> None:
    register(db, "alice", "bob")
    number = enroll(db, "alice", "c1", "课程", 1).number
    enroll(db, "bob", "c1", "课程", 1)
    result = cancel_enrollment(db, "bob", number)
    assert result.status == "not_found"
    assert result.enrollment is None and result.promoted == ()
    assert find_active_enrollment(db, "alice", "c1").enrollment_no == number
    assert [e.enrollment.sender_id for e in roster(db, "c1")] == ["alice"]
    assert cancel_enrollment(db, "bob", "BM1999-000001").status == "not_found"
    assert get_enrollments(db, "bob")[0].sender_id == "bob"
    assert all(e.sender_id == "bob" for e in get_enrollments(db, "bob", True))


def test_raising_the_capacity_serves_the_waiting_list_first(db: Database) -> None:
    register(db, "a", "b", "c", "d")
    for s in ("a", "b", "c"):
        enroll(db, s, "c1", "课程", 1)
    result = enroll(db, "d", "c1", "课程", 3)  # staff raised the capacity to 3
    assert [p.sender_id for p in result.promoted] == ["b", "c"]
    assert result.status == "waitlisted" and result.waitlist_position == 1


def test_lowering_the_capacity_never_removes_a_seat(db: Database) -> None:
    register(db, "a", "b", "c", "d")
    for s in ("a", "b", "c"):
        enroll(db, s, "c1", "课程", 3)
    assert enroll(db, "d", "c1", "课程", 1).status == "waitlisted"
    number_a = find_active_enrollment(db, "a", "c1").enrollment_no
    # 3 seats taken, capacity now 1: freeing one seat still leaves the course full.
    assert cancel_enrollment(db, "a", number_a).promoted == ()
    assert get_course_summary(db, "c1").enrolled == 2


def test_course_summaries_and_roster_details(db: Database) -> None:
    register(db, "a", "b")
    enroll(db, "a", "c2", "焊工", 1)
    enroll(db, "b", "c2", "焊工", 1)
    enroll(db, "a", "c1", "PLC", None)
    assert [(s.course_id, s.enrolled, s.waitlisted) for s in course_summaries(db)] == [("c1", 1, 0), ("c2", 1, 1)]
    entry = roster(db, "c2")[0]
    assert (entry.name, entry.phone, entry.district, entry.union_member) == ("职工一", phone_for(0), "海曙区", False)


def test_a_failure_inside_enroll_leaves_nothing_behind(db: Database) -> None:
    register(db, "a", "b")
    enroll(db, "a", "c1", "课程", 1)
    tables = ("enrollments", "stats", "sequences", "notifications")
    before = [rows(db, f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables]
    number = find_active_enrollment(db, "a", "c1").enrollment_no
    with commits_fail(db):  # every write done, then the COMMIT fails
        with pytest.raises(CommitRefused):
            enroll(db, "b", "c1", "课程", 1)
        with pytest.raises(CommitRefused):
            cancel_enrollment(db, "a", number)
        assert not db.in_transaction
    after = [rows(db, f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables]
    assert after == before
    assert enroll(db, "b", "c1", "课程", 1).status == "waitlisted"


def test_counters_follow_the_events(db: Database) -> None:
    register(db, "a", "b", "c")
    numbers = {s: enroll(db, s, "c1", "课程", 1).number for s in ("a", "b", "c")}
    cancel_enrollment(db, "a", numbers["a"])
    stats = get_stats(db)
    assert stats["enrollments.created"] == {"c1": 3}
    assert stats["enrollments.waitlisted"] == {"c1": 2}
    assert stats["enrollments.cancelled"] == {"c1": 1}
    assert stats["enrollments.promoted"] == {"c1": 1}
