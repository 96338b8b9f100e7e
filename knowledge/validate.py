"""Every check on the knowledge files, with messages staff can act on (Chinese).

The validator never stops at the first problem: staff fix a file in one go, so
they need the whole list. Problems are ``error`` (the edit is rejected: the bot
keeps the last good knowledge) or ``warning`` (shown, but the edit is used).

The exact wording of the messages is part of the contract with staff (and is
asserted in ``tests/knowledge``); change it deliberately.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from knowledge.fields import ATTRIBUTE_FIELDS, BOOL, DATE, EXPECTED, INT, MONTH, TEXT, TEXTLIST, fields_for
from knowledge.located import LList, LMap
from knowledge.schema import (
    ANSWER_MAX_CHARS,
    ANSWER_MIN_CHARS,
    BOOK_PLACEHOLDER,
    ERROR,
    ID_RE,
    KIND_BY_FILE,
    WARNING,
    Course,
    Entry,
    MonthlyBook,
    Problem,
    course_answer,
    visible_len,
    with_sample_note,
)
from registry import course_registration_counts, registry_read_only

logger = logging.getLogger("knowledge")

# --- field specifications ---------------------------------------------------

#: field -> (type, required), as declared in knowledge.fields (also read by the console).
ENTRY_FIELDS = fields_for("subsidy")
FAQ_FIELDS = fields_for("faq")
COURSE_FIELDS = fields_for("course")
BOOK_FIELDS = fields_for("book")
BOOK_INTRO_MAX_CHARS = 150
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
#: A figure states a number (digits or Chinese numerals) ...
FIGURE_NUMBER_RE = re.compile(r"[0-9０-９]|[一二两三四五六七八九十百千万]+(?:期|场|届|家|个|支|项|人|名|年|次|课)")
#: ... and the year it belongs to (or that it recurs every year).
FIGURE_YEAR_RE = re.compile(r"(?:19|20)\d\d年|每年|每月|连续")
_DIGITS_RE = re.compile(r"\d+(?:\.\d+)?")
_DATE_RE = re.compile(r"(?:19|20)\d\d年(?:\d{1,2}月(?:底|初|末)?)?|\d{4}~\d{4}")


# --- messages ---------------------------------------------------------------


class Msg:
    """Every message text in one place (``str.format`` templates)."""

    TOP_LIST = "文件最外层应该是条目列表（每条以“- id:”开头）"
    TOP_KEYS = "不认识的部分“{key}”，这里只能有 {allowed}"
    ENTRY_MAP = "这一条应该是“字段: 值”的形式，每个字段一行"
    MISSING = "缺少必填字段 {field}"
    EMPTY = "不能为空"
    TYPE = "应该是{expected}，现在是{actual}"
    QUOTE_HINT = '（全是数字的内容请加引号，例如 "0574-12345678"）'
    ID_FORMAT = "id“{id}”只能用小写英文字母、数字和下划线，并以字母开头，例如 faq_join_union"
    DUP_ID = "id {id} 重复了，{file} 第{line}行已经用过"
    DUP_KEY = "字段 {field} 写了两次"
    UNKNOWN_FIELD = "不认识的字段“{field}”，是不是写错了？这里可以用的字段：{allowed}"
    NO_QUESTION = "至少要写一个问法（questions）"
    EMPTY_ANSWER = "回答不能为空"
    EMPTY_ITEM = "第{n}项是空的"
    PIPE = "不能有“|”（导出表格时用它分隔各项）"
    ALIAS_SHORT = "别名“{alias}”太短，至少要2个字"
    ALIAS_CLASH = "别名“{alias}”同时属于课程 {other} 和 {this}，请只留在一门课程里"
    DATE = "“{value}”不是有效的日期，请写成 YYYY-MM-DD，例如 2026-09-01"
    MONTH = "“{value}”不是有效的月份，请写成 YYYY-MM，例如 2026-09"
    DATE_ORDER = "结束日期 {end} 早于开始日期 {start}"
    CAPACITY = "名额要写大于 0 的整数"
    PROGRAMME = "programme 写的项目 {ref} 不存在（要写 courses.yml 里某个项目的 id）"
    TOO_LONG = "回答有{n}个字，超过手机一屏的上限{max}字，请缩短或拆成两条"
    TOO_SHORT = "回答只有{n}个字，可能说不清楚，建议补充"
    BOOK_INTRO_LONG = "介绍有{n}个字，最多{max}字"
    PLACEHOLDER = "回答里的“{{{name}}}”不是可用的占位符（目前只能用 {book}）"
    SAMPLE_UNKNOWN = "sample_fields 里的“{field}”不是这个条目的字段"
    SAMPLE_UNMARKED = "内容以“示例”开头，请把 {field} 写进 sample_fields（上线前换成真实信息）"
    SAMPLE_LEFT = "还是示例信息（{fields}），上线前请换成工会的真实信息，并从 sample_fields 里删掉"
    FEW_QUESTIONS = "只有1个问法，建议再写几个职工常用的说法（口语、简称、错别字都行）"
    DUP_QUESTION = "问法“{question}”和条目 {other} 重复，小助手可能答错"
    BOOK_DUP = "{month} 的书目写了两次，另一处在第{line}行"
    REGISTRY = "课程 {id} 已经有 {n} 条报名记录，不能删掉或改 id；不想再招生，请保留这门课并把 enrollable 改成 false"
    UNKNOWN_FILE = "不认识的文件，小助手不会读取它（可用的文件名：{files}）"
    MISSING_FILE = "没有找到这个文件，这一类知识暂时是空的"
    NO_ENTRIES = "一条知识也没有，请至少保留一个文件"
    EMPTY_FILE = (
        "文件是空的（没有任何条目，可能只剩注释或空行），很可能是保存出了问题或内容被误删了。"
        "如果确实要删掉这一类的全部条目，请删除这个文件，"
        "或者在文件里明确写一行 []"
    )
    EMPTY_SECTION = (
        "“{key}:”下面一条也没有，可能是缩进错了或内容被误删了。如果确实要清空这一部分，请明确写成“{key}: []”"
    )
    EMPTY_LIST = "文件里写的是空列表，一条条目也没有：这一类知识暂时是空的"
    # Reminders that depend on today's date (knowledge.dated).
    BOOK_THIS_MONTH = (
        "本月（{month}）还没有精读书目，职工问起时小助手会说“还没有公布”。请在 monthly_books 里加上 month: {key} 这一条"
    )
    BOOK_NEXT_MONTH = (
        "下个月（{month}）的精读书目还没有写，还有{days}天就到了。请在 monthly_books 里加上 month: {key} 这一条"
    )
    COURSE_STARTED = (
        "开课日期 {start} 已经过了，小助手还在接受报名。请改成下一期的开课日期，或者把 enrollable 改成 false"
    )
    FIGURE_NUMBER = "第{n}项“{figure}”里没有数字：这里只写数字（例如“2019年开设500场”），其他内容写进回答"
    FIGURE_YEAR = (
        "第{n}项“{figure}”没有写年份，职工会以为是今年的数字。"
        "请写明是哪一年的，例如“2019年开设500场”“截至2020年6月共3749人参与”"
    )
    FIGURE_NOT_IN_ANSWER = "数字 {number}（figures 第{n}项）在{where}里没有出现，两处是否一致？"
    COURSE_ENDED = "这门课 {end} 已经结课，小助手还在接受报名。请改成下一期的日期，或者把 enrollable 改成 false"


def _type_name(value: Any) -> str:
    if value is None:
        return "空的"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "数字"
    if isinstance(value, str):
        return "文字"
    if isinstance(value, (dt.date, dt.datetime)):
        return "日期"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "一组字段"
    return type(value).__name__


# --- result -----------------------------------------------------------------


@dataclass
class Checked:
    """What the validator made of the files: usable objects plus every problem."""

    entries: list[Entry]
    books: list[MonthlyBook]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


class _Collector:
    """Collects problems for one file, filling in the file name."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def error(self, line: int | None, entry: str | None, field: str | None, message: str) -> None:
        self.problems.append(Problem(ERROR, self.file, line, entry, field, message))

    def warn(self, line: int | None, entry: str | None, field: str | None, message: str) -> None:
        self.problems.append(Problem(WARNING, self.file, line, entry, field, message))


