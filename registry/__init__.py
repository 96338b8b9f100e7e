"""The registrations database of Union Helper: worker profiles, course enrollments with a
waiting list, reading-team memberships, subsidy applications, anonymous counters and an
outbox of notifications for promoted waiting-list workers.

Plain storage functions over a :class:`~common.database.Database` handle (no Rasa code):
the SQLite file ``$UH_DATA_DIR/registry.db`` by default, PostgreSQL when
``UH_DATABASE_URL`` is set — the same functions, the same guarantees, so several action
servers can share one registry. The custom actions call them, staff use
``python -m registry`` (see README.md here)::

    from registry import registry, enroll

    with registry() as db:                      # the configured store
        result = enroll(db, "tg-1", "jxgf_plc", "PLC编程入门", capacity=30)

Every function that changes a worker's record takes their ``sender_id`` and only touches
that worker's rows; every function that writes a time takes ``clock=`` (default: the
settings' clock). This package owns the registry's tables: nobody else opens the file or
writes SQL against them — other parts call the functions here (read-only lookers use
``registry_read_only``). Importing this package has no side effects (rasa-sdk imports every
submodule of ``actions`` at start-up).
"""

from __future__ import annotations

from registry.applications import (
    cancel_application,
    create_application,
    get_application,
    get_applications,
    list_applications,
    normalize_programme,
    normalize_school,
    set_application_status,
)
from registry.counters import get_stats
from registry.database import (
    DATABASE_ERRORS,
    Database,
    TransactionInProgress,
    open_registry,
    registry,
    registry_path,
    registry_read_only,
    registry_url,
    write_transaction,
)
from registry.enrollments import (
    cancel_enrollment,
    consistency_problems,
    course_registration_counts,
    course_summaries,
    enroll,
    enrollment_status_counts,
    find_active_enrollment,
    get_course_summary,
    get_enrollment,
    get_enrollments,
    roster,
    waitlist,
)
from registry.models import (
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
from registry.notifications import (
    claim_notifications,
    forget_delivered_notifications,
    give_up_notification,
    mark_notification_delivered,
    pending_notifications,
    promotion_text,
    queue_notification,
    release_notification,
    renew_notification,
)
from registry.office import (
    CapacityResult,
    DecisionResult,
    application_text,
    daily_counts,
    decide_application,
    find_workers_by_phone,
    get_any_application,
    list_applications_for_office,
    office_cancel_enrollment,
    set_course_capacity,
)
from registry.privacy import delete_worker_data, export_worker_data, list_records
from registry.teams import (
    district_team,
    employer_team,
    get_teams,
    join_reading_team,
    leave_reading_team,
    list_teams,
    team_members,
)
from registry.validation import (
    DISTRICT_HINT,
    DISTRICTS,
    InvalidInput,
    normalize_certificate_no,
    normalize_district,
    normalize_employer,
    normalize_name,
    normalize_phone,
    normalize_record_number,
    parse_graduation_date,
)
from registry.workers import get_worker, save_worker, update_worker

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
    "DATABASE_ERRORS",
    "Application",
    "ApplicationResult",
    "CancelResult",
    "CourseSummary",
    "DISTRICTS",
    "DISTRICT_HINT",
    "Database",
    "DeleteResult",
    "Enrollment",
    "EnrollmentResult",
    "InvalidInput",
    "Notification",
    "Promotion",
    "ReadingTeam",
    "RosterEntry",
    "StatusChangeResult",
    "TeamMembership",
    "TeamResult",
    "TransactionInProgress",
    "Worker",
    "WorkerRecords",
    "cancel_application",
    "cancel_enrollment",
    "claim_notifications",
    "consistency_problems",
    "course_registration_counts",
    "course_summaries",
    "create_application",
    "delete_worker_data",
    "district_team",
    "employer_team",
    "enroll",
    "enrollment_status_counts",
    "export_worker_data",
    "find_active_enrollment",
    "forget_delivered_notifications",
    "get_application",
    "get_applications",
    "get_course_summary",
    "get_enrollment",
    "get_enrollments",
    "get_stats",
    "get_teams",
    "get_worker",
    "give_up_notification",
    "join_reading_team",
    "leave_reading_team",
    "list_applications",
    "list_records",
    "list_teams",
    "mark_notification_delivered",
    "normalize_certificate_no",
    "normalize_district",
    "normalize_employer",
    "normalize_name",
    "normalize_phone",
    "normalize_programme",
    "normalize_record_number",
    "normalize_school",
    "open_registry",
    "parse_graduation_date",
    "pending_notifications",
    "promotion_text",
    "queue_notification",
    "registry",
    "registry_path",
    "registry_read_only",
    "registry_url",
    "release_notification",
    "renew_notification",
    "roster",
    "save_worker",
    "set_application_status",
    "team_members",
    "update_worker",
    "waitlist",
    "write_transaction",
]
