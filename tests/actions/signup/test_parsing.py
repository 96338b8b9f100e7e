"""What typed answers mean (actions/signup/parsing.py), without a form around them."""

from __future__ import annotations

from datetime import date

import pytest

from actions.signup.parsing import (
    clean_graduation_date,
    course_from_text,
    is_bare_cancel,
    parse_yes_no,
    profile_field_from_text,
    record_key,
    team_kind_from_text,
)
from knowledge import KnowledgeBase
from registry import InvalidInput

DAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ("姓名", "worker_name"),
        ("手机号", "worker_phone"),
        ("换电话了", "worker_phone"),
        ("工作单位", "worker_employer"),
        ("所在区", "worker_district"),
        ("搬到鄞州了", "worker_district"),
        ("会员身份", "worker_union_member"),
        ("不用改了", "none"),
        ("啥", None),
    ],
)
def test_which_field_to_change(typed: str, field: str | None) -> None:
    assert profile_field_from_text(typed) == field


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2024年6月", "2024-06"),
        ("2024.6", "2024-06"),
        ("二〇二二年七月", "2022-07"),
        ("24年7月", "2024-07"),
        ("去年7月", "2025-07"),
        ("今年6月份拿的证", "2026-06"),
        ("2023年1月毕业", "2023-01"),
    ],
)
def test_graduation_dates_as_workers_type_them(typed: str, expected: str) -> None:
    assert clean_graduation_date(typed, today=DAY) == expected


@pytest.mark.parametrize(
    ("typed", "reason"), [("2020年", "月份"), ("下个月", "没看懂"), ("2026年12月", "不能晚于本月")]
)
def test_bad_graduation_dates(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as error:
        clean_graduation_date(typed, today=DAY)
    assert reason in error.value.message


def test_graduation_dates_default_to_the_settings_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UH_TODAY", "2027-01-10")
    assert clean_graduation_date("去年7月") == "2026-07"
    assert clean_graduation_date("2026年12月") == "2026-12"  # no longer in the future


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        (True, True),
        ("是的", True),
        ("没问题", True),
        ("不是", False),
        ("还没入会", False),
        ("这是什么？", None),
        ("", None),
    ],
)
def test_yes_and_no(typed: object, answer: bool | None) -> None:
    assert parse_yes_no(typed) is answer


@pytest.mark.parametrize(
    ("typed", "bare"), [("取消", True), ("确认取消", True), ("取消了不想弄了", False), ("算了", False)]
)
def test_a_bare_cancel(typed: str, bare: bool) -> None:
    assert is_bare_cancel(typed) is bare


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("单位读书会", "employer"),
        ("宁波永发机械有限公司", "employer"),
        ("地区读书会", "district"),
        ("海曙那个", "district"),
    ],
)
def test_which_team(typed: str, kind: str) -> None:
    assert team_kind_from_text(typed, "宁波永发机械有限公司") == kind


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("BM2026-000001", "BM2026-000001"),
        ("取消 bm 2026 1", "BM2026-000001"),
        ("district:海曙区", "district:海曙区"),
        ("随便", None),
    ],
)
def test_record_references(typed: str, key: str | None) -> None:
    assert record_key(typed) == key


@pytest.mark.parametrize(
    ("sentence", "course_id"),
    [
        ("我想报名PLC编程", "jxgf_plc"),
        ("奉化那个服装定制课报名", "region_fenghua_tailoring"),  # 87 points, the next one 24
        ("把我加到plc编成的班里", "jxgf_plc"),
        ("我想报名", None),
        ("帮我报个课", None),
    ],
)
def test_a_sentence_names_a_course_only_without_doubt(kb: KnowledgeBase, sentence: str, course_id: str | None) -> None:
    course = course_from_text(kb, sentence)
    assert (course.id if course else None) == course_id