# --- single values -----------------------------------------------------------


def _check_value(out: _Collector, raw: LMap, key: str, kind_of: str, entry: str | None) -> tuple[bool, Any]:
    """Check one present field; returns (ok, normalised value)."""
    value = raw[key]
    line = raw.line_of(key)
    if kind_of == TEXT:
        if isinstance(value, str):
            if not value.strip():
                out.error(line, entry, key, Msg.EMPTY)
                return False, None
            return True, value.strip()
        hint = Msg.QUOTE_HINT if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
        if value is None:
            out.error(line, entry, key, Msg.EMPTY)
        else:
            out.error(line, entry, key, Msg.TYPE.format(expected=EXPECTED[TEXT], actual=_type_name(value)) + hint)
        return False, None
    if kind_of == INT:
        if value is None:
            return True, None
        if isinstance(value, bool) or not isinstance(value, int):
            out.error(line, entry, key, Msg.TYPE.format(expected=EXPECTED[INT], actual=_type_name(value)))
            return False, None
        return True, value
    if kind_of == BOOL:
        if not isinstance(value, bool):
            out.error(line, entry, key, Msg.TYPE.format(expected=EXPECTED[BOOL], actual=_type_name(value)))
            return False, None
        return True, value
    if kind_of == DATE:
        return _check_date(out, line, entry, key, value)
    if kind_of == MONTH:
        return _check_month(out, line, entry, key, value)
    if kind_of == TEXTLIST:
        if value is None:
            return True, ()
        if not isinstance(value, list):
            out.error(line, entry, key, Msg.TYPE.format(expected=EXPECTED[TEXTLIST], actual=_type_name(value)))
            return False, None
        items: list[str] = []
        ok = True
        for i, item in enumerate(value):
            item_line = value.line_of(i) if isinstance(value, LList) else line
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str):
                if item is None:
                    out.error(item_line, entry, key, Msg.EMPTY_ITEM.format(n=i + 1))
                else:
                    out.error(
                        item_line,
                        entry,
                        key,
                        f"第{i + 1}项" + Msg.TYPE.format(expected=EXPECTED[TEXT], actual=_type_name(item)),
                    )
                ok = False
                continue
            if not item.strip():
                out.error(item_line, entry, key, Msg.EMPTY_ITEM.format(n=i + 1))
                ok = False
                continue
            if "|" in item and key in ("questions", "tags", "aliases", "sample_fields", "figures"):
                out.error(item_line, entry, key, f"第{i + 1}项" + Msg.PIPE)
                ok = False
                continue
            items.append(item.strip())
        return ok, tuple(items)
    raise AssertionError(kind_of)  # pragma: no cover


