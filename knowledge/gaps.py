"""Questions the bot could not answer, so staff know which FAQ entries to write.

The action server calls :func:`record_gap` whenever it falls back (no confident
hit). Staff read the result with ``python -m knowledge gaps``: similar
questions grouped together, the most frequent first.

Privacy: the conversation id is stored only as a keyed hash (the key is random
per database and never leaves it), which still lets us count *how many people*
asked without being able to tell *who*. Phone, ID-card and e-mail numbers are
masked in the question text before it is stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from rapidfuzz import fuzz, process

from common.clock import CHINA_TZ, default_clock
from common.privacy import redact
from knowledge import paths
from knowledge.schema import Hit
from knowledge.text import normalize

logger = logging.getLogger("knowledge.gaps")

#: Two questions with a normalised similarity at or above this are one group.
GROUP_THRESHOLD = 70.0
MAX_TEXT = 500


def mask_personal(text: str) -> str:
    """The question as it may be stored: personal numbers masked (:mod:`common.privacy`)."""
    return redact(text)


def _connect(db_path: Path) -> sqlite_utils.Database:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(db_path), timeout=5)
    db = sqlite_utils.Database(con)
    db.execute("PRAGMA journal_mode=WAL")
    if "gaps" not in db.table_names():
        db.table("gaps").create(
            {
                "id": int,
                "ts": str,
                "day": str,
                "text": str,
                "norm": str,
                "conversation": str,
                "reason": str,
                "nearest": str,
            },
            pk="id",
            if_not_exists=True,
        )
        db.table("gaps").create_index(["day"], if_not_exists=True)
    if "meta" not in db.table_names():
        db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
    return db


def _salt(db: sqlite_utils.Database) -> bytes:
    rows = list(db.query("SELECT value FROM meta WHERE key = 'salt'"))
    if rows:
        return bytes.fromhex(rows[0]["value"])
    salt = secrets.token_bytes(16)
    db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)", [salt.hex()])
    # Another process may have won the race: always use what is stored.
    return bytes.fromhex(next(db.query("SELECT value FROM meta WHERE key = 'salt'"))["value"])


def opaque_id(conversation_id: str, salt: bytes) -> str:
    """A keyed hash of the conversation id: countable, not reversible."""
    return hmac.new(salt, conversation_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def record_gap(
    text: str,
    conversation_id: str,
    reason: str,
    nearest: Sequence[Hit] = (),
    *,
    db_path: Path | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Store one unanswered question; never raises (a failure is only logged).

    ``reason`` is a short code from the caller, e.g. ``"low_score"`` or
    ``"no_hit"``; ``nearest`` are the hits that were offered instead (their ids
    and scores are kept, not their texts). ``now`` defaults to the settings'
    clock, so a test stack's gaps fall on its ``UH_TODAY`` like everything else.
    """
    try:
        text = mask_personal((text or "").strip())[:MAX_TEXT]
        if not text:
            return False
        when = (now or default_clock().now()).astimezone(dt.timezone.utc)
        db = _connect(db_path or paths.gaps_path())
        try:
            salt = _salt(db)
            db.table("gaps").insert(
                {
                    "ts": when.isoformat(timespec="seconds"),
                    "day": when.astimezone(CHINA_TZ).date().isoformat(),
                    "text": text,
                    "norm": normalize(text),
                    "conversation": opaque_id(conversation_id or "", salt),
                    "reason": reason or "",
                    "nearest": json.dumps([{"id": h.id, "score": h.score} for h in nearest], ensure_ascii=False),
                }
            )
        finally:
            db.conn.close()
        return True
    except Exception:
        logger.exception("could not record an unanswered question")
        return False


@dataclass(frozen=True)
class GapRow:
    ts: str
    day: str
    text: str
    norm: str
    conversation: str
    reason: str
    nearest: tuple[tuple[str, float], ...]


