"""Which attribute a question asks, and its short answer from the entry's fields."""

from __future__ import annotations

import pytest

from answering import answer_question
from answering.attributes import answer_attribute, detect, figures_for
from knowledge import KnowledgeBase


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("匠心工坊一共多少人参加过", ["participants"]),
        ("办了几期", ["sessions"]),
        ("职工书屋有多少家", ["count"]),
        ("谁来上课", ["teachers"]),
        ("是哪个单位办的", ["provider"]),
        ("在哪上", ["location"]),
        ("在哪里报名", ["how_to_join"]),
        ("什么时候开始", ["schedule"]),
        ("要钱吗", ["cost"]),
        ("一期多少人", ["capacity"]),
        ("PLC在哪上什么时候开始", ["location", "schedule"]),
        ("工惠有约是什么", ["overview"]),
        ("那劳模呢", []),
        ("那参加的人有多少", ["participants"]),
        ("where is the robot class", ["location"]),
    ],
)
def test_the_attribute_asked(question: str, asked: list[str]) -> None:
    assert detect(question) == asked


def test_figures_are_picked_by_what_they_count(real_kb: KnowledgeBase) -> None:
    jxgf = real_kb.entry("jxgf")
    assert jxgf is not None
    assert figures_for(jxgf, ("人次", "人", "名")) == ["截至2020年6月共3749人参与"]
    assert figures_for(jxgf, ("期", "场")) == ["截至2020年6月已开展71期"]


def test_the_answer_is_one_sentence_with_its_year(real_kb: KnowledgeBase) -> None:
    outcome = answer_question(real_kb, "匠心工坊一共多少人参加过", intent="ask_course", entities={"course": "匠心工坊"})
    first, second = outcome.replies[0].text.split("\n\n")[0].split("\n")
    assert first == "匠心工坊的参加人数：截至2020年6月共3749人参与。"
    assert second == "同一报道还写到：截至2020年6月已开展71期；截至2020年6月推出技能培训课程30余项。"
    assert "工业机器人" not in outcome.text  # not the whole entry
    assert "依据" in outcome.text
    assert outcome.replies[0].buttons[0]["payload"] == '/ask_general{"kb_id":"jxgf"}'


def test_sample_values_keep_their_note(real_kb: KnowledgeBase) -> None:
    plc = real_kb.entry("jxgf_plc")
    assert plc is not None
    where = answer_attribute(real_kb, plc, "location")
    assert where.known and where.sample and not where.lines[0].startswith("示例")
    assert "示例信息" in answer_question(real_kb, "PLC编程在哪上课", intent="ask_course").text


def test_a_missing_attribute_of_a_new_subject_still_says_what_it_is(real_kb: KnowledgeBase) -> None:
    outcome = answer_question(real_kb, "职工书屋在哪里", intent="ask_reading")
    assert outcome.text.startswith("报道里没有写职工书屋的地点，可以问工作人员。")
    assert "651家" in outcome.text  # the whole entry follows


def test_a_subsidy_asked_about_money_is_the_whole_subsidy(real_kb: KnowledgeBase) -> None:
    outcome = answer_question(real_kb, "学历补贴有多少钱", intent="ask_subsidy")
    assert outcome.answered is not None and outcome.answered.id == "subsidy_degree"
    assert "报道里没有写" not in outcome.text and "毕业证" in outcome.text


@pytest.mark.parametrize(
    ("question", "entry", "fact"),
    [
        ("Is there any robot training?", "jxgf_robot", "工业机器人"),
        ("how many people joined jiangxin gongfang", "jxgf", "3749"),
        ("reading club how to join", "reading_teams", "加入读书团队"),
        ("勞模班學費誰出", "subsidy_model_worker_class", "全额学费"),
    ],
)
def test_english_pinyin_and_traditional_questions_are_answered_in_chinese(
    real_kb: KnowledgeBase, question: str, entry: str, fact: str
) -> None:
    outcome = answer_question(real_kb, question)
    assert outcome.answered is not None and outcome.answered.id == entry, outcome.text
    assert fact in outcome.text
