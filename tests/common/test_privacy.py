"""One masking policy: replies, log lines and operators' transcripts mask the same numbers."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from common.privacy import RedactingFilter, install_redaction, mask_certificate, mask_phone, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13812345678", "电话138****5678"),
        ("phone=138 1234 5678.", "phone=138****5678."),
        ("tel:138-1234-5678", "tel:138****5678"),
        ("+86 13812345678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("证书106471202405001234号", "证书1064**********1234号"),
        ("身份证33020319900101123X", "身份证3302**********123X"),
        ("cert ZJ12345678", "cert ZJ******78"),
        ("手机 138 1234 5678", "手机 138****5678"),
        ("座机0574-87654321", "座机0574****4321"),
        ("座机87654321", "座机87****21"),
    ],
)
def test_redact_masks(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "报名号 BM2026-000123",
        "sender tg-123456789",
        "sender tg-13812345678",
        "2026-03-01T10:00:00+08:00",
        "12345678901",  # 11 digits, not a mobile prefix
        "还剩 10 个名额",
        "id 4f3c9a8b7e6d5c4b3a291807f6e5d4c3",
        "2024-05-01 前报名，补贴 1500 元，共 3 期",
    ],
)
def test_redact_leaves_ordinary_text(text: str) -> None:
    assert redact(text) == text


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    parent = logging.getLogger("uh_test_redaction")
    parent.handlers[:] = [handler]
    parent.setLevel(logging.INFO)
    parent.propagate = False
    yield parent, stream
    parent.handlers.clear()
    parent.filters.clear()


def test_installed_filter_covers_child_loggers_args_and_tracebacks(logger) -> None:
    parent, stream = logger
    install_redaction(parent)
    install_redaction(parent)  # idempotent
    assert sum(isinstance(f, RedactingFilter) for f in parent.handlers[0].filters) == 1
    child = logging.getLogger("uh_test_redaction.actions")
    child.info("saved %s with phone %s", "tg-1", "13812345678")
    try:
        raise ValueError("bad certificate 106471202405001234")
    except ValueError:
        child.exception("form failed for 13912345678")
    output = stream.getvalue()
    assert "13812345678" not in output and "138****5678" in output
    assert "13912345678" not in output
    assert "106471202405001234" not in output and "1064**********1234" in output
    assert "tg-1" in output and "ValueError" in output


def test_without_the_filter_the_number_would_leak(logger) -> None:
    parent, stream = logger
    parent.info("phone %s", "13812345678")
    assert "13812345678" in stream.getvalue()


def test_mask_phone() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("１３８１２３４１２３４") == "138****1234"
    assert mask_phone("") == ""
    assert "1234567" not in mask_phone("1234567")


def test_mask_certificate() -> None:
    assert mask_certificate("106471202405001234") == "1064**********1234"
    assert mask_certificate("ZJ2024001") == "ZJ*****01"
    assert "202405" not in mask_certificate("106471202405001234")
