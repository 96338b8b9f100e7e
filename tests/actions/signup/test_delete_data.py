"""删除我的数据 (actions/signup/delete_data.py): the registry forgets the worker, and only
then is the conversation purged (the slot the Rasa server watches)."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from actions.signup import delete_data
from actions.signup.delete_data import (
    PURGE_SLOT,
    ActionAskDeleteConfirmed,
    ActionStartDelete,
    ActionSubmitDelete,
    ValidateDeleteForm,
)
from common.texts import CONFIRMATION_EXPLANATION
from rasa_ext.purge import PURGE_SLOT as RASA_SIDE
from registry import create_application, enroll, get_worker, join_reading_team, pending_notifications
from tests.actions.helpers import (
    APPLICATION,
    PROFILE_SLOTS,
    SENDER,
    FormDriver,
    make_tracker,
    register,
    rows,
    run,
    run_action,
    texts,
)


async def test_delete_my_data(domain: dict, db: Database) -> None:
    register(db)
    register(db, "tg-waiting", phone="13900000001")
    enroll(db, SENDER, "c1", "小班课", capacity=1)
    waiting = enroll(db, "tg-waiting", "c1", "小班课", capacity=1).number
    join_reading_team(db, SENDER, "district:海曙区")
    create_application(db, SENDER, **APPLICATION)
    _, messages = await run_action(ActionAskDeleteConfirmed(), make_tracker(domain), domain)
    asked = texts(messages)
    assert "个人资料" in asked and "1条报名" in asked and "1个读书团队" in asked and "1份补贴申请" in asked

    slots, text, _ = await run(ActionSubmitDelete(), domain, slots={**PROFILE_SLOTS, "delete_confirmed": True})
    assert "已删除" in text and slots["worker_phone"] is None
    assert "对话内容也一并删除了" in text
    assert slots[PURGE_SLOT] is True  # the Rasa server then deletes the conversation
    assert get_worker(db, SENDER) is None
    assert all(r["sender_id"] != SENDER for r in rows(db, "enrollments"))
    assert rows(db, "applications")[0]["phone"] is None
    assert [n.ref for n in pending_notifications(db)] == [waiting]  # the promoted worker is told


async def test_delete_with_nothing_stored(domain: dict) -> None:
    slots, text, _ = await run(ActionStartDelete(), domain, intent="delete_my_data")
    assert "没有保存您的任何登记信息" in text and slots["form_outcome"] == "abort"
    # what the worker typed is still forgotten (rasa_ext/purge.py)
    assert "对话内容也已删除" in text and slots[PURGE_SLOT] is True


async def test_the_confirmation_needs_a_clear_answer(domain: dict, db: Database) -> None:
    register(db)
    driver = FormDriver(ValidateDeleteForm(), "delete_form", domain)
    turn = await driver.activate()
    assert turn.requested == "delete_confirmed"
    turn = await driver.answer("这是什么")
    assert CONFIRMATION_EXPLANATION in turn.text and turn.requested == "delete_confirmed"
    turn = await driver.answer("随便")
    assert "请点下面的按钮" in turn.text and turn.requested == "delete_confirmed"
    turn = await driver.answer(True, text="/affirm", intent="affirm")
    assert driver.slots["delete_confirmed"] is True and turn.requested is None


@pytest.mark.parametrize("confirmed", [False, None])
async def test_delete_not_confirmed_keeps_the_conversation(domain: dict, db: Database, confirmed) -> None:
    register(db)
    slots, text, _ = await run(ActionSubmitDelete(), domain, slots={**PROFILE_SLOTS, "delete_confirmed": confirmed})
    assert "不删除了" in text and PURGE_SLOT not in slots
    assert get_worker(db, SENDER) is not None


async def test_a_failed_delete_keeps_the_conversation(
    domain: dict, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No purge unless the registry really forgot the worker."""

    def broken(*args, **kwargs):
        raise OSError("disk full")

    register(db)
    monkeypatch.setattr(delete_data, "delete_worker_data", broken)
    slots, text, found = await run(ActionSubmitDelete(), domain, slots={**PROFILE_SLOTS, "delete_confirmed": True})
    assert "系统暂时出了点问题" in text and PURGE_SLOT not in slots
    assert [b["payload"] for b in found] == ["/request_human"]
    assert get_worker(db, SENDER) is not None


def test_the_purge_slot_is_the_one_the_rasa_server_watches(domain: dict) -> None:
    assert PURGE_SLOT == RASA_SIDE
    assert domain["slots"][PURGE_SLOT]["influence_conversation"] is False
    assert domain["slots"][PURGE_SLOT]["mappings"] == [{"type": "custom"}]
