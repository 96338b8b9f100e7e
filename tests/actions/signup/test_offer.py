"""Asking how to sign up is not asking to be signed up (actions/signup/offer.py): the
start action explains and offers, the form ends with nothing asked, and a "yes" to the
offer starts it with what was offered."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from actions.signup.enrollment import ActionStartEnrollment, ActionSubmitEnrollment
from actions.signup.offer import asks_how
from actions.signup.reading_team import ActionStartReading
from actions.signup.subsidy import ActionStartSubsidy
from registry import enroll
from tests.actions.helpers import SENDER, buttons, make_tracker, register, rows, run, run_action

PLC = [{"entity": "course", "value": "PLC编程"}]


async def enrolling(domain: dict, text: str, course: str | None = None, **kwargs: object) -> tuple[dict, str, list]:
    """``action_start_enrollment`` on ``text`` (with a course entity): slots, text, buttons."""
    entities = [{"entity": "course", "value": course}] if course else []
    return await run(ActionStartEnrollment(), domain, text=text, intent="enroll_course", entities=entities, **kwargs)


@pytest.mark.parametrize(
    "text",
    [
        "PLC编程课怎么报名",
        "读书团队怎么参加",
        "补贴怎么申请",
        "学历补贴在哪申请",
        "怎么报名啊",
        "报名入口在哪",
        "读书团队能让我加进去不",
        "申请补贴要准备什么材料",
        "学历补贴网上能申请吗",
        "我想学PLC 怎么报名",
        "申请补贴要准备哪些东西",
        "加入读书团队有什么条件",
    ],
)
def test_how_questions(text: str) -> None:
    assert asks_how(text)


@pytest.mark.parametrize(
    "text",
    [
        "帮我报名PLC",
        "我要报名",
        "我想报名PLC编程",
        "读书团队还能加人吗 算我一个",
        "汽修班还有名额吗 帮我占一个",
        "我符合条件 帮我申请",
        '/enroll_course{"course":"jxgf_plc"}',
        "申请学历补贴",
        "",
    ],
)
def test_requests_to_do_it(text: str) -> None:
    assert not asks_how(text)


async def test_how_to_enroll_in_a_course_explains_and_offers(domain: dict, db: Database) -> None:
    slots, text, offered = await enrolling(domain, "PLC编程课怎么报名", "PLC编程")
    assert "PLC编程" in text.split("现在还剩")[0]  # what the knowledge base says about it first
    assert "「PLC编程」现在还剩30个名额。\n现在帮您报名吗？" in text  # the seats, from the registry
    assert [b["payload"] for b in offered][-3:] == ['/enroll_course{"course":"jxgf_plc"}', "/deny", "/request_human"]
    assert sum(b["payload"].startswith("/enroll_course") for b in offered) == 1  # the entry's own is left off
    assert slots["form_outcome"] == "abort"  # the form asks nothing, the submit saves nothing
    assert (slots["signup_offer"], slots["offered_course"]) == ("enroll_form", "jxgf_plc")
    assert slots.get("worker_registered") is None and slots.get("course_id") is None  # no profile read


async def test_the_submit_after_an_offer_says_nothing_and_saves_nothing(domain: dict, db: Database) -> None:
    register(db)
    slots, text, _ = await run(
        ActionSubmitEnrollment(), domain, slots={"form_outcome": "abort", "signup_offer": "enroll_form"}
    )
    assert text == "" and rows(db, "enrollments") == []
    assert "signup_offer" not in slots  # the offer waits for the "yes"


async def test_yes_to_the_offer_starts_with_the_offered_course(domain: dict, db: Database) -> None:
    register(db)
    slots, _, _ = await run(
        ActionStartEnrollment(),
        domain,
        text="好的",
        intent="affirm",
        slots={"signup_offer": "enroll_form", "offered_course": "jxgf_plc", "form_outcome": "abort"},
    )
    assert slots["course_id"] == "jxgf_plc" and slots["form_outcome"] is None
    assert slots["signup_offer"] is None and slots["offered_course"] is None
    assert slots["worker_registered"] is True and slots["worker_name"] == "张三"


async def test_an_explicit_request_starts_at_once_and_forgets_an_old_offer(domain: dict) -> None:
    slots, text, _ = await enrolling(domain, "帮我报名PLC", "PLC", slots={"signup_offer": "reading_form"})
    assert slots["course_id"] == "PLC" and slots.get("form_outcome") is None and text == ""
    assert slots["signup_offer"] is None


async def test_how_to_enroll_for_someone_already_enrolled_still_explains(domain: dict, db: Database) -> None:
    register(db)
    enroll(db, SENDER, "jxgf_plc", "PLC编程", capacity=30)
    slots, text, _ = await enrolling(domain, "PLC怎么报名", "PLC编程")
    assert "现在帮您报名吗" in text and slots["form_outcome"] == "abort"


async def test_how_to_enroll_without_a_course_offers_the_courses(domain: dict) -> None:
    slots, text, offered = await enrolling(domain, "怎么报名啊")
    assert "课程可以直接在这里报名" in text and "点下面的课程就开始" in text
    titles = [b["title"] for b in offered]
    assert "PLC编程" in titles and "转人工" in titles
    assert slots["signup_offer"] == "enroll_form" and slots["offered_course"] is None


async def test_how_to_enroll_in_a_programme_offers_its_courses(domain: dict) -> None:
    slots, text, offered = await enrolling(domain, "匠心工坊的课怎么报名", "匠心工坊")
    assert "3749" in text  # the programme's own entry first
    assert text.endswith("现在帮您报名吗？点下面的课程就开始：")
    assert "PLC编程" in [b["title"] for b in offered]
    assert slots["offered_course"] == "jxgf"


async def test_how_to_enroll_follows_the_conversations_subject(domain: dict) -> None:
    """ "怎么报名" after a question about 工业机器人 (the context the answering action keeps)."""
    slots, text, _ = await enrolling(domain, "怎么报名", slots={"context_entry": "jxgf_robot"})
    assert "「工业机器人」现在还剩" in text and slots["offered_course"] == "jxgf_robot"


async def test_how_to_join_a_reading_team(domain: dict) -> None:
    slots, text, offered = await run(ActionStartReading(), domain, text="读书团队怎么参加", intent="join_reading_team")
    assert "读书团队" in text and text.endswith("现在帮您报名吗？")
    assert "/join_reading_team" in [b["payload"] for b in offered]
    assert slots["signup_offer"] == "reading_form" and slots["form_outcome"] == "abort"


async def test_how_to_apply_for_the_subsidy(domain: dict) -> None:
    slots, text, offered = await run(ActionStartSubsidy(), domain, text="学历补贴怎么申请", intent="apply_subsidy")
    assert "毕业证" in text and text.endswith("现在帮您申请吗？")
    assert "/apply_subsidy" in [b["payload"] for b in offered]
    assert slots["signup_offer"] == "subsidy_form" and slots["form_outcome"] == "abort"
    # a yes starts the application (its introduction, no offer again)
    tracker = make_tracker(domain, text="好的", intent="affirm", slots={"signup_offer": "subsidy_form"})
    events, messages = await run_action(ActionStartSubsidy(), tracker, domain)
    assert "大约两分钟" in messages[0]["text"] and not any(b for b in buttons(messages))
    assert not any(e.get("name") == "form_outcome" and e.get("value") for e in events)


async def test_a_bare_sign_me_up_right_after_the_offer_takes_the_offered_course(domain: dict) -> None:
    offered = {"signup_offer": "enroll_form", "offered_course": "jxgf_plc"}
    history = [
        {"event": "action", "name": "action_start_enrollment"},
        {"event": "action", "name": "enroll_form"},
        {"event": "action", "name": "action_submit_enrollment"},
        {"event": "action", "name": "action_listen"},
    ]
    tracker = make_tracker(domain, text="那就报吧", intent="enroll_course", slots=offered)
    tracker.events[:] = [*history, *tracker.events]
    events, _ = await run_action(ActionStartEnrollment(), tracker, domain)
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"}["course_id"] == "jxgf_plc"
    # after something else was said in between, the old offer is not taken for granted
    later = make_tracker(domain, text="那就报吧", intent="enroll_course", slots=offered)
    later.events[:] = [
        *history,
        {"event": "user", "text": "读书节是什么"},
        {"event": "action", "name": "action_answer_question"},
        {"event": "action", "name": "action_listen"},
        *later.events,
    ]
    events, _ = await run_action(ActionStartEnrollment(), later, domain)
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"}.get("course_id") is None


async def test_without_an_answer_in_the_knowledge_the_chat_says_how(domain: dict, kb, monkeypatch) -> None:
    """Staff keep how to sign up in the knowledge base; without it the chat's own how-to."""
    from actions.signup import offer

    monkeypatch.setattr(offer, "answer_question", lambda *a, **k: type("O", (), {"status": "not_found"})())
    _, text, _ = await run(
        ActionStartEnrollment(), domain, text="PLC编程课怎么报名", intent="enroll_course", entities=PLC
    )
    assert text.startswith("「PLC编程」可以直接在这里报名：我会问您的姓名") and text.endswith("现在帮您报名吗？")
    _, text, _ = await run(ActionStartReading(), domain, text="读书团队怎么参加", intent="join_reading_team")
    assert text.startswith("读书团队可以直接在这里加入")
