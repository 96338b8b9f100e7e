"""Start, submit, leave and list actions of the sign-up forms, writing real rows into a
registry under tmp_path."""

from __future__ import annotations

from typing import Any

import pytest
from sqlite_utils import Database

from actions.form_prompts import (
    ActionAskCancelConfirmed,
    ActionAskDeleteConfirmed,
    ActionAskEnrollConfirmed,
    ActionAskProfileConfirmed,
    ActionAskSubsidyConfirmed,
    ActionAskTeamKind,
    ActionAskWorkerName,
)
from actions.records_actions import (
    ActionCancelForm,
    ActionCheckApplication,
    ActionCloseForm,
    ActionMyData,
    ActionMyRecords,
    ActionStartCancel,
    ActionStartDelete,
    ActionStartEnrollment,
    ActionStartProfile,
    ActionStartSubsidy,
    ActionSubmitCancel,
    ActionSubmitDelete,
    ActionSubmitEnrollment,
    ActionSubmitProfile,
    ActionSubmitReading,
    ActionSubmitSubsidy,
)
from actions.records_support import CANCELLED_TEXT, FORM_SLOTS
from registry import (
    create_application,
    enroll,
    get_worker,
    join_reading_team,
    pending_notifications,
    set_application_status,
)
from tests.actions.helpers import (
    SENDER,
    buttons,
    make_tracker,
    register,
    run_action,
    slot_values,
    texts,
)

PROFILE_SLOTS = {
    "worker_name": "张三",
    "worker_phone": "13812341234",
    "worker_employer": "宁波永发机械有限公司",
    "worker_district": "海曙区",
    "worker_union_member": True,
    "profile_confirmed": "yes",
}
APPLICATION = dict(
    name="张三",
    phone="13812341234",
    school="宁波开放大学",
    programme="会计学",
    graduation_date="2024-06",
    certificate_no="106471202405001234",
)


async def run(action, domain: dict, sender_id: str = SENDER, **kwargs: Any) -> tuple[dict, str, list]:
    events, messages = await run_action(action, make_tracker(domain, sender_id=sender_id, **kwargs), domain)
    return slot_values(events), texts(messages), buttons(messages)


def rows(db: Database, table: str) -> list[dict]:
    return list(db[table].rows)


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
    assert slots["worker_registered"] is False and slots["worker_name"] is None
    assert slots["course_id"] == "jxgf_auto_repair"  # found in the sentence without an entity
    _, messages = await run_action(ActionAskWorkerName(), make_tracker(domain, slots=slots), domain)
    assert "只需登记一次" in texts(messages)


async def test_update_profile_asks_which_field(domain: dict, db: Database) -> None:
    register(db)
    slots, _, _ = await run(ActionStartProfile(), domain, intent="update_profile")
    assert slots["profile_confirmed"] == "edit"
    slots, _, _ = await run(
        ActionStartProfile(), domain, intent="update_profile", entities=[{"entity": "district", "value": "北仑区"}]
    )
    assert slots["worker_district"] == "北仑区" and slots["profile_confirmed"] is None


async def test_start_subsidy_says_what_is_needed(domain: dict) -> None:
    _, text, _ = await run(ActionStartSubsidy(), domain, intent="apply_subsidy")
    assert "毕业证书" in text and "算了" in text


# ---------------------------------------------------------------- the questions


async def test_returning_worker_is_shown_masked(domain: dict) -> None:
    _, messages = await run_action(
        ActionAskProfileConfirmed(),
        make_tracker(domain, slots={**PROFILE_SLOTS, "profile_confirmed": None, "worker_registered": True}),
        domain,
    )
    assert texts(messages) == "您是张三（138****1234，海曙区，宁波永发机械有限公司，工会会员）吗？"
    assert [b["title"] for b in buttons(messages)] == ["是", "修改"]


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


async def test_a_changed_field_is_asked_as_new(domain: dict) -> None:
    from actions.form_prompts import ActionAskWorkerPhone

    _, messages = await run_action(ActionAskWorkerPhone(), make_tracker(domain), domain)
    assert texts(messages).startswith("请输入您的手机号")
    _, messages = await run_action(
        ActionAskWorkerPhone(), make_tracker(domain, slots={"profile_field": "worker_phone"}), domain
    )
    assert texts(messages).startswith("请输入新的手机号")


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


