"""Reminders for staff that depend on today's date.

Some knowledge goes stale by the calendar alone: the reading teams need a book every
month, and a course whose start date has passed should not still take sign-ups as if
nothing happened. These checks are warnings (the edit is used) and need a clock, so
``python -m knowledge validate`` (and ``import-faq``) run them with the settings' clock,
while the running bot, whose reloads are cached by file content, does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from common.clock import Clock, month_of, next_month, today
from knowledge.schema import WARNING, Course, Entry, MonthlyBook, Problem, month_label
from knowledge.validate import Msg

#: Staff are reminded of next month's book this many days before the month begins.
BOOK_NOTICE_DAYS = 7


def dated_problems(
    entries: Sequence[Entry], books: Sequence[MonthlyBook], clock: Clock, *, books_file: str | None
) -> list[Problem]:
    """Every date reminder; ``books_file`` names the file holding the monthly books
    (None: there is none, so there are no book reminders)."""
    problems = _course_problems(entries, today(clock))
    uses_books = bool(books) or any(e.needs_book for e in entries)
    if books_file is not None and uses_books:
        problems.extend(_book_problems(books, clock, books_file))
    return problems


def _book_problems(books: Sequence[MonthlyBook], clock: Clock, file: str) -> list[Problem]:
    """This month's book missing; next month's missing within BOOK_NOTICE_DAYS of it."""
    months = {b.month for b in books}
    this_month = month_of(clock)
    coming = next_month(this_month)
    days_left = (dt.date.fromisoformat(f"{coming}-01") - today(clock)).days
    problems = []
    if this_month not in months:
        message = Msg.BOOK_THIS_MONTH.format(month=month_label(this_month), key=this_month)
        problems.append(Problem(WARNING, file, None, None, "monthly_books", message))
    if days_left <= BOOK_NOTICE_DAYS and coming not in months:
        message = Msg.BOOK_NEXT_MONTH.format(month=month_label(coming), key=coming, days=days_left)
        problems.append(Problem(WARNING, file, None, None, "monthly_books", message))
    return problems


def _course_problems(entries: Sequence[Entry], day: dt.date) -> list[Problem]:
    """Courses still open for sign-up after they started (or even ended)."""
    problems = []
    for course in entries:
        if not isinstance(course, Course) or not course.enrollable:
            continue
        if course.end_date and course.end_date < day.isoformat():
            field, message = "end_date", Msg.COURSE_ENDED.format(end=course.end_date)
        elif course.start_date and course.start_date < day.isoformat():
            field, message = "start_date", Msg.COURSE_STARTED.format(start=course.start_date)
        else:
            continue
        problems.append(Problem(WARNING, course.file, course.line, course.id, field, message))
    return problems
