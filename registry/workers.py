"""Worker profiles, keyed by the chat identity (``sender_id``)."""

from __future__ import annotations

from typing import Any

from common.clock import Clock
from common.database import retrying
from registry.counters import bump
from registry.database import Database, now, write_transaction
from registry.models import Worker
from registry.validation import (
    DISTRICT_HINT,
    InvalidInput,
    normalize_district,
    normalize_employer,
    normalize_name,
    normalize_phone,
)

__all__ = ["get_worker", "save_worker", "update_worker"]

_PROFILE_FIELDS = ("name", "phone", "employer", "district", "union_member")


@retrying
def get_worker(db: Database, sender_id: str) -> Worker | None:
    row = db.one("SELECT * FROM workers WHERE sender_id = :sender", {"sender": sender_id})
    return Worker.from_row(row) if row else None


def _clean_profile(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate the given profile fields; raises InvalidInput (Chinese message)."""
    clean: dict[str, Any] = {}
    if "name" in fields:
        clean["name"] = normalize_name(fields["name"])
    if "phone" in fields:
        clean["phone"] = normalize_phone(fields["phone"])
    if "employer" in fields:
        employer = fields["employer"]
        clean["employer"] = normalize_employer(employer) if employer else None
    if "district" in fields:
        district = fields["district"]
        clean["district"] = normalize_district(district) if district else None
        if district and clean["district"] is None:
            raise InvalidInput("district", DISTRICT_HINT)
    if "union_member" in fields:
        clean["union_member"] = 1 if fields["union_member"] else 0
    return clean


@retrying
def save_worker(
    db: Database,
    sender_id: str,
    *,
    name: str,
    phone: str,
    employer: str | None = None,
    district: str | None = None,
    union_member: bool = False,
    clock: Clock | None = None,
) -> Worker:
    """Create or replace the worker's profile (all fields). Raises InvalidInput."""
    if not sender_id:
        raise ValueError("sender_id is required")
    clean = _clean_profile(
        {"name": name, "phone": phone, "employer": employer, "district": district, "union_member": union_member}
    )
    stamp = now(clock)
    values = {"sender": sender_id, "stamp": stamp, **clean}
    with write_transaction(db):
        # Insert-or-nothing, then update: two action servers saving the same new worker
        # at once both succeed (the second updates), and only one counts them.
        created = db.execute(
            "INSERT INTO workers (sender_id, name, phone, employer, district, union_member, created_at, updated_at) "
            "VALUES (:sender, :name, :phone, :employer, :district, :union_member, :stamp, :stamp) "
            "ON CONFLICT (sender_id) DO NOTHING",
            values,
        ).rowcount
        if created:
            bump(db, "workers.registered", clean["district"] or "未填写")
        else:
            db.execute(
                "UPDATE workers SET name = :name, phone = :phone, employer = :employer, district = :district, "
                "union_member = :union_member, updated_at = :stamp WHERE sender_id = :sender",
                values,
            )
    worker = get_worker(db, sender_id)
    assert worker is not None
    return worker


@retrying
def update_worker(db: Database, sender_id: str, *, clock: Clock | None = None, **changes: Any) -> Worker | None:
    """Change some profile fields (``phone="139..."``); ``None`` if not registered.

    Raises InvalidInput for a bad value, TypeError for an unknown field.
    """
    unknown = set(changes) - set(_PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    clean = _clean_profile(changes)
    stamp = now(clock)
    with write_transaction(db):
        if not db.lock_row("workers", "sender_id", sender_id):
            return None
        if clean:
            assignments = ", ".join(f"{column} = :{column}" for column in clean)  # known column names only
            db.execute(
                f"UPDATE workers SET {assignments}, updated_at = :stamp WHERE sender_id = :sender",
                {**clean, "stamp": stamp, "sender": sender_id},
            )
        return get_worker(db, sender_id)