def _check_date(out: _Collector, line: int, entry: str | None, key: str, value: Any) -> tuple[bool, Any]:
    if value is None:
        return True, None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return True, value.isoformat()
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return True, dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    out.error(line, entry, key, Msg.DATE.format(value=text))
    return False, None


def _check_month(out: _Collector, line: int, entry: str | None, key: str, value: Any) -> tuple[bool, Any]:
    text = "" if value is None else str(value).strip()
    if isinstance(value, (dt.date, dt.datetime)):
        text = value.isoformat()
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if match and 1 <= int(match.group(2)) <= 12:
        return True, text
    out.error(line, entry, key, Msg.MONTH.format(value=text))
    return False, None


# --- one entry ---------------------------------------------------------------


def _check_fields(
    out: _Collector, raw: Any, spec: dict[str, tuple[str, bool]], line: int, label_key: str
) -> tuple[dict[str, Any] | None, str | None]:
    """Shape, unknown, duplicate, missing and typed fields of one mapping."""
    if not isinstance(raw, LMap):
        out.error(line, None, None, Msg.ENTRY_MAP)
        return None, None
    label = raw.get(label_key) if isinstance(raw.get(label_key), str) else None
    if label_key == "month" and label is None and raw.get("month") is not None:
        label = str(raw.get("month"))
    entry = f"书目 {label}" if label_key == "month" and label else label
    for key, key_line in raw.duplicate_keys:
        out.error(key_line, entry, key, Msg.DUP_KEY.format(field=key))
    ok = not raw.duplicate_keys
    allowed = "、".join(spec)
    values: dict[str, Any] = {}
    for key in raw:
        if key not in spec:
            out.error(raw.line_of(key), entry, key, Msg.UNKNOWN_FIELD.format(field=key, allowed=allowed))
            ok = False
    for key, (kind_of, required) in spec.items():
        if key not in raw:
            if required:
                if key == "questions":
                    out.error(raw.line, entry, key, Msg.NO_QUESTION)
                elif key == "answer":
                    out.error(raw.line, entry, key, Msg.EMPTY_ANSWER)
                else:
                    out.error(raw.line, entry, key, Msg.MISSING.format(field=key))
                ok = False
            continue
        if key == "answer" and (raw[key] is None or (isinstance(raw[key], str) and not raw[key].strip())):
            out.error(raw.line_of(key), entry, key, Msg.EMPTY_ANSWER)
            ok = False
            continue
        good, value = _check_value(out, raw, key, kind_of, entry)
        if not good:
            ok = False
            continue
        if key == "questions" and not value:
            out.error(raw.line_of(key), entry, key, Msg.NO_QUESTION)
            ok = False
            continue
        values[key] = value
    return (values if ok else None), label


