"""The office's changes to the registry (registry/office.py): staff cancellation with a
reason, capacity changes, decisions applied once, the queue's filters, finding a worker
by phone, the dashboard's daily counts — and staff and the worker cancelling one
enrollment at the same moment."""

from __future__ import annotations

import threading

import pytest

from registry import (
    Database,
    InvalidInput,
    cancel_enrollment,
    create_application,
    daily_counts,
    decide_application,
    enroll,
    find_workers_by_phone,
    get_applications,
    get_course_summary,
    list_applications_for_office,
    office_cancel_enrollment,
    open_registry,
    pending_notifications,
    roster,
    set_course_capacity,
    waitlist,
)
from tests.actions.helpers import APPLICATION as FORM
from tests.registry.helpers import phone_for, register


def _full_course(db: Database) -> list[str]:
    """Two seats, two taken, two waiting: tg-1 tg-2 enrolled, tg-3 tg-4 waiting."""
    register(db, "tg-1", "tg-2", "tg-3", "tg-4")
    return [enroll(db, s, "c1", "PLC编程入门", 2).number or "" for s in ("tg-1", "tg-2", "tg-3", "tg-4")]


def test_staff_cancel_promotes_the_first_waiting_and_tells_both(db: Database) -> None:
    numbers = _full_course(db)
    result = office_cancel_enrollment(db, numbers[0], "本人电话说明不能参加")
    assert result.status == "cancelled"
    assert [p.sender_id for p in result.promoted] == ["tg-3"]
    assert [e.enrollment.sender_id for e in roster(db, "c1")] == ["tg-2", "tg-3"]
    told = {n.sender_id: n for n in pending_notifications(db)}
    assert "本人电话说明不能参加" in told["tg-1"].text and told["tg-1"].kind == "cancelled_by_staff"
    assert told["tg-3"].kind == "promotion"
    again = office_cancel_enrollment(db, numbers[0], "再点一次")
    assert again.status == "already_cancelled" and not again.promoted
    assert len(pending_notifications(db)) == 2


def test_staff_cancel_needs_a_reason_and_a_real_number(db: Database) -> None:
    numbers = _full_course(db)
    with pytest.raises(ValueError):
        office_cancel_enrollment(db, numbers[0], "   ")
    assert office_cancel_enrollment(db, "BM2026-999999", "没有这个").status == "not_found"


def test_capacity_raised_promotes_lowered_below_enrolled_is_refused(db: Database) -> None:
    _full_course(db)
    refused = set_course_capacity(db, "c1", 1)
    assert refused.status == "below_enrolled" and refused.enrolled == 2
    assert get_course_summary(db, "c1").capacity == 2  # type: ignore[union-attr]
    raised = set_course_capacity(db, "c1", 3)
    assert raised.status == "changed" and [p.sender_id for p in raised.promoted] == ["tg-3"]
    assert [e.enrollment.sender_id for e in waitlist(db, "c1")] == ["tg-4"]
    assert set_course_capacity(db, "c1", None).promoted[0].sender_id == "tg-4"
    assert set_course_capacity(db, "nope", 5).status == "unknown_course"
    assert set_course_capacity(db, "c1", -1).status == "invalid"


def test_a_capacity_set_by_staff_holds_against_the_bots_older_number(db: Database) -> None:
    """Issue #15: sign-ups carry the capacity of the knowledge file the bot loaded; until it
    has reloaded the file the console saved, an older number must not undo the change (also
    "unlimited"); the file's number counts again once it agrees, or after the hold."""
    from datetime import datetime, timedelta

    from common.clock import CHINA_TZ, FixedClock
    from registry.office import CAPACITY_HOLD

    clock = FixedClock(datetime(2026, 11, 16, 10, 0, tzinfo=CHINA_TZ))
    _full_course(db)
    register(db, "tg-5", "tg-6", "tg-7", "tg-8")
    set_course_capacity(db, "c1", 4, clock=clock)
    assert enroll(db, "tg-5", "c1", "PLC编程入门", 2, clock=clock).status == "waitlisted"  # 4 seats, 4 taken
    assert get_course_summary(db, "c1").capacity == 4  # type: ignore[union-attr]
    set_course_capacity(db, "c1", None, clock=clock)  # 不限
    assert enroll(db, "tg-6", "c1", "PLC编程入门", 4, clock=clock).status == "enrolled"
    assert get_course_summary(db, "c1").capacity is None  # type: ignore[union-attr]
    enroll(db, "tg-7", "c1", "PLC编程入门", None, clock=clock)  # the file caught up
    enroll(db, "tg-8", "c1", "PLC编程入门", 9, clock=clock)  # and a later edit of it counts
    assert get_course_summary(db, "c1").capacity == 9  # type: ignore[union-attr]
    set_course_capacity(db, "c1", 10, clock=clock)
    later = FixedClock(clock.now() + CAPACITY_HOLD + timedelta(seconds=1))
    register(db, "tg-9")
    enroll(db, "tg-9", "c1", "PLC编程入门", 9, clock=later)  # the file never said 10: the hold ends
    assert get_course_summary(db, "c1").capacity == 9  # type: ignore[union-attr]


