"""Anonymous counters and the sequences behind enrollment/application numbers.

Counters never hold a sender_id, so they stay when a worker deletes their data. They are
bumped inside the same transaction as the change they count.

Metrics (key in brackets):

* ``enrollments.created`` (course_id) — every enrollment made, with or without a seat
* ``enrollments.waitlisted`` (course_id) — of those, put on the waiting list
* ``enrollments.promoted`` (course_id) — waiting-list workers who later got a seat
* ``enrollments.cancelled`` (course_id) — cancelled by the worker
* ``enrollments.withdrawn_by_deletion`` (course_id) — active ones ended by data deletion
* ``applications.created`` (``all``)
* ``applications.by_status`` (status) — how many applications are in each status now
* ``workers.registered`` (district or ``未填写``), ``workers.deleted`` (``all``)
* ``reading_teams.joined`` (team_id)
"""

from __future__ import annotations

from registry.database import Database

__all__ = ["bump", "get_stats", "next_number"]


def bump(db: Database, metric: str, key: str, delta: int = 1) -> None:
    db.execute(
        "INSERT INTO stats (metric, key, count) VALUES (:metric, :key, :delta) "
        "ON CONFLICT (metric, key) DO UPDATE SET count = stats.count + excluded.count",
        {"metric": metric, "key": key, "delta": delta},
    )


def get_stats(db: Database) -> dict[str, dict[str, int]]:
    """``{"enrollments.created": {"jxgf_plc": 12, ...}, ...}``"""
    result: dict[str, dict[str, int]] = {}
    for row in db.query("SELECT metric, key, count FROM stats ORDER BY metric, key"):
        result.setdefault(row["metric"], {})[row["key"]] = row["count"]
    return result


def next_number(db: Database, prefix: str, stamp: str) -> str:
    """The next number of a series restarting every year: ``BM2026-000001``, ...

    The year is that of ``stamp`` (the ``*_at`` time of the row being numbered). Call
    inside a write transaction (the read and the increment must not be split).
    """
    name = f"{prefix}{stamp[:4]}"
    value = db.scalar(
        "INSERT INTO sequences (name, value) VALUES (:name, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 RETURNING value",
        {"name": name},
    )
    return f"{name}-{int(value):06d}"
