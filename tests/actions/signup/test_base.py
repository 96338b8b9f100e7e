"""What every sign-up form does with wrong answers (actions/signup/base.py), shown on the
profile form: a short reason, then a longer explanation, then the offer of a person."""

from __future__ import annotations

from actions.signup.base import FORMS, SignupFormValidationAction, reset_events, signup_slots
from actions.signup.profile import ValidateProfileForm
from common import texts
from tests.actions.helpers import FormDriver

NEW_WORKER = {"worker_registered": False}


async def at_phone(domain: dict) -> FormDriver:
    driver = FormDriver(ValidateProfileForm(), "profile_form", domain)
    await driver.activate(**NEW_WORKER)
    await driver.answer("张伟")
    assert driver.requested == "worker_phone"
    return driver


async def test_second_failure_explains_third_offers_a_person(domain: dict) -> None:
    driver = await at_phone(domain)

    first = await driver.answer("12345")
    assert "11位数字" in first.text and "例如 13812345678" not in first.text
    assert first.requested == "worker_phone"

    second = await driver.answer("abcdefg")
    assert texts.EXPLANATIONS["worker_phone"] in second.text
    assert second.requested == "worker_phone"

    third = await driver.answer("我没有手机")
    assert third.requested == "form_help"  # asks: 转人工 / 再试一次 / 算了
    assert driver.slots["form_failures"] == {"worker_phone": 3}


async def test_try_again_after_the_offer_asks_the_question_again(domain: dict) -> None:
    driver = await at_phone(domain)
    for wrong in ["1", "2", "3"]:
        await driver.answer(wrong)
    assert driver.requested == "form_help"
    turn = await driver.answer("retry", text="/deny", intent="deny")
    assert turn.requested == "worker_phone"
    assert not driver.slots["form_failures"]  # a fresh start for that question


async def test_a_right_answer_typed_at_the_offer_is_taken(domain: dict) -> None:
    driver = await at_phone(domain)
    for wrong in ["1", "2", "3"]:
        await driver.answer(wrong)
    turn = await driver.answer("手机号 139 1234 5678")
    assert driver.slots["worker_phone"] == "13912345678"
    assert turn.requested == "worker_employer"


async def test_a_wrong_answer_typed_at_the_offer_counts_once(domain: dict) -> None:
    driver = await at_phone(domain)
    for wrong in ["1", "2", "3"]:
        await driver.answer(wrong)
    turn = await driver.answer("还是不知道")
    assert turn.requested == "worker_phone" and driver.slots["form_failures"] == {"worker_phone": 1}


async def test_failures_of_one_slot_reset_after_a_right_answer(domain: dict) -> None:
    driver = await at_phone(domain)
    await driver.answer("1")
    await driver.answer("2")
    await driver.answer("13812345678")
    assert not driver.slots["form_failures"]
    await driver.answer("")  # employer: one failure, counted on its own
    assert driver.slots["form_failures"] == {"worker_employer": 1}


async def test_a_button_pressed_from_an_old_message_is_not_an_answer(domain: dict) -> None:
    driver = FormDriver(ValidateProfileForm(), "profile_form", domain)
    await driver.activate(**NEW_WORKER)
    for _ in range(3):
        turn = await driver.answer('/inform{"district":"海曙区"}', intent="inform")
        assert texts.ANSWER_FIRST in turn.text
        assert turn.requested == "worker_name" and turn.slots["form_aside"] == "stale"
    assert not driver.slots.get("form_failures")  # never counted as the worker's mistake


def test_every_explanation_belongs_to_a_slot_a_form_asks(domain: dict) -> None:
    """A misspelt key in texts.EXPLANATIONS would silently never be said."""
    asked = {slot for form in domain["forms"].values() for slot in form["required_slots"]}
    assert set(texts.EXPLANATIONS) <= asked, set(texts.EXPLANATIONS) - asked


def test_every_form_question_is_forgotten_when_a_form_starts_or_ends() -> None:
    forgotten = {e["name"] for e in reset_events() if e["value"] is None}
    for spec in FORMS.values():
        assert set(spec.questions) | set(spec.working_slots) <= forgotten, spec.name
    assert {"form_failures", "form_outcome", "worker_registered", "form_help"} <= forgotten
    assert "purge_conversation" not in signup_slots()  # a purge still pending is kept


def test_the_base_is_not_an_action_of_its_own() -> None:
    assert SignupFormValidationAction.__abstractmethods__ >= {"name", "form_slots"}


def test_only_slots_that_hold_a_value_are_forgotten(domain: dict) -> None:
    """A turn writes what changed: every event is loaded again by later turns."""
    from tests.actions.helpers import make_tracker

    tracker = make_tracker(domain, slots={"worker_phone": "13812345678", "form_failures": {"x": 1}})
    assert {e["name"] for e in reset_events(tracker)} == {"worker_phone", "form_failures"}
