"""Conversation context, resolved as the pure function the action and the console call:
subject carried, subject replaced, another attribute, siblings, pronouns, a new topic,
expiry, and a button payload that carries the context."""

from __future__ import annotations

import pytest

from answering import CONTEXT_TURNS, Context, Outcome, answer_question
from answering.context import COURSE_LIST, read
from common import texts
from knowledge import KnowledgeBase


def talk(kb: KnowledgeBase, *turns: str) -> list[Outcome]:
    """One conversation: each turn gets the context the answer before it left."""
    outcomes: list[Outcome] = []
    context: Context | None = None
    for turn in turns:
        outcome = answer_question(kb, turn, context=context)
        outcomes.append(outcome)
        context = outcome.context
    return outcomes


def last(kb: KnowledgeBase, *turns: str) -> Outcome:
    return talk(kb, *turns)[-1]


# ---------------------------------------------------------------- same question, other subject


def test_the_question_is_carried_to_another_subject(real_kb: KnowledgeBase) -> None:
    first, then = talk(real_kb, "学历提升补贴是怎么回事", "那劳模呢")
    assert first.context == Context("subsidy_degree", "overview")
    assert then.status == "answered" and then.answered is not None
    assert then.answered.id == "subsidy_model_worker_class"
    assert "全额学费" in then.text and "依据" in then.text


def test_the_attribute_asked_is_carried_to_the_new_subject(real_kb: KnowledgeBase) -> None:
    then = last(real_kb, "工惠有约是哪个单位办的", "那公益乐学呢")
    assert then.answered is not None and then.answered.id == "gylx"
    assert "宁波职工发展中心" in then.text and "1045" not in then.text
    assert then.context == Context("gylx", "provider")


def test_a_district_replaces_the_subject(real_kb: KnowledgeBase) -> None:
    then = last(real_kb, "模具设计与制造在哪上课", "象山呢")
    assert then.answered is not None and then.answered.id == "region_xiangshan_homestay"
    assert "象山县内教学点" in then.text and "示例信息" in then.text


def test_after_a_district_list_another_district_lists_its_courses(real_kb: KnowledgeBase) -> None:
    listed = answer_question(real_kb, "民宿服务", context=None)  # any answer, then a list context:
    assert listed.status == "answered"
    then = answer_question(real_kb, "象山呢", context=Context(None, COURSE_LIST))
    assert then.status == "menu" and "象山县的课程" in then.text and "民宿服务" in then.text


def test_a_qualifier_picks_the_figure_of_the_same_subject(real_kb: KnowledgeBase) -> None:
    first, provincial, city = talk(real_kb, "职工书屋有多少家", "省级的呢", "市里的呢")
    assert all(n in first.text for n in ("78家", "651家", "733家"))
    assert "651家" in provincial.text and "733家" not in provincial.text and "78家" not in provincial.text
    assert "733家" in city.text and "651家" not in city.text


# ---------------------------------------------------------------- another attribute, same subject


@pytest.mark.parametrize(
    ("follow_up", "fact"),
    [
        ("一共多少人参加过", "3749"),
        ("办了几期", "71期"),
        ("谁来上课", "工匠"),
    ],
)
def test_another_attribute_of_the_same_subject(real_kb: KnowledgeBase, follow_up: str, fact: str) -> None:
    then = last(real_kb, "匠心工坊是什么", follow_up)
    assert then.answered is not None and then.answered.id == "jxgf"
    assert fact in then.text
    assert "工业机器人" not in then.text  # one or two sentences, not the whole entry


@pytest.mark.parametrize(
    ("follow_up", "facts"),
    [
        ("在哪上", ["宁波职工发展中心"]),
        ("什么时候开始", ["2026-12-06", "每周日"]),
        ("怎么报名", ["报名PLC编程"]),
    ],
)
def test_attributes_of_a_course(real_kb: KnowledgeBase, follow_up: str, facts: list[str]) -> None:
    then = last(real_kb, "PLC编程课介绍一下", follow_up)
    assert then.answered is not None and then.answered.id == "jxgf_plc"
    assert all(fact in then.text for fact in facts)
    assert "示例信息" in then.text or follow_up == "怎么报名"


def test_an_attribute_the_knowledge_lacks_is_said_to_be_missing(real_kb: KnowledgeBase) -> None:
    then = last(real_kb, "匠心工坊是什么", "要钱吗")
    assert then.text.startswith(texts.ATTRIBUTE_NOT_IN_SOURCE.format(subject="匠心工坊", label="费用"))
    assert texts.HUMAN_BUTTON in then.replies[0].buttons
    assert "元" not in then.text  # nothing invented


def test_a_course_without_its_own_figures_gets_its_programmes(real_kb: KnowledgeBase) -> None:
    then = last(real_kb, "PLC编程", "多少人参加过")
    assert "报道里没有写PLC编程的参加人数" in then.text
    assert "匠心工坊全部课程合计" in then.text and "3749" in then.text


# ---------------------------------------------------------------- siblings and pronouns


