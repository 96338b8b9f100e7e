"""What the union office does to the registry from the staff console: cancel a worker's
enrollment, change a course's capacity, decide applications, find a worker by phone,
and count the day's sign-ups for the dashboard.

Each change is one write transaction taking the same locks as the worker's own changes
(the course row for seats, the application row for a decision), so a worker cancelling
in chat while staff cancel the same enrollment frees the seat once, and a decision
clicked twice is applied once. Every change that the worker should hear about queues a
notification in the same transaction (the front ends deliver it on the worker's channel).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from common.clock import Clock
from common.database import retrying
from registry.applications import MAX_NOTE_LENGTH, STAFF_STATUSES
from registry.counters import bump
from registry.database import Database, now, write_transaction
from registry.enrollments import cancel_locked, get_enrollment, lock_course, promote_waitlist
from registry.models import Application, CancelResult, Promotion, Worker
from registry.notifications import insert_notification
from registry.validation import normalize_phone, normalize_record_number

__all__ = [
    "CapacityResult",
    "DecisionResult",
    "application_text",
    "daily_counts",
    "decide_application",
    "find_workers_by_phone",
    "get_any_application",
    "list_applications_for_office",
    "office_cancel_enrollment",
    "set_course_capacity",
]


def _clean_note(note: str) -> str:
    return re.sub(r"\s+", " ", (note or "").strip())[:MAX_NOTE_LENGTH]


@retrying
def office_cancel_enrollment(
    db: Database, enrollment_no: str, reason: str, *, clock: Clock | None = None
) -> CancelResult:
    """Staff cancel any worker's enrollment with a reason: the same cancellation as the
    worker's own (:func:`registry.cancel_enrollment`: the first waiting worker promoted
    and notified), and the cancelled worker is told why. ``already_cancelled`` when it was
    cancelled meanwhile (by the worker in chat, or a colleague): nothing happens twice."""
    reason = _clean_note(reason)
    if not reason:
        raise ValueError("a reason is required")
    found = get_enrollment(db, enrollment_no)
    if found is None or found.sender_id is None:
        return CancelResult("not_found", found)
    stamp = now(clock)
    with write_transaction(db):
        result = cancel_locked(db, found.sender_id, found.enrollment_no, stamp)
        if result.status == "cancelled":
            insert_notification(
                db,
                found.sender_id,
                f"您报名的「{found.course_name}」（报名号 {found.enrollment_no}）已由工会工作人员取消。\n"
                f"原因：{reason}\n如有疑问，请发“转人工”联系工作人员。",
                kind="cancelled_by_staff",
                ref=found.enrollment_no,
                stamp=stamp,
            )
    return result


@dataclass(frozen=True)
class CapacityResult:
    """``status``: ``changed``, ``below_enrolled`` (refused: more workers hold a seat than
    the new capacity), ``unknown_course`` (nobody ever enrolled: only the knowledge file
    holds it) or ``invalid``."""

    status: Literal["changed", "below_enrolled", "unknown_course", "invalid"]
    enrolled: int = 0
    previous: int | None = None
    promoted: tuple[Promotion, ...] = ()


#: How long a capacity set here holds against an older number from the knowledge base
#: (sign-ups carry the capacity the bot read from the file): far longer than the bot takes
#: to reload the file the console saves with it; afterwards the file is the source again,
#: so a later edit of the file still counts.
CAPACITY_HOLD = timedelta(minutes=10)


def held_until(stamp: str) -> str:
    """The end of a hold that starts at ``stamp`` (a stored ``*_at`` time), in the same
    form: the columns compare as text."""
    return (datetime.fromisoformat(stamp) + CAPACITY_HOLD).isoformat(timespec="seconds")


@retrying
def set_course_capacity(
    db: Database, course_id: str, capacity: int | None, *, clock: Clock | None = None
) -> CapacityResult:
    """Change a course's capacity (None: unlimited). Raising it gives the new seats to the
    waiting list in order (each promoted worker notified); lowering it below the seats
    already given is refused — nobody loses a seat they hold."""
    if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0):
        return CapacityResult("invalid")
    stamp = now(clock)
    with write_transaction(db):
        if not lock_course(db, course_id):
            return CapacityResult("unknown_course")
        previous = db.scalar("SELECT capacity FROM courses WHERE course_id = :c", {"c": course_id})
        enrolled = int(
            db.scalar("SELECT COUNT(*) FROM enrollments WHERE course_id = :c AND status = 'enrolled'", {"c": course_id})
        )
        previous = None if previous is None else int(previous)
        if capacity is not None and capacity < enrolled:
            return CapacityResult("below_enrolled", enrolled, previous)
        db.execute(
            "UPDATE courses SET capacity = :cap, updated_at = :stamp, capacity_held_until = :held WHERE course_id = :c",
            {"cap": capacity, "stamp": stamp, "c": course_id, "held": held_until(stamp)},
        )
        promoted = tuple(promote_waitlist(db, course_id, stamp))
    return CapacityResult("changed", enrolled + len(promoted), previous, promoted)


def application_text(application: Application) -> str:
    """What the worker reads when staff decided their application."""
    label = {"approved": "已通过", "rejected": "未通过", "pending": "重新回到待审核"}[application.status]
    note = f"\n工作人员说明：{application.staff_note}" if application.staff_note else ""
    return f"您的学历提升补贴申请（编号 {application.application_no}）{label}。{note}\n发“我的申请”可以随时查看。"


@dataclass(frozen=True)
class DecisionResult:
    """``status``: ``decided``, ``unchanged`` (it already had that status: a double click
    or a colleague's identical decision; nothing written, nobody notified again),
    ``not_found`` or ``not_allowed`` (withdrawn, or the worker deleted their data)."""

    status: Literal["decided", "unchanged", "not_found", "not_allowed"]
    application: Application | None = None
    previous_status: str | None = None


@retrying
def decide_application(
    db: Database, number: str, status: str, note: str = "", *, clock: Clock | None = None
) -> DecisionResult:
    """Staff approve or reject (or return to pending) one application with a note; the
    worker is notified in the same transaction. Applied once, however often it is sent."""
    if status not in STAFF_STATUSES:
        raise ValueError(f"status must be one of {STAFF_STATUSES}, not {status!r}")
    note = _clean_note(note)
    number = normalize_record_number(number) or str(number).strip()
    stamp = now(clock)
    with write_transaction(db):
        if not db.lock_row("applications", "application_no", number):
            return DecisionResult("not_found")
        row = db.one("SELECT * FROM applications WHERE application_no = :n", {"n": number})
        current = Application.from_row(row) if row else None
        if current is None:
            return DecisionResult("not_found")
        if current.status == "cancelled" or current.sender_id is None:
            return DecisionResult("not_allowed", current, current.status)
        if current.status == status:
            return DecisionResult("unchanged", current, current.status)
        db.execute(
            "UPDATE applications SET status = :status, staff_note = :note, updated_at = :stamp, "
            "decided_at = :decided WHERE application_no = :n",
            {
                "status": status,
                "note": note,
                "stamp": stamp,
                "decided": None if status == "pending" else stamp,
                "n": number,
            },
        )
        bump(db, "applications.by_status", current.status, -1)
        bump(db, "applications.by_status", status)
        updated = Application.from_row(
            db.one("SELECT * FROM applications WHERE application_no = :n", {"n": number}) or {}
        )
        insert_notification(
            db, current.sender_id, application_text(updated), kind="application", ref=number, stamp=stamp
        )
    return DecisionResult("decided", updated, current.status)


@retrying
def get_any_application(db: Database, number: str) -> Application | None:
    """Staff: any worker's application by number."""
    number = normalize_record_number(number) or str(number).strip()
    row = db.one("SELECT * FROM applications WHERE application_no = :n", {"n": number})
    return Application.from_row(row) if row else None


@retrying
def list_applications_for_office(
    db: Database,
    *,
    status: str | None = None,
    since: str | None = None,
    until: str | None = None,
    model_worker_class: bool | None = None,
    limit: int = 500,
) -> list[Application]:
    """Staff's queue: applications filed from ``since`` to ``until`` (``YYYY-MM-DD``,
    inclusive), in one status and/or of the model-worker class, oldest first."""
    where: list[str] = ["1 = 1"]
    params: dict[str, object] = {"limit": int(limit)}
    if status:
        where.append("status = :status")
        params["status"] = status
    if since:
        where.append("substr(created_at, 1, 10) >= :since")
        params["since"] = since
    if until:
        where.append("substr(created_at, 1, 10) <= :until")
        params["until"] = until
    if model_worker_class is not None:
        where.append("model_worker_class = :mw")
        params["mw"] = int(model_worker_class)
    rows = db.query(
        f"SELECT * FROM applications WHERE {' AND '.join(where)} ORDER BY created_at, application_no LIMIT :limit",
        params,
    )
    return [Application.from_row(r) for r in rows]


@retrying
def find_workers_by_phone(db: Database, phone: str) -> list[Worker]:
    """Admins: the workers registered with this mobile number (one per channel they
    used). Raises :class:`registry.InvalidInput` for something that is not a mobile number."""
    clean = normalize_phone(phone)
    rows = db.query("SELECT * FROM workers WHERE phone = :p ORDER BY created_at", {"p": clean})
    senders = {r["sender_id"] for r in rows}
    # Applications keep the phone typed into the form, which may differ from the profile's.
    for r in db.query(
        "SELECT DISTINCT sender_id FROM applications WHERE phone = :p AND sender_id IS NOT NULL", {"p": clean}
    ):
        if r["sender_id"] not in senders:
            worker = db.one("SELECT * FROM workers WHERE sender_id = :s", {"s": r["sender_id"]})
            if worker:
                rows.append(worker)
                senders.add(r["sender_id"])
    return [Worker.from_row(r) for r in rows]


@retrying
def daily_counts(db: Database, since: str, until: str) -> dict[str, dict[str, int]]:
    """``{"signups": {day: n}, "applications": {day: n}}`` for days ``since``..``until``
    (``YYYY-MM-DD``): enrollments and applications filed per day (anonymized ones too)."""
    params = {"since": since, "until": until}
    out: dict[str, dict[str, int]] = {}
    for name, table in (("signups", "enrollments"), ("applications", "applications")):
        rows = db.execute(
            f"SELECT substr(created_at, 1, 10) AS day, COUNT(*) FROM {table} "
            "WHERE substr(created_at, 1, 10) BETWEEN :since AND :until GROUP BY substr(created_at, 1, 10)",
            params,
        ).fetchall()
        out[name] = {str(day): int(count) for day, count in rows}
    return out
