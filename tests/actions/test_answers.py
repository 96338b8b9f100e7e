"""The knowledge actions (actions/answers.py) against a private copy of the real
knowledge files, with real trackers: staff edits are answered without retraining."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerQuestion, ActionListCourses
from actions.context import CONTEXT_SLOTS, ActionSessionStart, context_events, read_context
from answering.questions import KIND_BY_INTENT, TOPIC_QUERY
from common import texts
from tests.actions.helpers import make_tracker, user_event

#: How long a staff edit may take to be answered (the knowledge base looks at its files
#: at most once a second); the test polls, so it usually takes about a second.
EDIT_DEADLINE = 20.0


def ask(
    domain: dict,
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
) -> Tracker:
    return make_tracker(domain, text=text, intent=intent, entities=entities, slots=slots)


async def answer(action: Any, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return events, dispatcher.messages


async def until(said: Callable[[str], bool], action: Any, tracker: Tracker) -> str:
    """Ask again until the answer satisfies ``said`` (or the deadline passes)."""
    deadline = time.monotonic() + EDIT_DEADLINE
    while True:
        _, messages = await answer(action, tracker)
        text = messages[0].get("text") or ""
        if said(text) or time.monotonic() > deadline:
            return text
        await asyncio.sleep(0.05)


async def test_answers_subsidy_question_with_source(data_dir: Path, domain: dict) -> None:
    events, messages = await answer(ActionAnswerQuestion(), ask(domain, "劳模班学费谁出", "ask_subsidy"))
    text = messages[0]["text"]
    assert "全额" in text and "依据" in text
    assert SlotSet("unanswered_streak", 0) in events


async def test_typo_in_course_name_still_finds_course_and_offers_enrollment(data_dir: Path, domain: dict) -> None:
    tracker = ask(domain, "plc编成在哪学", "ask_course", [{"entity": "course", "value": "plc编成"}])
    _, messages = await answer(ActionAnswerQuestion(), tracker)
    assert "PLC编程" in messages[0]["text"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/enroll_course{"course":"jxgf_plc"}' in payloads
    assert payloads[-1] == "/request_human"


async def test_kb_id_button_answers_exactly_that_entry(data_dir: Path, domain: dict) -> None:
    tracker = ask(
        domain, '/ask_general{"kb_id":"reading_teams"}', "ask_general", [{"entity": "kb_id", "value": "reading_teams"}]
    )
    _, messages = await answer(ActionAnswerQuestion(), tracker)
    assert "1000" in messages[0]["text"]


async def test_stale_kb_id_is_explained(data_dir: Path, domain: dict) -> None:
    tracker = ask(domain, '/ask_general{"kb_id":"gone"}', "ask_general", [{"entity": "kb_id", "value": "gone"}])
    _, messages = await answer(ActionAnswerQuestion(), tracker)
    assert messages[0]["text"] == texts.ENTRY_GONE


async def test_topic_payload_lists_entries_of_that_topic(data_dir: Path, domain: dict) -> None:
    _, messages = await answer(ActionAnswerQuestion(), ask(domain, "/ask_subsidy", "ask_subsidy"))
    assert messages[0]["text"].startswith("关于补贴政策")
    found = messages[0]["buttons"]
    assert len(found) >= 2
    assert all(b["payload"].startswith('/ask_general{"kb_id":"subsidy_') for b in found)


async def test_unknown_question_offers_topics_and_records_gap(data_dir: Path, domain: dict) -> None:
    events, messages = await answer(ActionAnswerQuestion(), ask(domain, "食堂红烧肉为什么这么咸", "nlu_fallback"))
    assert messages[0]["text"] in (texts.NOT_SURE, texts.CANNOT_ANSWER)
    assert messages[0]["buttons"][-1]["payload"] == "/request_human"
    assert SlotSet("unanswered_streak", 1) in events
    rows = sqlite3.connect(data_dir / "gaps.db").execute("select text from gaps").fetchall()
    assert rows == [("食堂红烧肉为什么这么咸",)]


async def test_second_unanswered_question_hands_off(data_dir: Path, domain: dict) -> None:
    tracker = ask(domain, "宿舍空调坏了找谁", "nlu_fallback", slots={"unanswered_streak": 1})
    events, messages = await answer(ActionAnswerQuestion(), tracker)
    assert FollowupAction("action_handoff") in events
    assert messages == []


async def test_new_faq_entry_is_answered_without_retraining(data_dir: Path, domain: dict) -> None:
    await answer(ActionAnswerQuestion(), ask(domain, "读书团队是什么", "ask_reading"))  # the index is built
    with (data_dir / "knowledge" / "faq.yml").open("a", encoding="utf-8") as faq:
        faq.write(
            "\n- id: faq_parking_test\n"
            "  title: 文化宫停车\n"
            "  questions:\n    - 工人文化宫能停车吗\n    - 文化宫停车场在哪\n"
            "  answer: 工人文化宫东门有职工停车场，培训期间免费停放（测试条目）。\n"
            "  source: 测试\n"
        )
    text = await until(
        lambda t: "职工停车场" in t, ActionAnswerQuestion(), ask(domain, "文化宫那边能停车不", "ask_general")
    )
    assert "职工停车场" in text


async def test_course_list_by_district(data_dir: Path, domain: dict) -> None:
    tracker = ask(domain, "宁海有什么课", "ask_course_list", [{"entity": "district", "value": "宁海县"}])
    events, messages = await answer(ActionListCourses(), tracker)
    assert messages[-1]["text"].startswith("宁海县的课程：") and "模具" in messages[-1]["text"]
    assert messages[-1]["buttons"]
    assert SlotSet("district", None) in events


async def test_course_list_of_a_district_without_courses(data_dir: Path, domain: dict) -> None:
    tracker = ask(domain, "江北有什么课", "ask_course_list", [{"entity": "district", "value": "江北区"}])
    _, messages = await answer(ActionListCourses(), tracker)
    assert messages[0]["text"] == texts.COURSES_NONE_IN_DISTRICT.format(district="江北区")
    assert messages[-1]["text"].startswith(texts.COURSES_ALL)


async def test_course_list_without_district_lists_categories(data_dir: Path, domain: dict) -> None:
    _, messages = await answer(ActionListCourses(), ask(domain, "有哪些培训", "ask_course_list"))
    text = messages[-1]["text"]
    assert "匠心工坊" in text and "工业机器人" in text


async def test_course_list_states_the_programme_totals(data_dir: Path, domain: dict) -> None:
    # The total number of 匠心工坊 courses comes from the programme's own entry.
    _, messages = await answer(ActionListCourses(), ask(domain, "一共开了哪些技能课", "ask_course_list"))
    text = messages[-1]["text"]
    assert "30余项" in text and "3749" in text
    assert "详情" not in text.split("匠心工坊：", 1)[-1].split("）", 1)[0]


async def test_broken_knowledge_without_a_good_index_gives_an_apology(data_dir: Path, domain: dict) -> None:
    (data_dir / "knowledge" / "faq.yml").write_text("- id: [broken\n", encoding="utf-8")
    events, messages = await answer(ActionAnswerQuestion(), ask(domain, "劳模班学费谁出", "ask_subsidy"))
    assert events == []
    assert messages[0]["text"] == texts.KNOWLEDGE_UNAVAILABLE
    assert messages[0]["buttons"] == [{"title": "转人工", "payload": "/request_human"}]


async def test_out_of_scope_without_a_match_declines_politely(data_dir: Path, domain: dict) -> None:
    events, messages = await answer(ActionAnswerQuestion(), ask(domain, "明天宁波天气怎么样", "out_of_scope"))
    assert messages[0]["text"] == texts.OUT_OF_SCOPE
    assert messages[0]["buttons"][-1] == texts.HUMAN_BUTTON
    assert not any(e.get("name") == "unanswered_streak" and e.get("value") for e in events)


async def test_out_of_scope_question_that_staff_added_to_the_faq_is_answered(data_dir: Path, domain: dict) -> None:
    with (data_dir / "knowledge" / "faq.yml").open("a", encoding="utf-8") as faq:
        faq.write(
            "\n- id: faq_canteen_test\n  title: 职工食堂\n"
            "  questions:\n    - 职工食堂几点开饭\n    - 食堂什么时候开门\n"
            "  answer: 职工食堂中午 11:00 开饭（测试条目）。\n  source: 测试\n"
        )
    _, messages = await answer(ActionAnswerQuestion(), ask(domain, "食堂几点开饭呀", "out_of_scope"))
    assert "11:00 开饭" in messages[0]["text"]


async def test_course_entity_does_not_beat_a_better_match(data_dir: Path, domain: dict) -> None:
    # The NLU tags 劳模先进班 as a course; its near-namesake alias 劳模进企业 (技术帮扶)
    # must not win over the exact alias of the subsidy entry.
    tracker = ask(domain, "劳模先进班到底是干什么的", "ask_course", [{"entity": "course", "value": "劳模先进班"}])
    _, messages = await answer(ActionAnswerQuestion(), tracker)
    assert "全额学费" in messages[0]["text"]


async def test_named_course_still_wins(data_dir: Path, domain: dict) -> None:
    tracker = ask(domain, "plc编成的课", "ask_course", [{"entity": "course", "value": "plc编成"}])
    _, messages = await answer(ActionAnswerQuestion(), tracker)
    assert "PLC编程" in messages[0]["text"]


def test_every_topic_has_a_name() -> None:
    assert set(TOPIC_QUERY) == set(texts.TOPIC_NAMES) >= set(KIND_BY_INTENT.values())


# ---------------------------------------------------------------- the conversation's context in slots


def context_slots(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot" and e["name"].startswith("context_")}


async def test_an_answer_writes_the_context_and_a_follow_up_reads_it(data_dir: Path, domain: dict) -> None:
    events, _ = await answer(
        ActionAnswerQuestion(),
        ask(domain, "匠心工坊办了多少期", "ask_course", [{"entity": "course", "value": "匠心工坊"}]),
    )
    written = context_slots(events)
    assert written == {"context_entry": "jxgf", "context_attribute": "sessions", "context_age": 0.0}
    follow_up = make_tracker(
        domain,
        text="一共多少人参加过",
        intent="follow_up",
        slots=written,
        events=[{"event": "slot", "name": "context_age", "value": 0.0}],
    )
    events, messages = await answer(ActionAnswerQuestion(), follow_up)
    assert messages[0]["text"].startswith("匠心工坊的参加人数：截至2020年6月共3749人参与。")
    assert context_slots(events)["context_attribute"] == "participants"


def test_the_context_ages_with_every_message_since_it_was_written(domain: dict) -> None:
    written = {"context_entry": "jxgf", "context_attribute": "sessions", "context_age": 0.0}
    since = [
        {"event": "slot", "name": "context_age", "value": 0.0},
        user_event("谢谢", "thank"),
        user_event("你好", "greet"),
    ]
    tracker = make_tracker(domain, text="多少人参加过", intent="follow_up", slots=written)
    tracker.events = [*since, *tracker.events]  # the message being answered comes last
    context = read_context(tracker)
    assert context is not None and context.age == 2 and context.alive
    older = make_tracker(domain, text="多少人参加过", intent="follow_up", slots={**written, "context_age": 1.0})
    older.events = [*since, *older.events]
    aged = read_context(older)
    assert aged is not None and aged.age == 3 and not aged.alive
    assert context_events(aged) == [
        SlotSet("context_entry", None),
        SlotSet("context_attribute", None),
        SlotSet("context_age", None),
    ]


async def test_an_expired_context_is_not_used(data_dir: Path, domain: dict) -> None:
    slots = {"context_entry": "jxgf", "context_attribute": "sessions", "context_age": 5.0}
    events, messages = await answer(ActionAnswerQuestion(), ask(domain, "一共多少人参加过", "follow_up", slots=slots))
    assert "3749" not in messages[0]["text"] and messages[0]["text"] == texts.ASK_WHICH_SUBJECT
    assert context_slots(events) == {"context_entry": None, "context_attribute": None, "context_age": None}


async def test_a_course_list_leaves_a_context_for_another_district(data_dir: Path, domain: dict) -> None:
    listed, _ = await answer(
        ActionListCourses(), ask(domain, "宁海有什么课", "ask_course_list", [{"entity": "district", "value": "宁海县"}])
    )
    written = context_slots(listed)
    assert written["context_attribute"] == "courses"
    then = ask(domain, "象山呢", "follow_up", [{"entity": "district", "value": "象山县"}], slots=written)
    _, messages = await answer(ActionAnswerQuestion(), then)
    assert "象山县的课程" in messages[0]["text"] and "民宿服务" in messages[0]["text"]


async def test_a_new_session_carries_the_slots_but_not_the_context(domain: dict) -> None:
    slots = {"worker_name": "张三", "context_entry": "jxgf", "context_attribute": "sessions", "context_age": 0.0}
    tracker = make_tracker(domain, slots=slots)
    events = await ActionSessionStart().run(CollectingDispatcher(), tracker, domain)
    assert events[0] == SessionStarted() and events[-1] == ActionExecuted("action_listen")
    carried = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert carried["worker_name"] == "张三"
    assert not set(carried) & set(CONTEXT_SLOTS)


async def test_a_follow_up_the_nlu_took_for_a_course_list_is_answered(data_dir: Path, domain: dict) -> None:
    slots = {"context_entry": "reading_teams", "context_attribute": None, "context_age": 0.0}
    tracker = ask(domain, "现在有多少人在里面", "ask_course_list", slots=slots)
    events, messages = await answer(ActionListCourses(), tracker)
    assert "2.6万余人" in messages[0]["text"] and texts.COURSES_ALL not in messages[0]["text"]
    assert context_slots(events)["context_attribute"] == "participants"
    plain, _ = await answer(ActionListCourses(), ask(domain, "都有哪些课", "ask_course_list", slots=slots))
    assert context_slots(plain)["context_attribute"] == "courses"


def unsure(domain: dict, text: str, ranking: list[tuple[str, float]], entities: list[dict] | None = None) -> Tracker:
    """A tracker whose latest message the NLU fell back on, with this ranking."""
    tracker = ask(domain, text, "nlu_fallback", entities=entities)
    tracker.latest_message["intent_ranking"] = [{"name": name, "confidence": c} for name, c in ranking]
    return tracker


async def test_an_unsure_no_is_a_no_not_an_unanswered_question(data_dir: Path, domain: dict) -> None:
    # "先不用了" after 现在帮您报名吗？: the NLU hesitated between stop and deny
    events, messages = await answer(
        ActionAnswerQuestion(), unsure(domain, "先不用了", [("nlu_fallback", 0.4), ("stop", 0.35), ("deny", 0.28)])
    )
    assert [m.get("response") for m in messages] == ["utter_anything_else"]
    assert events == [SlotSet("unanswered_streak", 0)]
    # with thanks, the thanks are answered
    _, messages = await answer(
        ActionAnswerQuestion(),
        unsure(domain, "那先不报了 谢谢", [("nlu_fallback", 0.4), ("cancel_record", 0.36), ("stop", 0.29)]),
    )
    assert [m.get("response") for m in messages] == ["utter_thank"]


async def test_an_unsure_message_that_is_not_a_plain_no_is_still_looked_up(data_dir: Path, domain: dict) -> None:
    cases = [
        ("劳模班学费谁出", [("nlu_fallback", 0.4), ("ask_subsidy", 0.3), ("deny", 0.2)]),  # a question
        ("取消那个报名", [("nlu_fallback", 0.4), ("cancel_record", 0.35), ("my_records", 0.2)]),  # no plain no
    ]
    for text, ranking in cases:
        _, messages = await answer(ActionAnswerQuestion(), unsure(domain, text, ranking))
        assert messages and messages[0].get("response") is None, text
    # a named course is never a bare no
    course = [{"entity": "course", "value": "PLC编程", "start": 0, "end": 3}]
    _, messages = await answer(
        ActionAnswerQuestion(), unsure(domain, "PLC先不", [("nlu_fallback", 0.4), ("stop", 0.3), ("deny", 0.2)], course)
    )
    assert messages[0].get("response") is None
