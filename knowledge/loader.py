"""Reading the knowledge directory: files -> parsed YAML -> validated objects.

Kept separate from the knowledge base so that the CLI (``validate``,
``import-faq``) can check a directory, or a directory with one file swapped
for an imported one, exactly as the running bot would.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.clock import Clock
from knowledge.dated import dated_problems
from knowledge.index import SCHEMA_VERSION
from knowledge.located import ParseCache, parse_yaml_cached
from knowledge.schema import ERROR, KIND_BY_FILE, WARNING, Entry, MonthlyBook, Problem
from knowledge.validate import Checked, Msg, check_sources, registry_course_counts

Signature = tuple[tuple[str, int, int, int], ...]


def knowledge_files(directory: Path) -> list[Path]:
    """The YAML files in ``directory`` (known or not), sorted by name."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


def copy_files(source: Path, target: Path) -> Path:
    """Copy the knowledge files of ``source`` (only those) into ``target``; returns it.

    A private copy to try an edit on, or for a test or load-test stack that may edit it,
    so the real files are never touched.
    """
    target.mkdir(parents=True, exist_ok=True)
    for path in knowledge_files(source):
        shutil.copy2(path, target / path.name)
    return target


def file_signature(directory: Path) -> Signature:
    """Cheap fingerprint of the directory: name, mtime, size and inode per file.

    Editors that save by writing a new file and renaming it change the inode,
    so that case is caught even if size and mtime happen to match.
    """
    out = []
    for path in knowledge_files(directory):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        out.append((path.name, st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(out)


class LoadCache:
    """What one knowledge base remembers between loads so that a reload after a
    small edit only re-parses and re-checks the entries that changed."""

    def __init__(self) -> None:
        self.parsed: dict[str, ParseCache] = {}
        self.checked: dict[object, object] = {}


@dataclass
class LoadResult:
    """Validated knowledge plus every problem, and a hash of the file contents."""

    entries: list[Entry]
    books: list[MonthlyBook]
    problems: list[Problem]
    content_hash: str
    signature: Signature = field(default=())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def load(
    directory: Path,
    *,
    registry_path: Path | None = None,
    overrides: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    cache: LoadCache | None = None,
    clock: Clock | None = None,
) -> LoadResult:
    """Read, parse and validate every knowledge file in ``directory``.

    ``overrides`` replaces parsed files (``{"faq.yml": data}``), used to check an
    imported CSV together with the other files before anything is written. With a
    ``clock``, the reminders that depend on the date are added (``knowledge.dated``).
    """
    overrides = overrides or {}
    signature = file_signature(directory)
    problems: list[Problem] = []
    sources: dict[str, Any] = {}
    digest = hashlib.sha256(f"schema={SCHEMA_VERSION}".encode())
    present = {p.name: p for p in knowledge_files(directory)}
    for name in present:
        if name not in KIND_BY_FILE:
            problems.append(
                Problem(WARNING, name, None, None, None, Msg.UNKNOWN_FILE.format(files="、".join(KIND_BY_FILE)))
            )
    for name in KIND_BY_FILE:
        if name in overrides:
            sources[name] = overrides[name]
            digest.update(f"\0{name}\0override\0{id(overrides[name])}".encode())
            continue
        path = present.get(name)
        if path is None:
            problems.append(Problem(WARNING, name, None, None, None, Msg.MISSING_FILE))
            continue
        raw = path.read_bytes()
        digest.update(f"\0{name}\0".encode() + raw)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            problems.append(Problem(ERROR, name, line, None, None, "文件不是 UTF-8 编码，请用 UTF-8 另存一次"))
            continue
        parse_cache = cache.parsed.setdefault(name, ParseCache()) if cache is not None else None
        data, parse_problems = parse_yaml_cached(text, labels.get(name, name) if labels else name, parse_cache)
        problems.extend(parse_problems)
        if not parse_problems:
            sources[name] = data
    counts = (lambda: registry_course_counts(registry_path)) if registry_path is not None else None
    checked: Checked = check_sources(
        sources,
        labels=labels,
        registry_counts=counts,
        base_problems=problems,
        memo=cache.checked if cache is not None else None,
    )
    if clock is not None:
        books_file = (labels or {}).get("reading.yml", "reading.yml") if "reading.yml" in sources else None
        checked.problems.extend(dated_problems(checked.entries, checked.books, clock, books_file=books_file))
    return LoadResult(checked.entries, checked.books, checked.problems, digest.hexdigest(), signature)
