"""Two questions in one message: both answered, each with its source, short enough for a phone."""

from __future__ import annotations

import pytest

from answering import answer_question
from answering.several import split_questions
from knowledge import KnowledgeBase
from knowledge.schema import visible_len

#: What a phone shows without scrolling far (the answers' own limit is 300).
PHONE = 360


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("我是劳模，读本科学费全免吗？还有读书团队怎么加", ["我是劳模，读本科学费全免吗", "读书团队怎么加"]),
        ("PLC在哪上？什么时候开始？", ["PLC在哪上", "什么时候开始"]),
        ("读书节是什么活动 另外健步走什么时候", ["读书节是什么活动", "健步走什么时候"]),
        ("劳模先进班学费全免？", ["劳模先进班学费全免？"]),
        ("还有别的吗", ["还有别的吗"]),
        ("补贴啥时候发 要拿到毕业证才有吗", ["补贴啥时候发 要拿到毕业证才有吗"]),
    ],
)
def test_where_a_message_splits(text: str, parts: list[str]) -> None:
    assert split_questions(text) == parts


def test_both_questions_are_answered_with_their_sources(real_kb: KnowledgeBase) -> None:
    outcome = answer_question(real_kb, "我是劳模，读本科学费全免吗？还有读书团队怎么加", intent="ask_subsidy")
    assert outcome.status == "answered" and len(outcome.replies) == 1
    text = outcome.text
    assert "全额学费" in text and "加入读书团队" in text
    assert text.count("依据") == 2
    assert text.index("全额学费") < text.index("加入读书团队")
    assert visible_len(text) <= PHONE
    assert outcome.context is not None and outcome.context.entry == "reading_teams"


def test_the_second_question_follows_the_first(real_kb: KnowledgeBase) -> None:
    outcome = answer_question(real_kb, "PLC编程在哪上？什么时候开始？")
    assert "宁波职工发展中心" in outcome.text and "2026-12-06" in outcome.text


def test_a_greeting_before_a_question_is_not_a_second_question(real_kb: KnowledgeBase) -> None:
    outcome = answer_question(real_kb, "你好！请问劳模班学费谁出", intent="ask_subsidy")
    assert "全额学费" in outcome.text and "①" not in outcome.text


def test_a_question_it_cannot_answer_is_named(real_kb: KnowledgeBase) -> None:
    outcome = answer_question(real_kb, "匠心工坊办了多少期？还有火星上的工会怎么加入")
    assert "71期" in outcome.text and "没找到确切答案" in outcome.text