def list_gaps(
    *, since: dt.date | None = None, until: dt.date | None = None, db_path: Path | None = None
) -> list[GapRow]:
    """Stored gaps (on or after ``since`` and on or before ``until``, Beijing dates), oldest first."""
    path = db_path or paths.gaps_path()
    if not path.exists():
        return []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        sql = "SELECT ts, day, text, norm, conversation, reason, nearest FROM gaps"
        params: list[str] = []
        where = []
        if since is not None:
            where.append("day >= ?")
            params.append(since.isoformat())
        if until is not None:
            where.append("day <= ?")
            params.append(until.isoformat())
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY ts, id"
        rows = []
        for ts, day, text, norm, conv, reason, nearest in con.execute(sql, params):
            near = tuple((n["id"], float(n["score"])) for n in json.loads(nearest or "[]"))
            rows.append(GapRow(ts, day, text, norm, conv, reason, near))
        return rows
    except sqlite3.Error:
        return []
    finally:
        con.close()


@dataclass
class GapGroup:
    """Similar unanswered questions; ``representative`` is the most asked one."""

    representative: str
    count: int = 0
    people: int = 0
    first_day: str = ""
    last_day: str = ""
    texts: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    nearest: dict[str, float] = field(default_factory=dict)
    #: ``open`` or ``handled`` (staff marked every question of the group handled, and
    #: nobody asked it again since); ``norms`` are the member questions, to mark them.
    status: str = "open"
    norms: tuple[str, ...] = ()
    handled: HandledMark | None = None

    @property
    def other_texts(self) -> list[str]:
        return [t for t, _ in self.texts.most_common() if t != self.representative]

    def nearest_ids(self, limit: int = 3) -> list[tuple[str, float]]:
        return sorted(self.nearest.items(), key=lambda kv: -kv[1])[:limit]


@dataclass(frozen=True)
class HandledMark:
    """A question staff dealt with (e.g. wrote an FAQ entry for): who, when, how."""

    norm: str
    at: str
    by: str
    note: str


def group_gaps(
    rows: Iterable[GapRow], threshold: float = GROUP_THRESHOLD, *, handled: dict[str, HandledMark] | None = None
) -> list[GapGroup]:
    """Group similar questions (rapidfuzz on normalised text), biggest group first.

    With ``handled`` (:func:`handled_marks`), a group whose questions were all marked
    handled after they were last asked has status ``handled``; one asked again since is
    open again (the FAQ written for it may not be good enough).
    """
    rows = list(rows)
    handled = handled or {}
    by_norm: dict[str, list[GapRow]] = {}
    for row in rows:
        by_norm.setdefault(row.norm or normalize(row.text), []).append(row)
    # Most asked wording first, so it becomes the group's representative.
    order = sorted(by_norm, key=lambda n: (-len(by_norm[n]), len(n), n))
    reps: list[str] = []
    members: list[list[str]] = []
    for norm in order:
        found = process.extractOne(norm, reps, scorer=fuzz.ratio, score_cutoff=threshold) if reps else None
        if found is None:
            reps.append(norm)
            members.append([norm])
        else:
            members[found[2]].append(norm)
    groups = []
    for norms in members:
        group_rows = [r for n in norms for r in by_norm[n]]
        texts = Counter(r.text for r in group_rows)
        group = GapGroup(representative=texts.most_common(1)[0][0])
        group.count = len(group_rows)
        group.people = len({r.conversation for r in group_rows})
        group.first_day = min(r.day for r in group_rows)
        group.last_day = max(r.day for r in group_rows)
        group.texts = texts
        group.reasons = Counter(r.reason for r in group_rows)
        for r in group_rows:
            for entry_id, score in r.nearest:
                group.nearest[entry_id] = max(score, group.nearest.get(entry_id, 0.0))
        group.norms = tuple(norms)
        marks = [handled.get(n) for n in norms]
        if all(m is not None for m in marks):
            latest = max((m for m in marks if m is not None), key=lambda m: m.at)
            if all(m is not None and m.at >= max(r.ts for r in by_norm[m.norm]) for m in marks):
                group.status = "handled"
            group.handled = latest
        groups.append(group)
    groups.sort(key=lambda g: (-g.count, -g.people, g.representative))
    return groups


