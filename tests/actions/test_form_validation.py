"""The sign-up forms' validation, one rule at a time, with real rasa_sdk trackers and a
CollectingDispatcher (financial-demo tests/test_actions.py style)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlite_utils import Database

from actions.forms import (
    ValidateCancelForm,
    ValidateDeleteForm,
    ValidateEnrollForm,
    ValidateProfileForm,
    ValidateReadingForm,
    ValidateSubsidyForm,
    clean_graduation_date,
    profile_field_from_text,
)
from registry import InvalidInput, enroll, join_reading_team
from tests.actions.helpers import SENDER, FormDriver, buttons, register

NEW_WORKER = {"worker_registered": False}


def profile_driver(domain: dict, **slots) -> FormDriver:
    return FormDriver(ValidateProfileForm(), "profile_form", domain, slots=dict(slots))


async def at(driver: FormDriver, slot: str, answers: list) -> None:
    """Answer the form's questions with ``answers`` until it asks ``slot``."""
    for value in answers:
        await driver.answer(value)
    assert driver.requested == slot


PROFILE_ANSWERS = ["张伟", "13812345678", "宁波永发机械有限公司", "北仑"]


# ---------------------------------------------------------------- a new worker's profile


async def test_a_new_worker_is_asked_every_field_in_order(domain: dict) -> None:
    driver = profile_driver(domain)
    first = await driver.activate(**NEW_WORKER)
    assert first.requested == "worker_name"
    asked = []
    for value in ["我叫张伟", "138 1234 5678", "在宁波东方电器上班", "北仑", True]:
        turn = await driver.answer(value)
        asked.append(turn.requested)
        assert turn.messages == []  # every answer was accepted silently
    assert asked == ["worker_phone", "worker_employer", "worker_district", "worker_union_member", None]
    assert driver.slots["worker_name"] == "张伟"
    assert driver.slots["worker_phone"] == "13812345678"
    assert driver.slots["worker_employer"] == "宁波东方电器"
    assert driver.slots["worker_district"] == "北仑区"
    assert driver.slots["worker_union_member"] is True
    # typed in just now: no separate confirmation for a new worker
    assert driver.slots["profile_confirmed"] == "yes"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "请告诉我您的姓名"),
        ("   ", "请告诉我您的姓名"),
        ("张3", "不能有数字"),
        ("你好", "不是姓名"),
        ("我想报名PLC编程", "不是姓名"),
        ("张", "至少2个字"),
        ("欧阳王李赵钱孙", "2到5个字"),
    ],
)
async def test_a_bad_name_is_explained_and_asked_again(domain: dict, typed: str, reason: str) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    turn = await driver.answer(typed)
    assert reason in turn.text
    assert turn.slots["worker_name"] is None
    assert turn.requested == "worker_name"  # a second chance
    assert driver.slots["form_failures"] == {"worker_name": 1}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("王芳", "王芳"),
        ("叫我马春燕就行", "马春燕"),
        ("名字是郑小军", "郑小军"),
        ("买买提·艾力", "买买提·艾力"),
        ("Li Ming", "Li Ming"),
        ("张 三", "张三"),
    ],
)
async def test_names_as_workers_type_them(domain: dict, typed: str, expected: str) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    turn = await driver.answer(typed)
    assert turn.slots["worker_name"] == expected and turn.messages == []


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("138abc45678", "只能包含数字"),
        ("138123456789", "12位"),
        ("1381234567", "10位"),
        ("12812345678", "13–19开头"),
        ("0574-87654321", "11位"),
    ],
)
async def test_a_bad_phone_is_explained_and_asked_again(domain: dict, typed: str, reason: str) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    await at(driver, "worker_phone", ["张伟"])
    turn = await driver.answer(typed)
    assert reason in turn.text
    assert turn.slots["worker_phone"] is None and turn.requested == "worker_phone"


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "手机号13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "１３８１２３４５６７８",
    ],
)
async def test_phones_as_workers_type_them(domain: dict, typed: str) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    await at(driver, "worker_phone", ["张伟"])
    turn = await driver.answer(typed)
    assert turn.slots["worker_phone"] == "13812345678"


async def test_an_unknown_district_shows_the_ten_districts(domain: dict) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    await at(driver, "worker_district", PROFILE_ANSWERS[:3])
    turn = await driver.answer("杭州西湖")
    assert "没有找到这个区县" in turn.text and "海曙区" in turn.text and "象山县" in turn.text
    assert turn.requested == "worker_district"
    # the district button sends the official name as an entity value
    turn = await driver.answer("海曙区", text='/inform{"district":"海曙区"}')
    assert turn.slots["worker_district"] == "海曙区"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("宁波鄞州", "鄞州区"), ("yuyao", "余姚市"), ("我在北仑上班", "北仑区"), ("奉化市", "奉化区")],
)
async def test_district_synonyms(domain: dict, typed: str, expected: str) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    await at(driver, "worker_district", PROFILE_ANSWERS[:3])
    assert (await driver.answer(typed)).slots["worker_district"] == expected


