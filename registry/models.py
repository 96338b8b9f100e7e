"""The records the registry hands back, as frozen dataclasses (never raw rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from common.privacy import mask_certificate, mask_phone

EnrollmentStatus = Literal["enrolled", "waitlisted", "cancelled"]
ApplicationStatus = Literal["pending", "approved", "rejected", "cancelled"]

ENROLLMENT_STATUS_LABELS = {"enrolled": "已报名", "waitlisted": "候补中", "cancelled": "已取消"}
APPLICATION_STATUS_LABELS = {
    "pending": "审核中",
    "approved": "已通过",
    "rejected": "未通过",
    "cancelled": "已撤回",
}


@dataclass(frozen=True)
class Worker:
    sender_id: str
    name: str
    phone: str
    employer: str | None
    district: str | None
    union_member: bool
    created_at: str
    updated_at: str

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Worker:
        return cls(
            sender_id=row["sender_id"],
            name=row["name"],
            phone=row["phone"],
            employer=row["employer"],
            district=row["district"],
            union_member=bool(row["union_member"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True)
class Enrollment:
    enrollment_no: str
    sender_id: str | None
    course_id: str
    course_name: str
    status: EnrollmentStatus
    queue_no: int  # arrival order within the course; the waiting list is served in it
    created_at: str
    updated_at: str
    enrolled_at: str | None = None  # when the seat was given (directly or by promotion)
    cancelled_at: str | None = None
    waitlist_position: int | None = None  # 1 = next to get a seat; None unless waitlisted

    @property
    def status_label(self) -> str:
        return ENROLLMENT_STATUS_LABELS[self.status]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Enrollment:
        return cls(
            enrollment_no=row["enrollment_no"],
            sender_id=row["sender_id"],
            course_id=row["course_id"],
            course_name=row["course_name"],
            status=row["status"],
            queue_no=row["queue_no"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            enrolled_at=row["enrolled_at"],
            cancelled_at=row["cancelled_at"],
            waitlist_position=row.get("waitlist_position"),
        )


@dataclass(frozen=True)
class Promotion:
    """A waiting-list worker who just got a seat; the bot should tell them."""

    sender_id: str
    enrollment_no: str
    course_id: str
    course_name: str


@dataclass(frozen=True)
class EnrollmentResult:
    """``status``: ``enrolled`` (got a seat), ``waitlisted``, ``already`` (an active
    enrollment for this course exists and is returned unchanged) or ``not_registered``
    (no worker profile yet: collect it, then enroll)."""

    status: Literal["enrolled", "waitlisted", "already", "not_registered"]
    enrollment: Enrollment | None = None
    # Waiting-list workers given a seat before this enrollment because the course's
    # capacity was raised since the last call.
    promoted: tuple[Promotion, ...] = ()

    @property
    def number(self) -> str | None:
        return self.enrollment.enrollment_no if self.enrollment else None

    @property
    def waitlist_position(self) -> int | None:
        return self.enrollment.waitlist_position if self.enrollment else None


@dataclass(frozen=True)
class CancelResult:
    """``status``: ``cancelled``, ``already_cancelled`` or ``not_found`` (no such number
    among this worker's enrollments). ``promoted`` holds the waiting-list worker(s) who got
    the freed seat — normally at most one."""

    status: Literal["cancelled", "already_cancelled", "not_found"]
    enrollment: Enrollment | None = None
    promoted: tuple[Promotion, ...] = ()


@dataclass(frozen=True)
class CourseSummary:
    course_id: str
    course_name: str
    capacity: int | None  # None = unlimited
    enrolled: int
    waitlisted: int

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.enrolled, 0)


@dataclass(frozen=True)
class RosterEntry:
    """One line of a staff roster or waiting list (full phone: staff only)."""

    enrollment: Enrollment
    name: str | None
    phone: str | None
    employer: str | None
    district: str | None
    union_member: bool | None


@dataclass(frozen=True)
class ReadingTeam:
    team_id: str  # "district:海曙区" or "employer:宁波XX公司"
    display_name: str


@dataclass(frozen=True)
class TeamMembership:
    team: ReadingTeam
    sender_id: str
    joined_at: str


@dataclass(frozen=True)
class TeamResult:
    """``status``: ``joined``, ``already`` (was a member), ``left``, ``not_member`` or
    ``not_registered``."""

    status: Literal["joined", "already", "left", "not_member", "not_registered"]
    team: ReadingTeam | None = None


@dataclass(frozen=True)
class Application:
    application_no: str
    sender_id: str | None
    name: str | None
    phone: str | None
    school: str | None
    programme: str
    graduation_date: str  # "YYYY-MM"
    certificate_no: str | None
    model_worker_class: bool
    status: ApplicationStatus
    staff_note: str
    created_at: str
    updated_at: str
    decided_at: str | None = None

    @property
    def status_label(self) -> str:
        return APPLICATION_STATUS_LABELS[self.status]

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone or "")

    @property
    def masked_certificate(self) -> str:
        return mask_certificate(self.certificate_no or "")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Application:
        return cls(
            application_no=row["application_no"],
            sender_id=row["sender_id"],
            name=row["name"],
            phone=row["phone"],
            school=row["school"],
            programme=row["programme"],
            graduation_date=row["graduation_date"],
            certificate_no=row["certificate_no"],
            model_worker_class=bool(row["model_worker_class"]),
            status=row["status"],
            staff_note=row["staff_note"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            decided_at=row["decided_at"],
        )


@dataclass(frozen=True)
class ApplicationResult:
    """``status``: ``created``, ``duplicate`` (a pending/approved application with this
    certificate exists and is returned), ``not_registered``, ``cancelled``,
    ``already_cancelled``, ``not_allowed`` (already decided: cannot be withdrawn) or
    ``not_found``."""

    status: Literal[
        "created",
        "duplicate",
        "not_registered",
        "cancelled",
        "already_cancelled",
        "not_allowed",
        "not_found",
    ]
    application: Application | None = None

    @property
    def number(self) -> str | None:
        return self.application.application_no if self.application else None


@dataclass(frozen=True)
class StatusChangeResult:
    """Staff decision. ``status``: ``updated``, ``not_found`` or ``not_allowed`` (the
    application was withdrawn or its worker deleted their data)."""

    status: Literal["updated", "not_found", "not_allowed"]
    application: Application | None = None
    previous_status: ApplicationStatus | None = None


@dataclass(frozen=True)
class WorkerRecords:
    """Everything stored about one worker (for "我的记录" / "我的数据")."""

    worker: Worker | None
    enrollments: list[Enrollment] = field(default_factory=list)
    teams: list[TeamMembership] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.worker or self.enrollments or self.teams or self.applications)


@dataclass(frozen=True)
class DeleteResult:
    """What :func:`delete_worker_data` removed. ``promoted`` as in :class:`CancelResult`
    (the deleted worker's seats go to the waiting list)."""

    deleted_profile: bool
    enrollments_anonymized: int
    applications_anonymized: int
    teams_left: int
    promoted: tuple[Promotion, ...] = ()


@dataclass(frozen=True)
class Notification:
    """A message waiting in the outbox for a worker (see ``notifications.py``)."""

    id: int
    sender_id: str
    kind: str  # "promotion" (a waiting-list seat) or "message"
    ref: str | None  # the record it is about, e.g. the enrollment number
    text: str  # Chinese, ready to send as it is
    created_at: str
    delivered_at: str | None = None
    #: Send attempts begun (claims); more than one: an earlier attempt failed or its
    #: front end died — possibly after sending (see common.outbox).
    attempts: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Notification:
        return cls(
            id=int(row["id"]),
            sender_id=row["sender_id"],
            kind=row["kind"],
            ref=row["ref"],
            text=row["text"],
            created_at=row["created_at"],
            delivered_at=row["delivered_at"],
            attempts=int(row.get("attempts") or 0),
        )
