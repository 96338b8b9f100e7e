"""Course enrollments, the waiting list and promotion from it.

Each of :func:`enroll` and :func:`cancel_enrollment` is one write transaction: the seat
count, the new row, any promotion and the counters commit together or not at all. The
first thing either does to a course is to lock its ``courses`` row (SQLite: the write
lock already held; PostgreSQL: a row lock), so no other process — another action server
on the same PostgreSQL included — can take or free a seat of that course in between, and
the waiting list gets its places (``queue_no``) in the order the locks were granted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from common.clock import Clock
from common.database import retrying
from registry.counters import bump, next_number
from registry.database import Database, now, write_transaction
from registry.models import (
    CancelResult,
    CourseSummary,
    Enrollment,
    EnrollmentResult,
    Promotion,
    RosterEntry,
)
from registry.notifications import insert_notification, promotion_text
from registry.validation import normalize_record_number

__all__ = [
    "ENROLLMENT_PREFIX",
    "cancel_enrollment",
    "cancel_locked",
    "consistency_problems",
    "course_registration_counts",
    "course_summaries",
    "enroll",
    "enrollment_status_counts",
    "find_active_enrollment",
    "get_course_summary",
    "get_enrollment",
    "get_enrollments",
    "promote_waitlist",
    "roster",
    "waitlist",
]

ENROLLMENT_PREFIX = "BM"  # 报名
#: The statuses of an enrollment that hold a seat or a place on the waiting list.
ACTIVE_STATUSES = ("enrolled", "waitlisted")

# Every enrollment column plus its live position on the waiting list.
_SELECT = """
    SELECT e.*,
        CASE WHEN e.status = 'waitlisted' THEN 1 + (
            SELECT COUNT(*) FROM enrollments w
            WHERE w.course_id = e.course_id AND w.status = 'waitlisted'
              AND w.queue_no < e.queue_no
        ) END AS waitlist_position
    FROM enrollments e
