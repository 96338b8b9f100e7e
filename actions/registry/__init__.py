"""The registrations database of Union Helper: worker profiles, course enrollments with a
waiting list, reading-team memberships, subsidy applications, anonymous counters and an
outbox of notifications for promoted waiting-list workers.

Plain storage functions over a ``sqlite_utils.Database`` (no Rasa code); the custom
actions call them, staff use ``python -m actions.registry`` (see README.md here)::

    from actions.registry import registry, enroll

    with registry() as db:                      # $UH_DATA_DIR/registry.db
        result = enroll(db, "tg-1", "jxgf_plc", "PLC编程入门", capacity=30)

Every function that changes a worker's record takes their ``sender_id`` and only touches
that worker's rows. Importing this package has no side effects (rasa-sdk imports every
submodule of ``actions`` at start-up).
"""
from __future__ import annotations

from actions.registry.applications import (
    cancel_application,
    create_application,
    get_application,
    get_applications,
    list_applications,
    normalize_programme,
    normalize_school,
    set_application_status,
)
from actions.registry.counters import get_stats
from actions.registry.database import open_registry, registry, registry_path, write_transaction
from actions.registry.enrollments import (
    cancel_enrollment,
    course_summaries,
    enroll,
    find_active_enrollment,
    get_course_summary,
    get_enrollments,
    roster,
    waitlist,
)
from actions.registry.models import (
    Application,
    ApplicationResult,
    CancelResult,
    CourseSummary,
    DeleteResult,
    Enrollment,
    EnrollmentResult,
    Notification,
    Promotion,
    ReadingTeam,
    RosterEntry,
    StatusChangeResult,
    TeamMembership,
    TeamResult,
    Worker,
    WorkerRecords,
)
from actions.registry.notifications import (
    mark_notification_delivered,
    pending_notifications,
    promotion_text,
    queue_notification,
)
from actions.registry.privacy import delete_worker_data, list_records
from actions.registry.redaction import RedactingFilter, install_redaction, redact
from actions.registry.teams import (
    district_team,
    employer_team,
    get_teams,
    join_reading_team,
    leave_reading_team,
    list_teams,
    team_members,
)
from actions.registry.validation import (
    DISTRICT_HINT,
    DISTRICTS,
    InvalidInput,
    mask_certificate,
    mask_phone,
    normalize_certificate_no,
    normalize_district,
    normalize_employer,
    normalize_name,
    normalize_phone,
    normalize_record_number,
    parse_graduation_date,
)
from actions.registry.workers import get_worker, save_worker, update_worker

__all__ = [
    "Application", "ApplicationResult", "CancelResult", "CourseSummary", "DISTRICTS",
    "DISTRICT_HINT", "DeleteResult", "Enrollment", "EnrollmentResult", "InvalidInput",
    "Notification", "Promotion", "ReadingTeam", "RedactingFilter", "RosterEntry", "StatusChangeResult",
    "TeamMembership", "TeamResult", "Worker", "WorkerRecords",
    "cancel_application", "cancel_enrollment", "course_summaries", "create_application",
    "delete_worker_data", "district_team", "employer_team", "enroll",
    "find_active_enrollment", "get_application", "get_applications", "get_course_summary",
    "get_enrollments", "get_stats", "get_teams", "get_worker", "install_redaction",
    "join_reading_team", "leave_reading_team", "list_applications", "list_records",
    "list_teams", "mark_notification_delivered", "mask_certificate", "mask_phone", "normalize_certificate_no",
    "normalize_district", "normalize_employer", "normalize_name", "normalize_phone",
    "normalize_programme", "normalize_record_number", "normalize_school", "open_registry",
    "parse_graduation_date", "pending_notifications", "promotion_text",
    "queue_notification", "redact", "registry", "registry_path", "roster",
    "save_worker", "set_application_status", "team_members", "update_worker", "waitlist",
    "write_transaction",
]
