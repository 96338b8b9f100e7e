"""删除我的数据 also forgets the questions the bot could not answer for this worker
(knowledge.gaps keeps no text they typed); somebody else's stay."""

from __future__ import annotations

from sqlite_utils import Database

from actions.signup.delete_data import PURGE_SLOT, ActionStartDelete, ActionSubmitDelete
from knowledge.gaps import list_gaps, record_gap
from tests.actions.helpers import PROFILE_SLOTS, SENDER, register, run


async def test_deleting_forgets_the_workers_unanswered_questions(domain: dict, db: Database) -> None:
    register(db)
    record_gap("我叫张三，社保卡丢了怎么办", SENDER, "no_hit")
    record_gap("食堂几点开门", "tg-other", "no_hit")
    slots, text, _ = await run(ActionSubmitDelete(), domain, slots={**PROFILE_SLOTS, "delete_confirmed": True})
    assert "已删除" in text and slots[PURGE_SLOT] is True
    assert [g.text for g in list_gaps()] == ["食堂几点开门"]


async def test_with_nothing_registered_the_questions_go_too(domain: dict) -> None:
    record_gap("我叫张三，社保卡丢了怎么办", SENDER, "no_hit")
    slots, _, _ = await run(ActionStartDelete(), domain, intent="delete_my_data")
    assert slots[PURGE_SLOT] is True and list_gaps() == []