CSV_HEADER = ["次数", "提问人数", "代表问法", "其他问法", "最早日期", "最近日期", "原因", "最接近的条目"]
STATUS_NAMES = {"open": "待处理", "handled": "已处理"}


def write_groups_csv(groups: Sequence[GapGroup], path: Path) -> None:
    """Write the groups as a CSV that Excel opens correctly (UTF-8 with BOM)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        write_groups(groups, fh)


def write_groups(groups: Sequence[GapGroup], fh: Any, *, with_status: bool = False) -> None:
    """The groups as CSV rows on an open text stream (the caller writes the BOM);
    ``with_status`` adds whether staff have handled each group."""
    writer = csv.writer(fh)
    writer.writerow(CSV_HEADER + (["状态", "处理人", "处理说明"] if with_status else []))
    for g in groups:
        status = (
            [
                STATUS_NAMES.get(g.status, g.status),
                g.handled.by if g.handled else "",
                g.handled.note if g.handled else "",
            ]
            if with_status
            else []
        )
        writer.writerow(
            [
                g.count,
                g.people,
                g.representative,
                " | ".join(g.other_texts),
                g.first_day,
                g.last_day,
                " | ".join(f"{r or '未注明'}×{n}" for r, n in g.reasons.most_common()),
                " | ".join(f"{i}({s:g})" for i, s in g.nearest_ids()),
            ]
            + status
        )


def count_unanswered(day: str, *, db_path: Path | None = None) -> tuple[int, int] | None:
    """``(on that day, in all)`` unanswered questions; ``None`` when none was ever recorded.

    ``day`` is a Ningbo date, ``YYYY-MM-DD``. For dashboards and the operators' ``/stats``.
    """
    path = db_path or paths.gaps_path()
    if not path.exists():
        return None
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
    try:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'gaps'").fetchone():
            return None
        on_day = con.execute("SELECT COUNT(*) FROM gaps WHERE day = ?", [day]).fetchone()[0]
        total = con.execute("SELECT COUNT(*) FROM gaps").fetchone()[0]
        return int(on_day), int(total)
    finally:
        con.close()


# ---------------------------------------------------------------- handled groups (the staff console)


def _ensure_handled(db: sqlite_utils.Database) -> None:
    if "handled" not in db.table_names():
        db.table("handled").create({"norm": str, "at": str, "by": str, "note": str}, pk="norm", if_not_exists=True)


def mark_handled(
    norms: Iterable[str], *, by: str, note: str = "", now: dt.datetime | None = None, db_path: Path | None = None
) -> int:
    """Mark these questions (a group's ``norms``) handled by ``by``; how many were marked."""
    wanted = sorted({n for n in norms if n})
    if not wanted:
        return 0
    when = (now or default_clock().now()).astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    db = _connect(db_path or paths.gaps_path())
    try:
        _ensure_handled(db)
        db.table("handled").upsert_all(
            [{"norm": n, "at": when, "by": by, "note": note[:200]} for n in wanted], pk="norm"
        )
    finally:
        db.conn.close()
    return len(wanted)


def reopen(norms: Iterable[str], *, db_path: Path | None = None) -> int:
    """Undo :func:`mark_handled` for these questions; how many were handled."""
    wanted = sorted({n for n in norms if n})
    path = db_path or paths.gaps_path()
    if not wanted or not path.exists():
        return 0
    db = _connect(path)
    try:
        _ensure_handled(db)
        marks = ",".join("?" * len(wanted))
        return db.execute(f"DELETE FROM handled WHERE norm IN ({marks})", wanted).rowcount
    finally:
        db.conn.commit()
        db.conn.close()


def handled_marks(*, db_path: Path | None = None) -> dict[str, HandledMark]:
    """``{norm: mark}`` of every question marked handled."""
    path = db_path or paths.gaps_path()
    if not path.exists():
        return {}
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'handled'").fetchone():
            return {}
        return {row[0]: HandledMark(*row) for row in con.execute("SELECT norm, at, by, note FROM handled")}
    except sqlite3.Error:
        return {}
    finally:
        con.close()
