"""The knowledge base the action server talks to.

A :class:`KnowledgeBase` holds one immutable :class:`Snapshot` (entries, books,
the search index and the jieba dictionary that built it). Reloading builds a
complete new snapshot next to the old one and swaps a single reference, so a
request sees either the old knowledge or the new one, never a mix. A broken
edit never replaces good knowledge: it is rejected as a whole and logged in
the validator's words.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from common.clock import Clock, default_clock, month_of
from knowledge import paths
from knowledge.books import book_news
from knowledge.index import IndexReader, RowCache, build_index, course_lookup_rows, read_knowledge, read_meta
from knowledge.loader import LoadCache, LoadResult, Signature, file_signature, load
from knowledge.schema import (
    CONFIDENT_SCORE,
    BookNews,
    Course,
    Entry,
    Hit,
    KnowledgeError,
    MonthlyBook,
    Problem,
)
from knowledge.search import candidate_ids, course_scores, search_index
from knowledge.text import Analyzer, domain_words

logger = logging.getLogger("knowledge")

#: ``refresh()`` looks at the files at most this often (seconds).
CHECK_INTERVAL = 1.0
#: Up to this many courses ``find_courses`` compares against every name directly.
BRUTE_FORCE_COURSES = 300

#: Tags that put an entry of another kind into a topic as well (an online 职工书屋
#: course tagged 读书 is as much a reading answer): the NLU's topic hint covers them.
TOPIC_TAGS: dict[str, tuple[str, ...]] = {
    "reading": ("读书",),
    "subsidy": ("补贴",),
    "sports": ("文体",),
}

_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,12})[”\"」』]")


@contextlib.contextmanager
def _bulk_work():
    """Pause the cyclic garbage collector while (re)building a snapshot.

    A rebuild allocates hundreds of thousands of small objects next to the big
    jieba dictionaries; full collections triggered meanwhile would walk all of
    it again and again (measured: a third of a 10,000-entry reload). Nothing
    built here forms reference cycles, so nothing is lost by waiting.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def collect_domain_words(entries: Iterable[Entry]) -> frozenset[str]:
    """Names jieba should keep whole: course names and aliases, aliases of other
    entries, short titles, and short terms staff put in quotes (“匠心工坊”)."""
    texts: list[str] = []
    for entry in entries:
        texts.extend(entry.aliases)
        if isinstance(entry, Course) or len(entry.title) <= 8:
            texts.append(entry.title)
        for text in (entry.title, entry.answer, *entry.questions):
            texts.extend(_QUOTED.findall(text))
        if isinstance(entry, Course):
            texts.extend(_QUOTED.findall(entry.description))
    return domain_words(texts)


def current_month(clock: Clock | None = None) -> str:
    """This month in Ningbo, ``YYYY-MM``, by ``clock`` (default: the settings' clock,
    so ``UH_TODAY`` moves every process of a test stack to the same day)."""
    return month_of(clock or default_clock())


@dataclass(frozen=True)
class Snapshot:
    """One consistent version of the knowledge."""

    entries: Mapping[str, Entry]
    courses: tuple[Course, ...]
    books: Mapping[str, MonthlyBook]
    reader: IndexReader
    analyzer: Analyzer
    content_hash: str
    course_rows: tuple[tuple[str, str, str], ...]
    course_rows_by_id: Mapping[str, tuple[tuple[str, str, str], ...]]
    loaded_at: float
    #: Per kind, the ids of entries of other kinds tagged with that topic (TOPIC_TAGS).
    tagged: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def tagged_for(self, kind: str | Sequence[str] | None) -> frozenset[str]:
        if not kind:
            return frozenset()
        if isinstance(kind, str):
            return self.tagged.get(kind, frozenset())
        return frozenset().union(*(self.tagged.get(k, frozenset()) for k in kind))

    @staticmethod
    def make(
        entries: list[Entry], books: list[MonthlyBook], reader: IndexReader, analyzer: Analyzer, content_hash: str
    ) -> Snapshot:
        courses = tuple(e for e in entries if isinstance(e, Course))
        rows = tuple(course_lookup_rows(courses))
        by_id: dict[str, list[tuple[str, str, str]]] = {}
        for row in rows:
            by_id.setdefault(row[0], []).append(row)
        return Snapshot(
            entries={e.id: e for e in entries},
            courses=courses,
            books={b.month: b for b in books},
            reader=reader,
            analyzer=analyzer,
            content_hash=content_hash,
            course_rows=rows,
            course_rows_by_id={k: tuple(v) for k, v in by_id.items()},
            loaded_at=time.time(),
            tagged={
                kind: frozenset(e.id for e in entries if e.kind != kind and set(e.tags) & set(tags))
                for kind, tags in TOPIC_TAGS.items()
            },
        )


