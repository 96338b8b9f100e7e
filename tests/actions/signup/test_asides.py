"""Talking inside a form (actions/signup/base.py with asides.py and digression.py): a
question is answered from the knowledge base, small talk and 我的报名 are answered too,
the question is asked again with a way on and a way out, and none of it is a wrong
answer — in every form."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from sqlite_utils import Database

from actions.signup.base import SignupFormValidationAction
from actions.signup.cancel import ActionAskCancelConfirmed, ValidateCancelForm
from actions.signup.delete_data import ValidateDeleteForm
from actions.signup.enrollment import ActionAskEnrollConfirmed, ValidateEnrollForm
from actions.signup.profile import ActionAskWorkerDistrict, ActionAskWorkerPhone, ValidateProfileForm
from actions.signup.reading_team import ValidateReadingForm
from actions.signup.subsidy import ValidateSubsidyForm
from common import texts as catalogue
from registry import enroll
from tests.actions.helpers import (
    SENDER,
    FormDriver,
    Turn,
    buttons,
    make_tracker,
    register,
    returning,
    run_action,
)

NEW_WORKER = {"worker_registered": False}
QUESTION = ("劳模班学费谁出", "ask_subsidy", [{"entity": "course", "value": "劳模班"}])


async def ask(driver: FormDriver, text: str, intent: str, entities: list[dict] | None = None) -> Turn:
    """The worker types ``text`` where a value was asked: the slot mapping takes the text."""
    return await driver.answer(text, text=text, intent=intent, entities=entities)


async def plc_form_at(domain: dict, slot: str) -> FormDriver:
    """A new worker enrolling in PLC编程, at ``slot``."""
    driver = FormDriver(ValidateEnrollForm(), "enroll_form", domain, slots=dict(NEW_WORKER))
    await driver.activate(course_id="jxgf_plc")
    for value in ["张伟", "13812345678", "宁波永发机械有限公司"]:
        if driver.requested == slot:
            break
        await driver.answer(value)
    assert driver.requested == slot
    return driver


def not_counted(driver: FormDriver) -> bool:
    return not driver.slots.get("form_failures")


# ---------------------------------------------------------------- questions


async def test_a_question_where_the_employer_is_asked_is_answered_and_never_saved(domain: dict) -> None:
    driver = await plc_form_at(domain, "worker_employer")
    turn = await ask(driver, *QUESTION)
    assert "全额学费" in turn.text and "依据" in turn.text
    assert driver.slots["worker_employer"] is None and turn.requested == "worker_employer"
    assert turn.slots["form_aside"] == "question" and not_counted(driver)

    turn = await driver.answer("宁波永发机械有限公司")
    assert driver.slots["worker_employer"] == "宁波永发机械有限公司" and turn.requested == "worker_district"
    assert turn.slots["form_aside"] is None


async def test_two_hundred_off_topic_messages_are_answered_and_never_a_wrong_name(domain: dict) -> None:
    driver = FormDriver(ValidateEnrollForm(), "enroll_form", domain, slots=dict(NEW_WORKER))
    await driver.activate(course_id="jxgf_plc")
    off_topic = [
        ("读书节是什么活动", "ask_reading", "读书节"),
        ("谢谢", "thank", "不客气"),
        ("你好", "greet", "您好"),
        ("劳模班学费谁出", "ask_subsidy", "全额学费"),
        ("匠心工坊办了多少期", "ask_course", "71期"),
    ]
    for i in range(200):
        text, intent, fact = off_topic[i % len(off_topic)]
        turn = await ask(driver, text, intent)
        assert fact in turn.text, (i, text, turn.text)
        assert catalogue.NOT_A_NAME not in turn.text and turn.requested == "worker_name"
    assert not_counted(driver) and driver.slots["worker_name"] is None
    await driver.answer("张伟")
    assert driver.slots["worker_name"] == "张伟" and driver.requested == "worker_phone"


async def test_a_bare_topic_typed_as_the_employer_is_a_question_a_company_is_not(domain: dict) -> None:
    driver = await plc_form_at(domain, "worker_employer")
    turn = await ask(driver, "匠心工坊", "ask_course", [{"entity": "course", "value": "匠心工坊"}])
    assert "3749" in turn.text and driver.slots["worker_employer"] is None
    turn = await ask(driver, "宁波港集团", "ask_general")  # no confident entry: a company after all
    assert driver.slots["worker_employer"] == "宁波港集团"


async def test_a_question_about_the_question_gets_its_explanation(domain: dict) -> None:
    driver = await plc_form_at(domain, "worker_phone")
    turn = await ask(driver, "为什么要填手机号", "nlu_fallback")
    assert catalogue.EXPLANATIONS["worker_phone"] in turn.text
    assert turn.requested == "worker_phone" and not_counted(driver)


async def test_answers_inside_a_form_offer_no_other_sign_up(domain: dict) -> None:
    driver = await plc_form_at(domain, "worker_name")
    turn = await ask(driver, "工业机器人课程是什么", "ask_course", [{"entity": "course", "value": "工业机器人"}])
    payloads = [b["payload"] for b in buttons(turn.messages)]
    assert "工业机器人" in turn.text
    assert not any(p.startswith("/enroll_course") for p in payloads), payloads
    assert "/request_human" in payloads


async def test_a_question_the_nlu_heard_as_yes_is_not_a_confirmation(domain: dict, db: Database) -> None:
    register(db)
    driver = returning(domain, ValidateEnrollForm(), "enroll_form", profile_confirmed="yes", course_id="jxgf_plc")
    await driver.activate()
    assert driver.requested == "enroll_confirmed"
    turn = await driver.answer(True, text="要带什么东西吗", intent="affirm")
    assert driver.slots["enroll_confirmed"] is None and turn.requested == "enroll_confirmed"
    turn = await driver.answer(True, text="/affirm", intent="affirm")
    assert driver.slots["enroll_confirmed"] is True and turn.requested is None


# ---------------------------------------------------------------- small talk, records, other requests


@pytest.mark.parametrize(
    ("text", "intent", "said"),
    [
        ("谢谢", "thank", "不客气"),
        ("你好呀", "greet", "您好"),
        ("拜拜", "goodbye", "还没有办完"),
        ("你是机器人吗", "bot_challenge", "转人工"),
    ],
)
async def test_small_talk_gets_a_short_reply(domain: dict, text: str, intent: str, said: str) -> None:
    driver = await plc_form_at(domain, "worker_name")
    turn = await ask(driver, text, intent)
    assert said in turn.text and catalogue.NOT_A_NAME not in turn.text
    assert turn.requested == "worker_name" and turn.slots["form_aside"] == "chitchat" and not_counted(driver)


async def test_my_records_inside_a_form_are_shown_and_not_saved_as_the_employer(domain: dict) -> None:
    driver = await plc_form_at(domain, "worker_employer")
    turn = await ask(driver, "我的报名", "my_records")
    assert catalogue.RECORDS_NONE in turn.text
    assert driver.slots["worker_employer"] is None and turn.requested == "worker_employer" and not_counted(driver)


async def test_another_sign_up_inside_a_form_says_how_to_leave_first(domain: dict) -> None:
    driver = await plc_form_at(domain, "worker_phone")
    turn = await ask(driver, "我要加入读书团队", "join_reading_team")
    assert "您正在报名「PLC编程」，还没有办完" in turn.text and "不报了（不保存）" in turn.text
    assert turn.requested == "worker_phone" and not_counted(driver)


async def test_a_yes_typed_where_a_name_is_asked_just_goes_on(domain: dict) -> None:
    driver = await plc_form_at(domain, "worker_name")
    turn = await ask(driver, "好的", "affirm")
    assert turn.text == "" and turn.slots["form_aside"] == "continue" and not_counted(driver)
    turn = await ask(driver, "/affirm", "affirm")  # the 继续填写 button
    assert turn.text == "" and turn.requested == "worker_name"


async def test_a_plainly_wrong_answer_still_counts(domain: dict) -> None:
    driver = await plc_form_at(domain, "worker_phone")
    turn = await driver.answer("12345")
    assert "11位" in turn.text and driver.slots["form_failures"] == {"worker_phone": 1}


# ---------------------------------------------------------------- after three failures


async def at_help(domain: dict) -> FormDriver:
    driver = await plc_form_at(domain, "worker_phone")
    for wrong in ["1", "2", "3"]:
        await driver.answer(wrong)
    assert driver.requested == "form_help"
    return driver


async def test_a_question_at_the_offer_of_help_is_answered_and_the_offer_stays(domain: dict) -> None:
    driver = await at_help(domain)
    turn = await ask(driver, *QUESTION)
    assert "全额学费" in turn.text and turn.requested == "form_help"
    assert driver.slots["form_failures"] == {"worker_phone": 3}


async def test_try_again_comes_with_an_example(domain: dict) -> None:
    driver = await at_help(domain)
    turn = await driver.answer("retry", text="/deny", intent="deny")
    assert turn.requested == "worker_phone" and turn.slots["form_aside"] == "retry"
    tracker = asking(domain, "enroll_form", form_aside="retry", course_id="jxgf_plc")
    _, messages = await run_action(ActionAskWorkerPhone(), tracker, domain)
    assert catalogue.EXPLANATIONS["worker_phone"] in messages[-1]["text"]
    assert "例如 13812345678" in messages[-1]["text"]


# ---------------------------------------------------------------- asking again


def asking(domain: dict, form: str, **slots: Any) -> Tracker:
    return make_tracker(domain, slots=slots, active_loop=form)


async def test_a_typed_question_asked_again_offers_to_go_on_leave_or_a_person(domain: dict) -> None:
    tracker = asking(domain, "enroll_form", form_aside="question", course_id="jxgf_plc")
    _, messages = await run_action(ActionAskWorkerPhone(), tracker, domain)
    (question,) = messages
    assert question["text"].startswith("好，我们继续报名「PLC编程」：\n")
    assert catalogue.QUESTIONS["worker_phone"] in question["text"]
    assert [b["payload"] for b in question["buttons"]] == ["/affirm", "/stop", "/request_human"]
    assert [b["title"] for b in question["buttons"]][:2] == ["继续填写", "不报了（不保存）"]


async def test_a_question_with_buttons_keeps_them_and_gets_the_way_out(domain: dict) -> None:
    tracker = asking(domain, "reading_form", form_aside="chitchat")
    _, messages = await run_action(ActionAskWorkerDistrict(), tracker, domain)
    payloads = [b["payload"] for b in messages[-1]["buttons"]]
    assert len(payloads) == 11 and payloads[-1] == "/stop"
    assert messages[-1]["text"].startswith("好，我们继续加入读书团队：")


async def test_a_final_confirmation_is_its_own_way_out(domain: dict, db: Database) -> None:
    register(db)
    number = enroll(db, SENDER, "jxgf_plc", "PLC编程", capacity=30).number
    tracker = asking(domain, "cancel_form", form_aside="question", cancel_target=number)
    _, messages = await run_action(ActionAskCancelConfirmed(), tracker, domain)
    assert [b["payload"] for b in messages[-1]["buttons"]] == ["/affirm", "/deny"]
    tracker = asking(domain, "enroll_form", form_aside="question", course_id="jxgf_plc")
    _, messages = await run_action(ActionAskEnrollConfirmed(), tracker, domain)
    assert [b["payload"] for b in messages[-1]["buttons"]].count("/stop") == 1


async def test_without_an_aside_the_question_is_asked_as_always(domain: dict) -> None:
    _, messages = await run_action(ActionAskWorkerPhone(), asking(domain, "enroll_form"), domain)
    assert messages == [{**messages[0], "text": catalogue.QUESTIONS["worker_phone"], "buttons": []}]


# ---------------------------------------------------------------- every form


async def first_question_of(form: str, domain: dict, db: Database) -> FormDriver:
    validators: dict[str, SignupFormValidationAction] = {
        "profile_form": ValidateProfileForm(),
        "enroll_form": ValidateEnrollForm(),
        "reading_form": ValidateReadingForm(),
        "subsidy_form": ValidateSubsidyForm(),
        "cancel_form": ValidateCancelForm(),
        "delete_form": ValidateDeleteForm(),
    }
    validator = validators[form]
    if form in ("cancel_form", "delete_form"):
        register(db)
        enroll(db, SENDER, "jxgf_plc", "PLC编程", capacity=30)
        driver = FormDriver(validator, form, domain)
    else:
        driver = FormDriver(validator, form, domain, slots=dict(NEW_WORKER))
    await driver.activate()
    assert driver.requested is not None
    return driver


@pytest.mark.parametrize(
    "form", ["profile_form", "enroll_form", "reading_form", "subsidy_form", "cancel_form", "delete_form"]
)
async def test_every_form_answers_questions_and_small_talk_without_counting(
    form: str, domain: dict, db: Database
) -> None:
    driver = await first_question_of(form, domain, db)
    asked = driver.requested
    for text, intent, fact in [
        ("劳模班学费谁出", "ask_subsidy", "全额学费"),
        ("谢谢", "thank", "不客气"),
        ("读书团队一个月读几本书？", "ask_reading", "每月精读一本书"),
        ("我的报名", "my_records", ""),
    ]:
        turn = await ask(driver, text, intent)
        assert fact in turn.text, (form, text, turn.text)
        assert turn.requested == asked and driver.slots.get(asked) is None, (form, text)
    assert not_counted(driver)


async def test_the_first_time_introduction_is_not_repeated_after_an_aside(domain: dict) -> None:
    from actions.signup.profile import ActionAskWorkerName

    first = asking(domain, "enroll_form", worker_registered=False, course_id="jxgf_plc")
    _, messages = await run_action(ActionAskWorkerName(), first, domain)
    assert "只需登记一次" in messages[-1]["text"]
    again = asking(domain, "enroll_form", worker_registered=False, course_id="jxgf_plc", form_aside="question")
    _, messages = await run_action(ActionAskWorkerName(), again, domain)
    assert messages[-1]["text"] == f"好，我们继续报名「PLC编程」：\n{catalogue.ASK_NAME}"


async def test_a_message_the_form_extracts_nothing_from_leaves_no_slot_event(domain: dict) -> None:
    """算了 / 转人工 after an aside: no slot is set, so Rasa rejects the form and the rules
    "算了 leaves the form" / "a person on request" run (a stray SlotSet would keep the form)."""
    from actions.signup.enrollment import ValidateEnrollForm as Form

    tracker = make_tracker(
        domain,
        slots={"requested_slot": "worker_name", "form_aside": "question", "course_id": "jxgf_plc"},
        text="不报了算了",
        intent="stop",
        events=[
            {"event": "slot", "name": "requested_slot", "value": "worker_name"},
            {"event": "action", "name": "enroll_form"},
        ],
        active_loop="enroll_form",
    )
    events, messages = await run_action(Form(), tracker, domain)
    assert [e for e in events if e.get("event") == "slot" and e["name"] != "requested_slot"] == []
    assert messages == []


async def test_change_my_details_at_the_confirmation_is_an_answer_not_another_request(
    domain: dict, db: Database
) -> None:
    """The confirmation's 修改信息 button sends words the NLU hears as update_profile."""
    register(db)
    driver = returning(domain, ValidateEnrollForm(), "enroll_form", profile_confirmed="yes", course_id="jxgf_plc")
    await driver.activate()
    turn = await ask(driver, "修改信息", "update_profile")
    assert turn.requested == "profile_field" and catalogue.FORM_OTHER_REQUEST[:3] not in turn.text
