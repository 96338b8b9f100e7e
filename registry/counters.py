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

from sqlite_utils import Database

__all__ = ["bump", "get_stats", "next_number"]


def bump(db: Database, metric: str, key: str, delta: int = 1) -> None:
    db.execute(
        "INSERT INTO stats (metric, key, count) VALUES (?, ?, ?) "
        "ON CONFLICT (metric, key) DO UPDATE SET count = count + excluded.count",
        [metric, key, delta],
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
    db.execute(
        "INSERT INTO sequences (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1",
        [name],
    )
    (value,) = db.execute("SELECT value FROM sequences WHERE name = ?", [name]).fetchone()
    return f"{name}-{value:06d}"