def _build(
    result: LoadResult, index_path: Path, previous: Snapshot | None, knowledge_dir: Path, rows: RowCache | None = None
) -> Snapshot:
    analyzer = Analyzer(collect_domain_words(result.entries), previous.analyzer if previous else None)
    reader = build_index(
        index_path,
        result.entries,
        result.books,
        analyzer,
        {"content_hash": result.content_hash, "knowledge_dir": str(knowledge_dir)},
        rows,
    )
    return Snapshot.make(result.entries, result.books, reader, analyzer, result.content_hash)


def _from_index(index_path: Path, meta: dict) -> Snapshot:
    entries, books = read_knowledge(index_path)
    analyzer = Analyzer(meta.get("user_words", ()))
    return Snapshot.make(entries, books, IndexReader(index_path), analyzer, meta.get("content_hash", ""))


class KnowledgeBase:
    """Search and look-ups over the staff-edited knowledge files.

    Create with :meth:`open`; call :meth:`refresh` before handling a request
    (it is cheap) to pick up staff edits without a restart.
    """

    def __init__(
        self,
        knowledge_dir: Path,
        index_path: Path,
        registry_path: Path,
        snapshot: Snapshot,
        signature: Signature,
        problems: list[Problem],
        load_cache: LoadCache | None = None,
        row_cache: RowCache | None = None,
        clock: Clock | None = None,
    ):
        self.knowledge_dir = knowledge_dir
        self.index_path = index_path
        self.registry_path = registry_path
        #: What "this month" is for the book placeholder; None: the settings' clock.
        self.clock = clock
        self.check_interval = CHECK_INTERVAL
        self._snap = snapshot
        self._signature: Signature = signature
        self._rejected: Signature | None = None
        self._problems = list(problems)
        self._checked_at = time.monotonic()
        self._reload_lock = threading.Lock()
        self._load_cache = load_cache or LoadCache()
        self._row_cache = row_cache or RowCache()

    # --- life cycle ----------------------------------------------------------

    @classmethod
    def open(
        cls,
        knowledge_dir: Path | None = None,
        index_path: Path | None = None,
        *,
        registry_path: Path | None = None,
        clock: Clock | None = None,
    ) -> KnowledgeBase:
        """Validate the files and build (or reuse) the search index.

        Paths default to ``UH_KNOWLEDGE_DIR`` and ``$UH_DATA_DIR/knowledge_index.db``
        (registrations: ``$UH_DATA_DIR/registry.db``). If the files are invalid,
        the last good index is used and the problems are logged; with no good
        index either, :class:`KnowledgeError` lists every problem in Chinese.
        ``clock`` decides what "this month" is (default: the settings' clock).
        """
        kdir = Path(knowledge_dir) if knowledge_dir is not None else paths.knowledge_dir()
        ipath = Path(index_path) if index_path is not None else paths.index_path()
        rpath = Path(registry_path) if registry_path is not None else paths.registry_path()
        load_cache, row_cache = LoadCache(), RowCache()
        with _bulk_work():
            return cls._open(kdir, ipath, rpath, load_cache, row_cache, clock)

    @classmethod
    def _open(
        cls, kdir: Path, ipath: Path, rpath: Path, load_cache: LoadCache, row_cache: RowCache, clock: Clock | None
    ) -> KnowledgeBase:
        result = load(kdir, registry_path=rpath, cache=load_cache)
        meta = read_meta(ipath)
        if result.ok:
            if meta is not None and meta.get("content_hash") == result.content_hash:
                # Unchanged since the index was built: skip the rebuild.
                analyzer = Analyzer(collect_domain_words(result.entries))
                snapshot = Snapshot.make(
                    result.entries, result.books, IndexReader(ipath), analyzer, result.content_hash
                )
            else:
                snapshot = _build(result, ipath, None, kdir, row_cache)
            return cls(kdir, ipath, rpath, snapshot, result.signature, result.problems, load_cache, row_cache, clock)
        if meta is None:
            raise KnowledgeError(result.errors)
        try:
            snapshot = _from_index(ipath, meta)
        except (sqlite3.Error, ValueError, KeyError, TypeError):
            raise KnowledgeError(result.errors) from None  # the old index is unreadable too
        _log_rejected(result.errors, starting=True)
        kb = cls(kdir, ipath, rpath, snapshot, (), result.problems, load_cache, row_cache, clock)
        kb._rejected = result.signature
        return kb

    def refresh(self, *, force: bool = False) -> bool:
        """Reload if a knowledge file changed; True if new knowledge is now used.

        Looks at file times at most every ``check_interval`` seconds (``force``
        skips that wait). An invalid edit is rejected as a whole: the current
        knowledge stays, the problems are logged (once per edit) and kept in
        :attr:`problems`.
        """
        now = time.monotonic()
        if not force and now - self._checked_at < self.check_interval:
            return False
        if not self._reload_lock.acquire(blocking=force):
            return False  # another thread is reloading right now
        try:
            self._checked_at = now
            signature = file_signature(self.knowledge_dir)
            if signature == self._signature or signature == self._rejected:
                return False
            with _bulk_work():
                return self._reload()
        finally:
            self._reload_lock.release()

    def _reload(self) -> bool:
        """Load, validate and (if valid) swap in new knowledge; lock held."""
        result = load(self.knowledge_dir, registry_path=self.registry_path, cache=self._load_cache)
        if not result.ok:
            self._rejected = result.signature
            self._problems = result.problems
            _log_rejected(result.errors, starting=False)
            return False
        self._rejected = None
        self._problems = result.problems
        if result.content_hash == self._snap.content_hash:
            self._signature = result.signature
            return False
        snapshot = _build(result, self.index_path, self._snap, self.knowledge_dir, self._row_cache)
        self._snap = snapshot  # the atomic swap
        self._signature = result.signature
        logger.info("知识库已更新：%d 条知识", len(snapshot.entries))
        return True

    @property
    def problems(self) -> list[Problem]:
        """Problems found by the latest load (errors only if it was rejected)."""
        return list(self._problems)

    @property
    def snapshot(self) -> Snapshot:
        return self._snap

    # --- questions -------------------------------------------------------------

    def search(self, text: str, *, kind: str | Sequence[str] | None = None, limit: int = 5) -> list[Hit]:
        """The entries that best answer ``text``, best first.

        ``kind`` ("faq", "course", "subsidy", "reading", "sports", "organization")
        is a hint from the NLU intent: it raises that kind in the ranking but
        never filters and never changes a score. ``Hit.confident`` says whether
        the first hit may be sent as the answer (score >= CONFIDENT_SCORE, or a
        clear leader of the hinted kind, see ``knowledge.search``); otherwise
        offer the hits as nearest topics. May be empty.
        """
        snap = self._snap
        if not text or not text.strip():
            return []
        found = search_index(
            snap.reader, snap.analyzer, text, kind=kind, limit=limit, also_in_topic=snap.tagged_for(kind)
        )
        month_book = functools.cache(self._placeholder_book)  # asked only if a hit needs it
        hits = []
        for s in found:
            entry = snap.entries.get(s.entry_id)
            if entry is not None:
                hits.append(_hit(entry, s.score, s.matched, month_book, s.confident))
        return hits

    def get(self, entry_id: str) -> Hit | None:
        """The entry with this id as a hit (score 100), e.g. for a button payload."""
        snap = self._snap
        entry = snap.entries.get(entry_id)
        if entry is None:
            return None
        return _hit(entry, 100.0, "", self._placeholder_book)

    def entry(self, entry_id: str) -> Entry | None:
        """The raw entry (as validated), or None."""
        return self._snap.entries.get(entry_id)

    def list_entries(self, kind: str | None = None) -> list[Entry]:
        """All entries (of one kind), in file order."""
        return [e for e in self._snap.entries.values() if kind is None or e.kind == kind]

    # --- courses -----------------------------------------------------------------

    def find_courses(self, text: str, limit: int = 5) -> list[tuple[Course, float]]:
        """Courses whose name or alias matches ``text`` (typos allowed), best first.

        Score 0..100: 100 exact name/alias, >= 70 a reliable match ("plc编成",
        "工业机械人", "我想报汽修班"). Includes programmes and courses that are
        not ``enrollable``; check that before offering a sign-up.
        """
        snap = self._snap
        if not text or not text.strip():
            return []
        rows: Iterable[tuple[str, str, str]] = snap.course_rows
        if len(snap.courses) > BRUTE_FORCE_COURSES:
            # Many courses: compare only those sharing index terms with the text.
            found = candidate_ids(snap.reader, snap.analyzer, text, 200)
            rows = [r for eid, kind in found if kind == "course" for r in snap.course_rows_by_id.get(eid, ())]
        scores = course_scores(tuple(rows), text)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])
        out = []
        for course_id, (score, _matched) in ranked[:limit]:
            course = snap.entries.get(course_id)
            if isinstance(course, Course) and score > 0:
                out.append((course, score))
        return out

    def get_course(self, course_id: str) -> Course | None:
        entry = self._snap.entries.get(course_id)
        return entry if isinstance(entry, Course) else None

    def list_courses(
        self,
        *,
        category: str | None = None,
        region: str | None = None,
        programme: str | None = None,
        enrollable: bool | None = None,
    ) -> list[Course]:
        """Courses in file order, filtered.

        ``region`` matches the official name or its short form ("奉化" = "奉化区").
        """

        def region_ok(course: Course) -> bool:
            if region is None:
                return True
            return _short_region(course.region) == _short_region(region)

        return [
            c
            for c in self._snap.courses
            if (category is None or c.category == category)
            and region_ok(c)
            and (programme is None or c.programme == programme)
            and (enrollable is None or c.enrollable == enrollable)
        ]

    # --- reading -------------------------------------------------------------------

    def monthly_book(self, clock: Clock | None = None, *, month: str | None = None) -> MonthlyBook | None:
        """The reading teams' book of ``month`` (``YYYY-MM``; default this month by
        ``clock``), or None when staff have not entered it."""
        return self._snap.books.get(month or current_month(clock or self.clock))

    def monthly_book_text(self, clock: Clock | None = None) -> str:
        """The sentence about this month's book (by ``clock``), never empty: the book
        with its introduction, or that it is not announced yet (with the latest earlier
        book, marked with its own month, when there is a recent one)."""
        return book_news(self._snap.books, current_month(clock or self.clock)).answer

    def _placeholder_book(self) -> BookNews:
        return book_news(self._snap.books, current_month(self.clock), detailed=False)


