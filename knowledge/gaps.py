"""Questions the bot could not answer, so staff know which FAQ entries to write.

The action server calls :func:`record_gap` whenever it falls back (no confident
hit). Staff read the result with ``python -m knowledge gaps``: similar
questions grouped together, the most frequent first.

Where: the SQLite file ``$UH_DATA_DIR/gaps.db`` by default; with ``UH_DATABASE_URL`` the
shared PostgreSQL beside the registry and the hand-off store (tables ``gaps``,
``gaps_meta``, ``gaps_handled``), through :mod:`common.database`, so every action server
replica records into, and the console reads, one store. The queries are written once for
both databases.

Privacy: the conversation id is stored only as a keyed hash (the key is random
per database and never leaves it), which still lets us count *how many people*
asked without being able to tell *who*. Phone, ID-card and e-mail numbers are
masked in the question text before it is stored. What a worker typed is forgotten
when they delete their data (:func:`forget_conversation`, the same keyed hash) and,
for everybody, after the retention period (:func:`forget_before`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from common import settings
from common.clock import CHINA_TZ, default_clock
from common.database import DRIVER_ERRORS, Database, Migrations, sqlite_path, store_for
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


MIGRATIONS = Migrations("union_helper_gaps")
_MIGRATED: set[tuple[str, int]] = set()


def gaps_url(db_path: str | os.PathLike[str] | None = None) -> str:
    """The store behind ``db_path`` (a URL, or a SQLite file); the settings' by default.
    The settings' own ``gaps.db`` stands for the configured store (PostgreSQL with
    ``UH_DATABASE_URL``), so callers that pass it (the Telegram front end) follow along."""
    configured = settings.load()
    return store_for(paths.gaps_path() if db_path is None else db_path, configured.gaps_db, configured.database_url)


@MIGRATIONS(name="0001_gaps")
def _tables(db: Database) -> None:
    """The tables; a ``gaps.db`` made by sqlite-utils before (``gaps``, ``meta``,
    ``handled``) keeps its rows: ``gaps`` already has these columns, the other two move."""
    tables = set(db.table_names())
    serial = db.serial_primary_key
    db.script(
        f"""
        CREATE TABLE IF NOT EXISTS gaps (
            id           {serial},
            ts           TEXT,
            day          TEXT,
            text         TEXT,
            norm         TEXT,
            conversation TEXT,
            reason       TEXT,
            nearest      TEXT
        );
        CREATE INDEX IF NOT EXISTS idx_gaps_day ON gaps (day);
        CREATE INDEX IF NOT EXISTS gaps_by_ts ON gaps (ts);
        CREATE INDEX IF NOT EXISTS gaps_by_conversation ON gaps (conversation);
        CREATE TABLE gaps_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE gaps_handled (norm TEXT PRIMARY KEY, at TEXT NOT NULL, by TEXT NOT NULL, note TEXT NOT NULL)
        """
    )
    if db.is_sqlite and "meta" in tables:
        db.execute("INSERT INTO gaps_meta (key, value) SELECT key, value FROM meta")
        db.execute("DROP TABLE meta")
    if db.is_sqlite and "handled" in tables:
        db.execute(
            "INSERT INTO gaps_handled (norm, at, by, note) "
            "SELECT norm, COALESCE(at, ''), COALESCE(by, ''), COALESCE(note, '') FROM handled"
        )
        db.execute("DROP TABLE handled")


def _migration_key(url: str, file: Path | None) -> tuple[str, int]:
    try:
        return url, file.stat().st_ino if file is not None else 0
    except OSError:
        return url, -1


def _open(db_path: str | os.PathLike[str] | None, *, create: bool) -> Database | None:
    """The store, migrated; ``None`` when it is a SQLite file that does not exist and
    ``create`` is false (a read never creates the file)."""
    url = gaps_url(db_path)
    file = sqlite_path(url)
    if file is not None:
        if not file.exists() and not create:
            return None
        file.parent.mkdir(parents=True, exist_ok=True)
    db = Database(url, busy_timeout=5.0)
    try:
        if _migration_key(url, file) not in _MIGRATED:
            MIGRATIONS.apply(db)
            _MIGRATED.add(_migration_key(url, file))  # a file replaced since is migrated again
    except BaseException:
        db.close()
        raise
    return db


def _salt(db: Database) -> bytes:
    """The database's own key for :func:`opaque_id` (made once, by whoever comes first)."""
    found = db.scalar("SELECT value FROM gaps_meta WHERE key = 'salt'")
    if found is None:
        db.execute(
            "INSERT INTO gaps_meta (key, value) VALUES ('salt', :value) ON CONFLICT (key) DO NOTHING",
            {"value": secrets.token_bytes(16).hex()},
        )
        found = db.scalar("SELECT value FROM gaps_meta WHERE key = 'salt'")
    return bytes.fromhex(str(found))


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
        db = _open(db_path, create=True)
        assert db is not None
        try:
            with db.transaction():
                salt = _salt(db)
                db.execute(
                    "INSERT INTO gaps (ts, day, text, norm, conversation, reason, nearest) "
                    "VALUES (:ts, :day, :text, :norm, :conversation, :reason, :nearest)",
                    {
                        "ts": when.isoformat(timespec="seconds"),
                        "day": when.astimezone(CHINA_TZ).date().isoformat(),
                        "text": text,
                        "norm": normalize(text),
                        "conversation": opaque_id(conversation_id or "", salt),
                        "reason": reason or "",
                        "nearest": json.dumps([{"id": h.id, "score": h.score} for h in nearest], ensure_ascii=False),
                    },
                )
        finally:
            db.close()
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
    sql = "SELECT ts, day, text, norm, conversation, reason, nearest FROM gaps"
    params: dict[str, str] = {}
    where = []
    if since is not None:
        where.append("day >= :since")
        params["since"] = since.isoformat()
    if until is not None:
        where.append("day <= :until")
        params["until"] = until.isoformat()
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY ts, id"
    try:
        db = _open(db_path, create=False)
        if db is None:
            return []
        try:
            found = db.query(sql, params)
        finally:
            db.close()
    except DRIVER_ERRORS:
        logger.exception("could not read the unanswered questions")
        return []
    rows = []
    for r in found:
        near = tuple((n["id"], float(n["score"])) for n in json.loads(r["nearest"] or "[]"))
        rows.append(GapRow(r["ts"], r["day"], r["text"], r["norm"], r["conversation"], r["reason"] or "", near))
    return rows


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
    db = _open(db_path, create=False)
    if db is None:
        return None
    try:
        with db.transaction(write=False):
            if db.scalar("SELECT value FROM gaps_meta WHERE key = 'salt'") is None:
                return None  # the first question records the key
            total = int(db.scalar("SELECT COUNT(*) FROM gaps") or 0)
            on_day = int(db.scalar("SELECT COUNT(*) FROM gaps WHERE day = :day", {"day": day}) or 0)
    finally:
        db.close()
    return on_day, total


