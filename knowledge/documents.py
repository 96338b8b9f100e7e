"""Notices staff import as knowledge: DOCX, PDF with a text layer, TXT and Markdown.

A union's facts arrive as notices long before anyone writes FAQ entries for them. An
imported notice is split into passages (a heading and a paragraph or two each) and
indexed; when no entry answers a question well, the bot answers with a short extract of
the best passage and names the notice and its date (``answering.passages``). Staff see
how often each passage was used and turn the useful ones into FAQ entries.

This module owns ``$UH_DATA_DIR/documents.db`` (documents, passages, their full-text
index and use counts). The console writes documents, the action server counts uses;
SQLite in WAL mode serialises the two. Uploads are checked by their content, not by
their name (a PNG called ``通知.pdf`` is refused), and a refused upload changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import math
import re
import sqlite3
import threading
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from common import settings
from knowledge.text import Analysis, Analyzer, fts_tokens, normalize

logger = logging.getLogger("knowledge.documents")

#: Default upload limit (the console passes ``UH_CONSOLE_UPLOAD_MAX_MB``).
MAX_BYTES = 5 * 1024 * 1024
#: What staff may upload: kind -> how it is named to them.
KINDS: dict[str, str] = {
    "docx": "Word 文档（.docx）",
    "pdf": "PDF（带文字）",
    "txt": "文本（.txt）",
    "md": "Markdown（.md）",
}
EXTENSIONS: dict[str, str] = {".docx": "docx", ".pdf": "pdf", ".txt": "txt", ".md": "md", ".markdown": "md"}
#: A passage is about this long (characters); paragraphs are joined up to it.
PASSAGE_TARGET = 220
PASSAGE_MAX = 400
#: Fewer readable characters than this: a scanned PDF or an empty file.
MIN_TEXT = 20


class DocumentError(ValueError):
    """An upload that cannot be imported; the message says why, in Chinese."""


@dataclass(frozen=True)
class Document:
    id: int
    title: str
    filename: str
    kind: str
    sha256: str
    size: int
    doc_date: str  # YYYY-MM-DD (the notice's date, or the day it was imported)
    uploaded_at: str
    uploaded_by: str
    passages: int = 0
    uses: int = 0

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class Passage:
    id: int
    document_id: int
    n: int
    heading: str
    text: str
    uses: int
    last_used: str | None


@dataclass(frozen=True)
class PassageHit:
    """A passage found for a question; ``score`` 0..100 (see :func:`score_passage`)."""

    passage: Passage
    document: Document
    score: float
    extract: str
    matched: tuple[str, ...]


# ---------------------------------------------------------------- checking an upload


_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*\\/]")


def sanitize_filename(name: str) -> str:
    """The name to show and store: no folders (``../``, ``C:\\``), no control or
    reserved characters, not hidden, at most 120 characters; never empty."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    name = re.sub(r"\.{2,}", ".", name)
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 120 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:120]
    return name or "未命名文件"


def _kind_of_content(data: bytes) -> str | None:
    """What the bytes are, whatever the name says."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return "zip"
        return "docx" if "word/document.xml" in names else "zip"
    if _decode_text(data) is not None:
        return "text"
    return None


_CONTENT_NAMES = {"pdf": "PDF 文件", "docx": "Word 文档", "zip": "压缩包或其他 Office 文件", "text": "纯文本"}


def _decode_text(data: bytes) -> str | None:
    """Text files as staff save them: UTF-8 (with or without BOM), UTF-16 with BOM, or
    GB18030 (older Chinese Windows); None for binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        readable = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
        if text and readable / len(text) > 0.97:
            return text
    return None