def _short_region(name: str) -> str:
    name = name.strip()
    if len(name) > 2 and name[-1] in "区县市":
        return name[:-1]
    return name


def _hit(
    entry: Entry, score: float, matched: str, month_book: Callable[[], BookNews], confident: bool | None = None
) -> Hit:
    """``month_book`` is called only for an answer with the placeholder (it asks the clock)."""
    book = month_book() if entry.needs_book else None
    return Hit(
        id=entry.id,
        kind=entry.kind,
        title=entry.title,
        answer=entry.render(book),
        score=score,
        confident=score >= CONFIDENT_SCORE if confident is None else confident,
        source=entry.source,
        matched=matched,
        sample=entry.has_sample or (book is not None and book.sample),
        tags=entry.tags,
    )


def _log_rejected(errors: list[Problem], *, starting: bool) -> None:
    head = (
        "知识库文件有错误，小助手启动时改用上一版能用的知识："
        if starting
        else "知识库文件有错误，这次修改没有生效，小助手继续使用上一版："
    )
    logger.warning("%s\n%s", head, "\n".join(str(p) for p in errors))


_default_lock = threading.Lock()
_default: KnowledgeBase | None = None


def default_kb() -> KnowledgeBase:
    """The process-wide knowledge base (paths from the environment).

    Thread-safe; created on first use, and every call lets it pick up staff
    edits (``refresh()``, which looks at the files at most once a second).
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = KnowledgeBase.open()
            return _default
        kb = _default
    kb.refresh()
    return kb


def reset_default_kb() -> None:
    """Forget the process-wide instance (tests, or after changing the env)."""
    global _default
    with _default_lock:
        _default = None
