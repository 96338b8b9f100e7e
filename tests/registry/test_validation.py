"""The form helpers: every one with answers it must accept and answers it must refuse."""

from __future__ import annotations

from datetime import date

import pytest

from registry import (
    DISTRICTS,
    InvalidInput,
    normalize_certificate_no,
    normalize_district,
    normalize_employer,
    normalize_name,
    normalize_phone,
    normalize_record_number,
    parse_graduation_date,
)

TODAY = date(2026, 3, 15)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# ---------------------------------------------------------------- phone


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        " 13812345678 ",
        "138 1234 5678",
        "138-1234-5678",
        "１３８１２３４５６７８",  # full-width digits
        "１３８－１２３４－５６７８",
        "+86 138 1234 5678",
        "0086-13812345678",
        "86 138 1234 5678",
        "(138)1234.5678",
    ],
)
def test_phone_accepts_common_spellings(text: str) -> None:
    assert normalize_phone(text) == "13812345678"


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", "手机号"),
        (None, "手机号"),
        ("1381234567a", "数字"),  # a letter
        ("138l2345678", "数字"),  # lower-case L for 1
        ("138123456789", "12位"),  # 12 digits
        ("1381234567890", "13位"),
        ("1381234567", "10位"),
        ("12812345678", "13–19"),  # no such prefix
        ("23812345678", "13–19"),
        ("0574-87654321", "位"),  # a landline
        ("一三八一二三四五六七八", "数字"),
    ],
)
def test_phone_refuses_with_a_chinese_reason(text: str | None, hint: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalize_phone(text)
    assert error.value.field == "phone"
    assert hint in error.value.message
    assert _has_chinese(error.value.message)


# ---------------------------------------------------------------- name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张三", "张三"),
        ("  张三  ", "张三"),
        ("张 三", "张三"),
        ("欧阳娜娜", "欧阳娜娜"),
        ("阿卜杜拉•艾力", "阿卜杜拉·艾力"),
        ("Li  Ming", "Li Ming"),
        ("Ｌｉ Ｍｉｎｇ", "Li Ming"),
    ],
)
def test_name_accepts_and_trims(text: str, expected: str) -> None:
    assert normalize_name(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", "姓名"),
        ("   ", "姓名"),
        ("12345", "数字"),  # digits only
        ("张三3", "数字"),
        ("张", "至少2个字"),
        ("张" * 21, "最多20个字"),
        ("？？", "文字"),
        ("张三😀", "文字"),
    ],
)
def test_name_refuses(text: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalize_name(text)
    assert hint in error.value.message


def test_employer() -> None:
    assert normalize_employer("  宁波XX  有限公司 ") == "宁波XX 有限公司"
    for bad in ("", "1", "123456", "公" * 61):
        with pytest.raises(InvalidInput):
            normalize_employer(bad)


# ---------------------------------------------------------------- district


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("海曙区", "海曙区"),
        ("海曙", "海曙区"),
        ("鄞州", "鄞州区"),
        ("鄞县", "鄞州区"),
        ("余姚", "余姚市"),
        ("余姚市", "余姚市"),
        ("慈溪", "慈溪市"),
        ("宁海", "宁海县"),
        ("象山", "象山县"),
        ("奉化市", "奉化区"),
        ("宁波市北仑区", "北仑区"),
        ("浙江省宁波市江北区", "江北区"),
        (" 镇海 ", "镇海区"),
        ("我在北仑上班", "北仑区"),
        ("Yinzhou", "鄞州区"),
    ],
)
def test_district_synonyms(text: str, expected: str) -> None:
    assert normalize_district(text) == expected


@pytest.mark.parametrize("text", ["", "杭州", "上城区", "宁波", "高新区", "海曙和江北", None])
def test_district_unknown_is_none(text: str | None) -> None:
    assert normalize_district(text) is None


def test_every_official_district_maps_to_itself() -> None:
    assert len(DISTRICTS) == 10
    assert all(normalize_district(d) == d for d in DISTRICTS)


# ---------------------------------------------------------------- graduation date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024年6月", "2024-06"),
        ("2024年06月", "2024-06"),
        ("2024-06", "2024-06"),
        ("2024.6", "2024-06"),
        ("2024/6", "2024-06"),
        ("202406", "2024-06"),
        ("2024-06-30", "2024-06"),
        ("2024年6月30日", "2024-06"),
        ("2024年6月毕业", "2024-06"),
        ("２０２４年６月", "2024-06"),
        ("二〇二四年六月", "2024-06"),
        ("2023年十二月", "2023-12"),
        ("2026年3月", "2026-03"),  # this month is fine
    ],
)
def test_graduation_date_accepts(text: str, expected: str) -> None:
    assert parse_graduation_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("2026年4月", "晚于本月"),  # the future
        ("2030-01", "晚于本月"),
        ("2024年13月", "1到12"),
        ("2024年", "月份"),
        ("去年", "格式"),
        ("", "毕业时间"),
        ("1900-01", "太早"),
    ],
)
def test_graduation_date_refuses(text: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_graduation_date(text, today=TODAY)
    assert hint in error.value.message


def test_graduation_date_defaults_to_the_settings_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the machine's date: a test stack moved to another day (UH_TODAY) agrees."""
    monkeypatch.setenv("UH_TODAY", "2026-11-16")
    assert parse_graduation_date("2026年11月") == "2026-11"
    with pytest.raises(InvalidInput):
        parse_graduation_date("2026年12月")
    monkeypatch.setenv("UH_TODAY", "2026-12-01")
    assert parse_graduation_date("2026年12月") == "2026-12"


# ---------------------------------------------------------------- certificates and numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("106471202405001234", "106471202405001234"),
        ("1064 7120 2405 0012 34", "106471202405001234"),
        ("１０６４７１２０２４０５００１２３４", "106471202405001234"),
        ("zj-2024-001234", "ZJ2024001234"),
    ],
)
def test_certificate_accepts(text: str, expected: str) -> None:
    assert normalize_certificate_no(text) == expected


@pytest.mark.parametrize("text", ["", "12345", "1" * 31, "证书123456", "ABCDEFG12", "1234#5678"])
def test_certificate_refuses(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalize_certificate_no(text)
    assert error.value.field == "certificate_no"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BM2026-000123", "BM2026-000123"),
        ("bm2026-123", "BM2026-000123"),
        (" BM 2026 000123 ", "BM2026-000123"),
        ("ＢＴ２０２６－０００００７", "BT2026-000007"),
        ("123", None),
        ("报名号", None),
    ],
)
def test_record_numbers(text: str, expected: str | None) -> None:
    assert normalize_record_number(text) == expected
