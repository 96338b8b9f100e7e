"""Checks and clean-ups for what a worker types into a form.

Pure functions, shared by the Rasa form validators and the storage functions. Each
``normalize_*`` returns the clean value or raises :class:`InvalidInput`, whose ``message``
is a Chinese sentence that can be shown to the worker as it is. The one exception is
:func:`normalize_district`, which returns ``None`` for a place it does not know (the
form then shows :data:`DISTRICT_HINT`).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from common.clock import default_clock
from common.clock import today as today_of

__all__ = [
    "DISTRICTS",
    "DISTRICT_HINT",
    "InvalidInput",
    "normalize_certificate_no",
    "normalize_district",
    "normalize_employer",
    "normalize_name",
    "normalize_phone",
    "normalize_record_number",
    "parse_graduation_date",
]


class InvalidInput(ValueError):
    """A form answer that cannot be accepted; ``message`` is for the worker."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _nfkc(text: object) -> str:
    """Full-width digits, letters and spaces to their ASCII forms, trimmed."""
    if text is None:
        return ""
    return unicodedata.normalize("NFKC", str(text)).strip()


# ---------------------------------------------------------------- phone numbers

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_.()]+")
_PHONE_PREFIX = re.compile(r"^(?:\+86|0086)")


def normalize_phone(text: object) -> str:
    """A mainland mobile number as 11 ASCII digits.

    Accepts spaces, dashes, dots and brackets between the digits, full-width digits and a
    ``+86``/``0086``/``86`` prefix: ``"138 1234-5678"``, ``"１３８１２３４５６７８"``.
    """
    raw = _nfkc(text)
    if not raw:
        raise InvalidInput("phone", "请告诉我您的手机号（11位数字）。")
    compact = _PHONE_SEPARATORS.sub("", raw)
    compact = _PHONE_PREFIX.sub("", compact)
    if len(compact) == 13 and compact.startswith("86"):  # "86 138..." without the plus
        compact = compact[2:]
    if not compact.isascii() or not compact.isdigit():
        raise InvalidInput("phone", "手机号只能包含数字，请重新输入11位手机号，例如 138 1234 5678。")
    if len(compact) != 11:
        raise InvalidInput("phone", f"手机号应为11位数字，您输入的是{len(compact)}位，请核对后重新输入。")
    if not PHONE_RE.match(compact):
        raise InvalidInput("phone", "这个号码不像手机号（应以13–19开头），请核对后重新输入。")
    return compact


# ---------------------------------------------------------------- certificate numbers

_CERT_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_./]+")


def normalize_certificate_no(text: object) -> str:
    """A certificate number (e.g. the 18 digits of a 毕业证书编号) in upper-case ASCII.

    Spaces and dashes are dropped; letters are allowed (some vocational certificates carry
    a prefix) but at least 4 digits are required.
    """
    raw = _nfkc(text)
    if not raw:
        raise InvalidInput("certificate_no", "请输入证书编号（毕业证书上的编号）。")
    compact = _CERT_SEPARATORS.sub("", raw).upper()
    if not compact.isascii() or not compact.isalnum():
        raise InvalidInput("certificate_no", "证书编号只能包含数字和字母，请对照证书重新输入。")
    if len(compact) < 6 or len(compact) > 30:
        raise InvalidInput(
            "certificate_no",
            f"证书编号一般为6–30位（毕业证书为18位），您输入的是{len(compact)}位，请核对。",
        )
    if sum(ch.isdigit() for ch in compact) < 4:
        raise InvalidInput("certificate_no", "这不像证书编号，请对照证书重新输入。")
    return compact


# ---------------------------------------------------------------- names and employers

_NAME_EXTRA_CHARS = set(" ·.-'")
_MIDDLE_DOTS = re.compile(r"[•・‧∙⋅]")
_SPACE_NEXT_TO_CJK = re.compile(r"(?<=[\u3400-\u9fff])\s+|\s+(?=[\u3400-\u9fff])")


def normalize_name(text: object) -> str:
    """A person's name, 2–20 characters, letters (any script) and ``·`` only."""
    raw = _MIDDLE_DOTS.sub("·", _nfkc(text))
    # "张 三" → "张三", "Li  Ming" → "Li Ming"
    name = re.sub(r"\s+", " ", _SPACE_NEXT_TO_CJK.sub("", raw))
    if not name:
        raise InvalidInput("name", "请告诉我您的姓名。")
    if any(ch.isdigit() for ch in name):
        raise InvalidInput("name", "姓名里不能有数字，请输入您的真实姓名。")
    if not all(ch.isalpha() or ch in _NAME_EXTRA_CHARS for ch in name) or not any(ch.isalpha() for ch in name):
        raise InvalidInput("name", "姓名里只能有文字，请输入您的真实姓名。")
    if len(name) < 2:
        raise InvalidInput("name", "姓名至少2个字，请输入您的完整姓名。")
    if len(name) > 20:
        raise InvalidInput("name", "姓名最多20个字，请核对后重新输入。")
    return name


def normalize_employer(text: object) -> str:
    """A work unit's name, 2–60 characters, inner whitespace collapsed."""
    name = re.sub(r"\s+", " ", _nfkc(text))
    if not name:
        raise InvalidInput("employer", "请告诉我您的工作单位（公司全称）。")
    if len(name) < 2 or not any(ch.isalpha() for ch in name):
        raise InvalidInput("employer", "请输入工作单位的名称，例如“宁波XX有限公司”。")
    if len(name) > 60:
        raise InvalidInput("employer", "单位名称最多60个字，请输入简称或核对后重新输入。")
    return name


# ---------------------------------------------------------------- districts of Ningbo

