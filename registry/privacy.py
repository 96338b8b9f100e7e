"""What a worker can see about themselves, the copy of it they may ask for ("导出我的数据",
PIPL's right of access), and deleting it ("删除我的数据")."""

from __future__ import annotations

from typing import Any

from common.clock import Clock
from common.database import retrying
from registry.applications import get_applications
from registry.counters import bump
from registry.database import Database, now, write_transaction
from registry.enrollments import get_enrollments, lock_course, promote_waitlist
from registry.models import DeleteResult, Promotion, WorkerRecords
from registry.teams import get_teams
from registry.workers import get_worker

__all__ = ["delete_worker_data", "export_worker_data", "list_records"]


@retrying
def list_records(db: Database, sender_id: str, include_cancelled: bool = False) -> WorkerRecords:
    """The worker's profile, enrollments (active ones unless ``include_cancelled``), reading
    teams and subsidy applications."""
    return WorkerRecords(
        worker=get_worker(db, sender_id),
        enrollments=get_enrollments(db, sender_id, include_cancelled=include_cancelled),
        teams=get_teams(db, sender_id),
        applications=get_applications(db, sender_id),
    )


#: The columns of each table that are about the worker, in the order a worker reads them.
_EXPORT = {
    "workers": ("SELECT * FROM workers WHERE sender_id = :sender", ()),
    "enrollments": ("SELECT * FROM enrollments WHERE sender_id = :sender ORDER BY created_at, enrollment_no", ()),
    "team_members": (
        "SELECT m.team_id, t.display_name, m.joined_at FROM team_members m "
        "JOIN reading_teams t USING (team_id) WHERE m.sender_id = :sender ORDER BY m.joined_at",
        (),
    ),
    "applications": ("SELECT * FROM applications WHERE sender_id = :sender ORDER BY created_at, application_no", ()),
    "notifications": (
        "SELECT id, kind, ref, text, created_at, delivered_at FROM notifications WHERE sender_id = :sender ORDER BY id",
        (),
    ),
}


@retrying
def export_worker_data(db: Database, sender_id: str) -> dict[str, Any]:
    """Everything the registry holds about ``sender_id``, unmasked (it is the worker's
    own), as JSON-ready lists of rows per kind: the profile, every enrollment (cancelled
    ones too), reading teams, subsidy applications with the staff notes, and the messages
    queued or sent to them. One read transaction: a consistent copy."""
    with db.transaction(write=False):
        data = {name: db.query(sql, {"sender": sender_id}) for name, (sql, _) in _EXPORT.items()}
    return {
        "profile": data["workers"][0] if data["workers"] else None,
        "enrollments": data["enrollments"],
        "reading_teams": data["team_members"],
        "subsidy_applications": data["applications"],
        "notifications": data["notifications"],
    }


@retrying
def delete_worker_data(db: Database, sender_id: str, *, clock: Clock | None = None) -> DeleteResult:
    """Delete the profile and every personal field linked to ``sender_id``, in one
    transaction.

    * the ``workers`` row and team memberships are deleted;
    * enrollments lose their sender_id; active ones are cancelled and their seats go to
      the waiting list (returned in ``promoted``);
    * applications lose sender_id, name, phone, school, certificate number and staff note;
      pending ones are withdrawn;
    * every notification to the worker is deleted, delivered or not (promoted
      waiting-list workers get theirs queued, as with any cancellation).

    What stays is anonymous: record numbers, course, programme, graduation month, statuses,
    times, and the counters in ``stats``.
    """
    stamp = now(clock)
    mine = {"sender": sender_id, "stamp": stamp}
    with write_transaction(db):
        courses = sorted(
            {
                row[0]
                for row in db.execute(
                    "SELECT DISTINCT course_id FROM enrollments WHERE sender_id = :sender "
                    "AND status IN ('enrolled', 'waitlisted')",
                    mine,
                )
            }
        )
        for course_id in courses:  # in course order, as every transaction locks them
            lock_course(db, course_id)
        active = db.execute(
            "SELECT course_id, status FROM enrollments WHERE sender_id = :sender "
            "AND status IN ('enrolled', 'waitlisted')",
            mine,
        ).fetchall()
        db.execute(
            "UPDATE enrollments SET status = 'cancelled', cancelled_at = :stamp, updated_at = :stamp "
            "WHERE sender_id = :sender AND status IN ('enrolled', 'waitlisted')",
            mine,
        )
        enrollments = db.execute("UPDATE enrollments SET sender_id = NULL WHERE sender_id = :sender", mine).rowcount
        for course_id, _ in active:
            bump(db, "enrollments.withdrawn_by_deletion", course_id)
        promoted: list[Promotion] = []
        for course_id in sorted({course for course, status in active if status == "enrolled"}):
            promoted.extend(promote_waitlist(db, course_id, stamp))

        pending = int(
            db.scalar("SELECT COUNT(*) FROM applications WHERE sender_id = :sender AND status = 'pending'", mine)
        )
        if pending:
            bump(db, "applications.by_status", "pending", -pending)
            bump(db, "applications.by_status", "cancelled", pending)
        applications = db.execute(
            "UPDATE applications SET sender_id = NULL, name = NULL, phone = NULL, "
            "school = NULL, certificate_no = NULL, staff_note = '', updated_at = :stamp, "
            "status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END "
            "WHERE sender_id = :sender",
            mine,
        ).rowcount

        teams = db.execute("DELETE FROM team_members WHERE sender_id = :sender", mine).rowcount
        # Messages to the worker hold their chat identity (and course names).
        db.execute("DELETE FROM notifications WHERE sender_id = :sender", mine)
        profile = db.execute("DELETE FROM workers WHERE sender_id = :sender", mine).rowcount
        if profile:
            bump(db, "workers.deleted", "all")
    # Old page images in SQLite's write-ahead log still hold the deleted fields: copy the
    # log into the (zero-overwritten) database and empty it. (PostgreSQL: the old row
    # versions are invisible at once and reclaimed by autovacuum.)
    db.checkpoint()
    return DeleteResult(
        deleted_profile=bool(profile),
        enrollments_anonymized=enrollments,
        applications_anonymized=applications,
        teams_left=teams,
        promoted=tuple(promoted),
    )