def detect_kind(data: bytes, filename: str) -> str:
    """The kind of an upload (``docx``, ``pdf``, ``txt``, ``md``), checked by its content;
    :class:`DocumentError` when the type is not supported or the content is not what the
    name says."""
    ext = Path(filename.lower()).suffix
    kind = EXTENSIONS.get(ext)
    if kind is None:
        hint = "。Word 的 .doc 请先另存为 .docx" if ext == ".doc" else ""
        raise DocumentError(
            f"不支持“{ext or '没有扩展名'}”这种文件。只能导入：{'、'.join(KINDS.values())}{hint}。没有导入任何内容。"
        )
    content = _kind_of_content(data)
    expected = "text" if kind in ("txt", "md") else kind
    if content != expected:
        what = _CONTENT_NAMES.get(content or "", "无法识别的二进制数据")
        raise DocumentError(
            f"文件名是 {ext}，但文件内容不是{KINDS[kind]}（看起来是{what}）。"
            "请确认选对了文件，或把文件另存为正确的格式后再上传。没有导入任何内容。"
        )
    return kind


def extract_text(data: bytes, kind: str) -> str:
    """The readable text of an upload; :class:`DocumentError` when there is none."""
    if kind in ("txt", "md"):
        text = _decode_text(data) or ""
        if kind == "md":
            text = _plain_markdown(text)
    elif kind == "docx":
        text = _docx_text(data)
    elif kind == "pdf":
        text = _pdf_text(data)
    else:  # pragma: no cover - detect_kind returns only the kinds above
        raise DocumentError("不支持的文件类型")
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
    if len(re.sub(r"\s", "", text)) < MIN_TEXT:
        if kind == "pdf":
            raise DocumentError(
                "这个 PDF 里读不出文字（可能是扫描件或图片）。小助手只能用带文字层的 PDF："
                "请上传原始的 Word 文档或导出的 PDF。没有导入任何内容。"
            )
        raise DocumentError("文件里几乎没有文字，没有导入任何内容。")
    return text


def _plain_markdown(text: str) -> str:
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)
    text = re.sub(r"^\s*[-*+]\s+", "", text, flags=re.M)
    return re.sub(r"[*_`>]{1,3}", "", text)


def _docx_text(data: bytes) -> str:
    import docx  # python-docx; imported here: only the console's uploads need it

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - python-docx raises many kinds
        raise DocumentError(f"Word 文档打不开（{type(error).__name__}），可能已损坏。没有导入任何内容。") from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("  ".join(cell.text.strip() for cell in row.cells))
    return "\n\n".join(line for line in lines if line.strip())


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError("这个 PDF 设置了密码，读不出内容。请上传没有加密的文件。没有导入任何内容。")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise DocumentError(f"PDF 文件打不开（{type(error).__name__}），可能已损坏。没有导入任何内容。") from None
    return "\n\n".join(pages)


# ---------------------------------------------------------------- passages


_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十\d]+[章节条部分]|#+\s)")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
_DATE_PATTERNS = (
    re.compile(r"(20\d{2})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(20\d{2})年(\d{1,2})月(\d{1,2})日"),
    re.compile(r"(20\d{2})\.(\d{1,2})\.(\d{1,2})"),
)


