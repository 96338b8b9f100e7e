"""取消 (actions/signup/cancel.py): only the worker's own records, confirmed first."""

from __future__ import annotations

from sqlite_utils import Database

from actions.signup.cancel import (
    ActionAskCancelConfirmed,
    ActionAskCancelTarget,
    ActionStartCancel,
    ActionSubmitCancel,
    ValidateCancelForm,
)
from common.texts import CONFIRMATION_EXPLANATION
from registry import create_application, enroll, join_reading_team, pending_notifications, set_application_status
from tests.actions.helpers import (
    APPLICATION,
    SENDER,
    FormDriver,
    buttons,
    make_tracker,
    register,
    rows,
    run,
    run_action,
    texts,
)

# ---------------------------------------------------------------- starting


async def test_start_cancel_finds_the_record_the_message_means(domain: dict, db: Database) -> None:
    register(db)
    plc = enroll(db, SENDER, "jxgf_plc", "PLC编程", capacity=30).number
    enroll(db, SENDER, "jxgf_robot", "工业机器人", capacity=30)
    join_reading_team(db, SENDER, "district:海曙区")
    slots, _, _ = await run(
        ActionStartCancel(),
        domain,
        text="取消PLC的报名",
        intent="cancel_record",
        entities=[{"entity": "course", "value": "PLC"}],
    )
    assert slots["cancel_target"] == plc
    slots, _, _ = await run(ActionStartCancel(), domain, text="退掉读书团队", intent="cancel_record")
    assert slots["cancel_target"] == "district:海曙区"
    slots, _, _ = await run(ActionStartCancel(), domain, text="取消我的报名", intent="cancel_record")
    assert slots.get("cancel_target") is None and len(slots["record_choices"]) == 2
    slots, text, _ = await run(
        ActionStartCancel(),
        domain,
        text="汽修不去了",
        intent="cancel_record",
        entities=[{"entity": "course", "value": "汽修"}],
    )
    assert "您没有报名「汽车维修」" in text and slots["form_outcome"] == "abort"


async def test_start_cancel_with_nothing_to_cancel(domain: dict) -> None:
    slots, text, found = await run(ActionStartCancel(), domain, text="取消报名", intent="cancel_record")
    assert "没有可以取消的" in text and slots["form_outcome"] == "abort"
    assert "/join_reading_team" in [b["payload"] for b in found]


async def test_a_typed_payload_cannot_touch_someone_elses_record(domain: dict, db: Database) -> None:
    register(db, "tg-victim", phone="13900000002")
    theirs = enroll(db, "tg-victim", "jxgf_plc", "PLC编程", capacity=30).number
    slots, text, _ = await run(
        ActionStartCancel(),
        domain,
        text=f'/cancel_record{{"record":"{theirs}"}}',
        intent="cancel_record",
        entities=[{"entity": "record", "value": theirs}],
    )
    assert "没有在您的记录里找到" in text and slots["form_outcome"] == "abort"
    assert slots.get("cancel_target") is None
    # even if a confirmed form somehow named it, the registry refuses
    _, text, _ = await run(ActionSubmitCancel(), domain, slots={"cancel_target": theirs, "cancel_confirmed": True})
    assert "没有在您的记录里找到" in text
    assert rows(db, "enrollments")[0]["status"] == "enrolled"


# ---------------------------------------------------------------- the questions and answers


async def test_the_records_are_offered_as_buttons(domain: dict, db: Database) -> None:
    register(db)
    plc = enroll(db, SENDER, "jxgf_plc", "PLC编程", capacity=30).number
    join_reading_team(db, SENDER, "district:海曙区")
    _, messages = await run_action(ActionAskCancelTarget(), make_tracker(domain), domain)
    assert [b["title"] for b in buttons(messages)] == ["取消 PLC编程", "退出 海曙区职工读书会", "都不取消"]
    _, messages = await run_action(
        ActionAskCancelTarget(), make_tracker(domain, slots={"record_choices": [plc]}), domain
    )
    assert [b["title"] for b in buttons(messages)] == ["取消 PLC编程", "都不取消"]


async def test_someone_elses_record_cannot_be_chosen(domain: dict, db: Database) -> None:
    register(db, "tg-other", phone="13900000000")
    other = enroll(db, "tg-other", "jxgf_plc", "PLC编程", capacity=30).number
    register(db)
    mine = enroll(db, SENDER, "jxgf_robot", "工业机器人", capacity=30).number
    driver = FormDriver(ValidateCancelForm(), "cancel_form", domain)
    turn = await driver.activate(cancel_target=other)
    assert "没有在您的记录里找到" in turn.text
    assert driver.slots["cancel_target"] is None and turn.requested == "cancel_target"
    turn = await driver.answer(mine, text=f'/cancel_record{{"record":"{mine}"}}', intent="cancel_record")
    assert driver.slots["cancel_target"] == mine and turn.requested == "cancel_confirmed"