async def test_the_enrollment_question_when_full(domain: dict, db: Database, kb) -> None:
    course = kb.get_course("jxgf_auto_repair")
    for i in range(course.capacity + 1):
        register(db, f"tg-{i}", phone=f"139{i:08d}")
        enroll(db, f"tg-{i}", course.id, course.name, capacity=course.capacity)
    slots = {**PROFILE_SLOTS, "course_id": course.id}
    _, messages = await run_action(ActionAskEnrollConfirmed(), make_tracker(domain, slots=slots), domain)
    text = texts(messages)
    assert "名额已经报满" in text and "您会是第2位" in text
    assert buttons(messages)[0] == {"title": "排候补", "payload": "/affirm"}


async def test_subsidy_summary_masks_phone_and_certificate(domain: dict) -> None:
    slots = {
        **PROFILE_SLOTS,
        "school": "宁波开放大学",
        "programme": "会计学",
        "graduation_date": "2024-06",
        "certificate_no": "106471202405001234",
        "model_worker_class": False,
    }
    _, messages = await run_action(ActionAskSubsidyConfirmed(), make_tracker(domain, slots=slots), domain)
    text = texts(messages)
    assert "1064**********1234" in text and "106471202405001234" not in text
    assert "2024年6月" in text and "138****1234" in text


async def test_team_choice_names_both_teams(domain: dict) -> None:
    _, messages = await run_action(ActionAskTeamKind(), make_tracker(domain, slots=PROFILE_SLOTS), domain)
    titles = [b["title"] for b in buttons(messages)]
    assert titles[0].startswith("单位：宁波永发机械") and titles[1] == "地区：海曙区职工读书会"


# ---------------------------------------------------------------- saving


async def test_submit_enrollment_registers_and_enrolls(domain: dict, db: Database) -> None:
    slots, text, _ = await run(
        ActionSubmitEnrollment(), domain, slots={**PROFILE_SLOTS, "course_id": "jxgf_plc", "enroll_confirmed": True}
    )
    assert "报名成功" in text and "BM" in text and "138****1234" in text
    assert slots["worker_phone"] is None  # personal slots forgotten after saving
    worker = get_worker(db, SENDER)
    assert worker is not None and worker.phone == "13812341234"
    (row,) = rows(db, "enrollments")
    assert (row["sender_id"], row["course_id"], row["status"]) == (SENDER, "jxgf_plc", "enrolled")
    assert row["enrollment_no"] in text

    _, again, _ = await run(
        ActionSubmitEnrollment(), domain, slots={**PROFILE_SLOTS, "course_id": "jxgf_plc", "enroll_confirmed": True}
    )
    assert "不用重复报名" in again and row["enrollment_no"] in again
    assert len(rows(db, "enrollments")) == 1


async def test_submit_enrollment_on_a_full_course_waitlists(domain: dict, db: Database, kb) -> None:
    course = kb.get_course("jxgf_auto_repair")
    for i in range(course.capacity):
        register(db, f"tg-{i}", phone=f"139{i:08d}")
        enroll(db, f"tg-{i}", course.id, course.name, capacity=course.capacity)
    _, text, _ = await run(
        ActionSubmitEnrollment(), domain, slots={**PROFILE_SLOTS, "course_id": course.id, "enroll_confirmed": True}
    )
    assert "候补" in text and "第1位" in text
    mine = [r for r in rows(db, "enrollments") if r["sender_id"] == SENDER]
    assert [r["status"] for r in mine] == ["waitlisted"]


@pytest.mark.parametrize("outcome", ["cancelled", "abort"])
async def test_nothing_is_saved_when_the_form_ended_early(domain: dict, db: Database, outcome: str) -> None:
    _, text, _ = await run(
        ActionSubmitEnrollment(), domain, slots={**PROFILE_SLOTS, "course_id": "jxgf_plc", "form_outcome": outcome}
    )
    assert rows(db, "enrollments") == [] and rows(db, "workers") == []
    assert ("没有保存任何内容" in text) == (outcome == "cancelled")


async def test_submit_profile_saves_only_changes(domain: dict, db: Database) -> None:
    _, text, _ = await run(ActionSubmitProfile(), domain, slots=PROFILE_SLOTS)
    assert "已保存" in text and "138****1234" in text and "13812341234" not in text
    stamp = get_worker(db, SENDER).updated_at
    _, text, _ = await run(ActionSubmitProfile(), domain, slots=PROFILE_SLOTS)
    assert "没有变化" in text and get_worker(db, SENDER).updated_at == stamp


