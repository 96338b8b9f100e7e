"""加入读书团队 (actions/signup/reading_team.py)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlite_utils import Database

from actions.signup.reading_team import ActionAskTeamKind, ActionSubmitReading, ValidateReadingForm
from common.clock import Clock, FixedClock
from knowledge import KnowledgeBase
from tests.actions.conftest import TODAY
from tests.actions.helpers import PROFILE_SLOTS, SENDER, buttons, make_tracker, returning, rows, run, run_action


def book_on(day: str, kb: KnowledgeBase) -> str:
    """The knowledge base's sentence about the book of ``day``'s month."""
    return kb.monthly_book_text(FixedClock.on(date.fromisoformat(day)))


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


async def test_an_unclear_team_is_asked_again(domain: dict) -> None:
    driver = returning(domain, ValidateReadingForm(), "reading_form", profile_confirmed="yes")
    await driver.activate()
    turn = await driver.answer("随便哪个")
    assert "按单位还是按地区" in turn.text and turn.requested == "team_kind"


async def test_team_choice_names_both_teams(domain: dict) -> None:
    _, messages = await run_action(ActionAskTeamKind(), make_tracker(domain, slots=PROFILE_SLOTS), domain)
    found = buttons(messages)
    assert found[0] == {"title": "单位：宁波永发机械有限公司读书会", "payload": "单位读书会"}
    assert found[1] == {"title": "地区：海曙区职工读书会", "payload": "地区读书会"}
    assert found[-1]["payload"] == "/stop"


async def test_submit_reading_joins_the_team_and_names_the_book(domain: dict, db: Database, kb: KnowledgeBase) -> None:
    _, text, _ = await run(ActionSubmitReading(), domain, slots={**PROFILE_SLOTS, "team_kind": "district"})
    assert "已加入「海曙区职工读书会」" in text
    assert f"📖 {book_on(TODAY, kb)}" in text  # this month's book, on the test's day (UH_TODAY)
    assert "2026年11月精读书目" in text
    assert [(r["team_id"], r["sender_id"]) for r in rows(db, "team_members")] == [("district:海曙区", SENDER)]
    _, text, _ = await run(ActionSubmitReading(), domain, slots={**PROFILE_SLOTS, "team_kind": "district"})
    assert "已经是" in text and len(rows(db, "team_members")) == 1


async def test_a_month_without_a_book_is_said_so(
    domain: dict, db: Database, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UH_TODAY", "2031-03-10")  # knowledge/reading.yml has no book for it
    _, text, _ = await run(ActionSubmitReading(), domain, slots={**PROFILE_SLOTS, "team_kind": "district"})
    assert "已加入「海曙区职工读书会」" in text
    assert f"📖 {book_on('2031-03-10', kb)}" in text and "还没有公布" in text


async def test_no_team_is_joined_when_the_confirmation_cannot_be_worded(
    domain: dict, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The book is worded before the registry is written: a failure leaves nothing half done."""

    def broken(self: KnowledgeBase, clock: Clock | None = None) -> str:
        raise RuntimeError("knowledge unavailable")

    monkeypatch.setattr(KnowledgeBase, "monthly_book_text", broken)
    _, text, found = await run(ActionSubmitReading(), domain, slots={**PROFILE_SLOTS, "team_kind": "district"})
    assert "系统暂时出了点问题" in text and [b["payload"] for b in found] == ["/request_human"]
    assert rows(db, "team_members") == [] and rows(db, "workers") == []