"""


def _one(db: Database, where: str, params: Mapping[str, object]) -> Enrollment | None:
    row = db.one(f"{_SELECT} WHERE {where}", params)
    return Enrollment.from_row(row) if row else None


def _count(db: Database, course_id: str, status: str) -> int:
    return int(
        db.scalar(
            "SELECT COUNT(*) FROM enrollments WHERE course_id = :course AND status = :status",
            {"course": course_id, "status": status},
        )
    )


def lock_course(db: Database, course_id: str) -> bool:
    """In a write transaction: hold the course's seats until the commit (False: no such
    course yet). Every change of a course's seats takes this lock first, and courses are
    always locked in ``course_id`` order, so two transactions never deadlock on them."""
    return db.lock_row("courses", "course_id", course_id)


def promote_waitlist(db: Database, course_id: str, stamp: str) -> list[Promotion]:
    """Give free seats to the waiting list, first come first served. In a transaction
    holding :func:`lock_course`; each promoted worker gets a message in the outbox."""
    capacity = db.scalar("SELECT capacity FROM courses WHERE course_id = :course", {"course": course_id})
    limit = ""
    params: dict[str, object] = {"course": course_id}
    if capacity is not None:
        free = int(capacity) - _count(db, course_id, "enrolled")
        if free <= 0:
            return []
        limit, params["limit"] = " LIMIT :limit", free
    waiting = db.execute(
        "SELECT enrollment_no, sender_id, course_name FROM enrollments "
        f"WHERE course_id = :course AND status = 'waitlisted' ORDER BY queue_no{limit}",
        params,
    ).fetchall()
    promoted = []
    for number, sender_id, course_name in waiting:
        db.execute(
            "UPDATE enrollments SET status = 'enrolled', enrolled_at = :stamp, updated_at = :stamp "
            "WHERE enrollment_no = :number",
            {"stamp": stamp, "number": number},
        )
        bump(db, "enrollments.promoted", course_id)
        promotion = Promotion(sender_id, number, course_id, course_name)
        # Told later by the front end (outbox), committed with the promotion itself.
        insert_notification(db, sender_id, promotion_text(promotion), kind="promotion", ref=number, stamp=stamp)
        promoted.append(promotion)
    return promoted


@retrying
def enroll(
    db: Database,
    sender_id: str,
    course_id: str,
    course_name: str,
    capacity: int | None = None,
    *,
    clock: Clock | None = None,
) -> EnrollmentResult:
    """Enroll a registered worker: a seat if one is free (``capacity`` None = unlimited),
    else the end of the waiting list. Enrolling twice returns the existing enrollment with
    status ``already``. ``capacity`` and ``course_name`` come from the knowledge base and
    are remembered for later promotions."""
    if capacity is not None and (not isinstance(capacity, int) or capacity < 0):
        raise ValueError(f"capacity must be a non-negative int or None, not {capacity!r}")
    if not course_id or not course_name:
        raise ValueError("course_id and course_name are required")
    stamp = now(clock)
    with write_transaction(db):
        registered = db.scalar("SELECT 1 FROM workers WHERE sender_id = :sender", {"sender": sender_id})
        if not registered:
            return EnrollmentResult("not_registered")
        # The course row (created on first use): the upsert locks it until the commit, so
        # every enrollment of this course waits here for the one before it. A capacity staff
        # just set in the console (``capacity_held_until``) wins over the knowledge base's
        # until the bot has reloaded the file that says it: the seats never revert.
        db.execute(
            "INSERT INTO courses (course_id, course_name, capacity, updated_at) "
            "VALUES (:course, :name, :capacity, :stamp) ON CONFLICT (course_id) DO UPDATE SET "
            "course_name = excluded.course_name, "
            "capacity = CASE WHEN courses.capacity_held_until > :stamp THEN courses.capacity "
            "ELSE excluded.capacity END, "
            "capacity_held_until = CASE WHEN courses.capacity_held_until > :stamp "
            "AND COALESCE(courses.capacity, -1) <> COALESCE(excluded.capacity, -1) "
            "THEN courses.capacity_held_until END, "
            "updated_at = excluded.updated_at",
            {"course": course_id, "name": course_name, "capacity": capacity, "stamp": stamp},
        )
        held = db.scalar("SELECT capacity FROM courses WHERE course_id = :course", {"course": course_id})
        capacity = None if held is None else int(held)
        # A raised capacity first goes to the people already waiting.
        promoted = tuple(promote_waitlist(db, course_id, stamp))
        existing = _one(
            db,
            "e.sender_id = :sender AND e.course_id = :course AND e.status IN ('enrolled', 'waitlisted')",
            {"sender": sender_id, "course": course_id},
        )
        if existing is not None:
            return EnrollmentResult("already", existing, promoted)

        enrolled = _count(db, course_id, "enrolled")
        status: Literal["enrolled", "waitlisted"] = (
            "enrolled" if capacity is None or enrolled < capacity else "waitlisted"
        )
        queue_no = db.scalar(
            "SELECT COALESCE(MAX(queue_no), 0) + 1 FROM enrollments WHERE course_id = :course",
            {"course": course_id},
        )
        number = next_number(db, ENROLLMENT_PREFIX, stamp)
        db.execute(
            "INSERT INTO enrollments (enrollment_no, sender_id, course_id, course_name, "
            "status, queue_no, created_at, updated_at, enrolled_at) "
            "VALUES (:number, :sender, :course, :name, :status, :queue, :stamp, :stamp, :enrolled_at)",
            {
                "number": number,
                "sender": sender_id,
                "course": course_id,
                "name": course_name,
                "status": status,
                "queue": int(queue_no),
                "stamp": stamp,
                "enrolled_at": stamp if status == "enrolled" else None,
            },
        )
        bump(db, "enrollments.created", course_id)
        if status == "waitlisted":
            bump(db, "enrollments.waitlisted", course_id)
        enrollment = _one(db, "e.enrollment_no = :number", {"number": number})
    return EnrollmentResult(status, enrollment, promoted)


@retrying
def cancel_enrollment(db: Database, sender_id: str, enrollment_no: str, *, clock: Clock | None = None) -> CancelResult:
    """Cancel one of the worker's own enrollments; a freed seat goes to the first on the
    waiting list (returned in ``promoted`` so the bot can tell them). Someone else's or an
    unknown number gives ``not_found``."""
    number = normalize_record_number(enrollment_no) or str(enrollment_no).strip()
    stamp = now(clock)
    with write_transaction(db):
        return cancel_locked(db, sender_id, number, stamp)


def cancel_locked(db: Database, sender_id: str, number: str, stamp: str) -> CancelResult:
    """The body of :func:`cancel_enrollment`, inside the caller's write transaction (the
    office's cancellation adds its notice to the same transaction)."""
    mine = {"number": number, "sender": sender_id}
    found = _one(db, "e.enrollment_no = :number AND e.sender_id = :sender", mine)
    if found is None:
        return CancelResult("not_found")
    lock_course(db, found.course_id)
    current = _one(db, "e.enrollment_no = :number AND e.sender_id = :sender", mine)  # as of the lock
    if current is None:
        return CancelResult("not_found")
    if current.status == "cancelled":
        return CancelResult("already_cancelled", current)
    db.execute(
        "UPDATE enrollments SET status = 'cancelled', cancelled_at = :stamp, updated_at = :stamp "
        "WHERE enrollment_no = :number",
        {"stamp": stamp, "number": number},
    )
    bump(db, "enrollments.cancelled", current.course_id)
    promoted: tuple[Promotion, ...] = ()
    if current.status == "enrolled":
        promoted = tuple(promote_waitlist(db, current.course_id, stamp))
    cancelled = _one(db, "e.enrollment_no = :number", {"number": number})
    return CancelResult("cancelled", cancelled, promoted)