def find_date(text: str) -> str | None:
    """The notice's date when its text states one (the last one wins: signatures and
    print lines come at the end), as ``YYYY-MM-DD``."""
    found: list[tuple[int, str]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            try:
                day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                continue
            found.append((match.start(), day.isoformat()))
    return max(found)[1] if found else None


def _paragraphs(text: str) -> list[str]:
    out = []
    for block in re.split(r"\n", text):
        block = re.sub(r"[ \t]+", " ", block).strip()
        if block:
            out.append(block)
    return out


def _split_long(paragraph: str) -> list[str]:
    if len(paragraph) <= PASSAGE_MAX:
        return [paragraph]
    parts, current = [], ""
    for sentence in (s for s in _SENTENCE_END.split(paragraph) if s):
        if current and len(current) + len(sentence) > PASSAGE_TARGET:
            parts.append(current)
            current = ""
        current += sentence
        while len(current) > PASSAGE_MAX:
            parts.append(current[:PASSAGE_MAX])
            current = current[PASSAGE_MAX:]
    if current:
        parts.append(current)
    return parts


def split_passages(text: str) -> list[tuple[str, str]]:
    """``(heading, text)`` passages: paragraphs joined up to about PASSAGE_TARGET
    characters, long ones cut at sentence ends, each under the latest heading."""
    passages: list[tuple[str, str]] = []
    heading, current = "", ""
    for paragraph in _paragraphs(text):
        if _HEADING.match(paragraph) and len(paragraph) <= 60:
            if current:
                passages.append((heading, current))
                current = ""
            heading = paragraph.lstrip("# ").strip()
            continue
        for part in _split_long(paragraph):
            if current and len(current) + len(part) > PASSAGE_TARGET:
                passages.append((heading, current))
                current = ""
            current = f"{current}\n{part}" if current else part
    if current:
        passages.append((heading, current))
    return passages


# ---------------------------------------------------------------- the store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, filename TEXT NOT NULL, kind TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, doc_date TEXT NOT NULL,
    uploaded_at TEXT NOT NULL, uploaded_by TEXT NOT NULL, text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    n INTEGER NOT NULL, heading TEXT NOT NULL, text TEXT NOT NULL, norm TEXT NOT NULL,
    toks TEXT NOT NULL, uses INTEGER NOT NULL DEFAULT 0, last_used TEXT
);
CREATE INDEX IF NOT EXISTS passages_document ON passages(document_id);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(toks, content='passages', content_rowid='id');
CREATE TRIGGER IF NOT EXISTS passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, toks) VALUES (new.id, new.toks);
END;
CREATE TRIGGER IF NOT EXISTS passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, toks) VALUES ('delete', old.id, old.toks);
END;
"""

_analyzer_lock = threading.Lock()
_analyzer: Analyzer | None = None


def _analysis(text: str) -> Analysis:
    global _analyzer
    with _analyzer_lock:
        if _analyzer is None:
            _analyzer = Analyzer()
        analyzer = _analyzer
    return analyzer.analyze(text, cache=False)


def _tokens(text: str) -> str:
    a = _analysis(text)
    return " ".join(dict.fromkeys([*sorted(a.search), *fts_tokens(a.norm)]))


def default_path() -> Path:
    return settings.load().documents_db


@contextlib.contextmanager
def _connect(path: Path, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(path), timeout=10, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys=ON")
        if write:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)
        yield con
    finally:
        con.close()


def _document(row: Sequence) -> Document:
    return Document(*row)


_DOC_COLUMNS = (
    "d.id, d.title, d.filename, d.kind, d.sha256, d.size, d.doc_date, d.uploaded_at, d.uploaded_by, "
    "(SELECT COUNT(*) FROM passages p WHERE p.document_id = d.id), "
    "(SELECT COALESCE(SUM(uses), 0) FROM passages p WHERE p.document_id = d.id)"
)


def _exists(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def import_document(
    data: bytes,
    filename: str,
    *,
    uploaded_by: str,
    now: dt.datetime,
    title: str | None = None,
    doc_date: str | None = None,
    max_bytes: int = MAX_BYTES,
    db_path: Path | None = None,
) -> Document:
    """Check, extract, split and index one upload; :class:`DocumentError` (nothing
    stored) when it is too big, of another type than its name says, unreadable, without
    text, or already imported."""
    if len(data) > max_bytes:
        raise DocumentError(
            f"文件太大（{len(data) / 1024 / 1024:.1f} MB），最大 {max_bytes / 1024 / 1024:g} MB。"
            "请删掉图片或拆成几个文件后再上传。没有导入任何内容。"
        )
    if not data:
        raise DocumentError("文件是空的，没有导入任何内容。")
    name = sanitize_filename(filename)
    kind = detect_kind(data, name)
    text = extract_text(data, kind)
    passages = split_passages(text)
    if not passages:
        raise DocumentError("文件里没有可用的段落，没有导入任何内容。")
    title = (title or "").strip()[:120] or Path(name).stem
    if doc_date:
        try:
            doc_date = dt.date.fromisoformat(doc_date).isoformat()
        except ValueError:
            raise DocumentError(f"“{doc_date}”不是有效的日期，请写成 YYYY-MM-DD。没有导入任何内容。") from None
    day = doc_date or find_date(text) or now.date().isoformat()
    sha = hashlib.sha256(data).hexdigest()
    path = db_path or default_path()
    rows = [
        (n, heading, body, normalize(f"{heading} {body}"), _tokens(f"{heading} {body}"))
        for n, (heading, body) in enumerate(passages, 1)
    ]
    with _connect(path, write=True) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            same = con.execute("SELECT title, doc_date FROM documents WHERE sha256 = ?", [sha]).fetchone()
            if same:
                raise DocumentError(f"这份文件已经导入过了（《{same[0]}》，{same[1]}），没有重复导入。")
            cursor = con.execute(
                "INSERT INTO documents (title, filename, kind, sha256, size, doc_date, uploaded_at, uploaded_by, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [title, name, kind, sha, len(data), day, now.isoformat(timespec="seconds"), uploaded_by, text],
            )
            doc_id = int(cursor.lastrowid or 0)
            con.executemany(
                "INSERT INTO passages (document_id, n, heading, text, norm, toks) VALUES (?, ?, ?, ?, ?, ?)",
                [(doc_id, *row) for row in rows],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    found = get_document(doc_id, db_path=path)
    assert found is not None
    return found


def list_documents(*, db_path: Path | None = None) -> list[Document]:
    """Every imported document, newest first."""
    path = db_path or default_path()
    if not _exists(path):
        return []
    with _connect(path, write=True) as con:
        rows = con.execute(f"SELECT {_DOC_COLUMNS} FROM documents d ORDER BY d.uploaded_at DESC, d.id DESC").fetchall()
    return [_document(r) for r in rows]


def get_document(doc_id: int, *, db_path: Path | None = None) -> Document | None:
    path = db_path or default_path()
    if not _exists(path):
        return None
    with _connect(path, write=True) as con:
        row = con.execute(f"SELECT {_DOC_COLUMNS} FROM documents d WHERE d.id = ?", [doc_id]).fetchone()
    return _document(row) if row else None


def passages_of(doc_id: int, *, db_path: Path | None = None) -> list[Passage]:
    path = db_path or default_path()
    if not _exists(path):
        return []
    with _connect(path, write=True) as con:
        rows = con.execute(
            "SELECT id, document_id, n, heading, text, uses, last_used FROM passages WHERE document_id = ? ORDER BY n",
            [doc_id],
        ).fetchall()
    return [Passage(*r) for r in rows]


def get_passage(passage_id: int, *, db_path: Path | None = None) -> tuple[Passage, Document] | None:
    path = db_path or default_path()
    if not _exists(path):
        return None
    with _connect(path, write=True) as con:
        row = con.execute(
            "SELECT id, document_id, n, heading, text, uses, last_used FROM passages WHERE id = ?", [passage_id]
        ).fetchone()
    if not row:
        return None
    passage = Passage(*row)
    document = get_document(passage.document_id, db_path=path)
    return (passage, document) if document else None


def remove_document(doc_id: int, *, db_path: Path | None = None) -> Document | None:
    """Delete a document and its passages; the removed document, or None if it was gone."""
    path = db_path or default_path()
    document = get_document(doc_id, db_path=path)
    if document is None:
        return None
    with _connect(path, write=True) as con:
        con.execute("DELETE FROM passages WHERE document_id = ?", [doc_id])
        con.execute("DELETE FROM documents WHERE id = ?", [doc_id])
    return document


def record_use(passage_id: int, *, now: dt.datetime, db_path: Path | None = None) -> None:
    """Count one answer given from a passage; never raises (only logged)."""
    try:
        with _connect(db_path or default_path(), write=True) as con:
            con.execute(
                "UPDATE passages SET uses = uses + 1, last_used = ? WHERE id = ?",
                [now.isoformat(timespec="seconds"), passage_id],
            )
    except sqlite3.Error:
        logger.exception("could not count the use of passage %s", passage_id)


# ---------------------------------------------------------------- search


#: Share of the question's weight that must be found in a passage (see score_passage).
MATCH_FLOOR = 0.5


def _weights(words: Sequence[str], dfs: dict[str, int], n: int) -> dict[str, float]:
    """Rare, long words weigh most: what a question is *about*, not how it is asked."""
    out = {}
    for word in words:
        if len(word) < 2 and not word.isdigit():
            continue
        rarity = math.log((n + 1) / (dfs.get(word, 0) + 0.5)) + 1.0
        out[word] = rarity * min(len(word), 4)
    return out


def score_passage(q: Analysis, weights: dict[str, float], norm: str) -> tuple[float, tuple[str, ...]]:
    """0..100: the IDF- and length-weighted share of the question's words found in the
    passage, blended with the share of the question's character pairs found there."""
    total = sum(weights.values())
    if not total:
        return 0.0, ()
    matched = tuple(w for w in weights if w in norm)
    share = sum(weights[w] for w in matched) / total
    grams = [g for g in fts_tokens(q.content) if len(g) == 2]
    gram_share = sum(1 for g in grams if g in norm) / len(grams) if grams else share
    return round(100.0 * (0.7 * share + 0.3 * gram_share), 1), matched