DISTRICTS: tuple[str, ...] = (
    "海曙区",
    "江北区",
    "镇海区",
    "北仑区",
    "鄞州区",
    "奉化区",
    "余姚市",
    "慈溪市",
    "宁海县",
    "象山县",
)
DISTRICT_HINT = "请告诉我您所在的区（县、市）：" + "、".join(DISTRICTS) + "。"

_DISTRICT_PINYIN = {
    "haishu": "海曙区",
    "jiangbei": "江北区",
    "zhenhai": "镇海区",
    "beilun": "北仑区",
    "yinzhou": "鄞州区",
    "fenghua": "奉化区",
    "yuyao": "余姚市",
    "cixi": "慈溪市",
    "ninghai": "宁海县",
    "xiangshan": "象山县",
}
# Short and older names a worker may use: 海曙, 鄞县, 奉化市 (a district since 2016).
_DISTRICT_SYNONYMS: dict[str, str] = {d[:2]: d for d in DISTRICTS}
_DISTRICT_SYNONYMS.update({d: d for d in DISTRICTS})
_DISTRICT_SYNONYMS.update(
    {
        "鄞县": "鄞州区",
        "奉化市": "奉化区",
        "余姚区": "余姚市",
        "慈溪区": "慈溪市",
        "宁海区": "宁海县",
        "象山区": "象山县",
        "北仑开发区": "北仑区",
    }
)


def normalize_district(text: object) -> str | None:
    """The official name of one of Ningbo's 10 districts/counties, or ``None``.

    ``"海曙"`` → ``"海曙区"``, ``"宁波市鄞州区"`` → ``"鄞州区"``, ``"yuyao"`` → ``"余姚市"``,
    ``"我在北仑上班"`` → ``"北仑区"``; ``"杭州"`` or a sentence naming two places → ``None``.
    """
    raw = re.sub(r"[\s，,。.！!？?]+", "", _nfkc(text)).lower()
    if not raw:
        return None
    raw = re.sub(r"^(?:浙江省?)?(?:宁波市?)?", "", raw) or raw
    if raw in _DISTRICT_SYNONYMS:
        return _DISTRICT_SYNONYMS[raw]
    if raw in _DISTRICT_PINYIN:
        return _DISTRICT_PINYIN[raw]
    found = {d for key, d in _DISTRICT_SYNONYMS.items() if key in raw}
    return found.pop() if len(found) == 1 else None


# ---------------------------------------------------------------- graduation date

_CN_DIGITS = dict(zip("〇零一二三四五六七八九", "00123456789", strict=True))
_CN_MONTHS = {"十": "10", "十一": "11", "十二": "12", "一十": "10", "一十一": "11", "一十二": "12"}
_DATE_RE = re.compile(
    r"^(?P<year>\d{4})\s*(?:年|[-./]|(?=\d{2}$))\s*(?P<month>\d{1,2})\s*月?"
    r"(?:\s*[-./]?\s*\d{1,2}\s*[日号]?)?(?:毕业|份)?$"
)


def _chinese_numerals_to_digits(text: str) -> str:
    """``二〇二四年六月`` → ``2024年6月``; ``十二月`` → ``12月``."""

    def month(match: re.Match[str]) -> str:
        word = match.group(1)
        return (_CN_MONTHS.get(word) or "".join(_CN_DIGITS.get(c, c) for c in word)) + "月"

    text = re.sub(r"([〇零一二三四五六七八九十]{1,3})月", month, text)
    return "".join(_CN_DIGITS.get(c, c) for c in text)


def parse_graduation_date(text: object, today: date | None = None) -> str:
    """A graduation month as ``"YYYY-MM"``, not later than this month.

    Accepts ``2024年6月``, ``2024-06``, ``2024.6``, ``2024/6``, ``202406``, ``2024-06-30``
    and Chinese numerals (``二〇二四年六月``). "This month" is that of ``today``, by
    default the settings' clock's (``UH_TODAY`` in a test stack), never the machine's.
    """
    today = today or today_of(default_clock())
    raw = _chinese_numerals_to_digits(_nfkc(text))
    if not raw:
        raise InvalidInput("graduation_date", "请告诉我毕业时间，例如“2024年6月”。")
    match = _DATE_RE.match(raw)
    if not match:
        if re.fullmatch(r"\d{4}\s*年?", raw):
            raise InvalidInput("graduation_date", "请同时告诉我毕业的月份，例如“2024年6月”。")
        raise InvalidInput("graduation_date", "没看懂这个日期，请按“2024年6月”或“2024-06”的格式输入毕业时间。")
    year, month = int(match["year"]), int(match["month"])
    if not 1 <= month <= 12:
        raise InvalidInput("graduation_date", "月份应在1到12之间，请核对后重新输入。")
    if year < 1950:
        raise InvalidInput("graduation_date", "这个毕业年份太早了，请核对后重新输入。")
    if (year, month) > (today.year, today.month):
        raise InvalidInput("graduation_date", "毕业时间不能晚于本月，补贴只针对已经毕业的学历，请核对后重新输入。")
    return f"{year:04d}-{month:02d}"


# ---------------------------------------------------------------- record numbers

_NUMBER_RE = re.compile(r"^(?P<prefix>[A-Z]{2})(?P<year>\d{4})(?P<seq>\d{1,9})$")


def normalize_record_number(text: object) -> str | None:
    """An enrollment/application number as typed (``bm2026-123``) in its stored form
    (``BM2026-000123``), or ``None`` if it does not look like one."""
    compact = re.sub(r"[\s\-‐‑‒–—―_]+", "", _nfkc(text).upper())
    match = _NUMBER_RE.match(compact)
    if not match:
        return None
    return f"{match['prefix']}{match['year']}-{int(match['seq']):06d}"
