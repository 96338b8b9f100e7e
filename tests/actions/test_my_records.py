"""我的报名 / 我的数据 / 我的申请 (actions/my_records.py): what the registry holds about
the worker, masked, with the buttons that start the cancel form."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from actions import my_records
from actions.my_records import ActionCheckApplication, ActionMyData, ActionMyRecords
from common import texts
from registry import create_application, enroll, join_reading_team, set_application_status
from tests.actions.helpers import APPLICATION, SENDER, register, run


async def test_my_records_lists_everything_with_cancel_buttons(domain: dict, db: Database) -> None:
    register(db)
    register(db, "tg-first", phone="13900000001")
    enroll(db, "tg-first", "c1", "小班课", capacity=1)
    waiting = enroll(db, SENDER, "c1", "小班课", capacity=1).number
    plc = enroll(db, SENDER, "jxgf_plc", "PLC编程", capacity=30).number
    join_reading_team(db, SENDER, "employer:宁波永发机械有限公司")
    application = create_application(db, SENDER, **APPLICATION).number
    _, text, found = await run(ActionMyRecords(), domain, intent="my_records")
    assert f"小班课：候补第1位，报名号 {waiting}" in text
    assert f"PLC编程：已报名，报名号 {plc}" in text
    assert "宁波永发机械有限公司读书会" in text and f"{application}：审核中" in text
    payloads = [b["payload"] for b in found]
    assert f'/cancel_record{{"record":"{plc}"}}' in payloads
    assert '/cancel_record{"record":"employer:宁波永发机械有限公司"}' in payloads
    assert f'/cancel_record{{"record":"{application}"}}' in payloads


async def test_my_records_when_empty(domain: dict) -> None:
    _, text, found = await run(ActionMyRecords(), domain, intent="my_records")
    assert text == texts.RECORDS_NONE
    assert [b["payload"] for b in found] == ["/ask_course_list", "/join_reading_team", "/apply_subsidy"]


async def test_my_data_masks_the_phone(domain: dict, db: Database) -> None:
    register(db)
    _, text, found = await run(ActionMyData(), domain, intent="my_data")
    assert "138****1234" in text and "13812341234" not in text and "张三" in text
    assert "/delete_my_data" in [b["payload"] for b in found]
    _, text, _ = await run(ActionMyData(), domain, sender_id="tg-nobody", intent="my_data")
    assert text == texts.MY_DATA_NONE


async def test_check_application_shows_status_and_staff_note(domain: dict, db: Database) -> None:
    register(db)
    number = create_application(db, SENDER, **APPLICATION).number
    _, text, found = await run(ActionCheckApplication(), domain, intent="check_application")
    assert f"{number}：审核中" in text and "1064**********1234" in text
    assert any(number in b["payload"] for b in found)
    set_application_status(db, number, "rejected", "证书编号与学信网不一致，请核对后重新申请")
    _, text, found = await run(ActionCheckApplication(), domain, intent="check_application")
    assert "未通过" in text and "学信网不一致" in text
    assert not any(number in b["payload"] for b in found)  # decided: cannot be withdrawn
    _, text, _ = await run(ActionCheckApplication(), domain, sender_id="tg-nobody")
    assert "还没有提交过" in text


async def test_check_one_application_by_number(domain: dict, db: Database) -> None:
    register(db)
    number = create_application(db, SENDER, **APPLICATION).number
    _, text, _ = await run(ActionCheckApplication(), domain, text=f"查一下 {number}", intent="check_application")
    assert f"{number}：审核中" in text
    _, text, _ = await run(ActionCheckApplication(), domain, text="查一下 BT2026-999999", intent="check_application")
    assert "没有在您的记录里找到申请 BT2026-999999" in text


async def test_a_registry_failure_is_an_apology_not_silence(domain: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise OSError("database is locked")

    monkeypatch.setattr(my_records, "list_records", broken)
    _, text, found = await run(ActionMyRecords(), domain, intent="my_records")
    assert text == texts.TECHNICAL_PROBLEM and [b["payload"] for b in found] == ["/request_human"]
