"""Changing one knowledge entry in its YAML file the way a careful person would by hand.

The files stay the source of truth (hand edits and git keep working), so a change made
from the staff console must look like a hand edit: only the lines of that entry change,
every comment, blank line and the order of everything else stay byte for byte, and the
entry itself keeps its own comments, its list styles (``tags: [a, b]``) and its
multi-line answers (``answer: |``). ruamel.yaml (round-trip) re-writes the one entry;
the rest of the file is spliced around it as text.

Saving is atomic (a new file moved over the old one, so the running bot reads either
version, never half of one) and refuses to overwrite a file that changed since the
editor read it (:class:`Conflict`): the caller compares digests, nothing is merged
silently. Whether an edit is *valid* is not decided here: :func:`check_edit` runs the
very validator of ``python -m knowledge validate`` on a copy with the edit applied.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import io
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from common.clock import Clock
from knowledge.fields import TEXTLIST, field_specs, label
from knowledge.loader import LoadResult, copy_files, load
from knowledge.schema import ID_RE, KIND_BY_FILE, Problem

#: The kind of the monthly books (in ``reading.yml``, under ``monthly_books``).
BOOK = "book"
#: Which file holds each kind (books share reading.yml with the reading entries).
FILE_BY_KIND: dict[str, str] = {**{kind: name for name, kind in KIND_BY_FILE.items()}, BOOK: "reading.yml"}
#: The prefix of a generated id, per kind (the files already use these).
ID_PREFIX: dict[str, str] = {
    "faq": "faq",
    "course": "course",
    "subsidy": "subsidy",
    "reading": "reading",
    "sports": "sports",
    "organization": "org",
}
#: Lists written inline (``tags: [a, b]``) when an entry is created, as in the files.
FLOW_LISTS = frozenset({"tags", "aliases", "sample_fields"})


class EditError(Exception):
    """The file cannot be edited from the console (its message is for staff, Chinese)."""


class Conflict(EditError):
    """The file changed on disk since the editor read it; nothing was written."""


def digest(text: str) -> str:
    """What an editor remembers of the file it opened, to detect a change under it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def key_field(kind: str) -> str:
    """The field that names an item: ``id``, or ``month`` for a monthly book."""
    return "month" if kind == BOOK else "id"


# ---------------------------------------------------------------- reading items


@dataclass(frozen=True)
class Item:
    """One entry (or monthly book) as its file has it: plain values, where it is."""

    file: str
    kind: str
    key: str
    values: dict[str, Any]
    line: int  # 1-based line of its "- "


@dataclass(frozen=True)
class _Span:
    start: int  # first line (0-based) of the item, its "- " line
    end: int  # one past its last content line
    dash: int  # column of its "-"


@dataclass(frozen=True)
class _Container:
    """Where one kind's list lives in a file: its items' spans and where to append."""

    spans: tuple[_Span, ...]
    items: CommentedSeq | None
    end: int  # one past the last line that belongs to the list
    dash: int  # column of the items' "-"
    key: str | None  # "entries" / "monthly_books", None for a top-level list


def _yaml() -> YAML:
    yaml: Any = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long Chinese line
    yaml.allow_unicode = True
    yaml.preserve_quotes = True
    return yaml


