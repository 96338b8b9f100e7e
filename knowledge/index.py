"""The SQLite search index: built from validated knowledge, read by the searcher.

The index is a cache (``$UH_DATA_DIR/knowledge_index.db``, rebuildable from the
YAML files) but it is also the "last good knowledge": when staff break a file,
the bot starts from the index that was built from the previous good version.
So it stores the complete entries, not only the search columns.

It is always written to a temporary file in the same directory and moved into
place with ``os.replace``, so readers see either the old or the new index,
never a half-written one. Readers open it read-only and immutable; an open
connection keeps reading the old file even after it has been replaced.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import sqlite_utils

from knowledge.schema import Course, Entry, MonthlyBook
from knowledge.text import Analyzer, fts_tokens, normalize

#: Bump when the layout changes: older index files are then ignored.
SCHEMA_VERSION = 6

# Phrase kinds: a question, the entry's title/name, an alias.
QUESTION, TITLE, ALIAS = "q", "t", "a"


def entry_phrases(entry: Entry) -> list[tuple[str, str]]:
    """Everything a worker might type to mean this entry, with its kind."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for kind, text in [
        (TITLE, entry.title),
        *((ALIAS, a) for a in entry.aliases),
        *((QUESTION, q) for q in entry.questions),
    ]:
        key = normalize(text)
        if key and key not in seen:
            seen.add(key)
            out.append((kind, text))
    return out


class RowCache:
    """Index rows of entries from earlier builds (entries are immutable and
    hashable, so an unchanged entry maps to the same rows).

    Rows depend on the jieba dictionary only through the phrasings' words, so
    when dictionary words change, only entries whose phrasings contain one of
    them are dropped.
    """

    def __init__(self) -> None:
        # Keyed by id(entry) (hashing a whole entry costs more than building a
        # row); the entry is kept alongside so the id cannot be reused.
        self.rows: dict[int, tuple[Entry, tuple[str, str, str, str, tuple[tuple[str, str, str, str], ...], str]]] = {}
        self.words: frozenset[str] | None = None

    def get(self, entry: Entry) -> tuple[str, str, str, str, tuple[tuple[str, str, str, str], ...], str] | None:
        found = self.rows.get(id(entry))
        return found[1] if found is not None and found[0] is entry else None

    def put(self, entry: Entry, rows: tuple[str, str, str, str, tuple[tuple[str, str, str, str], ...], str]) -> None:
        self.rows[id(entry)] = (entry, rows)

    def sync(self, analyzer: Analyzer) -> None:
        if self.words is not None and analyzer.user_words != self.words:
            changed = analyzer.user_words ^ self.words
            pattern = re.compile("|".join(re.escape(w) for w in sorted(changed, key=len, reverse=True)))
            self.rows = {k: v for k, v in self.rows.items() if not pattern.search(v[1][5])}
        self.words = analyzer.user_words

    def keep_only(self, entries: Sequence[Entry]) -> None:
        if len(self.rows) > 2 * len(entries) + 100:
            wanted = {id(e) for e in entries}
            self.rows = {k: v for k, v in self.rows.items() if k in wanted}


def _rows_for(
    entry: Entry, analyzer: Analyzer
) -> tuple[str, str, str, str, tuple[tuple[str, str, str, str], ...], str]:
    qtoks: dict[str, None] = {}
    phrases = []
    for kind, text in entry_phrases(entry):
        a = analyzer.analyze(text)
        phrases.append((kind, text, a.norm, a.content))
        qtoks.update(dict.fromkeys(a.search))
        qtoks.update(dict.fromkeys(a.grams))
    anorm = normalize(entry.answer)
    doc = json.dumps(entry.to_doc(), ensure_ascii=False)
    haystack = "\0".join(p[2] for p in phrases)
    return doc, anorm, " ".join(qtoks), " ".join(dict.fromkeys(fts_tokens(anorm))), tuple(phrases), haystack


