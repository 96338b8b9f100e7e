"""The answering logic on its own, as the staff console's preview calls it: no Rasa."""

from __future__ import annotations

from pathlib import Path

import pytest

from answering import UNANSWERED_BEFORE_HANDOFF, answer_question, list_courses
from common import texts
from knowledge import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kb(real_kb: KnowledgeBase) -> KnowledgeBase:
    """The shared real knowledge base (tests/answering/conftest.py)."""
    return real_kb


def test_a_question_is_answered_with_its_facts_and_source(kb: KnowledgeBase) -> None:
    outcome = answer_question(kb, "劳模班学费谁出", intent="ask_subsidy")
    assert outcome.status == "answered" and outcome.answered is not None
    assert "全额" in outcome.text and "依据" in outcome.text
    assert outcome.gap is None
    assert outcome.hits and outcome.hits[0].score >= outcome.hits[-1].score


def test_a_button_names_one_entry_and_a_removed_one_is_said_to_be_gone(kb: KnowledgeBase) -> None:
    entry = kb.search("职工书屋有多少家", limit=1)[0]
    answered = answer_question(kb, "", entities={"kb_id": entry.id}).answered
    assert answered is not None and answered.id == entry.id and answered.answer == entry.answer
    gone = answer_question(kb, "", entities={"kb_id": "faq_no_such_entry"})
    assert gone.status == "gone" and gone.text == texts.ENTRY_GONE


def test_unanswered_questions_count_up_to_a_person(kb: KnowledgeBase) -> None:
    first = answer_question(kb, "火星上有工会吗哈哈哈", intent="ask_general")
    assert first.status in ("not_sure", "not_found") and first.gap == "not_found"
    assert first.unanswered_streak == 1
    second = answer_question(
        kb, "火星上有工会吗哈哈哈", intent="ask_general", unanswered_streak=first.unanswered_streak
    )
    assert UNANSWERED_BEFORE_HANDOFF == 2 and second.status == "handoff" and not second.replies


def test_out_of_scope_is_declined_and_recorded_but_not_counted(kb: KnowledgeBase) -> None:
    outcome = answer_question(kb, "明天宁波天气怎么样", intent="out_of_scope")
    assert outcome.status == "out_of_scope" and outcome.text == texts.OUT_OF_SCOPE
    assert outcome.gap == "out_of_scope" and outcome.unanswered_streak == 0


def test_a_bare_topic_button_lists_the_topic(kb: KnowledgeBase) -> None:
    outcome = answer_question(kb, "/ask_reading", intent="ask_reading")
    assert outcome.status == "menu"
    assert all(hit.kind == "reading" for hit in outcome.hits)
    assert len(outcome.replies[0].buttons) >= 3


def test_the_course_list_names_the_programmes_and_a_district_falls_back(kb: KnowledgeBase) -> None:
    everything = list_courses(kb)
    assert "匠心工坊" in everything.text and "3749" in everything.text
    nowhere = list_courses(kb, "不存在区")
    assert nowhere.text.startswith(texts.COURSES_NONE_IN_DISTRICT.format(district="不存在区"))