def test_siblings_of_a_course_and_the_courses_of_a_programme(real_kb: KnowledgeBase) -> None:
    programme = last(real_kb, "匠心工坊办了多少期", "还有别的吗")
    assert programme.status == "menu"
    assert {b["title"] for b in programme.replies[0].buttons} >= {"工业机器人", "PLC编程", "汽车维修"}
    course = last(real_kb, "汽车维修在哪学", "其他课呢")
    titles = {b["title"] for b in course.replies[0].buttons}
    assert "PLC编程" in titles and "汽车维修" not in titles


def test_other_courses_after_a_reading_answer_lists_the_courses(real_kb: KnowledgeBase) -> None:
    then = last(real_kb, "读书节是什么", "其他课呢")
    assert then.status == "menu" and texts.COURSES_ALL in then.text


@pytest.mark.parametrize("pronoun", ["这个要钱吗", "它是哪个单位办的", "那个什么时候开始"])
def test_pronouns_are_the_current_subject(real_kb: KnowledgeBase, pronoun: str) -> None:
    then = last(real_kb, "工惠有约是什么", pronoun)
    assert then.answered is not None and then.answered.id == "ghyy"


# ---------------------------------------------------------------- new topics, expiry, buttons


def test_a_new_topic_is_treated_as_one(real_kb: KnowledgeBase) -> None:
    then = last(real_kb, "匠心工坊办了多少期", "读书团队有多少人参加")
    assert then.answered is not None and then.answered.id == "reading_teams"
    assert "2.6万余人" in then.text
    whole = last(real_kb, "匠心工坊办了多少期", "职工书屋在哪里")
    assert whole.answered is not None and whole.answered.id == "reading_bookhouse"


def test_a_complete_question_does_not_inherit_the_last_attribute(real_kb: KnowledgeBase) -> None:
    then = last(real_kb, "读书节什么时候办", "考技能证书有补助吗")
    assert then.answered is not None and then.answered.id == "subsidy_high_skill_fund"
    assert "报道里没有写" not in then.text


def test_the_context_expires(real_kb: KnowledgeBase) -> None:
    fresh = Context("jxgf", "sessions", age=CONTEXT_TURNS - 1)
    assert fresh.alive and "3749" in answer_question(real_kb, "一共多少人参加过", context=fresh).text
    stale = Context("jxgf", "sessions", age=CONTEXT_TURNS)
    assert not stale.alive
    outcome = answer_question(real_kb, "一共多少人参加过", context=stale)
    assert "3749" not in outcome.text
    assert outcome.text == texts.ASK_WHICH_SUBJECT and outcome.context is None


def test_a_follow_up_with_nothing_to_follow_asks_which_subject(real_kb: KnowledgeBase) -> None:
    outcome = answer_question(real_kb, "这个多少钱")
    assert outcome.status == "not_sure" and outcome.text == texts.ASK_WHICH_SUBJECT
    assert outcome.gap is None and texts.HUMAN_BUTTON in outcome.replies[0].buttons


def test_a_button_payload_carries_the_context(real_kb: KnowledgeBase) -> None:
    outcome = answer_question(
        real_kb,
        '/ask_general{"kb_id":"jxgf","attribute":"participants"}',
        intent="ask_general",
        entities={"kb_id": "jxgf", "attribute": "participants"},
    )
    assert outcome.text.startswith("匠心工坊的参加人数：截至2020年6月共3749人参与。")
    assert outcome.context == Context("jxgf", "participants")
    then = answer_question(real_kb, "那公益乐学呢", context=outcome.context)
    assert "15600余人次" in then.text


def test_an_unanswered_follow_up_keeps_the_context_to_age(real_kb: KnowledgeBase) -> None:
    context = Context("jxgf", "sessions", age=1)
    outcome = answer_question(real_kb, "火星上有工会吗哈哈哈", intent="ask_general", context=context)
    assert outcome.status in ("not_sure", "not_found") and outcome.context == context


def test_reading_a_message_without_answering_it(real_kb: KnowledgeBase) -> None:
    context = Context("reading_bookhouse", "count")
    assert read(real_kb, "省级的呢", context).kind == "figure"
    assert read(real_kb, "那劳模呢", context).kind == "other_subject"
    assert read(real_kb, "还有别的吗", context).kind == "siblings"
    assert read(real_kb, "要钱吗", context).kind == "same_subject"
    assert read(real_kb, "要钱吗", None).kind == "needs_subject"
    assert read(real_kb, "PLC编程在哪上课", None).kind == "new"


@pytest.mark.parametrize("before", ["宁海有什么课", "plc编成在哪学", "文体联赛办了几届"])
def test_a_named_subsidy_is_not_taken_for_the_nearest_course(real_kb: KnowledgeBase, before: str) -> None:
    # The NLU marks 劳模先进班 as a "course"; after talking about a course (or anything),
    # the fuzzy course names (技术帮扶's alias 劳模进企业) must not win over the subsidy it names.
    context = answer_question(real_kb, before).context
    outcome = answer_question(
        real_kb, "劳模先进班的学费谁出", intent="ask_subsidy", entities={"course": "劳模先进班"}, context=context
    )
    assert outcome.answered is not None and outcome.answered.id == "subsidy_model_worker_class"
    assert "全额" in outcome.replies[0].text
