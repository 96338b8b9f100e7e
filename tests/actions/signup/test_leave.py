"""Leaving a form: 算了 at any question, a typed 取消 at "确认取消…吗？", a person taking
over (actions/signup/leave.py)."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from actions.signup.base import FORMS
from actions.signup.leave import ActionAskFormHelp, ActionCancelForm, ActionCloseForm
from common import texts
from tests.actions.helpers import PROFILE_SLOTS, buttons, make_tracker, rows, run_action, slot_values


def _left(events: list[dict]) -> bool:
    return {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events if e["event"] == "active_loop"
    ]


@pytest.mark.parametrize("form", sorted(FORMS))
async def test_stop_at_any_question_leaves_the_form_and_saves_nothing(domain: dict, db: Database, form: str) -> None:
    for asked in FORMS[form].questions:
        slots = {**PROFILE_SLOTS, "course_id": "jxgf_plc", "requested_slot": asked}
        events, messages = await run_action(
            ActionCancelForm(),
            make_tracker(domain, slots=slots, text="算了", intent="stop", active_loop=form),
            domain,
        )
        assert [m["text"] for m in messages] == [texts.FORM_CANCELLED[form]]
        assert _left(events)
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
        ("取消", "cancel_target", "cancel_form"),  # not at the confirmation
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
    assert [m["text"] for m in messages] == [texts.FORM_CANCELLED[form]]
    assert not any(e["event"] == "followup" for e in events)


async def test_a_person_taking_over_closes_the_form_silently(domain: dict) -> None:
    slots = {**PROFILE_SLOTS, "requested_slot": "form_help", "form_failures": {"worker_phone": 3}}
    events, messages = await run_action(
        ActionCloseForm(),
        make_tracker(domain, slots=slots, intent="affirm", active_loop="enroll_form"),
        domain,
    )
    assert messages == []
    assert _left(events)
    values = slot_values(events)
    assert values["worker_phone"] is None and values["form_failures"] is None


async def test_the_offer_after_three_failures_is_retry_leave_person(domain: dict) -> None:
    _, messages = await run_action(ActionAskFormHelp(), make_tracker(domain, active_loop="enroll_form"), domain)
    assert messages[0]["text"] == texts.QUESTIONS["form_help"]
    assert [b["payload"] for b in buttons(messages)] == ["/deny", "/stop", "/affirm"]
    assert [b["title"] for b in buttons(messages)] == ["再试一次（看例子）", "退出，不保存", "转人工"]