@pytest.mark.parametrize(
    ("answer", "expected"), [(True, True), (False, False), ("是会员", True), ("不是", False), ("还没入会", False)]
)
async def test_union_member_yes_no(domain: dict, answer, expected: bool) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    await at(driver, "worker_union_member", PROFILE_ANSWERS)
    assert (await driver.answer(answer)).slots["worker_union_member"] is expected


async def test_union_member_needs_a_yes_or_no(domain: dict) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    await at(driver, "worker_union_member", PROFILE_ANSWERS)
    turn = await driver.answer("随便")
    assert "“是”或“不是”" in turn.text and turn.requested == "worker_union_member"


async def test_a_button_pressed_from_an_old_message_is_not_an_answer(domain: dict) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    turn = await driver.answer("/my_records", intent="my_records")
    assert "请先回答上面的问题" in turn.text
    assert turn.requested == "worker_name"
    assert not driver.slots.get("form_failures")  # not counted as the worker's mistake


# ---------------------------------------------------------------- repeated failures


async def test_second_failure_explains_third_offers_a_person(domain: dict) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    await at(driver, "worker_phone", ["张伟"])

    first = await driver.answer("12345")
    assert "11位数字" in first.text and "例如 13812345678" not in first.text
    assert first.requested == "worker_phone"

    second = await driver.answer("abcdefg")
    assert "以1开头，例如 13812345678" in second.text  # explain_worker_phone
    assert second.requested == "worker_phone"

    third = await driver.answer("我没有手机")
    assert third.requested == "form_help"  # utter: 转人工 / 再试一次 / 算了
    assert driver.slots["form_failures"] == {"worker_phone": 3}


async def test_try_again_after_the_offer_asks_the_question_again(domain: dict) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    await at(driver, "worker_phone", ["张伟"])
    for wrong in ["1", "2", "3"]:
        await driver.answer(wrong)
    assert driver.requested == "form_help"
    turn = await driver.answer("retry", text="/deny", intent="deny")
    assert turn.requested == "worker_phone"
    assert not driver.slots["form_failures"]  # a fresh start for that question


async def test_a_right_answer_typed_at_the_offer_is_taken(domain: dict) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    await at(driver, "worker_phone", ["张伟"])
    for wrong in ["1", "2", "3"]:
        await driver.answer(wrong)
    turn = await driver.answer("手机号 139 1234 5678")
    assert driver.slots["worker_phone"] == "13912345678"
    assert turn.requested == "worker_employer"


async def test_failures_of_one_slot_reset_after_a_right_answer(domain: dict) -> None:
    driver = profile_driver(domain)
    await driver.activate(**NEW_WORKER)
    await at(driver, "worker_phone", ["张伟"])
    await driver.answer("1")
    await driver.answer("2")
    await driver.answer("13812345678")
    assert not driver.slots["form_failures"]
    await driver.answer("")  # employer: one failure, counted on its own
    assert driver.slots["form_failures"] == {"worker_employer": 1}


# ---------------------------------------------------------------- a returning worker


def returning(domain: dict, form_action, form: str, **slots) -> FormDriver:
    prefilled = {
        "worker_registered": True,
        "worker_name": "张三",
        "worker_phone": "13812341234",
        "worker_employer": "宁波永发机械有限公司",
        "worker_district": "海曙区",
        "worker_union_member": True,
    }
    prefilled.update(slots)
    return FormDriver(form_action, form, domain, slots=prefilled)


async def test_a_returning_worker_only_confirms(domain: dict) -> None:
    driver = returning(domain, ValidateReadingForm(), "reading_form")
    turn = await driver.activate()
    assert turn.requested == "profile_confirmed"
    turn = await driver.answer("yes", text="/affirm", intent="affirm")
    assert turn.requested == "team_kind"


async def test_a_returning_worker_changes_one_field_then_confirms_again(domain: dict) -> None:
    driver = returning(domain, ValidateReadingForm(), "reading_form")
    await driver.activate()
    turn = await driver.answer("edit", text="/deny", intent="deny")
    assert turn.requested == "profile_field"
    turn = await driver.answer("手机号")
    assert turn.requested == "worker_phone" and driver.slots["worker_phone"] is None
    turn = await driver.answer("13998765432")
    assert turn.requested == "profile_confirmed"
    turn = await driver.answer("yes", text="/affirm", intent="affirm")
    assert turn.requested == "team_kind"
    assert driver.slots["worker_phone"] == "13998765432"
    assert driver.slots["worker_name"] == "张三"  # the rest kept