async def test_submit_reading_joins_the_team_and_names_the_book(domain: dict, db: Database) -> None:
    _, text, _ = await run(ActionSubmitReading(), domain, slots={**PROFILE_SLOTS, "team_kind": "district"})
    assert "已加入「海曙区职工读书会」" in text and "📖" in text
    assert [(r["team_id"], r["sender_id"]) for r in rows(db, "team_members")] == [("district:海曙区", SENDER)]
    _, text, _ = await run(ActionSubmitReading(), domain, slots={**PROFILE_SLOTS, "team_kind": "district"})
    assert "已经是" in text


async def test_submit_subsidy_files_a_pending_application(domain: dict, db: Database) -> None:
    slots = {
        **PROFILE_SLOTS,
        "school": "宁波开放大学",
        "programme": "会计学",
        "graduation_date": "2024-06",
        "certificate_no": "106471202405001234",
        "model_worker_class": True,
        "subsidy_confirmed": True,
    }
    _, text, _ = await run(ActionSubmitSubsidy(), domain, slots=slots)
    (row,) = rows(db, "applications")
    assert row["status"] == "pending" and row["application_no"] in text
    assert row["certificate_no"] == "106471202405001234" and row["model_worker_class"] == 1
    assert "106471202405001234" not in text
    _, text, _ = await run(ActionSubmitSubsidy(), domain, slots=slots)
    assert "不用重复申请" in text and len(rows(db, "applications")) == 1


# ---------------------------------------------------------------- cancelling


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


async def test_the_cancel_question_says_what_happens(domain: dict, db: Database) -> None:
    register(db)
    number = enroll(db, SENDER, "jxgf_plc", "PLC编程", capacity=30).number
    _, messages = await run_action(
        ActionAskCancelConfirmed(), make_tracker(domain, slots={"cancel_target": number}), domain
    )
    assert f"确认取消「PLC编程」的报名（{number}）吗？" in texts(messages)
    assert [b["payload"] for b in buttons(messages)] == ["/affirm", "/deny"]


# ---------------------------------------------------------------- deleting


async def test_delete_my_data(domain: dict, db: Database) -> None:
    register(db)
    register(db, "tg-waiting", phone="13900000001")
    enroll(db, SENDER, "c1", "小班课", capacity=1)
    waiting = enroll(db, "tg-waiting", "c1", "小班课", capacity=1).number
    join_reading_team(db, SENDER, "district:海曙区")
    create_application(db, SENDER, **APPLICATION)
    _, messages = await run_action(ActionAskDeleteConfirmed(), make_tracker(domain), domain)
    assert "1条报名" in texts(messages) and "1份补贴申请" in texts(messages)

    slots, text, _ = await run(ActionSubmitDelete(), domain, slots={**PROFILE_SLOTS, "delete_confirmed": True})
    assert "已删除" in text and slots["worker_phone"] is None
    assert "对话内容也一并删除了" in text
    assert slots["purge_conversation"] is True  # the Rasa server then deletes the conversation
    assert get_worker(db, SENDER) is None
    assert all(r["sender_id"] != SENDER for r in rows(db, "enrollments"))
    assert rows(db, "applications")[0]["phone"] is None
    assert [n.ref for n in pending_notifications(db)] == [waiting]  # the promoted worker is told


async def test_delete_with_nothing_stored(domain: dict) -> None:
    slots, text, _ = await run(ActionStartDelete(), domain, intent="delete_my_data")
    assert "没有保存您的任何登记信息" in text and slots["form_outcome"] == "abort"
    # what the worker typed is still forgotten (rasa_ext/purge.py)
    assert "对话内容也已删除" in text and slots["purge_conversation"] is True


@pytest.mark.parametrize("confirmed", [False, None])
async def test_delete_not_confirmed_keeps_the_conversation(domain: dict, db: Database, confirmed) -> None:
    register(db)
    slots, text, _ = await run(ActionSubmitDelete(), domain, slots={**PROFILE_SLOTS, "delete_confirmed": confirmed})
    assert "不删除了" in text and "purge_conversation" not in slots
    assert get_worker(db, SENDER) is not None


async def test_a_failed_delete_keeps_the_conversation(domain: dict, db: Database, monkeypatch) -> None:
    """No purge unless the registry really forgot the worker."""
    import actions.records_actions as records_actions

    def broken(*args, **kwargs):
        raise OSError("disk full")

    register(db)
    monkeypatch.setattr(records_actions, "delete_worker_data", broken)
    slots, text, _ = await run(ActionSubmitDelete(), domain, slots={**PROFILE_SLOTS, "delete_confirmed": True})
    assert "系统暂时出了点问题" in text and "purge_conversation" not in slots


