"""Conversations through the REST channel, the trained model and the action server."""

from __future__ import annotations

import uuid

import pytest

from tests.support import RestChat, buttons

pytestmark = pytest.mark.slow


@pytest.fixture
def chat(rasa_stack) -> RestChat:
    return RestChat(rasa_stack.rasa_url, f"it-{uuid.uuid4().hex[:8]}")


def test_greeting_offers_the_three_topics(chat: RestChat) -> None:
    replies = chat.send("你好")
    assert "工会小助手" in replies[0]["text"]
    titles = [b["title"] for b in buttons(replies)]
    assert titles == ["补贴政策", "课程培训", "读书活动"]


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("劳模先进班的学费谁出", ["全额"]),
        ("拿到毕业证以后工会有补贴吗", ["毕业证", "补贴"]),
        ("和电大合作的学历提升班是什么", ["宁波广播电视大学"]),
        ("plc编成在哪学", ["PLC"]),
        ("工业机械人培训有吗", ["工业机器人"]),
        ("职工书屋示范点有几家", ["78"]),
        ("读书团队是干嘛的", ["每月"]),
        ("文体联赛办了几届", ["四届"]),
    ],
)
def test_questions_are_answered_with_the_facts(chat: RestChat, question: str, facts: list[str]) -> None:
    reply = chat.say(question)
    for fact in facts:
        assert fact in reply, f"{question!r} → {reply!r}"
    assert "依据" in reply  # every answer names what it is based on


def test_course_answer_offers_enrollment_button(chat: RestChat) -> None:
    replies = chat.send("汽修班在哪里上课")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "汽车维修" in text
    payloads = [b["payload"] for b in buttons(replies)]
    assert any(p.startswith("/enroll_course") for p in payloads), payloads


def test_topic_button_lists_entries_and_entry_button_answers(chat: RestChat) -> None:
    menu = buttons(chat.send("/ask_subsidy"))
    assert menu and all("kb_id" in b["payload"] for b in menu)
    reply = chat.say(menu[0]["payload"])
    assert "依据" in reply


def test_course_list_by_district(chat: RestChat) -> None:
    reply = chat.say("宁海有什么课")
    assert "模具" in reply


def test_out_of_scope_is_declined_politely(chat: RestChat) -> None:
    reply = chat.say("明天宁波天气怎么样")
    assert "补贴" in reply and "课程" in reply


def test_unanswerable_question_offers_topics_then_a_person(chat: RestChat) -> None:
    first = chat.send("工会会费每个月交多少")
    assert any(b["payload"] == "/request_human" for b in buttons(first))
    second = chat.send("职工疗休养怎么申请")
    assert any("handoff" in (r.get("custom") or {}) for r in second), second


def test_asking_for_a_person_sends_the_handoff_signal(chat: RestChat) -> None:
    replies = chat.send("我要找人工客服")
    custom = [r["custom"] for r in replies if "custom" in r]
    assert custom == [{"handoff": {"reason": "request_human"}}]
    assert "工作人员" in replies[0]["text"]
