"""报名 (actions/signup/enrollment.py): which course, the seats, enrolled or waitlisted,
never twice — with real registry rows under tmp_path."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from actions.signup.enrollment import (
    ActionAskCourseId,
    ActionAskEnrollConfirmed,
    ActionStartEnrollment,
    ActionSubmitEnrollment,
    ValidateEnrollForm,
)
from actions.signup.profile import ActionAskProfileConfirmed, ActionAskWorkerName
from knowledge import KnowledgeBase
from registry import enroll, get_worker
from tests.actions.helpers import (
    PROFILE_SLOTS,
    SENDER,
    FormDriver,
    buttons,
    make_tracker,
    register,
    returning,
    rows,
    run,
    run_action,
    texts,
)

NEW_WORKER = {"worker_registered": False}


def enroll_driver(domain: dict, **slots) -> FormDriver:
    return FormDriver(ValidateEnrollForm(), "enroll_form", domain, slots={**NEW_WORKER, **slots})


# ---------------------------------------------------------------- starting


async def test_start_forgets_old_slots_and_prefills_a_returning_worker(domain: dict, db: Database) -> None:
    register(db)
    slots, _, _ = await run(
        ActionStartEnrollment(),
        domain,
        text="我想报名PLC编程",
        intent="enroll_course",
        entities=[{"entity": "course", "value": "PLC编程"}],
        slots={"school": "旧学校", "form_outcome": "abort", "enroll_confirmed": True},
    )
    assert slots["school"] is None and slots["form_outcome"] is None
    assert slots["enroll_confirmed"] is None
    assert slots["worker_registered"] is True
    assert slots["worker_name"] == "张三" and slots["worker_phone"] == "13812341234"
    assert slots["course_id"] == "PLC编程"


async def test_start_for_a_new_worker(domain: dict) -> None:
    slots, _, _ = await run(ActionStartEnrollment(), domain, text="帮我报个汽修班", intent="enroll_course")
    assert slots["worker_registered"] is False and slots.get("worker_name") is None
    assert slots["course_id"] == "jxgf_auto_repair"  # found in the sentence without an entity
    _, messages = await run_action(ActionAskWorkerName(), make_tracker(domain, slots=slots), domain)
    assert "只需登记一次" in texts(messages)


async def test_questions_say_what_the_worker_is_doing(domain: dict) -> None:
    slots = {**PROFILE_SLOTS, "profile_confirmed": None, "worker_registered": True, "course_id": "jxgf_robot"}
    _, messages = await run_action(
        ActionAskProfileConfirmed(), make_tracker(domain, slots=slots, active_loop="enroll_form"), domain
    )
    assert texts(messages).startswith("报名「工业机器人」：您是张三（138****1234")
    new_worker = {"worker_registered": False, "course_id": "jxgf_auto_repair"}
    _, messages = await run_action(
        ActionAskWorkerName(), make_tracker(domain, slots=new_worker, active_loop="enroll_form"), domain
    )
    assert texts(messages).startswith("报名「汽车维修」需要先登记几项基本信息")


# ---------------------------------------------------------------- which course


@pytest.mark.parametrize(
    ("mention", "course_id"),
    [
        ("PLC编程", "jxgf_plc"),
        ("plc编成", "jxgf_plc"),
        ("汽修班", "jxgf_auto_repair"),
        ("工业机械人", "jxgf_robot"),
        ("jxgf_plc", "jxgf_plc"),
        ("变频器维休", "jxgf_inverter"),
    ],
)
async def test_a_course_mention_is_resolved(domain: dict, mention: str, course_id: str) -> None:
    driver = enroll_driver(domain)
    turn = await driver.activate(course_id=mention)
    assert driver.slots["course_id"] == course_id
    assert turn.requested == "worker_name"


async def test_several_plausible_courses_are_offered(domain: dict) -> None:
    driver = enroll_driver(domain)
    turn = await driver.activate(course_id="维修")
    assert turn.requested == "course_id"
    assert set(driver.slots["course_choices"]) == {"jxgf_inverter", "jxgf_auto_repair"}
    assert "可能是" in turn.text
    assert not driver.slots.get("form_failures")  # not the worker's mistake
    turn = await driver.answer(
        "jxgf_auto_repair", text='/enroll_course{"course":"jxgf_auto_repair"}', intent="enroll_course"
    )
    assert driver.slots["course_id"] == "jxgf_auto_repair" and turn.requested == "worker_name"


async def test_a_programme_offers_its_courses_and_one_is_picked_by_number(domain: dict) -> None:
    driver = enroll_driver(domain)
    turn = await driver.activate(course_id="匠心工坊")
    assert "「匠心工坊」包括" in turn.text
    offered = driver.slots["course_choices"]
    assert "jxgf_plc" in offered
    turn = await driver.answer("第二个")
    assert driver.slots["course_id"] == offered[1] and turn.requested == "worker_name"


async def test_an_unknown_course_is_said_so(domain: dict) -> None:
    driver = enroll_driver(domain)
    turn = await driver.activate(course_id="西式烹饪")
    assert "没有找到“西式烹饪”这门课程" in turn.text
    assert turn.requested == "course_id"


async def test_a_course_that_is_not_enrollable_here(domain: dict) -> None:
    driver = enroll_driver(domain)
    turn = await driver.activate(course_id="技能强国")
    assert "不需要在小助手里报名" in turn.text and turn.requested == "course_id"


async def test_course_question_buttons(domain: dict) -> None:
    _, messages = await run_action(ActionAskCourseId(), make_tracker(domain), domain)
    payloads = [b["payload"] for b in buttons(messages)]
    assert '/enroll_course{"course":"jxgf_plc"}' in payloads
    assert '/enroll_course{"course":"jxgf"}' not in payloads  # a programme, not enrollable
    assert payloads[-1] == "/stop"


async def test_already_enrolled_is_refused_with_the_number(domain: dict, db: Database) -> None:
    register(db)
    number = enroll(db, SENDER, "jxgf_plc", "PLC编程", capacity=30).number
    driver = returning(domain, ValidateEnrollForm(), "enroll_form", course_id="PLC编程")
    turn = await driver.activate()
    assert number in turn.text and "不用重复报名" in turn.text
    assert driver.slots["form_outcome"] == "abort"
    assert turn.requested is None  # the form ends; nothing is saved


# ---------------------------------------------------------------- the final question


async def test_the_enrollment_question_shows_the_seats_left(domain: dict, db: Database) -> None:
    for i in range(2):
        register(db, f"tg-{i}", phone=f"1390000000{i}")
        enroll(db, f"tg-{i}", "jxgf_auto_repair", "汽车维修", capacity=1)
    slots = {**PROFILE_SLOTS, "course_id": "jxgf_auto_repair"}
    _, messages = await run_action(ActionAskEnrollConfirmed(), make_tracker(domain, slots=slots), domain)
    text = texts(messages)
    # capacity 20 in the knowledge base: not full yet
    assert "确认报名「汽车维修」吗？" in text and "还剩19个名额" in text
    assert "138****1234" in text and "13812341234" not in text


async def test_the_enrollment_question_when_full(domain: dict, db: Database, kb: KnowledgeBase) -> None:
    course = kb.get_course("jxgf_auto_repair")
    assert course is not None and course.capacity is not None
    for i in range(course.capacity + 1):
        register(db, f"tg-{i}", phone=f"139{i:08d}")
        enroll(db, f"tg-{i}", course.id, course.name, capacity=course.capacity)
    slots = {**PROFILE_SLOTS, "course_id": course.id}
    _, messages = await run_action(ActionAskEnrollConfirmed(), make_tracker(domain, slots=slots), domain)
    text = texts(messages)
    assert "名额已经报满" in text and "您会是第2位" in text
    assert buttons(messages)[0] == {"title": "排候补", "payload": "/affirm"}


async def test_saying_no_at_the_end_cancels_the_enrollment(domain: dict) -> None:
    driver = returning(domain, ValidateEnrollForm(), "enroll_form", course_id="jxgf_plc", profile_confirmed="yes")
    turn = await driver.activate()
    assert turn.requested == "enroll_confirmed"
    turn = await driver.answer(False, text="/deny", intent="deny")
    assert driver.slots["form_outcome"] == "cancelled" and turn.requested is None


async def test_edit_profile_from_the_final_question(domain: dict) -> None:
    driver = enroll_driver(domain, course_id="jxgf_plc")
    await driver.activate()
    for value in ["张伟", "13812345678", "宁波永发机械有限公司", "北仑", True]:
        await driver.answer(value)
    assert driver.requested == "enroll_confirmed"
    turn = await driver.answer("修改信息")
    assert turn.requested == "profile_field" and not driver.slots.get("form_failures")
    await driver.answer("姓名")
    await driver.answer("张伟伟")
    assert driver.requested == "profile_confirmed"
    await driver.answer("yes", text="/affirm", intent="affirm")
    assert driver.requested == "enroll_confirmed"
    turn = await driver.answer(True, text="/affirm", intent="affirm")
    assert turn.requested is None and driver.slots["enroll_confirmed"] is True
    assert driver.slots["worker_name"] == "张伟伟"


# ---------------------------------------------------------------- saving


async def test_submit_enrollment_registers_and_enrolls(domain: dict, db: Database) -> None:
    confirmed = {**PROFILE_SLOTS, "course_id": "jxgf_plc", "enroll_confirmed": True}
    slots, text, _ = await run(ActionSubmitEnrollment(), domain, slots=confirmed)
    assert "报名成功" in text and "BM" in text and "138****1234" in text
    assert slots["worker_phone"] is None  # personal slots forgotten after saving
    worker = get_worker(db, SENDER)
    assert worker is not None and worker.phone == "13812341234"
    (row,) = rows(db, "enrollments")
    assert (row["sender_id"], row["course_id"], row["status"]) == (SENDER, "jxgf_plc", "enrolled")
    assert row["enrollment_no"] in text

    _, again, _ = await run(ActionSubmitEnrollment(), domain, slots=confirmed)
    assert "不用重复报名" in again and row["enrollment_no"] in again
    assert len(rows(db, "enrollments")) == 1


async def test_submit_enrollment_on_a_full_course_waitlists(domain: dict, db: Database, kb: KnowledgeBase) -> None:
    course = kb.get_course("jxgf_auto_repair")
    assert course is not None and course.capacity is not None
    for i in range(course.capacity):
        register(db, f"tg-{i}", phone=f"139{i:08d}")
        enroll(db, f"tg-{i}", course.id, course.name, capacity=course.capacity)
    _, text, _ = await run(
        ActionSubmitEnrollment(), domain, slots={**PROFILE_SLOTS, "course_id": course.id, "enroll_confirmed": True}
    )
    assert "候补" in text and "第1位" in text
    mine = [r for r in rows(db, "enrollments") if r["sender_id"] == SENDER]
    assert [r["status"] for r in mine] == ["waitlisted"]


async def test_a_course_closed_meanwhile_is_not_enrolled(domain: dict, db: Database) -> None:
    _, text, found = await run(
        ActionSubmitEnrollment(), domain, slots={**PROFILE_SLOTS, "course_id": "jxgf", "enroll_confirmed": True}
    )
    assert "停止报名" in text and rows(db, "enrollments") == []
    assert [b["payload"] for b in found] == ["/ask_course_list"]


@pytest.mark.parametrize("outcome", ["cancelled", "abort"])
async def test_nothing_is_saved_when_the_form_ended_early(domain: dict, db: Database, outcome: str) -> None:
    _, text, _ = await run(
        ActionSubmitEnrollment(), domain, slots={**PROFILE_SLOTS, "course_id": "jxgf_plc", "form_outcome": outcome}
    )
    assert rows(db, "enrollments") == [] and rows(db, "workers") == []
    assert ("没有保存任何内容" in text) == (outcome == "cancelled")
