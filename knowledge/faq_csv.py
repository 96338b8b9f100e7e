"""FAQ <-> CSV, so staff can edit the FAQ in Excel.

Export writes UTF-8 with a BOM (Excel then shows Chinese correctly). Lists
(questions, tags, aliases, sample_fields) go into one cell, items separated by
`` | ``. Import reads the CSV back, checks it together with the other
knowledge files exactly like the bot would, and only then replaces
``faq.yml`` (atomically, keeping the file's comment header). An invalid CSV
changes nothing; the problems name the CSV line and column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from common.clock import Clock
from knowledge import fields
from knowledge.loader import load
from knowledge.located import LList, LMap, parse_yaml
from knowledge.schema import ERROR, Entry, Problem

FAQ_FILE = "faq.yml"
SEPARATOR = " | "
#: (field, Chinese label) in CSV column order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "编号"),
    ("title", "标题"),
    ("questions", "问法（多个用 | 分隔）"),
    ("answer", "回答"),
    ("tags", "标签（多个用 | 分隔）"),
    ("aliases", "别名（多个用 | 分隔）"),
    ("sample_fields", "示例字段（多个用 | 分隔）"),
    ("source", "出处"),
    # The attribute fields come last, so spreadsheets laid out before they existed still line up.
    *(
        (name, fields.label("faq", name) + ("（多个用 | 分隔）" if name == "figures" else ""))
        for name in fields.ATTRIBUTE_FIELDS
    ),
)
LIST_FIELDS = frozenset({"questions", "tags", "aliases", "sample_fields", "figures"})
REQUIRED_COLUMNS = ("id", "questions", "answer")


class CsvMsg:
    NOT_VALID = "faq.yml 本身有错误，请先改好再导出"
    NO_HEADER = "表格是空的，第一行应该是列名"
    NO_ROWS = "表格里只有列名，一个问题也没有，没有导入。如果确实要删掉全部常见问题，请删除 faq.yml 或在里面只写一行 []"
    UNKNOWN_COLUMN = "不认识的列“{name}”，可用的列：{allowed}"
    MISSING_COLUMN = "缺少“{name}”这一列"
    DUP_COLUMN = "“{name}”这一列出现了两次"
    NOT_UTF8 = "文件不是 UTF-8 编码。请在 Excel 里“另存为”选“CSV UTF-8（逗号分隔）”"


def header_cell(name: str, label: str) -> str:
    return f"{name} {label}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return SEPARATOR.join(_cell(v) for v in value)
    return str(value).strip()


def export_faq(knowledge_dir: Path, csv_path: Path) -> tuple[int, list[Problem]]:
    """Write ``faq.yml`` as CSV. Returns (rows written, problems); nothing is
    written if ``faq.yml`` cannot be read."""
    source = knowledge_dir / FAQ_FILE
    data, problems = parse_yaml(source.read_text(encoding="utf-8-sig"), FAQ_FILE)
    if problems:
        return 0, problems
    items = data if isinstance(data, list) else []
    if data is not None and not isinstance(data, LList):
        return 0, [Problem(ERROR, FAQ_FILE, 1, None, None, CsvMsg.NOT_VALID)]
    rows = []
    for item in items:
        if not isinstance(item, dict):
            return 0, [Problem(ERROR, FAQ_FILE, getattr(item, "line", None), None, None, CsvMsg.NOT_VALID)]
        rows.append([_cell(item.get(name)) for name, _ in COLUMNS])
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([header_cell(name, label) for name, label in COLUMNS])
        writer.writerows(rows)
    return len(rows), []


def _column_name(cell: str) -> str | None:
    cell = cell.strip()
    if not cell:
        return None
    first = cell.split()[0]
    for name, label in COLUMNS:
        if first == name or cell == label or first == label.split("（")[0]:
            return name
    return None


def read_faq_csv(csv_path: Path) -> tuple[LList | None, list[Problem]]:
    """Parse the CSV into the same shape as a parsed ``faq.yml`` (with CSV lines)."""
    label = csv_path.name
    try:
        text = csv_path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [Problem(ERROR, label, None, None, None, CsvMsg.NOT_UTF8)]
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader)
    except StopIteration:
        return None, [Problem(ERROR, label, 1, None, None, CsvMsg.NO_HEADER)]
    problems: list[Problem] = []
    names: list[str | None] = []
    allowed = "、".join(n for n, _ in COLUMNS)
    for cell in header:
        name = _column_name(cell)
        if name is None and cell.strip():
            problems.append(
                Problem(ERROR, label, 1, None, None, CsvMsg.UNKNOWN_COLUMN.format(name=cell.strip(), allowed=allowed))
            )
        if name is not None and name in names:
            problems.append(Problem(ERROR, label, 1, None, None, CsvMsg.DUP_COLUMN.format(name=name)))
        names.append(name)
    for name in REQUIRED_COLUMNS:
        if name not in names:
            problems.append(Problem(ERROR, label, 1, None, None, CsvMsg.MISSING_COLUMN.format(name=name)))
    if problems:
        return None, problems
    entries = LList(line=1)
    line = reader.line_num + 1
    for row in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        item = LMap(line=start)
        for name, cell in zip(names, row, strict=False):  # a short row leaves cells out
            if name is None:
                continue
            cell = cell.replace("\r\n", "\n").replace("\r", "\n").strip()
            if not cell:
                continue
            if name in LIST_FIELDS:
                values = LList([part.strip() for part in cell.split("|") if part.strip()], line=start)
                values.item_lines = [start] * len(values)
                item[name] = values
            else:
                item[name] = cell
            item.key_lines[name] = start
        entries.append(item)
        entries.item_lines.append(start)
    if not entries:
        return None, [Problem(ERROR, label, None, None, None, CsvMsg.NO_ROWS)]
    return entries, []


@dataclass
class ImportResult:
    """What an import did (or why it did nothing)."""

    problems: list[Problem]
    written: bool
    added: int = 0
    changed: int = 0
    removed: int = 0
    total: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def import_faq(
    knowledge_dir: Path, csv_path: Path, *, registry_path: Path | None = None, clock: Clock | None = None
) -> ImportResult:
    """Validate the CSV with the other files; if all is well, replace ``faq.yml``.
    ``clock`` adds the date reminders, as ``validate`` shows them."""
    data, problems = read_faq_csv(csv_path)
    if data is None:
        return ImportResult(problems, written=False)
    before = {e.id: e for e in load(knowledge_dir).entries if e.kind == "faq"}
    result = load(
        knowledge_dir,
        registry_path=registry_path,
        overrides={FAQ_FILE: data},
        labels={FAQ_FILE: csv_path.name},
        clock=clock,
    )
    if not result.ok:
        return ImportResult(result.problems, written=False)
    target = knowledge_dir / FAQ_FILE
    header = _comment_header(target)
    _atomic_write(target, header + dump_faq(data))
    after = {e.id: e for e in result.entries if e.kind == "faq"}
    return ImportResult(
        result.problems,
        written=True,
        added=len(after.keys() - before.keys()),
        changed=sum(1 for k in after.keys() & before.keys() if _comparable(after[k]) != _comparable(before[k])),
        removed=len(before.keys() - after.keys()),
        total=len(after),
    )


def _comparable(entry: Entry) -> tuple:
    return (entry.title, entry.questions, entry.answer, entry.tags, entry.aliases, entry.sample_fields, entry.source)


def _comment_header(path: Path) -> str:
    """The leading comment block of a file (kept when the file is rewritten)."""
    if not path.exists():
        return ""
    lines = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("#") or not line.strip():
            lines.append(line)
            continue
        break
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n\n" if lines else ""


class _FlowList(list):
    pass


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, like the hand-written files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _flow(dumper: yaml.SafeDumper, value: list) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_FlowList, _flow)
_Dumper.add_representer(LMap, yaml.SafeDumper.represent_dict)
_Dumper.add_representer(LList, yaml.SafeDumper.represent_list)


def dump_faq(entries: list[dict[str, Any]]) -> str:
    """YAML text for FAQ entries, fields in the usual order, one blank line between."""
    blocks = []
    order = [f.name for f in fields.field_specs("faq")]
    for item in entries:
        out: dict[str, Any] = {}
        for name in order:
            if name not in item:
                continue
            value = item[name]
            if name in ("tags", "aliases", "sample_fields"):
                value = _FlowList(value)
            elif name == "questions":
                value = list(value)
            elif isinstance(value, str) and "\n" in value and not value.endswith("\n"):
                value += "\n"  # "|" rather than "|-", as staff write it by hand
            out[name] = value
        blocks.append(
            yaml.dump(
                [out], Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=False
            )
        )
    return "\n".join(blocks)


def _atomic_write(path: Path, text: str) -> None:
    from knowledge.editing import atomic_write  # the one atomic writer of knowledge files

    atomic_write(path, text)