def test_a_decision_applies_once_and_notifies_once(db: Database) -> None:
    register(db, "tg-1")
    number = create_application(db, "tg-1", **FORM).number or ""  # type: ignore[arg-type]
    first = decide_application(db, number, "approved", "材料齐全")
    second = decide_application(db, number, "approved", "第二次点击")
    assert first.status == "decided" and second.status == "unchanged"
    mine = get_applications(db, "tg-1")[0]
    assert mine.status == "approved" and mine.staff_note == "材料齐全"
    notes = pending_notifications(db, sender_id="tg-1")
    assert len(notes) == 1 and "已通过" in notes[0].text and "材料齐全" in notes[0].text
    assert decide_application(db, number, "rejected", "证书号对不上").status == "decided"
    assert decide_application(db, "BT2026-999999", "approved").status == "not_found"


def test_the_queue_filters_by_status_date_and_model_worker_class(db: Database, clock) -> None:
    register(db, "tg-1", "tg-2")
    a = create_application(db, "tg-1", **FORM, model_worker_class=True, clock=clock).number  # type: ignore[arg-type]
    clock.advance(days=2)
    day2 = clock.now().date().isoformat()
    b = create_application(db, "tg-2", **{**FORM, "certificate_no": "106471202405009999"}, clock=clock).number  # type: ignore[arg-type]
    assert [x.application_no for x in list_applications_for_office(db, model_worker_class=True)] == [a]
    assert [x.application_no for x in list_applications_for_office(db, since=day2)] == [b]
    assert [x.application_no for x in list_applications_for_office(db, until=day2, status="pending")] == [a, b]
    counts = daily_counts(db, "2000-01-01", "2999-12-31")
    assert sum(counts["applications"].values()) == 2 and counts["applications"][day2] == 1


def test_find_by_phone(db: Database) -> None:
    register(db, "tg-1", "tg-2")
    found = find_workers_by_phone(db, phone_for(1))
    assert [w.sender_id for w in found] == ["tg-2"]
    assert find_workers_by_phone(db, "139 0000 0000") == []
    with pytest.raises(InvalidInput):
        find_workers_by_phone(db, "不是号码")


def test_worker_and_staff_cancel_the_same_enrollment_at_once(store_url: str) -> None:
    """The seat is freed once and exactly one waiting worker is promoted, whichever of the
    two gets the course's lock first; the other finds it already cancelled."""
    setup = open_registry(store_url)
    numbers = _full_course(setup)
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def worker() -> None:
        db = open_registry(store_url)
        barrier.wait()
        results["worker"] = cancel_enrollment(db, "tg-1", numbers[0]).status
        db.close()

    def staff() -> None:
        db = open_registry(store_url)
        barrier.wait()
        results["staff"] = office_cancel_enrollment(db, numbers[0], "单位通知停课").status
        db.close()

    threads = [threading.Thread(target=worker), threading.Thread(target=staff)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results.values()) == ["already_cancelled", "cancelled"]
    summary = get_course_summary(setup, "c1")
    assert summary is not None and (summary.enrolled, summary.waitlisted) == (2, 1)
    assert [e.enrollment.sender_id for e in roster(setup, "c1")] == ["tg-2", "tg-3"]
    promotions = [n for n in pending_notifications(setup) if n.kind == "promotion"]
    assert [n.sender_id for n in promotions] == ["tg-3"]
    setup.close()