async def test_nothing_to_change(domain: dict) -> None:
    driver = returning(domain, ValidateProfileForm(), "profile_form", profile_confirmed="edit")
    turn = await driver.activate()
    assert turn.requested == "profile_field"
    turn = await driver.answer("none", text="/affirm", intent="affirm")
    assert turn.requested is None and driver.slots["profile_confirmed"] == "yes"


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


async def test_a_stored_profile_is_not_re_cleaned(domain: dict) -> None:
    # "在…" would be stripped from a typed answer, never from the stored employer
    driver = returning(domain, ValidateReadingForm(), "reading_form", worker_employer="在线科技有限公司")
    await driver.activate()
    assert driver.slots["worker_employer"] == "在线科技有限公司"


# ---------------------------------------------------------------- enrollment


def enroll_driver(domain: dict, sender_id: str = SENDER, **slots) -> FormDriver:
    return FormDriver(ValidateEnrollForm(), "enroll_form", domain, sender_id=sender_id, slots={**NEW_WORKER, **slots})


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


async def test_a_programme_offers_its_courses(domain: dict) -> None:
    driver = enroll_driver(domain)
    turn = await driver.activate(course_id="匠心工坊")
    assert "「匠心工坊」包括" in turn.text
    assert "jxgf_plc" in driver.slots["course_choices"]
    turn = await driver.answer("第二个")
    assert driver.slots["course_id"] == driver.slots.get("course_id") and turn.requested == "worker_name"


async def test_an_unknown_course_is_said_so(domain: dict) -> None:
    driver = enroll_driver(domain)
    turn = await driver.activate(course_id="西式烹饪")
    assert "没有找到“西式烹饪”这门课程" in turn.text
    assert turn.requested == "course_id"


async def test_a_course_that_is_not_enrollable_here(domain: dict) -> None:
    driver = enroll_driver(domain)
    turn = await driver.activate(course_id="技能强国")
    assert "不需要在小助手里报名" in turn.text and turn.requested == "course_id"


async def test_already_enrolled_is_refused_with_the_number(domain: dict, db: Database) -> None:
    register(db)
    number = enroll(db, SENDER, "jxgf_plc", "PLC编程", capacity=30).number
    driver = returning(domain, ValidateEnrollForm(), "enroll_form", course_id="PLC编程")
    turn = await driver.activate()
    assert number in turn.text and "不用重复报名" in turn.text
    assert driver.slots["form_outcome"] == "abort"
    assert turn.requested is None  # the form ends; nothing is saved


async def test_saying_no_at_the_end_cancels_the_enrollment(domain: dict) -> None:
    driver = returning(domain, ValidateEnrollForm(), "enroll_form", course_id="jxgf_plc", profile_confirmed="yes")
    turn = await driver.activate()
    assert turn.requested == "enroll_confirmed"
    turn = await driver.answer(False, text="/deny", intent="deny")
    assert driver.slots["form_outcome"] == "cancelled" and turn.requested is None


async def test_edit_profile_from_the_final_question(domain: dict) -> None:
    driver = enroll_driver(domain, course_id="jxgf_plc")
    await driver.activate()
    for value in [*PROFILE_ANSWERS, True]:
        await driver.answer(value)
    assert driver.requested == "enroll_confirmed"
    turn = await driver.answer("修改信息")
    assert turn.requested == "profile_field"
    await driver.answer("姓名")
    await driver.answer("张伟伟")
    assert driver.requested == "profile_confirmed"
    await driver.answer("yes", text="/affirm", intent="affirm")
    assert driver.requested == "enroll_confirmed"
    turn = await driver.answer(True, text="/affirm", intent="affirm")
    assert turn.requested is None and driver.slots["enroll_confirmed"] is True


# ---------------------------------------------------------------- reading team


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("单位读书会", "employer"), ("地区读书会", "district"), ("按公司", "employer"), ("海曙那个", "district")],
)
async def test_team_kind(domain: dict, typed: str, kind: str) -> None:
    driver = returning(domain, ValidateReadingForm(), "reading_form", profile_confirmed="yes")
    await driver.activate()
    assert driver.requested == "team_kind"
    turn = await driver.answer(typed)
    assert driver.slots["team_kind"] == kind and turn.requested is None


# ---------------------------------------------------------------- subsidy application