def build_index(
    path: Path,
    entries: Sequence[Entry],
    books: Sequence[MonthlyBook],
    analyzer: Analyzer,
    meta: dict[str, Any],
    row_cache: RowCache | None = None,
) -> IndexReader:
    """Write a complete index to a temporary file, then move it over ``path``.

    Returns a reader already connected to the new file (see :class:`IndexReader`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".knowledge_index.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        con = sqlite3.connect(tmp_name, isolation_level=None)
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        db = sqlite_utils.Database(con)
        _fill(db, entries, books, analyzer, meta, row_cache)
        con.close()
        with open(tmp_name, "rb+") as fh:
            os.fsync(fh.fileno())
        reader = IndexReader(tmp)
        os.replace(tmp, path)
        reader.path = path
        return reader
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fill(
    db: sqlite_utils.Database,
    entries: Sequence[Entry],
    books: Sequence[MonthlyBook],
    analyzer: Analyzer,
    meta: dict[str, Any],
    row_cache: RowCache | None,
) -> None:
    """Create the tables with sqlite-utils, bulk-load them, then add full-text search."""
    if row_cache is not None:
        row_cache.sync(analyzer)
    db.table("entries").create(
        {"n": int, "id": str, "kind": str, "title": str, "doc": str, "anorm": str, "qtoks": str, "atoks": str}, pk="n"
    )
    db.table("phrases").create({"entry_n": int, "kind": str, "text": str, "norm": str, "content": str})
    db.table("books").create({"month": str, "doc": str}, pk="month")
    db.table("meta").create({"key": str, "value": str}, pk="key")
    entry_rows = []
    phrase_rows: list[tuple[Any, ...]] = []
    for n, entry in enumerate(entries, start=1):
        rows = row_cache.get(entry) if row_cache is not None else None
        if rows is None:
            rows = _rows_for(entry, analyzer)
            if row_cache is not None:
                row_cache.put(entry, rows)
        doc, anorm, qtoks, atoks, phrases, _ = rows
        entry_rows.append((n, entry.id, entry.kind, entry.title, doc, anorm, qtoks, atoks))
        phrase_rows.extend((n, *p) for p in phrases)
    if row_cache is not None:
        row_cache.keep_only(entries)
    con = db.conn
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO entries (n, id, kind, title, doc, anorm, qtoks, atoks) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", entry_rows
    )
    con.executemany("INSERT INTO phrases (entry_n, kind, text, norm, content) VALUES (?, ?, ?, ?, ?)", phrase_rows)
    con.executemany(
        "INSERT INTO books (month, doc) VALUES (?, ?)",
        [(b.month, json.dumps(b.to_doc(), ensure_ascii=False)) for b in books],
    )
    full_meta = {
        **meta,
        "schema_version": SCHEMA_VERSION,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "n_entries": len(entries),
        "user_words": sorted(analyzer.user_words),
    }
    con.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)",
        [(k, json.dumps(v, ensure_ascii=False)) for k, v in full_meta.items()],
    )
    con.execute("COMMIT")
    db.table("entries").create_index(["id"], unique=True)
    db.table("entries").create_index(["kind"])
    db.table("phrases").create_index(["entry_n"])
    # Full-text search last (sqlite-utils' enable_fts fills it from the table).
    db.table("entries").enable_fts(["qtoks", "atoks"], fts_version="FTS5", tokenize="unicode61")
    # Document frequency of every indexed term, copied out of FTS5's own
    # vocabulary once, so that a query's IDF look-up is a primary-key read.
    db.execute("CREATE VIRTUAL TABLE temp.entries_vocab USING fts5vocab(main, entries_fts, 'row')")
    db.execute("CREATE TABLE terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID")
    db.execute("INSERT INTO terms (term, df) SELECT term, doc FROM temp.entries_vocab")


def read_meta(path: Path) -> dict[str, Any] | None:
    """The index's metadata, or None if there is no usable index at ``path``."""
    if not path.exists():
        return None
    try:
        con = _open_ro(path)
        try:
            meta = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM meta")}
        finally:
            con.close()
    except (sqlite3.Error, ValueError):
        return None
    if meta.get("schema_version") != SCHEMA_VERSION:
        return None
    return meta


def read_knowledge(path: Path) -> tuple[list[Entry], list[MonthlyBook]]:
    """Every entry and book stored in the index (the last good knowledge)."""
    con = _open_ro(path)
    try:
        entries = [Entry.from_doc(json.loads(doc)) for (doc,) in con.execute("SELECT doc FROM entries ORDER BY n")]
        books = [
            MonthlyBook.from_doc(json.loads(doc)) for (doc,) in con.execute("SELECT doc FROM books ORDER BY month")
        ]
    finally:
        con.close()
    return entries, books