def _check_samples(out: _Collector, raw: LMap, values: dict[str, Any], spec: dict, entry: str | None) -> bool:
    ok = True
    sample_fields = values.get("sample_fields", ())
    for name in sample_fields:
        if name not in spec or name in ("id", "sample_fields"):
            out.error(raw.line_of("sample_fields"), entry, "sample_fields", Msg.SAMPLE_UNKNOWN.format(field=name))
            ok = False
    for key, value in values.items():
        if isinstance(value, str) and value.startswith("示例") and key not in sample_fields:
            out.error(raw.line_of(key), entry, key, Msg.SAMPLE_UNMARKED.format(field=key))
            ok = False
    return ok


def _check_entry(out: _Collector, raw: Any, kind: str, line: int) -> tuple[Entry | None, str | None]:
    """Validate one entry mapping; returns the built entry (None if invalid) and its raw id."""
    spec = fields_for(kind)
    values, entry_id = _check_fields(out, raw, spec, line, "id")
    raw_id = entry_id
    if entry_id is not None and not ID_RE.match(entry_id):
        out.error(raw.line_of("id"), entry_id, "id", Msg.ID_FORMAT.format(id=entry_id))
        values = None
        raw_id = None
    if values is None:
        return None, raw_id
    if not _check_samples(out, raw, values, spec, entry_id):
        return None, raw_id
    aliases = values.get("aliases", ())
    alias_ok = True
    for alias in aliases:
        if visible_len(alias) < 2:
            out.error(raw.line_of("aliases"), entry_id, "aliases", Msg.ALIAS_SHORT.format(alias=alias))
            alias_ok = False
    if not alias_ok:
        return None, raw_id
    if not _check_figures(out, raw, values.get("figures", ()), entry_id):
        return None, raw_id
    common = dict(
        id=entry_id,
        questions=values["questions"],
        source=values["source"],
        tags=values.get("tags", ()),
        aliases=aliases,
        sample_fields=values.get("sample_fields", ()),
        file=out.file,
        line=raw.line,
        **{name: values.get(name, () if name == "figures" else "") for name in ATTRIBUTE_FIELDS},
    )
    built: Entry | None
    if kind == "course":
        built = _build_course(out, raw, values, common)
        if built is None:
            return None, raw_id
        answer = built.answer
        answer_field = "description"
    else:
        answer = values["answer"]
        for name in PLACEHOLDER_RE.findall(answer):
            if "{" + name + "}" != BOOK_PLACEHOLDER:
                out.error(
                    raw.line_of("answer"), entry_id, "answer", Msg.PLACEHOLDER.format(name=name, book=BOOK_PLACEHOLDER)
                )
                return None, raw_id
        title = values.get("title") or values["questions"][0]
        built = Entry(kind=kind, title=title, answer=answer, **common)
        answer_field = "answer"
        answer = with_sample_note(answer, built.has_sample)
    n = visible_len(answer.replace(BOOK_PLACEHOLDER, ""))
    if n > ANSWER_MAX_CHARS:
        out.error(raw.line_of(answer_field), entry_id, answer_field, Msg.TOO_LONG.format(n=n, max=ANSWER_MAX_CHARS))
        return None, raw_id
    if n < ANSWER_MIN_CHARS:
        out.warn(raw.line_of(answer_field), entry_id, answer_field, Msg.TOO_SHORT.format(n=n))
    if len(built.questions) == 1:
        out.warn(raw.line_of("questions"), entry_id, "questions", Msg.FEW_QUESTIONS)
    _warn_figures_elsewhere(out, raw, built, answer_field, answer)
    if built.sample_fields:
        out.warn(
            raw.line_of("sample_fields"),
            entry_id,
            "sample_fields",
            Msg.SAMPLE_LEFT.format(fields="、".join(built.sample_fields)),
        )
    return built, raw_id


