"""The shapes of knowledge: entries, courses, monthly books, search hits, problems.

Everything here is immutable (frozen dataclasses, tuples) because a loaded
knowledge snapshot is shared by concurrent requests and swapped as a whole on
reload; nobody may change it in place.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

# --- files and kinds -------------------------------------------------------

#: Which file holds which kind of entry. Staff may only use these file names.
KIND_BY_FILE: dict[str, str] = {
    "faq.yml": "faq",
    "courses.yml": "course",
    "subsidies.yml": "subsidy",
    "reading.yml": "reading",
    "sports.yml": "sports",
    "organizations.yml": "organization",
}
KINDS: tuple[str, ...] = tuple(KIND_BY_FILE.values())

# --- limits and markers staff see ------------------------------------------

#: Longest answer (non-blank characters, sample note included) that fits a phone screen.
ANSWER_MAX_CHARS = 300
#: Answers shorter than this get a warning (they rarely explain anything).
ANSWER_MIN_CHARS = 10
#: Appended to every answer that shows a value staff have not confirmed yet.
SAMPLE_NOTE = "（示例信息，以工会通知为准）"
#: A sample value in a text field starts with this, so nobody mistakes it for a fact.
SAMPLE_PREFIX = "示例："
#: The only placeholder answers may contain; replaced by this month's book.
BOOK_PLACEHOLDER = "{本月书目}"
#: A hit at or above this score is a confident answer (see ``knowledge.search``).
CONFIDENT_SCORE = 70.0

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def visible_len(text: str) -> int:
    """Characters a worker actually reads (whitespace does not count)."""
    return sum(1 for ch in text if not ch.isspace())


def strip_sample_prefix(value: str) -> str:
    """Show a sample value without its ``示例：`` marker (the note says it instead)."""
    if value.startswith(SAMPLE_PREFIX):
        return value[len(SAMPLE_PREFIX) :].strip()
    if value.startswith("示例:"):
        return value[3:].strip()
    return value


def with_sample_note(text: str, has_sample: bool) -> str:
    """Append the sample note once, when the text shows sample values."""
    if has_sample and SAMPLE_NOTE not in text:
        return f"{text.rstrip()}\n{SAMPLE_NOTE}"
    return text


# --- entries ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One answerable piece of knowledge (FAQ, subsidy, reading, sports, organisation).

    ``answer`` is the text as staff wrote it; use :meth:`render` (or a ``Hit``) for
    the text sent to a worker, which adds the sample note and fills placeholders.
    """

    id: str
    kind: str
    title: str
    questions: tuple[str, ...]
    answer: str
    source: str
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    sample_fields: tuple[str, ...] = ()
    # The attributes workers ask about (knowledge.fields.ATTRIBUTE_FIELDS); empty when
    # the source does not say.
    provider: str = ""
    teachers: str = ""
    audience: str = ""
    location: str = ""
    schedule: str = ""
    cost: str = ""
    how_to_join: str = ""
    contact: str = ""
    figures: tuple[str, ...] = ()
    file: str = ""
    line: int = 0

    @property
    def has_sample(self) -> bool:
        """True while the entry still shows values staff must replace."""
        return bool(self.sample_fields)

    def attribute(self, name: str) -> str | tuple[str, ...]:
        """The value of one attribute field as staff wrote it ("" or () when not given)."""
        value = getattr(self, name, "")
        return value if isinstance(value, (str, tuple)) else str(value) if value is not None else ""

    def shown(self, name: str, value: str) -> str:
        """``value`` of field ``name`` as a worker reads it (the ``示例：`` marker dropped:
        the sample note says it instead)."""
        return strip_sample_prefix(value) if name in self.sample_fields else value

    @property
    def needs_book(self) -> bool:
        """True when the answer names this month's book (the ``{本月书目}`` placeholder)."""
        return BOOK_PLACEHOLDER in self.answer

    def render(self, book: BookNews | None = None) -> str:
        """The ready-to-send answer text; ``book`` fills the ``{本月书目}`` placeholder
        (required when :attr:`needs_book`)."""
        text = self.answer
        if self.needs_book:
            if book is None:
                raise ValueError(f"{self.id}: the answer names this month's book, pass it")
            text = with_sample_note(text.replace(BOOK_PLACEHOLDER, book.text), book.sample)
        return with_sample_note(text, self.has_sample)

    def to_doc(self) -> dict[str, Any]:
        """A JSON-safe dict (used to store the entry in the index)."""
        doc: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            doc[f.name] = list(value) if isinstance(value, tuple) else value
        return doc

    @staticmethod
    def from_doc(doc: dict[str, Any]) -> Entry:
        """Inverse of :meth:`to_doc`; returns a :class:`Course` for courses."""
        cls: type[Entry] = Course if doc.get("kind") == "course" else Entry
        names = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in doc.items() if k in names}
        return cls(**kwargs)


@dataclass(frozen=True, kw_only=True)
class Course(Entry):
    """A course or programme workers can ask about (and usually sign up for).

    ``answer`` is generated from the fields by :func:`course_answer`, so staff edit
    facts in one place. ``programme`` names the parent programme (e.g. 匠心工坊) and
    ``enrollable`` says whether the bot should offer a sign-up.
    """

    kind: str = "course"
    category: str = ""
    region: str = ""
    description: str = ""
    capacity: int | None = None
    programme: str | None = None
    enrollable: bool = True
    start_date: str | None = None
    end_date: str | None = None

    @property
    def name(self) -> str:
        """The course name (stored as ``title`` like every other entry)."""
        return self.title

    def to_doc(self) -> dict[str, Any]:
        doc = super().to_doc()
        doc["name"] = self.title
        return doc


