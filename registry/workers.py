"""Worker profiles, keyed by the chat identity (``sender_id``)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from common.clock import Clock
from registry.counters import bump
from registry.database import now, write_transaction
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


def get_worker(db: Database, sender_id: str) -> Worker | None:
    rows = list(db.query("SELECT * FROM workers WHERE sender_id = ?", [sender_id]))
    return Worker.from_row(rows[0]) if rows else None


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
    with write_transaction(db):
        existing = get_worker(db, sender_id)
        if existing is None:
            db.execute(
                "INSERT INTO workers (sender_id, name, phone, employer, district, "
                "union_member, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    sender_id,
                    clean["name"],
                    clean["phone"],
                    clean["employer"],
                    clean["district"],
                    clean["union_member"],
                    stamp,
                    stamp,
                ],
            )
            bump(db, "workers.registered", clean["district"] or "未填写")
        else:
            db.execute(
                "UPDATE workers SET name = ?, phone = ?, employer = ?, district = ?, "
                "union_member = ?, updated_at = ? WHERE sender_id = ?",
                [
                    clean["name"],
                    clean["phone"],
                    clean["employer"],
                    clean["district"],
                    clean["union_member"],
                    stamp,
                    sender_id,
                ],
            )
        worker = get_worker(db, sender_id)
    assert worker is not None
    return worker


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
        if get_worker(db, sender_id) is None:
            return None
        if clean:
            assignments = ", ".join(f"{column} = ?" for column in clean)
            db.execute(
                f"UPDATE workers SET {assignments}, updated_at = ? WHERE sender_id = ?",
                [*clean.values(), stamp, sender_id],
            )
        return get_worker(db, sender_id)