@retrying
def find_active_enrollment(db: Database, sender_id: str, course_id: str) -> Enrollment | None:
    """The worker's enrolled or waitlisted enrollment for a course, if any."""
    return _one(
        db,
        "e.sender_id = :sender AND e.course_id = :course AND e.status IN ('enrolled', 'waitlisted')",
        {"sender": sender_id, "course": course_id},
    )


@retrying
def get_enrollments(db: Database, sender_id: str, include_cancelled: bool = False) -> list[Enrollment]:
    """The worker's own enrollments, newest first."""
    where = "e.sender_id = :sender" + ("" if include_cancelled else " AND e.status != 'cancelled'")
    rows = db.query(f"{_SELECT} WHERE {where} ORDER BY e.created_at DESC, e.enrollment_no DESC", {"sender": sender_id})
    return [Enrollment.from_row(row) for row in rows]


def _roster_rows(db: Database, course_id: str, status: str) -> list[RosterEntry]:
    rows = db.query(
        f"""SELECT x.*, w.name AS w_name, w.phone AS w_phone, w.employer AS w_employer,
                   w.district AS w_district, w.union_member AS w_union_member
            FROM ({_SELECT} WHERE e.course_id = :course AND e.status = :status) x
            LEFT JOIN workers w ON w.sender_id = x.sender_id
            ORDER BY x.queue_no""",
        {"course": course_id, "status": status},
    )
    return [
        RosterEntry(
            enrollment=Enrollment.from_row(row),
            name=row["w_name"],
            phone=row["w_phone"],
            employer=row["w_employer"],
            district=row["w_district"],
            union_member=None if row["w_union_member"] is None else bool(row["w_union_member"]),
        )
        for row in rows
    ]


@retrying
def roster(db: Database, course_id: str) -> list[RosterEntry]:
    """Staff: the workers holding a seat, in arrival order, with full contact details."""
    return _roster_rows(db, course_id, "enrolled")


@retrying
def waitlist(db: Database, course_id: str) -> list[RosterEntry]:
    """Staff: the waiting list in the order seats will be given."""
    return _roster_rows(db, course_id, "waitlisted")