def _check_figures(out: _Collector, raw: LMap, figures: tuple[str, ...], entry: str | None) -> bool:
    """Every figure states a number and the year it is of (an error otherwise: a worker
    reading "共3749人参与" would take it for this year's number)."""
    ok = True
    items = raw.get("figures")
    for i, figure in enumerate(figures):
        line = items.line_of(i) if isinstance(items, LList) else raw.line_of("figures")
        if not FIGURE_NUMBER_RE.search(figure):
            out.error(line, entry, "figures", Msg.FIGURE_NUMBER.format(n=i + 1, figure=figure))
            ok = False
        elif not FIGURE_YEAR_RE.search(figure):
            out.error(line, entry, "figures", Msg.FIGURE_YEAR.format(n=i + 1, figure=figure))
            ok = False
    return ok


def _warn_figures_elsewhere(out: _Collector, raw: LMap, entry: Entry, field: str, text: str) -> None:
    """A number in ``figures`` that the full answer does not show is probably a typo in
    one of the two places (a worker would get two different numbers)."""
    shown = set(_DIGITS_RE.findall(text))
    items = raw.get("figures")
    for i, figure in enumerate(entry.figures):
        for number in _DIGITS_RE.findall(_DATE_RE.sub("", figure)):
            if number not in shown:
                where = "简介" if field == "description" else "回答"
                out.warn(
                    items.line_of(i) if isinstance(items, LList) else raw.line_of("figures"),
                    entry.id,
                    "figures",
                    Msg.FIGURE_NOT_IN_ANSWER.format(number=number, n=i + 1, where=where),
                )


def _build_course(out: _Collector, raw: LMap, values: dict[str, Any], common: dict[str, Any]) -> Course | None:
    entry_id = common["id"]
    capacity = values.get("capacity")
    if capacity is not None and capacity <= 0:
        out.error(raw.line_of("capacity"), entry_id, "capacity", Msg.CAPACITY)
        return None
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        out.error(raw.line_of("end_date"), entry_id, "end_date", Msg.DATE_ORDER.format(start=start, end=end))
        return None
    course = Course(
        title=values["name"],
        answer="",
        category=values["category"],
        region=values["region"],
        description=values["description"],
        capacity=capacity,
        programme=values.get("programme"),
        enrollable=values.get("enrollable", True),
        start_date=start,
        end_date=end,
        **common,
    )
    return replace(course, answer=course_answer(course))


def _check_book(out: _Collector, raw: Any, line: int) -> MonthlyBook | None:
    values, month = _check_fields(out, raw, BOOK_FIELDS, line, "month")
    if values is None:
        return None
    label = f"书目 {month}"
    if not _check_samples(out, raw, values, BOOK_FIELDS, label):
        return None
    intro = values.get("intro", "")
    if intro and visible_len(intro) > BOOK_INTRO_MAX_CHARS:
        out.error(
            raw.line_of("intro"),
            label,
            "intro",
            Msg.BOOK_INTRO_LONG.format(n=visible_len(intro), max=BOOK_INTRO_MAX_CHARS),
        )
        return None
    book = MonthlyBook(
        month=values["month"],
        title=values["title"],
        author=values.get("author", ""),
        intro=intro,
        sample_fields=values.get("sample_fields", ()),
        file=out.file,
        line=raw.line,
    )
    if book.sample_fields:
        out.warn(
            raw.line_of("sample_fields"),
            label,
            "sample_fields",
            Msg.SAMPLE_LEFT.format(fields="、".join(book.sample_fields)),
        )
    return book


