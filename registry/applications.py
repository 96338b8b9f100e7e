"""Subsidy applications (学历提升补贴): the worker applies, staff approve or reject
with a note, the worker sees the status and note.

Statuses: ``pending`` → ``approved`` | ``rejected`` (staff, may be revised), and
``pending`` → ``cancelled`` (withdrawn by the worker, final).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from common.clock import Clock, default_clock
from common.clock import today as today_of
from common.database import retrying
from registry.counters import bump, next_number
from registry.database import Database, now, write_transaction
from registry.models import Application, ApplicationResult, StatusChangeResult
from registry.validation import (
    InvalidInput,
    normalize_certificate_no,
    normalize_name,
    normalize_phone,
    normalize_record_number,
    parse_graduation_date,
)

__all__ = [
    "APPLICATION_PREFIX",
    "STAFF_STATUSES",
    "cancel_application",
    "create_application",
    "get_application",
    "get_applications",
    "list_applications",
    "normalize_programme",
    "normalize_school",
    "set_application_status",
]

APPLICATION_PREFIX = "BT"  # 补贴
STAFF_STATUSES = ("pending", "approved", "rejected")
MAX_NOTE_LENGTH = 500


def _clean_text(field: str, text: object, ask: str, max_length: int = 60) -> str:
    value = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text or "")).strip())
    if len(value) < 2 or not any(ch.isalpha() for ch in value):
        raise InvalidInput(field, ask)
    if len(value) > max_length:
        raise InvalidInput(field, f"最多{max_length}个字，请简写后重新输入。")
    return value


def normalize_school(text: object) -> str:
    """A school's name, 2–60 characters."""
    return _clean_text("school", text, "请告诉我毕业学校的全称，例如“宁波大学”。")


def normalize_programme(text: object) -> str:
    """A programme (专业/学历层次), 2–60 characters."""
    return _clean_text("programme", text, "请告诉我所学专业，例如“机械设计制造及其自动化”。")


@retrying
def create_application(
    db: Database,
    sender_id: str,
    *,
    name: str,
    phone: str,
    school: str,
    programme: str,
    graduation_date: str,
    certificate_no: str,
    model_worker_class: bool = False,
    today: date | None = None,
    clock: Clock | None = None,
) -> ApplicationResult:
    """File a pending application for a registered worker. Validates every field (raises
    InvalidInput with a Chinese message). A live application with the same certificate
    is returned with status ``duplicate`` instead of filing a second one.

    ``clock`` stamps the row and, unless ``today`` is given, says which month a
    graduation may not be later than."""
    clock = clock or default_clock()
    today = today or today_of(clock)
    clean = {
        "name": normalize_name(name),
        "phone": normalize_phone(phone),
        "school": normalize_school(school),
        "programme": normalize_programme(programme),
        "graduation_date": parse_graduation_date(graduation_date, today=today),
        "certificate_no": normalize_certificate_no(certificate_no),
        "model_worker_class": 1 if model_worker_class else 0,
    }
    stamp = now(clock)
    with write_transaction(db):
        # The worker's row first: one worker's applications one at a time (the duplicate
        # check below must not race a second action server filing the same certificate).
        if not db.lock_row("workers", "sender_id", sender_id):
            return ApplicationResult("not_registered")
        row = db.one(
            "SELECT * FROM applications WHERE sender_id = :sender AND certificate_no = :certificate "
            "AND status IN ('pending', 'approved')",
            {"sender": sender_id, "certificate": clean["certificate_no"]},
        )
        if row:
            return ApplicationResult("duplicate", Application.from_row(row))
        number = next_number(db, APPLICATION_PREFIX, stamp)
        db.execute(
            "INSERT INTO applications (application_no, sender_id, name, phone, school, "
            "programme, graduation_date, certificate_no, model_worker_class, status, "
            "created_at, updated_at) VALUES (:number, :sender, :name, :phone, :school, :programme, "
            ":graduation_date, :certificate_no, :model_worker_class, 'pending', :stamp, :stamp)",
            {"number": number, "sender": sender_id, "stamp": stamp, **clean},
        )
        bump(db, "applications.created", "all")
        bump(db, "applications.by_status", "pending")
        application = _get(db, number)
    return ApplicationResult("created", application)


