"""Every time the registry writes comes from a clock, never from the machine's."""

from __future__ import annotations

from common.clock import FixedClock, parse_moment
from registry import (
    Database,
    cancel_enrollment,
    create_application,
    delete_worker_data,
    enroll,
    join_reading_team,
    mark_notification_delivered,
    queue_notification,
    save_worker,
    set_application_status,
    update_worker,
)
from tests.registry.helpers import rows


def test_each_write_is_stamped_by_the_clock_it_is_given(db: Database, clock: FixedClock) -> None:
    save_worker(db, "a", name="张三", phone="13812345678", clock=clock)
    clock.advance(minutes=5)
    update_worker(db, "a", phone="13912345678", clock=clock)
    (worker,) = rows(db, "SELECT created_at, updated_at FROM workers")
    assert worker == {"created_at": "2026-11-16T10:00:00+08:00", "updated_at": "2026-11-16T10:05:00+08:00"}

    clock.advance(hours=1)
    number = enroll(db, "a", "c1", "课程一", 1, clock=clock).number
    clock.advance(days=1)
    cancel_enrollment(db, "a", number, clock=clock)
    (row,) = rows(db, "SELECT created_at, enrolled_at, cancelled_at FROM enrollments")
    assert row == {
        "created_at": "2026-11-16T11:05:00+08:00",
        "enrolled_at": "2026-11-16T11:05:00+08:00",
        "cancelled_at": "2026-11-17T11:05:00+08:00",
    }

    join_reading_team(db, "a", "district:海曙区", clock=clock)
    assert rows(db, "SELECT joined_at FROM team_members") == [{"joined_at": "2026-11-17T11:05:00+08:00"}]
    note = queue_notification(db, "a", "消息", clock=clock)
    clock.advance(seconds=30)
    assert mark_notification_delivered(db, note, clock=clock)
    assert rows(db, "SELECT created_at, delivered_at FROM notifications") == [
        # the outbox's own stamps carry microseconds (claims and leases are ordered by them)
        {"created_at": "2026-11-17T11:05:00+08:00", "delivered_at": "2026-11-17T11:05:30.000000+08:00"}
    ]


def test_numbers_and_the_graduation_month_follow_the_clock(db: Database) -> None:
    new_year = FixedClock(parse_moment("2027-01-01T00:30"))
    save_worker(db, "a", name="张三", phone="13812345678", clock=new_year)
    assert enroll(db, "a", "c1", "课程一", clock=new_year).number == "BM2027-000001"
    application = create_application(
        db,
        "a",
        name="张三",
        phone="13812345678",
        school="宁波大学",
        programme="会计学",
        graduation_date="2027年1月",  # this month by the clock: allowed
        certificate_no="106471202701001234",
        clock=new_year,
    ).application
    assert application is not None and application.application_no == "BT2027-000001"
    decided = set_application_status(db, application.application_no, "approved", clock=new_year).application
    assert decided is not None and decided.decided_at == "2027-01-01T00:30:00+08:00"
    assert delete_worker_data(db, "a", clock=new_year).deleted_profile
    assert rows(db, "SELECT updated_at FROM applications") == [{"updated_at": "2027-01-01T00:30:00+08:00"}]


def test_without_a_clock_the_settings_day_is_used(db: Database) -> None:
    save_worker(db, "a", name="张三", phone="13812345678")  # UH_TODAY of the registry tests
    assert enroll(db, "a", "c1", "课程一").number.startswith("BM2026-")
    # The day, not the minute: UH_TODAY's clock starts with the process and keeps running
    # (common.clock.shifted_clock), however long the tests before this one took.
    assert rows(db, "SELECT created_at FROM workers")[0]["created_at"].startswith("2026-11-16T")