def best_extract(text: str, matched: Sequence[str], limit: int = 150) -> str:
    """The run of clauses (within one sentence, or a sentence and its neighbour) that
    holds most of the matched words, at most ``limit`` characters."""
    sentences = [s.strip() for s in re.split(r"(?<=[。！？；!?;])|\n", text) if s and s.strip()]
    if not sentences:
        return text[:limit]

    def hits(part: str) -> int:
        norm = normalize(part)
        return sum(len(w) for w in matched if w in norm)

    best = max(range(len(sentences)), key=lambda i: (hits(sentences[i]), -i))
    extract = sentences[best]
    if len(extract) < 50 and best + 1 < len(sentences) and len(extract) + len(sentences[best + 1]) <= limit:
        extract += sentences[best + 1]
    if len(extract) <= limit:
        return extract
    clauses = [c for c in re.split(r"(?<=[，,、：:])", extract) if c]
    window: tuple[int, int, int] = (-1, 0, 0)  # (hits, start, end)
    for start in range(len(clauses)):
        length = 0
        for end in range(start, len(clauses)):
            length += len(clauses[end])
            if length > limit:
                break
            score = hits("".join(clauses[start : end + 1]))
            if score > window[0]:
                window = (score, start, end + 1)
    if window[0] <= 0:
        return extract[:limit] + "…"
    _, start, end = window
    body = "".join(clauses[start:end]).rstrip("，,、：:")
    return ("…" if start else "") + body + ("" if end == len(clauses) else "…")


