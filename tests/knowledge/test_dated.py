"""Knowledge that goes stale by the calendar: this month's book and course dates.

Workers always get a sensible sentence about the book; staff are reminded in time by
``validate``. Every date here comes from a FixedClock (or UH_TODAY for the CLI).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from common.clock import FixedClock
from knowledge.books import book_news, latest_earlier_book
from knowledge.cli import main
from knowledge.loader import load
from knowledge.schema import SAMPLE_NOTE, MonthlyBook
from tests.knowledge.helpers import WELD_COURSE

READING = """
entries:
  - id: reading_monthly_book
    title: 本月精读书目
    questions: [这个月读什么书, 本月书目是什么]
    answer: |
      读书团队每月精读一本书。
      {{本月书目}}
    source: 测试
monthly_books:
{books}
"""
BOOK = """
  - month: {month}
    title: {title}
    author: 某某
    intro: 一本关于工匠精神的书。
"""

COURSE = WELD_COURSE.replace("  questions:", "  start_date: 2026-12-05\n  end_date: 2026-12-20\n  questions:")

THIS_MONTH_MISSING = (
    "[提醒] reading.yml（字段 monthly_books）：本月（2026年12月）还没有精读书目，职工问起时小助手会说“还没有公布”。"
    "请在 monthly_books 里加上 month: 2026-12 这一条"
)


def reading(*books: tuple[str, str]) -> str:
    return READING.format(books="".join(BOOK.format(month=m, title=t) for m, t in books) or "  []")


def reminders(kdir: Path, day: dt.date) -> list[str]:
    result = load(kdir, clock=FixedClock.on(day))
    assert result.ok, result.errors
    return [str(p) for p in result.warnings if "monthly_books" in str(p) or "课" in p.message]


# --- what workers read -----------------------------------------------------------------


def books(*months: str, sample: bool = False) -> dict[str, MonthlyBook]:
    fields = ("title",) if sample else ()
    return {
        m: MonthlyBook(month=m, title=f"书{m}", author="某某", intro="介绍。", sample_fields=fields) for m in months
    }


def test_the_book_of_the_month_with_its_introduction():
    news = book_news(books("2026-11", "2026-12"), "2026-12")
    assert news.answer == "2026年12月精读书目：《书2026-12》，某某 著。\n介绍。"
    assert (
        book_news(books("2026-12"), "2026-12", detailed=False).answer == "2026年12月精读书目：《书2026-12》，某某 著。"
    )


def test_not_announced_yet_names_the_latest_earlier_book_under_its_own_month():
    news = book_news(books("2026-09", "2026-10"), "2026-12")
    assert news.answer == (
        "本月（2026年12月）精读书目还没有公布，请留意工会通知。\n上一期（2026年10月）精读的是《书2026-10》，某某 著。"
    )
    assert not news.sample
    sample = book_news(books("2026-11", sample=True), "2026-12")
    assert sample.sample and sample.answer.endswith(SAMPLE_NOTE)


@pytest.mark.parametrize(
    ("months", "month", "expected"),
    [
        (("2026-09",), "2026-12", "2026-09"),  # three months back is still recent
        (("2026-08",), "2026-12", None),  # four is not
        (("2026-11",), "2027-01", "2026-11"),  # across the new year
        (("2027-01",), "2026-12", None),  # a later book is not an earlier one
        ((), "2026-12", None),
    ],
)
def test_which_earlier_book_is_worth_naming(months, month, expected):
    found = latest_earlier_book(books(*months), month)
    assert (found.month if found else None) == expected


def test_nothing_to_name_is_still_a_sentence():
    assert book_news({}, "2026-12").answer == "本月（2026年12月）精读书目还没有公布，请留意工会通知。"


# --- what staff are reminded of ------------------------------------------------------


def test_a_missing_book_for_this_month_is_a_warning(kdir, write_yaml):
    write_yaml(kdir, "reading.yml", reading(("2026-11", "十一月的书")))
    assert reminders(kdir, dt.date(2026, 11, 20)) == []
    assert reminders(kdir, dt.date(2026, 12, 1)) == [THIS_MONTH_MISSING]


@pytest.mark.parametrize(
    ("day", "warned"),
    [
        (dt.date(2026, 11, 23), False),  # 8 days before December
        (dt.date(2026, 11, 24), True),  # a week before
        (dt.date(2026, 11, 30), True),
    ],
)
def test_next_months_book_is_asked_for_a_week_ahead(kdir, write_yaml, day, warned):
    write_yaml(kdir, "reading.yml", reading(("2026-11", "十一月的书")))
    days = (dt.date(2026, 12, 1) - day).days
    expected = (
        "[提醒] reading.yml（字段 monthly_books）：下个月（2026年12月）的精读书目还没有写，"
        f"还有{days}天就到了。请在 monthly_books 里加上 month: 2026-12 这一条"
    )
    assert reminders(kdir, day) == ([expected] if warned else [])
    write_yaml(kdir, "reading.yml", reading(("2026-11", "十一月的书"), ("2026-12", "十二月的书")))
    assert reminders(kdir, day) == []


def test_no_reminders_without_a_clock_or_without_monthly_books(kdir, write_yaml):
    write_yaml(kdir, "reading.yml", reading())
    assert [str(p) for p in load(kdir).warnings if "monthly_books" in str(p)] == []  # the bot's reloads
    assert reminders(kdir, dt.date(2026, 12, 1)) == [THIS_MONTH_MISSING]  # the placeholder needs one
    write_yaml(
        kdir,
        "reading.yml",
        "- id: reading_a\n  title: 读书节\n  questions: [读书活动, 读书节]\n"
        "  answer: 全市举办职工读书节，欢迎参加。\n  source: 测试\n",
    )
    assert reminders(kdir, dt.date(2026, 12, 1)) == []  # no books used at all


def test_a_course_still_open_after_it_started_or_ended(kdir, write_yaml):
    write_yaml(kdir, "courses.yml", COURSE)
    assert reminders(kdir, dt.date(2026, 12, 5)) == []
    assert reminders(kdir, dt.date(2026, 12, 6)) == [
        "[提醒] courses.yml 第1行（条目 c_weld，字段 start_date）：开课日期 2026-12-05 已经过了，小助手还在接受报名。"
        "请改成下一期的开课日期，或者把 enrollable 改成 false"
    ]
    assert reminders(kdir, dt.date(2026, 12, 21)) == [
        "[提醒] courses.yml 第1行（条目 c_weld，字段 end_date）：这门课 2026-12-20 已经结课，小助手还在接受报名。"
        "请改成下一期的日期，或者把 enrollable 改成 false"
    ]
    write_yaml(kdir, "courses.yml", COURSE.replace("  source: 测试", "  enrollable: false\n  source: 测试"))
    assert reminders(kdir, dt.date(2026, 12, 21)) == []  # no longer taking sign-ups


def test_the_cli_reminds_on_the_settings_day(kdir, write_yaml, monkeypatch, capsys):
    write_yaml(kdir, "reading.yml", reading(("2026-11", "十一月的书")))
    monkeypatch.setenv("UH_TODAY", "2026-12-01")
    assert main(["validate"]) == 0  # a reminder, not an error
    assert THIS_MONTH_MISSING in capsys.readouterr().out.splitlines()
    monkeypatch.setenv("UH_TODAY", "2026-11-10")
    assert main(["validate"]) == 0
    assert "monthly_books" not in capsys.readouterr().out
