"""The worker's profile (actions/signup/profile.py): asked once of a new worker, only
confirmed by a returning one, changed one field at a time."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from actions.signup.enrollment import ValidateEnrollForm
from actions.signup.profile import (
    ActionAskProfileConfirmed,
    ActionAskWorkerName,
    ActionAskWorkerPhone,
    ActionStartProfile,
    ActionSubmitProfile,
    ValidateProfileForm,
)
from actions.signup.reading_team import ValidateReadingForm
from common import texts
from registry import get_worker
from tests.actions.helpers import (
    PROFILE_SLOTS,
    SENDER,
    FormDriver,
    buttons,
    make_tracker,
    register,
    returning,
    run,
    run_action,
)

NEW_WORKER = {"worker_registered": False}
PROFILE_ANSWERS = ["张伟", "13812345678", "宁波永发机械有限公司", "北仑"]


async def new_worker_at(domain: dict, slot: str) -> FormDriver:
    """The profile form of a new worker, answered right up to ``slot``."""
    driver = FormDriver(ValidateProfileForm(), "profile_form", domain)
    await driver.activate(**NEW_WORKER)
    for value in PROFILE_ANSWERS:
        if driver.requested == slot:
            break
        await driver.answer(value)
    assert driver.requested == slot
    return driver


# ---------------------------------------------------------------- a new worker


async def test_a_new_worker_is_asked_every_field_in_order(domain: dict) -> None:
    driver = FormDriver(ValidateProfileForm(), "profile_form", domain)
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
        ("知道了", "不是姓名"),
        ("我想报名PLC编程", "不是姓名"),
        ("张", "至少2个字"),
        ("欧阳王李赵钱孙", "2到5个字"),
    ],
)
async def test_a_bad_name_is_explained_and_asked_again(domain: dict, typed: str, reason: str) -> None:
    driver = await new_worker_at(domain, "worker_name")
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
    driver = await new_worker_at(domain, "worker_name")
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
    driver = await new_worker_at(domain, "worker_phone")
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
    driver = await new_worker_at(domain, "worker_phone")
    turn = await driver.answer(typed)
    assert turn.slots["worker_phone"] == "13812345678"


async def test_an_unknown_district_shows_the_ten_districts(domain: dict) -> None:
    driver = await new_worker_at(domain, "worker_district")
    turn = await driver.answer("杭州西湖")
    assert "没有找到这个区县" in turn.text and "海曙区" in turn.text and "象山县" in turn.text
    assert turn.requested == "worker_district"
    # the district button sends the official name as an entity value
    turn = await driver.answer("海曙区", text='/inform{"district":"海曙区"}')
    assert turn.slots["worker_district"] == "海曙区"


async def test_the_district_explanation_counts_the_districts(domain: dict) -> None:
    driver = await new_worker_at(domain, "worker_district")
    await driver.answer("杭州西湖")
    turn = await driver.answer("火星")
    assert "宁波市的10个区、县、市之一" in turn.text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("宁波鄞州", "鄞州区"), ("yuyao", "余姚市"), ("我在北仑上班", "北仑区"), ("奉化市", "奉化区")],
)
async def test_district_synonyms(domain: dict, typed: str, expected: str) -> None:
    driver = await new_worker_at(domain, "worker_district")
    assert (await driver.answer(typed)).slots["worker_district"] == expected


@pytest.mark.parametrize(
    ("answer", "expected"), [(True, True), (False, False), ("是会员", True), ("不是", False), ("还没入会", False)]
)
async def test_union_member_yes_no(domain: dict, answer, expected: bool) -> None:
    driver = FormDriver(ValidateProfileForm(), "profile_form", domain)
    await driver.activate(**NEW_WORKER)
    for value in PROFILE_ANSWERS:
        await driver.answer(value)
    assert (await driver.answer(answer)).slots["worker_union_member"] is expected


async def test_union_member_needs_a_yes_or_no(domain: dict) -> None:
    driver = FormDriver(ValidateProfileForm(), "profile_form", domain)
    await driver.activate(**NEW_WORKER)
    for value in PROFILE_ANSWERS:
        await driver.answer(value)
    turn = await driver.answer("随便")
    assert "“是”或“不是”" in turn.text and turn.requested == "worker_union_member"
    assert "profile_confirmed" not in turn.slots  # nothing confirmed on a wrong answer


# ---------------------------------------------------------------- a returning worker


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


@pytest.mark.parametrize(("typed", "answer"), [("对的", "yes"), ("电话不对", "edit"), ("不是", "edit")])
async def test_the_confirmation_typed(domain: dict, typed: str, answer: str) -> None:
    driver = returning(domain, ValidateProfileForm(), "profile_form")
    await driver.activate()
    await driver.answer(typed)
    assert driver.slots["profile_confirmed"] == answer


async def test_nothing_to_change(domain: dict) -> None:
    driver = returning(domain, ValidateProfileForm(), "profile_form", profile_confirmed="edit")
    turn = await driver.activate()
    assert turn.requested == "profile_field"
    turn = await driver.answer("none", text="/affirm", intent="affirm")
    assert turn.requested is None and driver.slots["profile_confirmed"] == "yes"


async def test_a_stored_profile_is_not_re_cleaned(domain: dict) -> None:
    # "在…" would be stripped from a typed answer, never from the stored employer
    driver = returning(domain, ValidateEnrollForm(), "enroll_form", worker_employer="在线科技有限公司")
    await driver.activate()
    assert driver.slots["worker_employer"] == "在线科技有限公司"


# ---------------------------------------------------------------- starting, asking, saving


async def test_update_profile_asks_which_field(domain: dict, db: Database) -> None:
    register(db)
    slots, _, _ = await run(ActionStartProfile(), domain, intent="update_profile")
    assert slots["profile_confirmed"] == "edit" and slots["worker_registered"] is True
    slots, _, _ = await run(
        ActionStartProfile(), domain, intent="update_profile", entities=[{"entity": "district", "value": "北仑区"}]
    )
    assert slots["worker_district"] == "北仑区" and slots["profile_confirmed"] is None


async def test_a_new_worker_is_told_it_is_asked_once(domain: dict) -> None:
    slots, _, _ = await run(ActionStartProfile(), domain, intent="update_profile")
    assert slots["worker_registered"] is False and slots.get("profile_confirmed") is None
    _, messages = await run_action(ActionAskWorkerName(), make_tracker(domain, slots=slots), domain)
    assert messages[0]["text"].startswith("第一次办理需要登记几项基本信息（只需登记一次）")


async def test_returning_worker_is_shown_masked(domain: dict) -> None:
    _, messages = await run_action(
        ActionAskProfileConfirmed(),
        make_tracker(domain, slots={**PROFILE_SLOTS, "profile_confirmed": None, "worker_registered": True}),
        domain,
    )
    assert messages[0]["text"] == "您是张三（138****1234，海曙区，宁波永发机械有限公司，工会会员）吗？"
    assert [b["title"] for b in buttons(messages)] == ["是", "修改"]


async def test_a_changed_field_is_asked_as_new(domain: dict) -> None:
    _, messages = await run_action(ActionAskWorkerPhone(), make_tracker(domain), domain)
    assert messages[0]["text"] == texts.QUESTIONS["worker_phone"]
    _, messages = await run_action(
        ActionAskWorkerPhone(), make_tracker(domain, slots={"profile_field": "worker_phone"}), domain
    )
    assert messages[0]["text"] == texts.EDIT_QUESTIONS["worker_phone"]


async def test_submit_profile_saves_only_changes(domain: dict, db: Database) -> None:
    _, text, _ = await run(ActionSubmitProfile(), domain, slots=PROFILE_SLOTS)
    assert "已保存" in text and "138****1234" in text and "13812341234" not in text
    worker = get_worker(db, SENDER)
    assert worker is not None and worker.phone == "13812341234"
    _, text, _ = await run(ActionSubmitProfile(), domain, slots=PROFILE_SLOTS)
    assert "没有变化" in text and get_worker(db, SENDER) == worker