def search(text: str, *, limit: int = 3, db_path: Path | None = None) -> list[PassageHit]:
    """The passages that best answer ``text``, best first (may be empty)."""
    path = db_path or default_path()
    if not text or not text.strip() or not _exists(path):
        return []
    q = _analysis(text)
    terms = [t for t in dict.fromkeys([*q.search, *q.grams]) if t]
    if not q.words or not terms:
        return []
    try:
        with _connect(path) as con:
            if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'passages_fts'").fetchone():
                return []
            n = con.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
            match = " OR ".join('"' + t.replace('"', "") + '"' for t in terms)
            ids = [
                r[0]
                for r in con.execute(
                    "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? ORDER BY rank LIMIT 40", [match]
                )
            ]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            rows = con.execute(
                f"SELECT id, document_id, n, heading, text, uses, last_used, norm FROM passages WHERE id IN ({marks})",
                ids,
            ).fetchall()
            dfs = {
                w: con.execute("SELECT COUNT(*) FROM passages WHERE instr(norm, ?) > 0", [w]).fetchone()[0]
                for w in q.words
            }
    except sqlite3.Error:
        logger.exception("documents index unreadable")
        return []
    weights = _weights(q.words, dfs, n)
    scored = []
    for row in rows:
        score, matched = score_passage(q, weights, row[7])
        scored.append((score, matched, Passage(*row[:7])))
    scored.sort(key=lambda s: (-s[0], s[2].id))
    out = []
    docs: dict[int, Document | None] = {}
    for score, matched, passage in scored[:limit]:
        if passage.document_id not in docs:
            docs[passage.document_id] = get_document(passage.document_id, db_path=path)
        document = docs[passage.document_id]
        if document is not None:
            out.append(PassageHit(passage, document, score, best_extract(passage.text, matched), matched))
    return out
