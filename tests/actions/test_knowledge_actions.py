"""The knowledge actions against the real knowledge files, with real trackers."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff_actions import ActionDefaultFallback, ActionHandoff
from actions.knowledge_actions import ActionAnswerQuestion, ActionListCourses


async def run(action, dispatcher, tracker):
    return await action.run(dispatcher, tracker, domain={})


async def test_answers_subsidy_question_with_source(data_dir, dispatcher, make_tracker):
    events = await run(ActionAnswerQuestion(), dispatcher, make_tracker("劳模班学费谁出", "ask_subsidy"))
    text = dispatcher.messages[0]["text"]
    assert "全额学费" in text and "依据" in text
    assert SlotSet("unanswered_streak", 0) in events


async def test_typo_in_course_name_still_finds_course_and_offers_enrollment(data_dir, dispatcher, make_tracker):
    tracker = make_tracker("plc编成在哪学", "ask_course", [{"entity": "course", "value": "plc编成"}])
    await run(ActionAnswerQuestion(), dispatcher, tracker)
    message = dispatcher.messages[0]
    assert "PLC编程" in message["text"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert '/enroll_course{"course":"jxgf_plc"}' in payloads


async def test_kb_id_button_answers_exactly_that_entry(data_dir, dispatcher, make_tracker):
    tracker = make_tracker(
        '/ask_general{"kb_id":"reading_teams"}', "ask_general", [{"entity": "kb_id", "value": "reading_teams"}]
    )
    await run(ActionAnswerQuestion(), dispatcher, tracker)
    assert "1000" in dispatcher.messages[0]["text"]


async def test_stale_kb_id_is_explained(data_dir, dispatcher, make_tracker):
    tracker = make_tracker('/ask_general{"kb_id":"gone"}', "ask_general", [{"entity": "kb_id", "value": "gone"}])
    await run(ActionAnswerQuestion(), dispatcher, tracker)
    assert "更新或下线" in dispatcher.messages[0]["text"]


async def test_topic_payload_lists_entries_of_that_topic(data_dir, dispatcher, make_tracker):
    await run(ActionAnswerQuestion(), dispatcher, make_tracker("/ask_subsidy", "ask_subsidy"))
    buttons = dispatcher.messages[0]["buttons"]
    assert len(buttons) >= 2
    assert all(b["payload"].startswith('/ask_general{"kb_id":') for b in buttons)


async def test_unknown_question_offers_topics_and_records_gap(data_dir, dispatcher, make_tracker):
    events = await run(ActionAnswerQuestion(), dispatcher, make_tracker("食堂红烧肉为什么这么咸", "nlu_fallback"))
    message = dispatcher.messages[0]
    assert "不太确定" in message["text"] or "答不上来" in message["text"]
    assert message["buttons"][-1]["payload"] == "/request_human"
    assert SlotSet("unanswered_streak", 1) in events
    rows = sqlite3.connect(data_dir / "gaps.db").execute("select text from gaps").fetchall()
    assert rows == [("食堂红烧肉为什么这么咸",)]


async def test_second_unanswered_question_hands_off(data_dir, dispatcher, make_tracker):
    tracker = make_tracker("宿舍空调坏了找谁", "nlu_fallback", slots={"unanswered_streak": 1})
    events = await run(ActionAnswerQuestion(), dispatcher, tracker)
    assert FollowupAction("action_handoff") in events
    assert dispatcher.messages == []


async def test_new_faq_entry_is_answered_without_retraining(data_dir, dispatcher, make_tracker, tmp_path: Path):
    await run(ActionAnswerQuestion(), CollectingDispatcher(), make_tracker("读书团队是什么", "ask_reading"))
    faq_path = tmp_path / "knowledge" / "faq.yml"
    time.sleep(1.1)  # the running KB looks at the files at most once a second
    with faq_path.open("a", encoding="utf-8") as faq:
        faq.write(
            "\n- id: faq_parking_test\n"
            "  title: 文化宫停车\n"
            "  questions:\n    - 工人文化宫能停车吗\n    - 文化宫停车场在哪\n"
            "  answer: 工人文化宫东门有职工停车场，培训期间免费停放（测试条目）。\n"
            "  source: 测试\n"
        )
    await run(ActionAnswerQuestion(), dispatcher, make_tracker("文化宫那边能停车不", "ask_general"))
    assert "职工停车场" in dispatcher.messages[0]["text"]


async def test_course_list_by_district(data_dir, dispatcher, make_tracker):
    tracker = make_tracker("宁海有什么课", "ask_course_list", [{"entity": "district", "value": "宁海县"}])
    await run(ActionListCourses(), dispatcher, tracker)
    message = dispatcher.messages[-1]
    assert "模具" in message["text"]
    assert message["buttons"]


async def test_course_list_without_district_lists_categories(data_dir, dispatcher, make_tracker):
    await run(ActionListCourses(), dispatcher, make_tracker("有哪些培训", "ask_course_list"))
    text = dispatcher.messages[-1]["text"]
    assert "匠心工坊" in text and "工业机器人" in text


async def test_handoff_sends_signal_with_reason(dispatcher, make_tracker):
    await run(ActionHandoff(), dispatcher, make_tracker("转人工", "request_human"))
    assert dispatcher.messages[-1]["custom"] == {"handoff": {"reason": "request_human"}}


async def test_handoff_after_fallback_has_fallback_reason(dispatcher, make_tracker):
    await run(ActionHandoff(), dispatcher, make_tracker("啥", "nlu_fallback"))
    assert dispatcher.messages[-1]["custom"] == {"handoff": {"reason": "fallback"}}


async def test_default_fallback_reverts_the_turn(dispatcher, make_tracker):
    events = await run(ActionDefaultFallback(), dispatcher, make_tracker("嗯嗯嗯", "nlu_fallback"))
    assert events == [{"event": "rewind", "timestamp": None}] or events[0]["event"] == "rewind"


async def test_broken_knowledge_without_a_good_index_gives_an_apology(
    data_dir, dispatcher, make_tracker, tmp_path: Path
):
    (tmp_path / "knowledge" / "faq.yml").write_text("- id: [broken\n", encoding="utf-8")
    events = await run(ActionAnswerQuestion(), dispatcher, make_tracker("劳模班学费谁出", "ask_subsidy"))
    assert events == []
    assert "资料库正在维护" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[0]["buttons"] == [{"title": "转人工", "payload": "/request_human"}]


async def test_out_of_scope_without_a_match_declines_politely(data_dir, dispatcher, make_tracker):
    events = await run(ActionAnswerQuestion(), dispatcher, make_tracker("明天宁波天气怎么样", "out_of_scope"))
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert not any(e.get("name") == "unanswered_streak" and e.get("value") for e in events)


async def test_out_of_scope_question_that_staff_added_to_the_faq_is_answered(
    data_dir, dispatcher, make_tracker, tmp_path: Path
):
    with (tmp_path / "knowledge" / "faq.yml").open("a", encoding="utf-8") as faq:
        faq.write(
            "\n- id: faq_canteen_test\n  title: 职工食堂\n"
            "  questions:\n    - 职工食堂几点开饭\n    - 食堂什么时候开门\n"
            "  answer: 职工食堂中午 11:00 开饭（测试条目）。\n  source: 测试\n"
        )
    await run(ActionAnswerQuestion(), dispatcher, make_tracker("食堂几点开饭呀", "out_of_scope"))
    assert "11:00 开饭" in dispatcher.messages[0]["text"]


async def test_course_list_states_the_programme_totals(data_dir, dispatcher, make_tracker):
    # The total number of 匠心工坊 courses comes from the programme's own entry.
    await run(ActionListCourses(), dispatcher, make_tracker("一共开了哪些技能课", "ask_course_list"))
    text = dispatcher.messages[-1]["text"]
    assert "30余项" in text and "3749" in text
    assert "详情" not in text.split("匠心工坊：", 1)[-1].split("）", 1)[0]


async def test_course_entity_does_not_beat_a_better_match(data_dir, dispatcher, make_tracker):
    # The NLU tags 劳模先进班 as a course; its near-namesake alias 劳模进企业 (技术帮扶)
    # must not win over the exact alias of the subsidy entry.
    tracker = make_tracker("劳模先进班到底是干什么的", "ask_course", [{"entity": "course", "value": "劳模先进班"}])
    await run(ActionAnswerQuestion(), dispatcher, tracker)
    assert "全额学费" in dispatcher.messages[0]["text"]


async def test_named_course_still_wins(data_dir, dispatcher, make_tracker):
    tracker = make_tracker("plc编成的课", "ask_course", [{"entity": "course", "value": "plc编成"}])
    await run(ActionAnswerQuestion(), dispatcher, tracker)
    assert "PLC编程" in dispatcher.messages[0]["text"]