def _get(db: Database, number: str) -> Application | None:
    row = db.one("SELECT * FROM applications WHERE application_no = :number", {"number": number})
    return Application.from_row(row) if row else None


def _number(text: str) -> str:
    return normalize_record_number(text) or str(text).strip()


@retrying
def get_applications(db: Database, sender_id: str) -> list[Application]:
    """The worker's own applications, newest first (withdrawn ones included)."""
    rows = db.query(
        "SELECT * FROM applications WHERE sender_id = :sender ORDER BY created_at DESC, application_no DESC",
        {"sender": sender_id},
    )
    return [Application.from_row(row) for row in rows]


@retrying
def get_application(db: Database, sender_id: str, number: str) -> Application | None:
    """One of the worker's own applications by number; None if not theirs."""
    application = _get(db, _number(number))
    if application is None or application.sender_id != sender_id:
        return None
    return application


@retrying
def cancel_application(db: Database, sender_id: str, number: str, *, clock: Clock | None = None) -> ApplicationResult:
    """Withdraw one of the worker's own pending applications."""
    number = _number(number)
    stamp = now(clock)
    with write_transaction(db):
        if not db.lock_row("applications", "application_no", number):
            return ApplicationResult("not_found")
        application = _get(db, number)
        if application is None or application.sender_id != sender_id:
            return ApplicationResult("not_found")
        if application.status == "cancelled":
            return ApplicationResult("already_cancelled", application)
        if application.status != "pending":
            return ApplicationResult("not_allowed", application)
        db.execute(
            "UPDATE applications SET status = 'cancelled', updated_at = :stamp WHERE application_no = :number",
            {"stamp": stamp, "number": number},
        )
        bump(db, "applications.by_status", "pending", -1)
        bump(db, "applications.by_status", "cancelled")
        application = _get(db, number)
    return ApplicationResult("cancelled", application)


@retrying
def list_applications(db: Database, status: str | None = None) -> list[Application]:
    """Staff: all applications (or those in one status), oldest first."""
    if status is not None and status not in (*STAFF_STATUSES, "cancelled"):
        raise ValueError(f"unknown application status: {status!r}")
    where, params = ("WHERE status = :status", {"status": status}) if status else ("", {})
    rows = db.query(f"SELECT * FROM applications {where} ORDER BY created_at, application_no", params)
    return [Application.from_row(row) for row in rows]


@retrying
def set_application_status(
    db: Database, number: str, status: str, note: str = "", *, clock: Clock | None = None
) -> StatusChangeResult:
    """Staff: decide an application (``approved``/``rejected``, or back to ``pending``)
    with a note the worker will see. Withdrawn or anonymized ones are ``not_allowed``."""
    if status not in STAFF_STATUSES:
        raise ValueError(f"status must be one of {STAFF_STATUSES}, not {status!r}")
    note = re.sub(r"\s+", " ", (note or "").strip())[:MAX_NOTE_LENGTH]
    number = _number(number)
    stamp = now(clock)
    with write_transaction(db):
        if not db.lock_row("applications", "application_no", number):
            return StatusChangeResult("not_found")
        application = _get(db, number)
        if application is None:
            return StatusChangeResult("not_found")
        if application.status == "cancelled" or application.sender_id is None:
            return StatusChangeResult("not_allowed", application, application.status)
        db.execute(
            "UPDATE applications SET status = :status, staff_note = :note, updated_at = :stamp, "
            "decided_at = :decided WHERE application_no = :number",
            {
                "status": status,
                "note": note,
                "stamp": stamp,
                "decided": None if status == "pending" else stamp,
                "number": number,
            },
        )
        if status != application.status:
            bump(db, "applications.by_status", application.status, -1)
            bump(db, "applications.by_status", status)
        updated = _get(db, number)
    return StatusChangeResult("updated", updated, application.status)
