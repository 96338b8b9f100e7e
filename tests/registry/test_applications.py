"""Subsidy applications: filing, the staff decision flow, withdrawal and ownership."""

from __future__ import annotations

import re
from datetime import date

import pytest

from registry import (
    Database,
    InvalidInput,
    cancel_application,
    create_application,
    get_application,
    get_applications,
    get_stats,
    list_applications,
    set_application_status,
)
from tests.registry.helpers import register

FORM = dict(
    name="张三",
    phone="138 1234 5678",
    school="宁波大学",
    programme="机械设计制造及其自动化",
    graduation_date="2024年6月",
    certificate_no="1064 7120 2405 0012 34",
    model_worker_class=True,
)


def apply(db: Database, sender_id: str = "tg-1", **changes: object):
    return create_application(db, sender_id, **{**FORM, **changes})  # type: ignore[arg-type]


def test_create_stores_clean_values(db: Database) -> None:
    register(db, "tg-1")
    result = apply(db)
    assert result.status == "created"
    application = result.application
    assert re.fullmatch(r"BT\d{4}-\d{6}", application.application_no)
    assert (application.phone, application.certificate_no, application.graduation_date) == (
        "13812345678",
        "106471202405001234",
        "2024-06",
    )
    assert application.model_worker_class is True
    assert (application.status, application.status_label, application.staff_note) == ("pending", "审核中", "")
    assert application.masked_phone == "138****5678"
    assert application.masked_certificate == "1064**********1234"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "1381234567a"),
        ("name", ""),
        ("graduation_date", "2099年1月"),
        ("certificate_no", "12"),
        ("school", ""),
        ("programme", "1"),
    ],
)
def test_create_validates_every_field(db: Database, field: str, value: str) -> None:
    register(db, "tg-1")
    with pytest.raises(InvalidInput) as error:
        apply(db, **{field: value})
    assert error.value.field == field
    assert db["applications"].count == 0


def test_graduation_date_is_checked_against_today(db: Database) -> None:
    register(db, "tg-1")
    with pytest.raises(InvalidInput):
        apply(db, graduation_date="2026年5月", today=date(2026, 4, 1))
    assert apply(db, graduation_date="2026年4月", today=date(2026, 4, 1)).status == "created"


def test_unregistered_worker_gets_not_registered(db: Database) -> None:
    assert apply(db, "tg-nobody").status == "not_registered"


def test_same_certificate_twice_is_a_duplicate(db: Database) -> None:
    register(db, "tg-1")
    first = apply(db)
    again = apply(db, certificate_no="106471202405001234")
    assert again.status == "duplicate" and again.number == first.number
    assert db["applications"].count == 1
    assert apply(db, certificate_no="106471202405009999").status == "created"


def test_staff_decision_flow_and_the_worker_sees_the_note(db: Database) -> None:
    register(db, "tg-1")
    number = apply(db).number
    assert [a.application_no for a in list_applications(db, "pending")] == [number]

    rejected = set_application_status(db, number, "rejected", "  证书照片不清晰，请重新提交 ")
    assert rejected.status == "updated" and rejected.previous_status == "pending"
    seen = get_application(db, "tg-1", number)
    assert (seen.status, seen.status_label, seen.staff_note) == ("rejected", "未通过", "证书照片不清晰，请重新提交")
    assert seen.decided_at is not None

    approved = set_application_status(db, number.lower(), "approved", "复核通过")
    assert approved.previous_status == "rejected"
    assert get_applications(db, "tg-1")[0].status == "approved"
    assert list_applications(db, "pending") == []
    assert get_stats(db)["applications.by_status"] == {"pending": 0, "rejected": 0, "approved": 1}

    # once decided, the worker can no longer withdraw it
    assert cancel_application(db, "tg-1", number).status == "not_allowed"


def test_worker_withdraws_a_pending_application(db: Database) -> None:
    register(db, "tg-1")
    number = apply(db).number
    result = cancel_application(db, "tg-1", number)
    assert result.status == "cancelled" and result.application.status == "cancelled"
    assert cancel_application(db, "tg-1", number).status == "already_cancelled"
    assert set_application_status(db, number, "approved", "").status == "not_allowed"
    # a withdrawn certificate may be filed again
    assert apply(db).status == "created"


def test_ownership_of_applications(db: Database) -> None:
    register(db, "alice", "bob")
    number = apply(db, "alice").number
    assert get_application(db, "bob", number) is None
    assert get_applications(db, "bob") == []
    assert cancel_application(db, "bob", number).status == "not_found"
    assert get_application(db, "alice", number).status == "pending"


def test_staff_errors(db: Database) -> None:
    assert set_application_status(db, "BT2026-999999", "approved", "").status == "not_found"
    with pytest.raises(ValueError):
        set_application_status(db, "BT2026-000001", "done", "")
    with pytest.raises(ValueError):
        list_applications(db, "done")