_SUMMARY = """
    SELECT c.course_id, c.course_name, c.capacity,
        (SELECT COUNT(*) FROM enrollments e
         WHERE e.course_id = c.course_id AND e.status = 'enrolled') AS enrolled,
        (SELECT COUNT(*) FROM enrollments e
         WHERE e.course_id = c.course_id AND e.status = 'waitlisted') AS waitlisted
    FROM courses c
"""


def _summary(row: dict[str, object]) -> CourseSummary:
    return CourseSummary(
        course_id=str(row["course_id"]),
        course_name=str(row["course_name"]),
        capacity=None if row["capacity"] is None else int(row["capacity"]),  # type: ignore[call-overload]
        enrolled=int(row["enrolled"]),  # type: ignore[call-overload]
        waitlisted=int(row["waitlisted"]),  # type: ignore[call-overload]
    )


@retrying
def course_summaries(db: Database) -> list[CourseSummary]:
    """Every course anyone ever enrolled in, with its seat counts."""
    return [_summary(row) for row in db.query(f"{_SUMMARY} ORDER BY c.course_id")]


@retrying
def get_course_summary(db: Database, course_id: str) -> CourseSummary | None:
    row = db.one(f"{_SUMMARY} WHERE c.course_id = :course", {"course": course_id})
    return _summary(row) if row else None


@retrying
def get_enrollment(db: Database, enrollment_no: str) -> Enrollment | None:
    """Staff and checks: any worker's enrollment by its number (as typed or stored)."""
    number = normalize_record_number(enrollment_no) or str(enrollment_no).strip()
    return _one(db, "e.enrollment_no = :number", {"number": number})


_ACTIVE = "('enrolled', 'waitlisted')"


@retrying
def course_registration_counts(db: Database) -> dict[str, int]:
    """``{course_id: active enrollments}`` (enrolled or waitlisted): the courses that
    workers are signed up for, which the knowledge base must not lose."""
    rows = db.execute(
        f"SELECT course_id, COUNT(*) FROM enrollments WHERE status IN {_ACTIVE} GROUP BY course_id"
    ).fetchall()
    return {str(course_id): int(count) for course_id, count in rows}


@retrying
def enrollment_status_counts(db: Database) -> dict[str, int]:
    """``{status: enrollments}`` over all courses, cancelled ones included."""
    rows = db.execute("SELECT status, COUNT(*) FROM enrollments GROUP BY status").fetchall()
    return {str(status): int(count) for status, count in rows}


@retrying
def consistency_problems(db: Database) -> list[str]:
    """What must never be true of the seats (for load tests and health checks; empty when
    all is well): a course over its capacity, a free seat while someone waits, a worker
    holding two active enrollments for one course, or a damaged database file."""
    problems = []
    for s in course_summaries(db):
        if s.capacity is not None and s.enrolled > s.capacity:
            problems.append(f"{s.course_id}: {s.enrolled} enrolled, capacity {s.capacity}")
        if s.seats_left and s.waitlisted:
            problems.append(f"{s.course_id}: {s.seats_left} free seats while {s.waitlisted} wait")
    for sender_id, course_id, count in db.execute(
        f"SELECT sender_id, course_id, COUNT(*) FROM enrollments WHERE status IN {_ACTIVE} "
        "AND sender_id IS NOT NULL GROUP BY sender_id, course_id HAVING COUNT(*) > 1"
    ):
        problems.append(f"{sender_id} holds {count} active enrollments for {course_id}")
    for course_id, queue_no, count in db.execute(
        "SELECT course_id, queue_no, COUNT(*) FROM enrollments GROUP BY course_id, queue_no HAVING COUNT(*) > 1"
    ):
        problems.append(f"{course_id}: {count} enrollments share the place {queue_no} in the queue")
    if db.is_sqlite:  # PostgreSQL checks its pages itself (checksums, WAL)
        integrity = db.scalar("PRAGMA integrity_check")
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
    return problems