# ---------------------------------------------------------------- handled groups (the staff console)


def mark_handled(
    norms: Iterable[str], *, by: str, note: str = "", now: dt.datetime | None = None, db_path: Path | None = None
) -> int:
    """Mark these questions (a group's ``norms``) handled by ``by``; how many were marked."""
    wanted = sorted({n for n in norms if n})
    if not wanted:
        return 0
    when = (now or default_clock().now()).astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    db = _open(db_path, create=True)
    assert db is not None
    try:
        with db.transaction():
            for norm in wanted:
                db.execute(
                    "INSERT INTO gaps_handled (norm, at, by, note) VALUES (:norm, :at, :by, :note) "
                    "ON CONFLICT (norm) DO UPDATE SET at = excluded.at, by = excluded.by, note = excluded.note",
                    {"norm": norm, "at": when, "by": by, "note": note[:200]},
                )
    finally:
        db.close()
    return len(wanted)


def reopen(norms: Iterable[str], *, db_path: Path | None = None) -> int:
    """Undo :func:`mark_handled` for these questions; how many were handled."""
    wanted = sorted({n for n in norms if n})
    if not wanted:
        return 0
    db = _open(db_path, create=False)
    if db is None:
        return 0
    try:
        with db.transaction():
            return sum(
                db.execute("DELETE FROM gaps_handled WHERE norm = :norm", {"norm": norm}).rowcount for norm in wanted
            )
    finally:
        db.close()


def handled_marks(*, db_path: Path | None = None) -> dict[str, HandledMark]:
    """``{norm: mark}`` of every question marked handled."""
    try:
        db = _open(db_path, create=False)
        if db is None:
            return {}
        try:
            rows = db.query("SELECT norm, at, by, note FROM gaps_handled")
        finally:
            db.close()
    except DRIVER_ERRORS:
        logger.exception("could not read the handled questions")
        return {}
    return {r["norm"]: HandledMark(r["norm"], r["at"], r["by"], r["note"]) for r in rows}


# ---------------------------------------------------------------- forgetting


def _forget_orphan_marks(db: Database) -> int:
    """A handled mark names a question (its normalised text): gone once nobody's question is."""
    return db.execute(
        "DELETE FROM gaps_handled WHERE norm NOT IN (SELECT norm FROM gaps WHERE norm IS NOT NULL)"
    ).rowcount


def _forget(db_path: Path | None, where: str, params: Any) -> int:
    """Delete the questions ``where`` says (``params``: a function of the open store giving
    the parameters, or None when there is nothing to delete), then the handled marks naming
    only those, and checkpoint so the text is gone from the files too; how many questions."""
    db = _open(db_path, create=False)
    if db is None:
        return 0
    try:
        with db.transaction():
            values = params(db)
            if values is None:
                return 0
            deleted = db.execute(f"DELETE FROM gaps WHERE {where}", values).rowcount
            _forget_orphan_marks(db)
        db.checkpoint()
        return int(deleted or 0)
    finally:
        db.close()


def forget_conversation(conversation_id: str, *, db_path: Path | None = None) -> int:
    """删除我的数据: every question this conversation left unanswered (found by the same keyed
    hash it was stored under), and the handled marks naming only those; how many questions.
    Raises the driver's error: the caller must not tell the worker "deleted" when it failed."""

    def mine(db: Database) -> dict[str, str] | None:
        if db.scalar("SELECT value FROM gaps_meta WHERE key = 'salt'") is None:
            return None  # nothing was ever recorded
        return {"c": opaque_id(conversation_id or "", _salt(db))}

    return _forget(db_path, "conversation = :c", mine)


def forget_before(before: dt.datetime, *, db_path: Path | None = None) -> int:
    """Retention: the questions recorded before ``before`` (and the handled marks naming only
    those); how many questions."""
    cutoff = before.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    return _forget(db_path, "ts < :cutoff", lambda db: {"cutoff": cutoff})