def _parse(text: str, file: str) -> Any:
    try:
        return _yaml().load(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark is not None else ""
        raise EditError(
            f"{file} {where}有 YAML 格式错误，不能在后台修改。请先运行“python -m knowledge validate”"
            "查看并改好这个文件，或者在历史版本里恢复。"
        ) from None


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _belongs_to_next(line: str, dash: int) -> bool:
    return not line.strip() or (line.lstrip().startswith("#") and _indent(line) <= dash)


def _container(text: str, kind: str, file: str) -> _Container:
    """Locate the list of ``kind`` items in ``text`` (the parsed file)."""
    lines = text.splitlines()
    root = _parse(text, file)
    want = "monthly_books" if kind == BOOK else "entries"
    seq: CommentedSeq | None
    if root is None:
        seq, key = None, None
    elif isinstance(root, CommentedSeq) and kind != BOOK:
        seq, key = root, None
    elif isinstance(root, CommentedMap) and want in root:
        seq, key = root[want], want
        if seq is not None and not isinstance(seq, CommentedSeq):
            raise EditError(f"{file} 里“{want}:”下面不是条目列表，请先手工改好这个文件。")
    elif isinstance(root, CommentedMap):
        seq, key = None, want
    else:
        raise EditError(f"{file} 的最外层不是条目列表，请先手工改好这个文件。")
    if not seq:  # None or empty: nothing to locate, append at the end
        return _Container((), seq, len(lines), 2 if key else 0, key)
    starts = []
    for i in range(len(seq)):
        line, col = seq.lc.item(i)
        dash = lines[line].rfind("-", 0, col + 1)
        starts.append((line, dash if dash >= 0 else max(col - 2, 0)))
    dash = starts[0][1]
    # The list ends at the first content line outside it (a less indented key).
    end = len(lines)
    for n in range(starts[-1][0] + 1, len(lines)):
        line_text = lines[n]
        if _is_content(line_text) and (
            _indent(line_text) < dash or (_indent(line_text) == dash and not line_text.lstrip().startswith("-"))
        ):
            end = n
            break
    spans = []
    for i, (start, col) in enumerate(starts):
        stop = starts[i + 1][0] if i + 1 < len(starts) else end
        # Trailing blank lines and comments at the list's own indentation belong to
        # what follows (a "# ---------- 学历提升 ----------" header), not to this item.
        while stop > start + 1 and _belongs_to_next(lines[stop - 1], col):
            stop -= 1
        spans.append(_Span(start, stop, col))
    last = spans[-1].end
    return _Container(tuple(spans), seq, last, dash, key)


def plain(value: Any) -> Any:
    """A ruamel value as plain Python (str, int, bool, date, list, dict)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [plain(v) for v in value]
    return value


def read_text(knowledge_dir: Path, file: str) -> str:
    """The file's text ("" when it does not exist yet)."""
    path = knowledge_dir / file
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError:
        raise EditError(f"{file} 不是 UTF-8 编码，请用 UTF-8 另存一次后再在后台修改。") from None


def items_in(text: str, kind: str, file: str | None = None) -> list[Item]:
    """Every item of ``kind`` in a file's text, in file order."""
    file = file or FILE_BY_KIND[kind]
    found = _container(text, kind, file)
    out = []
    for span, raw in zip(found.spans, found.items or (), strict=False):
        values = plain(raw) if isinstance(raw, Mapping) else {}
        key = values.get(key_field(kind))
        out.append(Item(file, kind, "" if key is None else str(key), values, span.start + 1))
    return out


def read_items(knowledge_dir: Path, kind: str) -> list[Item]:
    """Every item of ``kind`` in its file (empty when the file does not exist)."""
    file = FILE_BY_KIND[kind]
    return items_in(read_text(knowledge_dir, file), kind, file)


def find(knowledge_dir: Path, kind: str, key: str) -> Item | None:
    """The item of ``kind`` named ``key`` in its file, or None."""
    return next((item for item in read_items(knowledge_dir, kind) if item.key == key), None)


def find_in(text: str, kind: str, key: str) -> dict[str, Any] | None:
    """The values of the item named ``key`` in a file's text, or None."""
    return next((item.values for item in items_in(text, kind) if item.key == key), None)


def new_id(knowledge_dir: Path, kind: str, taken: set[str] | None = None) -> str:
    """A valid id that no entry of any file uses yet, e.g. ``faq_14``: staff need not
    invent one (and must not change it later: buttons and sign-ups refer to it)."""
    used = set(taken or ())
    for other in ID_PREFIX:
        with contextlib.suppress(EditError):
            used.update(item.key for item in read_items(knowledge_dir, other))
    prefix = ID_PREFIX.get(kind, kind)
    n = 1 + sum(1 for key in used if key.startswith(prefix + "_"))
    while f"{prefix}_{n}" in used:
        n += 1
    candidate = f"{prefix}_{n}"
    assert ID_RE.match(candidate)
    return candidate


# ---------------------------------------------------------------- writing one item


def _yaml_value(name: str, value: Any, kind: str, old: Any = None) -> Any:
    """A form value as ruamel should write it, keeping the old value's style."""
    spec = {f.name: f for f in field_specs(kind)}.get(name)
    if isinstance(value, (list, tuple)):
        if isinstance(old, CommentedSeq):
            old.clear()
            old.extend(value)
            return old
        seq = CommentedSeq(value)
        if name in FLOW_LISTS or (spec is not None and spec.type != TEXTLIST):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and "\n" in value.strip("\n"):
        return LiteralScalarString(value.strip("\n") + "\n")
    return value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == ()


def _update(target: CommentedMap, values: Mapping[str, Any], kind: str) -> None:
    """Set the fields of ``values`` on ``target`` in place (absent/empty ones removed),
    new fields at their place in the declared field order."""
    order = [f.name for f in field_specs(kind)]
    for name, value in values.items():
        if _empty(value):
            if name in target:
                del target[name]
            continue
        if name in target:
            target[name] = _yaml_value(name, value, kind, target[name])
            continue
        rank = order.index(name) if name in order else len(order)
        position = len(target)
        for i, existing in enumerate(target):
            if (order.index(existing) if existing in order else len(order)) > rank:
                position = i
                break
        target.insert(position, name, _yaml_value(name, value, kind))


def _render(mapping: CommentedMap, dash: int) -> list[str]:
    """``mapping`` as list-item lines whose "-" is at column ``dash``."""
    buffer = io.StringIO()
    _yaml().dump(mapping, buffer)
    body = buffer.getvalue().rstrip("\n").split("\n")
    pad = " " * dash
    out = [pad + "- " + body[0]]
    out.extend((pad + "  " + line) if line.strip() else "" for line in body[1:])
    return out


def _as_mapping(chunk: list[str], dash: int, file: str) -> CommentedMap:
    """Parse one item's lines as a mapping at column 0 (so its comments stay aligned)."""
    lines = []
    for n, line in enumerate(chunk):
        text = line[dash:] if len(line) >= dash and not line[:dash].strip() else line.lstrip()
        if n == 0:
            text = text[1:].lstrip(" ") if text.startswith("-") else text
        elif text.startswith("  "):
            text = text[2:]
        lines.append(text)
    data = _parse("\n".join(lines) + "\n", file)
    if not isinstance(data, CommentedMap):
        raise EditError(f"{file} 里这一条不是“字段: 值”的形式，请先手工改好。")
    return data


def apply_edit(text: str, kind: str, key: str | None, values: Mapping[str, Any] | None) -> str:
    """The file text with one item changed, added or removed; nothing else touched.

    ``key`` names the item to change (None: add ``values`` as a new item at the end of
    its list); ``values`` None removes it. Fields not in ``values`` are left as they
    are; a field given as empty is removed.
    """
    file = FILE_BY_KIND[kind]
    found = _container(text, kind, file)
    lines = text.splitlines()
    index = None
    if key is not None:
        for i, raw in enumerate(found.items or ()):
            if isinstance(raw, Mapping) and str(raw.get(key_field(kind))) == key:
                index = i
                break
        if index is None:
            raise EditError(f"{file} 里已经没有“{key}”这一条（可能刚被别人删除或改了编号）。")
    if index is not None:
        span = found.spans[index]
        if values is None:
            start, end = span.start, span.end
            # Take one blank line with it, so the entries stay one blank line apart.
            if end < len(lines) and not lines[end].strip():
                end += 1
            elif start > 0 and not lines[start - 1].strip():
                start -= 1
            new_lines = lines[:start] + lines[end:]
        else:
            mapping = _as_mapping(lines[span.start : span.end], span.dash, file)
            _update(mapping, values, kind)
            new_lines = lines[: span.start] + _render(mapping, span.dash) + lines[span.end :]
    else:
        if values is None:
            raise EditError("没有指定要删除哪一条。")
        mapping = CommentedMap()
        _update(mapping, {k: v for k, v in values.items() if not _empty(v)}, kind)
        rendered = _render(mapping, found.dash)
        new_lines = _append(lines, found, rendered, file)
    return "\n".join(new_lines).rstrip("\n") + "\n"


_EMPTY_LIST = re.compile(r"^(\s*)(?:(\w+):\s*)?\[\s*\]\s*(#.*)?$")


def _append(lines: list[str], found: _Container, rendered: list[str], file: str) -> list[str]:
    if found.spans:
        at = found.end
        return lines[:at] + ["", *rendered] + lines[at:]
    # An empty list: a missing or comment-only file, "[]", "entries: []" or no such key.
    for n, line in enumerate(lines):
        match = _EMPTY_LIST.match(line)
        if match and (match.group(2) or None) == found.key:
            head = [f"{match.group(2)}:"] if found.key else []
            return lines[:n] + head + rendered + lines[n + 1 :]
        if found.key and line.rstrip() == f"{found.key}:":
            return lines[: n + 1] + rendered + lines[n + 1 :]
    if any(_is_content(line) for line in lines) and found.key is None:
        raise EditError(f"{file} 的格式没有认出来，请先手工改好这个文件。")
    tail = [f"{found.key}:"] if found.key else []
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return [*lines, *([""] if lines else []), *tail, *rendered]


# ---------------------------------------------------------------- checking and saving


def check_edit(
    knowledge_dir: Path,
    file: str,
    new_text: str,
    *,
    workdir: Path,
    registry_path: Path | None = None,
    clock: Clock | None = None,
) -> LoadResult:
    """Validate the whole knowledge directory as it would be with ``file`` replaced by
    ``new_text`` (a copy in ``workdir``; the real files are not touched) — the same
    check, with the same messages, as ``python -m knowledge validate``."""
    copy = copy_files(knowledge_dir, workdir)
    (copy / file).write_text(new_text, encoding="utf-8")
    return load(copy, registry_path=registry_path, clock=clock)


def new_errors(before: Sequence[Problem], after: Sequence[Problem]) -> list[Problem]:
    """Errors in ``after`` that ``before`` did not have (line numbers aside): what an
    edit broke, as opposed to what was already broken elsewhere."""

    def key(p: Problem) -> tuple[Any, ...]:
        return (p.file, p.entry, p.field, p.message)

    known = {key(p) for p in before if p.is_error}
    return [p for p in after if p.is_error and key(p) not in known]


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def save(path: Path, new_text: str, expected: str, *, lock_path: Path) -> str:
    """Write ``new_text`` to ``path`` atomically, if the file still has the digest
    ``expected`` (what the editor read); returns the new digest.

    The check and the write happen under one lock, so of two staff saving at once the
    second is told (:class:`Conflict`) instead of silently overwriting the first.
    """
    with _locked(lock_path):
        current = read_text(path.parent, path.name)
        if digest(current) != expected:
            raise Conflict(
                f"{path.name} 在您打开页面之后已经被修改过（可能是同事在后台保存了，或有人直接改了文件），"
                "这次没有保存，以免覆盖别人的修改。您填写的内容还在下面，请看一下最新内容后再保存。"
            )
        atomic_write(path, new_text)
        _remove_stale_temporaries(path)
    return digest(new_text)


#: A temporary file of :func:`atomic_write` older than this was left by a writer that died
#: (a SIGKILLed console) between writing it and moving it into place; a live one takes ms.
STALE_TEMPORARY_SECONDS = 600


def _remove_stale_temporaries(path: Path) -> None:
    """Remove what interrupted saves of ``path`` left beside it (never read: the loader
    reads only ``*.yml``), so a killed writer's copy does not lie around for ever."""
    now = time.time()
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > STALE_TEMPORARY_SECONDS:
                stale.unlink()


def atomic_write(path: Path, text: str) -> None:
    """Write a new file beside ``path`` and move it over it (keeping its permissions):
    a reader — the running bot — sees the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# ---------------------------------------------------------------- versions' content


def json_values(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An item's values as JSON (dates as ``YYYY-MM-DD``), to keep as a version."""
    if values is None:
        return None

    def convert(value: Any) -> Any:
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()[:10]
        if isinstance(value, Mapping):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        return value

    return {str(k): convert(v) for k, v in values.items()}


def from_json(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`json_values`: dates back to dates (so they are written unquoted)."""
    types = {f.name: f.type for f in field_specs(kind)}
    out: dict[str, Any] = {}
    for name, value in values.items():
        if types.get(name) == "date" and isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                pass
        out[name] = value
    return out


@dataclass(frozen=True)
class Change:
    """One field that a save changed, as a staff member reads it."""

    field: str
    label: str
    old: str
    new: str


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "\n".join(shown(v) for v in value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def changes(kind: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Change]:
    """What changed between two versions of an item, field by field, in field order."""
    before, after = before or {}, after or {}
    order = [f.name for f in field_specs(kind)]
    names = order + sorted((set(before) | set(after)) - set(order))
    out = []
    for name in names:
        old, new = shown(before.get(name)), shown(after.get(name))
        if old != new:
            out.append(Change(name, label(kind, name), old, new))
    return out