def _shown(course: Course, field_name: str, value: Any) -> str:
    text = str(value)
    if field_name in course.sample_fields and isinstance(value, str):
        text = strip_sample_prefix(text)
    return text


def course_answer(course: Course) -> str:
    """Build the worker-facing text of a course from its fields."""
    head = f"【{course.title}】"
    meta = " · ".join(x for x in (course.provider, course.category) if x)
    if course.region and course.region not in ("全市", "线上"):
        meta = f"{meta}（{course.region}）" if meta else course.region
    lines = [head + meta, course.description.strip()]
    labels = (
        ("start_date", "开课", course.start_date),
        ("schedule", "时间", course.schedule),
        ("location", "地点", course.location),
        ("capacity", "名额", f"{course.capacity}人" if course.capacity else None),
        ("contact", "联系", course.contact),
    )
    shown_sample = False
    for name, label, value in labels:
        if value in (None, ""):
            continue
        lines.append(f"{label}：{_shown(course, name, value)}")
        shown_sample = shown_sample or name in course.sample_fields
    if course.enrollable:
        lines.append(f"想报名请回复“报名{course.title}”。")
    text = "\n".join(line for line in lines if line)
    return with_sample_note(text, shown_sample or course.has_sample)


@dataclass(frozen=True, kw_only=True)
class MonthlyBook:
    """The book the reading teams read in one month (``month`` is ``YYYY-MM``)."""

    month: str
    title: str
    author: str = ""
    intro: str = ""
    sample_fields: tuple[str, ...] = ()
    file: str = ""
    line: int = 0

    @property
    def has_sample(self) -> bool:
        return bool(self.sample_fields)

    def named(self) -> str:
        """Title and author as a worker reads them: 《书名》，作者 著."""
        text = f"《{_book_value(self, 'title', self.title).strip('《》')}》"
        if self.author:
            text += f"，{_book_value(self, 'author', self.author)} 著"
        return text

    def short_text(self) -> str:
        """One line naming the book, used inside other answers."""
        return f"{month_label(self.month)}精读书目：{self.named()}。"

    def full_text(self) -> str:
        """The line naming the book and its introduction, without the sample note."""
        return self.short_text() + (f"\n{_book_value(self, 'intro', self.intro)}" if self.intro else "")

    @property
    def answer(self) -> str:
        """The ready-to-send text about this book."""
        return with_sample_note(self.full_text(), self.has_sample)

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["sample_fields"] = list(self.sample_fields)
        return doc

    @staticmethod
    def from_doc(doc: dict[str, Any]) -> MonthlyBook:
        names = {f.name for f in fields(MonthlyBook)}
        kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in doc.items() if k in names}
        return MonthlyBook(**kwargs)


def _book_value(book: MonthlyBook, name: str, value: str) -> str:
    return strip_sample_prefix(value) if name in book.sample_fields else value


def month_label(month: str) -> str:
    """``2026-12`` as a worker reads it: ``2026年12月``."""
    year, number = month.split("-")
    return f"{int(year)}年{int(number)}月"


@dataclass(frozen=True)
class BookNews:
    """What to tell a worker about one month's book (``knowledge.books``): ``text``
    without the sample note, ``sample`` whether it shows values staff must replace."""

    text: str
    sample: bool = False

    @property
    def answer(self) -> str:
        """The ready-to-send text."""
        return with_sample_note(self.text, self.sample)


# --- search results --------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One search result, ready to show.

    ``score`` is 0..100 and means the same for every query (how well the question
    matches the entry's own phrasings, see ``knowledge.search``); ``confident`` is
    ``score >= CONFIDENT_SCORE``. ``matched`` is the phrasing that matched best.
    """

    id: str
    kind: str
    title: str
    answer: str
    score: float
    confident: bool
    source: str
    matched: str = ""
    sample: bool = False
    tags: tuple[str, ...] = ()


# --- validation problems ---------------------------------------------------

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge files, worded for staff (Chinese).

    ``str(problem)`` is exactly what ``python -m knowledge validate`` prints, e.g.
    ``[错误] faq.yml 第7行（条目 faq_a，字段 answer）：答案不能为空``.
    """

    level: str
    file: str
    line: int | None
    entry: str | None
    field: str | None
    message: str

    @property
    def is_error(self) -> bool:
        return self.level == ERROR

    def __str__(self) -> str:
        label = "错误" if self.is_error else "提醒"
        where = self.file + (f" 第{self.line}行" if self.line else "")
        parts = []
        if self.entry:
            parts.append(f"条目 {self.entry}")
        if self.field:
            parts.append(f"字段 {self.field}")
        detail = f"（{'，'.join(parts)}）" if parts else ""
        return f"[{label}] {where}{detail}：{self.message}"


class KnowledgeError(Exception):
    """The knowledge files are invalid and there is no earlier good version to use.

    ``problems`` holds every problem found; ``messages`` their Chinese text.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(self.messages))

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]


__all__ = [
    "ANSWER_MAX_CHARS",
    "ANSWER_MIN_CHARS",
    "BOOK_PLACEHOLDER",
    "BookNews",
    "CONFIDENT_SCORE",
    "Course",
    "Entry",
    "ERROR",
    "Hit",
    "KIND_BY_FILE",
    "KINDS",
    "KnowledgeError",
    "MonthlyBook",
    "Problem",
    "SAMPLE_NOTE",
    "SAMPLE_PREFIX",
    "WARNING",
    "course_answer",
    "month_label",
    "visible_len",
    "with_sample_note",
]
