"""申请学历补贴 (actions/signup/subsidy.py): the degree, checked and masked; what the
model-worker class is comes from the knowledge base."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlite_utils import Database

from actions import stores
from actions.signup.subsidy import (
    MODEL_WORKER_CLASS_ENTRY,
    ActionAskModelWorkerClass,
    ActionAskSubsidyConfirmed,
    ActionStartSubsidy,
    ActionSubmitSubsidy,
    ValidateSubsidyForm,
)
from knowledge import KnowledgeBase
from tests.actions.helpers import (
    PROFILE_SLOTS,
    FormDriver,
    buttons,
    make_tracker,
    returning,
    rows,
    run,
    run_action,
    texts,
)

DEGREE = {
    "school": "宁波开放大学",
    "programme": "会计学",
    "graduation_date": "2024-06",
    "certificate_no": "106471202405001234",
    "model_worker_class": False,
}


def subsidy_driver(domain: dict) -> FormDriver:
    return returning(domain, ValidateSubsidyForm(), "subsidy_form", profile_confirmed="yes")


async def at(driver: FormDriver, slot: str, answers: list) -> None:
    for value in answers:
        await driver.answer(value)
    assert driver.requested == slot


class EditedKnowledge:
    """The session's knowledge base with one entry's answer as staff rewrote it (or gone)."""

    def __init__(self, kb: KnowledgeBase, entry_id: str, answer: str | None) -> None:
        self.kb, self.entry_id, self.answer = kb, entry_id, answer

    def get(self, entry_id: str):
        hit = self.kb.get(entry_id)
        if entry_id != self.entry_id or hit is None:
            return hit
        return None if self.answer is None else replace(hit, answer=self.answer)

    def __getattr__(self, name: str):
        return getattr(self.kb, name)


# ---------------------------------------------------------------- the questions


async def test_start_subsidy_says_what_is_needed(domain: dict) -> None:
    _, text, _ = await run(ActionStartSubsidy(), domain, intent="apply_subsidy")
    assert "毕业证书" in text and "算了" in text


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


async def test_a_future_graduation_date_is_refused(domain: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    driver = subsidy_driver(domain)
    await driver.activate()
    await at(driver, "graduation_date", ["宁波开放大学", "会计学"])
    turn = await driver.answer("2026年12月")  # the month after the test day (UH_TODAY)
    assert "不能晚于本月" in turn.text and turn.requested == "graduation_date"
    monkeypatch.setenv("UH_TODAY", "2027-01-04")  # a month later it is in the past
    turn = await driver.answer("2026年12月")
    assert driver.slots["graduation_date"] == "2026-12" and turn.requested == "certificate_no"


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


async def test_the_model_worker_class_question_states_the_knowledge_bases_fact(domain: dict, kb: KnowledgeBase) -> None:
    hit = kb.get(MODEL_WORKER_CLASS_ENTRY)
    assert hit is not None
    _, messages = await run_action(ActionAskModelWorkerClass(), make_tracker(domain), domain)
    first_line = hit.answer.splitlines()[0].rstrip("。")
    assert texts(messages) == f"您读的是劳模先进班吗？（{first_line}）"
    assert [b["payload"] for b in buttons(messages)] == ["/affirm", "/deny"]


async def test_a_staff_edit_reaches_the_model_worker_class_question(
    domain: dict, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = EditedKnowledge(kb, MODEL_WORKER_CLASS_ENTRY, "劳模先进班学费由工会全额承担（测试改写）。\n第二行")
    monkeypatch.setattr(stores, "default_kb", lambda: edited)
    _, messages = await run_action(ActionAskModelWorkerClass(), make_tracker(domain), domain)
    assert texts(messages) == "您读的是劳模先进班吗？（劳模先进班学费由工会全额承担（测试改写））"
    # the explanation after two unclear answers quotes the whole entry
    driver = subsidy_driver(domain)
    await driver.activate()
    await at(driver, "model_worker_class", ["宁波开放大学", "会计学", "2024年6月", "106471202405001234"])
    await driver.answer("嗯？")
    turn = await driver.answer("啥意思")
    assert "劳模先进班学费由工会全额承担（测试改写）。\n第二行" in turn.text and "请点“不是”" in turn.text


async def test_without_the_entry_the_question_is_asked_plainly(
    domain: dict, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stores, "default_kb", lambda: EditedKnowledge(kb, MODEL_WORKER_CLASS_ENTRY, None))
    _, messages = await run_action(ActionAskModelWorkerClass(), make_tracker(domain), domain)
    assert texts(messages) == "您读的是劳模先进班吗？"


async def test_subsidy_summary_masks_phone_and_certificate(domain: dict) -> None:
    _, messages = await run_action(
        ActionAskSubsidyConfirmed(), make_tracker(domain, slots={**PROFILE_SLOTS, **DEGREE}), domain
    )
    text = texts(messages)
    assert "1064**********1234" in text and "106471202405001234" not in text
    assert "2024年6月" in text and "138****1234" in text and "劳模先进班：否" in text


async def test_changing_something_at_the_end_changes_the_profile(domain: dict) -> None:
    driver = subsidy_driver(domain)
    await driver.activate()
    await at(driver, "subsidy_confirmed", ["宁波开放大学", "会计学", "2024年6月", "106471202405001234", True])
    turn = await driver.answer("我要改一下")
    assert "重新申请" in turn.text and turn.requested == "profile_field"
    assert not driver.slots.get("form_failures")


# ---------------------------------------------------------------- saving


async def test_submit_subsidy_files_a_pending_application(domain: dict, db: Database) -> None:
    slots = {**PROFILE_SLOTS, **DEGREE, "model_worker_class": True, "subsidy_confirmed": True}
    _, text, found = await run(ActionSubmitSubsidy(), domain, slots=slots)
    (row,) = rows(db, "applications")
    assert row["status"] == "pending" and row["application_no"] in text
    assert row["certificate_no"] == "106471202405001234" and row["model_worker_class"] == 1
    assert "106471202405001234" not in text
    assert [b["payload"] for b in found] == ["/check_application"]
    _, text, _ = await run(ActionSubmitSubsidy(), domain, slots=slots)
    assert "不用重复申请" in text and len(rows(db, "applications")) == 1