def _open_ro(path: Path) -> sqlite3.Connection:
    # immutable=1: no locking and no change detection; the file is never
    # modified in place (only replaced), so this is both safe and fastest.
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)


class Phrase(NamedTuple):
    """One phrasing of an entry as stored in the index (a tuple: cheap to make)."""

    kind: str
    text: str
    norm: str
    content: str


class IndexReader:
    """Read access to one index file.

    One connection, opened when the snapshot is made (for a fresh build: on the
    temporary file, before it is moved into place), so a snapshot always reads
    the index it was built with even if another process replaces the file.
    Queries take well under a millisecond; a lock makes the connection safe to
    share between threads.
    """

    def __init__(self, path: Path):
        self.path = path
        self._con = _open_ro(path)
        self._lock = threading.Lock()
        self.n_entries = int(self._rows("SELECT COUNT(*) FROM entries")[0][0])
        self.n_by_kind: dict[str, int] = dict(self._rows("SELECT kind, COUNT(*) FROM entries GROUP BY kind"))

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._con.execute(sql, params).fetchall()

    def doc_freqs(self, terms: Iterable[str]) -> dict[str, int]:
        """How many entries contain each term (missing terms: not in the index)."""
        terms = list(terms)
        if not terms:
            return {}
        marks = ",".join("?" * len(terms))
        return dict(self._rows(f"SELECT term, df FROM terms WHERE term IN ({marks})", terms))

    def candidates(
        self, terms: Sequence[str], limit: int, kind: str | None = None, *, ranked: bool = True
    ) -> list[int]:
        """Entry numbers whose text shares any of ``terms``, best BM25 first
        (``ranked=False``: any matching entries, much faster for common terms)."""
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        if not ranked:
            if kind is None:
                return [
                    row[0]
                    for row in self._rows(
                        "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? LIMIT ?", (match, limit)
                    )
                ]
            sql = (
                "SELECT f.rowid FROM entries_fts f JOIN entries e ON e.n = f.rowid "
                "WHERE entries_fts MATCH ? AND e.kind = ? LIMIT ?"
            )
            return [row[0] for row in self._rows(sql, (match, kind, limit))]
        if kind is None:
            sql = "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? ORDER BY bm25(entries_fts, 4.0, 1.0) LIMIT ?"
            params: tuple[Any, ...] = (match, limit)
        else:
            sql = (
                "SELECT f.rowid FROM entries_fts f JOIN entries e ON e.n = f.rowid "
                "WHERE entries_fts MATCH ? AND e.kind = ? ORDER BY bm25(entries_fts, 4.0, 1.0) LIMIT ?"
            )
            params = (match, kind, limit)
        return [row[0] for row in self._rows(sql, params)]

    def details(self, numbers: Sequence[int]) -> dict[int, tuple[str, str, str, list[Phrase]]]:
        """``{n: (id, kind, normalised answer, phrases)}`` for the given entries."""
        if not numbers:
            return {}
        marks = ",".join("?" * len(numbers))
        out: dict[int, tuple[str, str, str, list[Phrase]]] = {
            n: (eid, kind, anorm, [])
            for n, eid, kind, anorm in self._rows(
                f"SELECT n, id, kind, anorm FROM entries WHERE n IN ({marks})", list(numbers)
            )
        }
        for n, kind, text, norm, content in self._rows(
            f"SELECT entry_n, kind, text, norm, content FROM phrases WHERE entry_n IN ({marks})", list(numbers)
        ):
            out[n][3].append(Phrase._make((kind, text, norm, content)))
        return out

    def ids(self, numbers: Sequence[int]) -> list[tuple[str, str]]:
        """``(id, kind)`` of the given entry numbers, in the same order."""
        if not numbers:
            return []
        marks = ",".join("?" * len(numbers))
        found = {
            n: (eid, kind)
            for n, eid, kind in self._rows(f"SELECT n, id, kind FROM entries WHERE n IN ({marks})", list(numbers))
        }
        return [found[n] for n in numbers if n in found]

    def close(self) -> None:
        with self._lock:
            self._con.close()


def course_lookup_rows(courses: Iterable[Course]) -> list[tuple[str, str, str]]:
    """``(course id, original text, normalised text)`` for names and aliases."""
    rows = []
    for course in courses:
        for text in (course.title, *course.aliases):
            rows.append((course.id, text, normalize(text)))
    return rows