def subsidy_driver(domain: dict) -> FormDriver:
    return returning(domain, ValidateSubsidyForm(), "subsidy_form", profile_confirmed="yes")


async def test_the_whole_subsidy_form(domain: dict) -> None:
    driver = subsidy_driver(domain)
    turn = await driver.activate()
    assert turn.requested == "school"
    for value in ["宁波开放大学", "机电一体化技术（大专）", "2024年6月", "证书编号 106471202405001234", False]:
        turn = await driver.answer(value)
        assert turn.messages == [], turn.text
    assert turn.requested == "subsidy_confirmed"
    assert driver.slots["graduation_date"] == "2024-06"
    assert driver.slots["certificate_no"] == "106471202405001234"
    assert driver.slots["model_worker_class"] is False


async def test_a_future_graduation_date_is_refused(domain: dict) -> None:
    driver = subsidy_driver(domain)
    await driver.activate()
    await at(driver, "graduation_date", ["宁波开放大学", "会计学"])
    turn = await driver.answer(f"{date.today().year + 1}年6月")
    assert "不能晚于本月" in turn.text and turn.requested == "graduation_date"


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
    assert clean_graduation_date(typed, today=date(2026, 11, 27)) == expected


@pytest.mark.parametrize(
    ("typed", "reason"), [("2020年", "月份"), ("下个月", "没看懂"), ("2026年12月", "不能晚于本月")]
)
def test_bad_graduation_dates(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as error:
        clean_graduation_date(typed, today=date(2026, 11, 27))
    assert reason in error.value.message


@pytest.mark.parametrize(
    ("typed", "reason"), [("abcdefgh", "不像证书编号"), ("12345", "5位"), ("证书编号：一二三", "只能包含数字和字母")]
)
async def test_a_bad_certificate_number(domain: dict, typed: str, reason: str) -> None:
    driver = subsidy_driver(domain)
    await driver.activate()
    await at(driver, "certificate_no", ["宁波开放大学", "会计学", "2024年6月"])
    turn = await driver.answer(typed)
    assert reason in turn.text and turn.requested == "certificate_no"


async def test_school_and_programme_need_words(domain: dict) -> None:
    driver = subsidy_driver(domain)
    await driver.activate()
    turn = await driver.answer("1")
    assert "学校" in turn.text and turn.requested == "school"
    await driver.answer("学校是浙江万里学院")
    assert driver.slots["school"] == "浙江万里学院"


# ---------------------------------------------------------------- cancelling, deleting


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


@pytest.mark.parametrize(
    ("form_action", "form", "slot"),
    [
        (ValidateCancelForm(), "cancel_form", "cancel_confirmed"),
        (ValidateDeleteForm(), "delete_form", "delete_confirmed"),
    ],
)
async def test_confirmations(domain: dict, db: Database, form_action, form: str, slot: str) -> None:
    register(db)
    join_reading_team(db, SENDER, "district:海曙区")
    prefilled = {"cancel_target": "district:海曙区"} if form == "cancel_form" else {}
    driver = FormDriver(form_action, form, domain, slots=prefilled)
    turn = await driver.activate()
    assert turn.requested == slot
    for unclear in ["嗯？", "这是什么"]:
        turn = await driver.answer(unclear)
        assert "请点下面的按钮" in turn.text and turn.requested == slot
    turn = await driver.answer(True, text="/affirm", intent="affirm")
    assert driver.slots[slot] is True and turn.requested is None


def test_the_offer_buttons_are_person_retry_stop() -> None:
    from actions.form_prompts import ActionAskFormHelp

    assert [b["payload"] for b in ActionAskFormHelp.buttons] == ["/affirm", "/deny", "/stop"]


async def test_course_question_buttons(domain: dict) -> None:
    from actions.form_prompts import ActionAskCourseId
    from tests.actions.helpers import make_tracker, run_action

    _, messages = await run_action(ActionAskCourseId(), make_tracker(domain), domain)
    payloads = [b["payload"] for b in buttons(messages)]
    assert '/enroll_course{"course":"jxgf_plc"}' in payloads
    assert '/enroll_course{"course":"jxgf"}' not in payloads  # a programme, not enrollable
    assert payloads[-1] == "/stop"


def test_every_explanation_belongs_to_a_slot_a_form_asks() -> None:
    """A misspelt key in EXPLANATIONS would silently never be said."""
    import yaml

    from actions.forms import EXPLANATIONS
    from tests.support import REPO

    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    asked = {slot for form in domain["forms"].values() for slot in form["required_slots"]}
    assert set(EXPLANATIONS) <= asked, set(EXPLANATIONS) - asked
