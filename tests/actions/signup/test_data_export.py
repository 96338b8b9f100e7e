"""导出我的数据 in the chat (actions/data_export.py): the worker receives one file with
everything held about them — the registry, their hand-offs, every session of their
conversation — and nothing about anybody else; inside a form too; a broken store is an
apology with 转人工, never a silent turn or somebody else's file."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from actions.data_export import DOCUMENT, ActionExportMyData
from actions.signup.enrollment import ValidateEnrollForm
from common import settings as config
from common import texts
from common.clock import CHINA_TZ, FixedClock
from common.conversations import tracker_url
from registry import enroll, open_registry, save_worker
from tests.actions.helpers import SENDER, FormDriver, buttons, make_tracker, run_action
from tests.scale.stores import CERTIFICATE, PHONE, add_events, fill

CLOCK = FixedClock(datetime(2026, 11, 16, 10, 0, tzinfo=CHINA_TZ))
OTHER = "tg-2002"
OTHER_PHONE = "13955556666"


def _fill_two_workers() -> Any:
    settings = config.load()
    filled = fill(settings.registry_url, settings.handoff_url, tracker_url(settings), SENDER, CLOCK)
    with open_registry(settings.registry_url) as db:
        save_worker(db, OTHER, name="孙九", phone=OTHER_PHONE, employer="别家公司", district="鄞州区", clock=CLOCK)
        enroll(db, OTHER, "jxgf_plc", "PLC编程入门", capacity=30, clock=CLOCK)
    add_events(tracker_url(settings), OTHER, [("user", "别人的话")], CLOCK.now())
    # An earlier session of the worker's own conversation: the file has every session.
    add_events(tracker_url(settings), SENDER, [("user", "上个月问过的问题")], datetime(2026, 10, 1, tzinfo=CHINA_TZ))
    return filled


def _document(messages: list[dict]) -> dict[str, Any]:
    (document,) = [m["custom"][DOCUMENT] for m in messages if DOCUMENT in (m.get("custom") or {})]
    return document


async def test_the_worker_gets_a_file_with_their_data_and_nobody_elses(domain: dict) -> None:
    filled = _fill_two_workers()
    _, messages = await run_action(ActionExportMyData(), make_tracker(domain, intent="export_my_data"), domain)
    said = messages[0]["text"]
    assert "报名 1 条" in said and "补贴申请 1 份" in said and "转人工 1 次" in said and "不要转发到群里" in said
    document = _document(messages)
    assert document["filename"] == "工会小助手_我的数据_2026-11-16.json"
    assert document["mime_type"] == "application/json"
    content = json.loads(document["content"])
    registry = content["报名登记"]
    assert registry["登记信息"]["手机号"] == PHONE  # unmasked: it is the worker's own
    assert [e["报名号"] for e in registry["课程报名"]] == [filled.enrollment_no]
    assert registry["补贴申请"][0]["证书编号"] == CERTIFICATE
    (ticket,) = content["转人工"]["转人工记录"]
    assert [m["方向"] for m in ticket["与工作人员的消息"]] == ["您发给工作人员", "工作人员发给您"]
    said_in_chat = [(m["说话人"], m["内容"]) for m in content["与小助手的对话"]]
    assert said_in_chat[0] == ("您", "我想报名PLC") and ("您", "上个月问过的问题") in said_in_chat
    assert content["与小助手的对话"][0]["时间"] == "2026-11-16T10:00:00+08:00"
    assert "个人信息保护法" in content["说明"]
    assert OTHER not in document["content"] and OTHER_PHONE not in document["content"]
    assert "别人的话" not in document["content"] and "孙九" not in document["content"]


async def test_a_worker_with_nothing_stored_gets_an_empty_file_and_no_store_is_created(
    domain: dict, action_env: Path
) -> None:
    _, messages = await run_action(ActionExportMyData(), make_tracker(domain, intent="export_my_data"), domain)
    assert "登记信息无，报名 0 条" in messages[0]["text"]
    content = json.loads(_document(messages)["content"])
    assert content["报名登记"] is None and content["与小助手的对话"] == []
    assert not (action_env / "registry.db").exists() and not (action_env / "handoff.db").exists()


async def test_a_broken_store_is_an_apology_with_a_person_and_no_file(domain: dict, action_env: Path) -> None:
    (action_env / "registry.db").mkdir()  # not a database: opening it fails
    _, messages = await run_action(ActionExportMyData(), make_tracker(domain, intent="export_my_data"), domain)
    assert [m.get("text") for m in messages] == [texts.EXPORT_FAILED]
    assert "/request_human" in [b["payload"] for b in buttons(messages)]
    assert not any(DOCUMENT in (m.get("custom") or {}) for m in messages)


async def test_inside_a_form_the_file_comes_and_the_question_is_asked_again(domain: dict) -> None:
    _fill_two_workers()
    driver = FormDriver(ValidateEnrollForm(), "enroll_form", domain, slots={"worker_registered": False})
    await driver.activate(course_id="jxgf_plc")
    asked = driver.requested
    turn = await driver.answer("导出我的数据", text="导出我的数据", intent="export_my_data")
    assert "报名 1 条" in turn.text
    assert json.loads(_document(turn.messages)["content"])["报名登记"]["登记信息"]["姓名"] == "钱八"
    assert turn.requested == asked and driver.slots.get(asked) is None