async def test_a_team_and_a_course_name_as_cancel_targets(domain: dict, db: Database) -> None:
    register(db)
    join_reading_team(db, SENDER, "district:海曙区")
    number = enroll(db, SENDER, "jxgf_plc", "PLC编程", capacity=30).number
    driver = FormDriver(ValidateCancelForm(), "cancel_form", domain)
    await driver.activate(record_choices=None)
    assert driver.requested == "cancel_target"
    await driver.answer("PLC")
    assert driver.slots["cancel_target"] == number
    driver = FormDriver(ValidateCancelForm(), "cancel_form", domain)
    await driver.activate(cancel_target="district:海曙区")
    assert driver.requested == "cancel_confirmed"


async def test_the_cancel_question_says_what_happens(domain: dict, db: Database) -> None:
    register(db)
    number = enroll(db, SENDER, "jxgf_plc", "PLC编程", capacity=30).number
    _, messages = await run_action(
        ActionAskCancelConfirmed(), make_tracker(domain, slots={"cancel_target": number}), domain
    )
    assert f"确认取消「PLC编程」的报名（{number}）吗？" in texts(messages)
    assert [b["payload"] for b in buttons(messages)] == ["/affirm", "/deny"]


async def test_the_confirmation_needs_a_clear_answer(domain: dict, db: Database) -> None:
    register(db)
    join_reading_team(db, SENDER, "district:海曙区")
    driver = FormDriver(ValidateCancelForm(), "cancel_form", domain, slots={"cancel_target": "district:海曙区"})
    turn = await driver.activate()
    assert turn.requested == "cancel_confirmed"
    for unclear in ["嗯？", "这是什么"]:  # a question about the question: its explanation
        turn = await driver.answer(unclear)
        assert CONFIRMATION_EXPLANATION in turn.text and turn.requested == "cancel_confirmed"
    assert not driver.slots.get("form_failures")
    turn = await driver.answer("随便")
    assert "请点下面的按钮" in turn.text and driver.slots["form_failures"] == {"cancel_confirmed": 1}
    turn = await driver.answer(True, text="/affirm", intent="affirm")
    assert driver.slots["cancel_confirmed"] is True and turn.requested is None


# ---------------------------------------------------------------- saving


async def test_cancel_promotes_and_queues_a_notification(domain: dict, db: Database) -> None:
    register(db)
    register(db, "tg-waiting", phone="13900000001")
    mine = enroll(db, SENDER, "c1", "小班课", capacity=1).number
    waiting = enroll(db, "tg-waiting", "c1", "小班课", capacity=1).number
    _, text, _ = await run(ActionSubmitCancel(), domain, slots={"cancel_target": mine, "cancel_confirmed": True})
    assert f"已取消「小班课」的报名（{mine}）" in text and "递补" in text
    assert "tg-waiting" not in text  # who got the seat is not told to the canceller
    (note,) = pending_notifications(db)
    assert note.sender_id == "tg-waiting" and note.ref == waiting and waiting in note.text
    _, text, _ = await run(ActionSubmitCancel(), domain, slots={"cancel_target": mine, "cancel_confirmed": True})
    assert "已经取消过了" in text


async def test_cancel_a_team_and_an_application(domain: dict, db: Database) -> None:
    register(db)
    join_reading_team(db, SENDER, "district:海曙区")
    number = create_application(db, SENDER, **APPLICATION).number
    _, text, _ = await run(
        ActionSubmitCancel(), domain, slots={"cancel_target": "district:海曙区", "cancel_confirmed": True}
    )
    assert "已退出读书团队「海曙区职工读书会」" in text and rows(db, "team_members") == []
    _, text, _ = await run(ActionSubmitCancel(), domain, slots={"cancel_target": number, "cancel_confirmed": True})
    assert "已撤回" in text and rows(db, "applications")[0]["status"] == "cancelled"


async def test_a_decided_application_cannot_be_withdrawn(domain: dict, db: Database) -> None:
    register(db)
    number = create_application(db, SENDER, **APPLICATION).number
    set_application_status(db, number, "approved", "")
    _, text, _ = await run(ActionSubmitCancel(), domain, slots={"cancel_target": number, "cancel_confirmed": True})
    assert "已经审核完成" in text and "不能撤回" in text
    assert rows(db, "applications")[0]["status"] == "approved"