# --- whole set ------------------------------------------------------------------


def _top_level(out: _Collector, data: Any, allow_books: bool) -> tuple[list[tuple[Any, int]], list[tuple[Any, int]]]:
    """Split a file's top level into (entries, monthly books) with their lines.

    A file with nothing in it (empty, only comments or blank lines, ``~``) is an error:
    a truncated save or an accidental select-all-delete must not silently wipe a whole
    kind of knowledge. Staff who really mean "no entries" delete the file or write an
    explicit ``[]`` (accepted with a warning).
    """
    if data is None:
        out.error(None, None, None, Msg.EMPTY_FILE)
        return [], []
    if isinstance(data, LList):
        if not data:
            out.warn(getattr(data, "line", None) or None, None, None, Msg.EMPTY_LIST)
        return [(item, data.line_of(i)) for i, item in enumerate(data)], []
    if isinstance(data, LMap):
        allowed = ["entries", "monthly_books"] if allow_books else ["entries"]
        if not data:
            out.error(data.line or None, None, None, Msg.TOP_LIST)
            return [], []
        for key in data:
            if key not in allowed:
                out.error(data.line_of(key), None, None, Msg.TOP_KEYS.format(key=key, allowed=" 和 ".join(allowed)))
        entries: list[tuple[Any, int]] = []
        books: list[tuple[Any, int]] = []
        explicit_empty = False
        for key, target in (("entries", entries), ("monthly_books", books)):
            if key not in data or key not in allowed:
                continue
            section = data[key]
            if section is None:
                out.error(data.line_of(key), None, key, Msg.EMPTY_SECTION.format(key=key))
                continue
            if not isinstance(section, LList):
                out.error(data.line_of(key), None, key, Msg.TOP_LIST)
                continue
            explicit_empty = explicit_empty or not section
            target.extend((item, section.line_of(i)) for i, item in enumerate(section))
        if explicit_empty and not entries and not books:
            out.warn(data.line or None, None, None, Msg.EMPTY_LIST)
        return entries, books
    out.error(getattr(data, "line", 1) or 1, None, None, Msg.TOP_LIST)
    return [], []


