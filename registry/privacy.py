"""What a worker can see about themselves, and deleting it ("删除我的数据")."""

from __future__ import annotations

from sqlite_utils import Database

from common.clock import Clock
from registry.applications import get_applications
from registry.counters import bump
from registry.database import now, write_transaction
from registry.enrollments import get_enrollments, promote_waitlist
from registry.models import DeleteResult, Promotion, WorkerRecords
from registry.teams import get_teams
from registry.workers import get_worker

__all__ = ["delete_worker_data", "list_records"]


def list_records(db: Database, sender_id: str, include_cancelled: bool = False) -> WorkerRecords:
    """The worker's profile, enrollments (active ones unless ``include_cancelled``), reading
    teams and subsidy applications."""
    return WorkerRecords(
        worker=get_worker(db, sender_id),
        enrollments=get_enrollments(db, sender_id, include_cancelled=include_cancelled),
        teams=get_teams(db, sender_id),
        applications=get_applications(db, sender_id),
    )


def delete_worker_data(db: Database, sender_id: str, *, clock: Clock | None = None) -> DeleteResult:
    """Delete the profile and every personal field linked to ``sender_id``, in one
    transaction.

    * the ``workers`` row and team memberships are deleted;
    * enrollments lose their sender_id; active ones are cancelled and their seats go to
      the waiting list (returned in ``promoted``);
    * applications lose sender_id, name, phone, school, certificate number and staff note;
      pending ones are withdrawn;
    * undelivered notifications to the worker are deleted (promoted waiting-list workers
      get theirs queued, as with any cancellation).

    What stays is anonymous: record numbers, course, programme, graduation month, statuses,
    times, and the counters in ``stats``.
    """
    stamp = now(clock)
    with write_transaction(db):
        active = db.execute(
            "SELECT course_id, status FROM enrollments WHERE sender_id = ? AND status IN ('enrolled', 'waitlisted')",
            [sender_id],
        ).fetchall()
        db.execute(
            "UPDATE enrollments SET status = 'cancelled', cancelled_at = ?, updated_at = ? "
            "WHERE sender_id = ? AND status IN ('enrolled', 'waitlisted')",
            [stamp, stamp, sender_id],
        )
        enrollments = db.execute("UPDATE enrollments SET sender_id = NULL WHERE sender_id = ?", [sender_id]).rowcount
        for course_id, _ in active:
            bump(db, "enrollments.withdrawn_by_deletion", course_id)
        promoted: list[Promotion] = []
        for course_id in sorted({course for course, status in active if status == "enrolled"}):
            promoted.extend(promote_waitlist(db, course_id, stamp))

        (pending,) = db.execute(
            "SELECT COUNT(*) FROM applications WHERE sender_id = ? AND status = 'pending'",
            [sender_id],
        ).fetchone()
        if pending:
            bump(db, "applications.by_status", "pending", -pending)
            bump(db, "applications.by_status", "cancelled", pending)
        applications = db.execute(
            "UPDATE applications SET sender_id = NULL, name = NULL, phone = NULL, "
            "school = NULL, certificate_no = NULL, staff_note = '', updated_at = ?, "
            "status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END "
            "WHERE sender_id = ?",
            [stamp, sender_id],
        ).rowcount

        teams = db.execute("DELETE FROM team_members WHERE sender_id = ?", [sender_id]).rowcount
        # Undelivered messages to the worker hold their chat identity (and course names).
        db.execute("DELETE FROM notifications WHERE sender_id = ?", [sender_id])
        profile = db.execute("DELETE FROM workers WHERE sender_id = ?", [sender_id]).rowcount
        if profile:
            bump(db, "workers.deleted", "all")
    # Old page images in the write-ahead log still hold the deleted fields: copy the
    # log into the (zero-overwritten) database and empty it. Best effort — a reader in
    # another process can hold it back until a later checkpoint.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return DeleteResult(
        deleted_profile=bool(profile),
        enrollments_anonymized=enrollments,
        applications_anonymized=applications,
        teams_left=teams,
        promoted=tuple(promoted),
    )
