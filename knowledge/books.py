"""What the bot says about the reading teams' book of a month.

Staff enter one book a month in ``reading.yml`` and are sometimes late: on the first of
a month nothing may be there yet. A worker asking then must still get a sensible answer,
never an empty line or last month's book passed off as this month's. Every sentence
about "this month's book" — the ``{本月书目}`` placeholder and the reading-team
confirmation alike — therefore comes from :func:`book_news`: the book when there is
one; otherwise that it is not announced yet, followed by the latest earlier book under
its own month while that is recent enough to still be read in the teams.
"""

from __future__ import annotations

from collections.abc import Mapping

from common import texts
from knowledge.schema import BookNews, MonthlyBook, month_label

#: An earlier book is mentioned while it is at most this many months old.
EARLIER_BOOK_MONTHS = 3


def _month_number(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def latest_earlier_book(books: Mapping[str, MonthlyBook], month: str) -> MonthlyBook | None:
    """The most recent book before ``month`` if it is at most EARLIER_BOOK_MONTHS older."""
    earlier = [m for m in books if m < month]
    if not earlier:
        return None
    latest = max(earlier)
    if _month_number(month) - _month_number(latest) > EARLIER_BOOK_MONTHS:
        return None
    return books[latest]


def book_news(books: Mapping[str, MonthlyBook], month: str, *, detailed: bool = True) -> BookNews:
    """What to say about the book of ``month`` (``YYYY-MM``).

    ``detailed`` adds the book's introduction (a reply of its own); without it the text
    is the one line that fits inside another answer (the placeholder).
    """
    book = books.get(month)
    if book is not None:
        return BookNews(book.full_text() if detailed else book.short_text(), book.has_sample)
    text = texts.BOOK_NOT_ANNOUNCED.format(month=month_label(month))
    earlier = latest_earlier_book(books, month)
    if earlier is None:
        return BookNews(text)
    line = texts.EARLIER_BOOK.format(month=month_label(earlier.month), book=earlier.named())
    return BookNews(f"{text}\n{line}", earlier.has_sample)