def check_sources(
    sources: dict[str, Any],
    *,
    labels: dict[str, str] | None = None,
    registry_counts: Callable[[], dict[str, int]] | None = None,
    base_problems: list[Problem] | None = None,
    memo: dict[Any, Any] | None = None,
) -> Checked:
    """Validate parsed files (``{file name: LList/LMap}``) as one set.

    ``labels`` renames a file in messages (e.g. ``faq.yml`` -> ``faq.csv`` when the
    FAQ comes from an import); ``registry_counts`` returns ``{course_id: n}`` of
    existing registrations so that a course they point at cannot disappear.
    ``memo`` caches the checks of single entries between calls (keyed by the
    entry's source text and line, see ``located.parse_yaml_cached``); it is
    left holding only the entries of this call.
    """
    labels = labels or {}
    old_memo = dict(memo) if memo is not None else None
    if memo is not None:
        memo.clear()
    problems: list[Problem] = list(base_problems or [])
    entries: list[Entry] = []
    books: list[MonthlyBook] = []
    seen_ids: dict[str, tuple[str, int]] = {}
    course_ids_raw: set[str] = set()
    book_months: dict[str, int] = {}
    for name, data in sources.items():
        kind = KIND_BY_FILE[name]
        out = _Collector(labels.get(name, name), problems)
        raw_entries, raw_books = _top_level(out, data, allow_books=name == "reading.yml")
        for raw, line in raw_entries:
            source_key = getattr(raw, "cache_key", None)
            key = (out.file, kind, source_key) if source_key is not None else None
            if key is not None and old_memo is not None and key in old_memo:
                built, raw_id, entry_problems = old_memo[key]
            else:
                sub = _Collector(out.file, [])
                built, raw_id = _check_entry(sub, raw, kind, line)
                entry_problems = sub.problems
            problems.extend(entry_problems)
            if key is not None and memo is not None:
                memo[key] = (built, raw_id, entry_problems)
            if raw_id is not None:
                if kind == "course":
                    course_ids_raw.add(raw_id)
                if raw_id in seen_ids:
                    first_file, first_line = seen_ids[raw_id]
                    out.error(
                        raw.line_of("id"), raw_id, "id", Msg.DUP_ID.format(id=raw_id, file=first_file, line=first_line)
                    )
                    continue
                seen_ids[raw_id] = (out.file, raw.line_of("id"))
            if built is not None:
                entries.append(built)
        for raw, line in raw_books:
            book = _check_book(out, raw, line)
            if book is None:
                continue
            if book.month in book_months:
                out.error(
                    book.line,
                    f"书目 {book.month}",
                    "month",
                    Msg.BOOK_DUP.format(month=book.month, line=book_months[book.month]),
                )
                continue
            book_months[book.month] = book.line
            books.append(book)
    _cross_checks(entries, problems, labels)
    courses_label = labels.get("courses.yml", "courses.yml")
    courses_unreadable = "courses.yml" not in sources and any(p.is_error and p.file == courses_label for p in problems)
    # A missing courses.yml is checked too (it removes every course), an unreadable one
    # already has its error.
    if registry_counts is not None and not courses_unreadable:
        counts = registry_counts()
        out = _Collector(labels.get("courses.yml", "courses.yml"), problems)
        for course_id, n in sorted(counts.items()):
            if course_id not in course_ids_raw:
                out.error(None, course_id, None, Msg.REGISTRY.format(id=course_id, n=n))
    if not entries and not any(p.is_error for p in problems):
        problems.append(Problem(ERROR, "knowledge", None, None, None, Msg.NO_ENTRIES))
    return Checked(entries, books, problems)


def _cross_checks(entries: list[Entry], problems: list[Problem], labels: dict[str, str]) -> None:
    """Checks that need all entries: aliases, programme references, questions."""
    from knowledge.text import normalize  # local import: text loads jieba lazily anyway

    courses = [e for e in entries if isinstance(e, Course)]
    course_by_id = {c.id: c for c in courses}
    owner: dict[str, str] = {}
    for course in courses:
        for name in (course.title, *course.aliases):
            key = normalize(name)
            if not key:
                continue
            other = owner.get(key)
            if other is not None and other != course.id:
                alias = name
                problems.append(
                    Problem(
                        ERROR,
                        course.file,
                        course.line,
                        course.id,
                        "aliases",
                        Msg.ALIAS_CLASH.format(alias=alias, other=other, this=course.id),
                    )
                )
                continue
            owner[key] = course.id
    for course in courses:
        if course.programme and course.programme not in course_by_id:
            problems.append(
                Problem(
                    ERROR, course.file, course.line, course.id, "programme", Msg.PROGRAMME.format(ref=course.programme)
                )
            )
    asked: dict[str, str] = {}
    for entry in entries:
        for question in entry.questions:
            key = normalize(question)
            other = asked.get(key)
            if other is not None and other != entry.id:
                problems.append(
                    Problem(
                        WARNING,
                        entry.file,
                        entry.line,
                        entry.id,
                        "questions",
                        Msg.DUP_QUESTION.format(question=question, other=other),
                    )
                )
            else:
                asked[key] = entry.id


def registry_course_counts(path: Path) -> dict[str, int]:
    """``{course_id: active registrations}`` from the registry at ``path``, read-only.

    No registry there yet means "nothing registered". An unreadable one is logged and
    treated the same: a staff edit must not be refused because of a database problem.
    """
    try:
        with registry_read_only(path) as db:
            return {} if db is None else course_registration_counts(db)
    except sqlite3.Error as error:
        logger.warning("报名数据库读不出来（%s），这次检查没有核对已有报名的课程：%s", path, error)
        return {}