def test_the_purge_slot_is_the_one_the_rasa_server_watches(domain: dict) -> None:
    from actions.records_support import PURGE_SLOT
    from rasa_ext.purge import PURGE_SLOT as RASA_SIDE

    assert PURGE_SLOT == RASA_SIDE
    assert domain["slots"][PURGE_SLOT]["influence_conversation"] is False
    assert domain["slots"][PURGE_SLOT]["mappings"] == [{"type": "custom"}]


# ---------------------------------------------------------------- leaving a form (算了)


@pytest.mark.parametrize("form", sorted(FORM_SLOTS))
async def test_stop_at_any_question_leaves_the_form_and_saves_nothing(domain: dict, db: Database, form: str) -> None:
    for asked in FORM_SLOTS[form]:
        slots = {**PROFILE_SLOTS, "course_id": "jxgf_plc", "requested_slot": asked}
        events, messages = await run_action(
            ActionCancelForm(),
            make_tracker(domain, slots=slots, text="算了", intent="stop", active_loop=form),
            domain,
        )
        assert texts(messages) == CANCELLED_TEXT[form]
        assert {"event": "active_loop", "name": None} in [
            {"event": e["event"], "name": e.get("name")} for e in events if e["event"] == "active_loop"
        ]
        values = slot_values(events)
        assert values["requested_slot"] is None and values["worker_phone"] is None
    assert all(rows(db, table) == [] for table in ("workers", "enrollments", "applications", "team_members"))


@pytest.mark.parametrize("text", ["取消", "确认取消", "取消吧", "要取消", "取消报名！"])
async def test_typing_cancel_at_the_cancel_confirmation_means_yes(domain: dict, text: str) -> None:
    """At "确认取消「PLC编程」的报名吗？" a typed 取消 is the answer, not 算了."""
    slots = {**PROFILE_SLOTS, "record": "E-1", "requested_slot": "cancel_confirmed"}
    events, messages = await run_action(
        ActionCancelForm(),
        make_tracker(domain, slots=slots, text=text, intent="stop", active_loop="cancel_form"),
        domain,
    )
    assert messages == []
    assert slot_values(events)["cancel_confirmed"] is True
    assert {"event": "followup", "name": "cancel_form"} in [
        {"event": e["event"], "name": e.get("name")} for e in events
    ]


@pytest.mark.parametrize(
    ("text", "asked", "form"),
    [
        ("算了", "cancel_confirmed", "cancel_form"),  # 算了 still leaves
        ("取消了不想弄了", "cancel_confirmed", "cancel_form"),  # not a bare 取消
        ("取消", "record", "cancel_form"),  # not at the confirmation
        ("取消", "enroll_confirmed", "enroll_form"),  # 取消 at "确认报名吗" is stop
    ],
)
async def test_cancel_elsewhere_still_leaves_the_form(domain: dict, text: str, asked: str, form: str) -> None:
    slots = {**PROFILE_SLOTS, "course_id": "jxgf_plc", "requested_slot": asked}
    events, messages = await run_action(
        ActionCancelForm(),
        make_tracker(domain, slots=slots, text=text, intent="stop", active_loop=form),
        domain,
    )
    assert texts(messages) == CANCELLED_TEXT[form]
    assert not any(e["event"] == "followup" for e in events)


async def test_a_person_taking_over_closes_the_form_silently(domain: dict) -> None:
    slots = {**PROFILE_SLOTS, "requested_slot": "form_help", "form_failures": {"worker_phone": 3}}
    events, messages = await run_action(
        ActionCloseForm(),
        make_tracker(domain, slots=slots, intent="affirm", active_loop="enroll_form"),
        domain,
    )
    assert messages == []
    assert {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events if e["event"] == "active_loop"
    ]
    values = slot_values(events)
    assert values["worker_phone"] is None and values["form_failures"] is None


# ---------------------------------------------------------------- showing records


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
    assert "还没有报名" in text and found


async def test_my_data_masks_the_phone(domain: dict, db: Database) -> None:
    register(db)
    _, text, found = await run(ActionMyData(), domain, intent="my_data")
    assert "138****1234" in text and "13812341234" not in text and "张三" in text
    assert "/delete_my_data" in [b["payload"] for b in found]
    _, text, _ = await run(ActionMyData(), domain, sender_id="tg-nobody", intent="my_data")
    assert "还没有保存" in text


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
