"""What a message inside a form is (actions/signup/digression.py): an answer, or a
question, small talk, a records request, another sign-up, "go on", an old button."""

from __future__ import annotations

import pytest

from actions.signup import digression
from actions.signup.digression import Message, after_validation, before_validation


def typed(text: str, intent: str = "inform", confidence: float = 1.0, **entities: str) -> Message:
    return Message(text, intent, confidence, entities)


@pytest.mark.parametrize(
    "text",
    [
        "劳模班学费谁出",
        "一个月读几本",
        "要钱吗",
        "什么时候开始？",
        "在哪上课",
        "有几个名额",
        "会员有什么好处",
        "学费多少",
        "PLC是啥",
    ],
)
def test_questions_are_questions(text: str) -> None:
    assert digression.looks_like_question(text)


@pytest.mark.parametrize(
    "text",
    ["哪吒汽车", "宁波永发机械有限公司", "张伟", "随便哪个", "谁都行", "是的", "不是", "好", "2024年6月", "海曙区"],
)
def test_answers_are_not_questions(text: str) -> None:
    assert not digression.looks_like_question(text)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你好", "greet"),
        ("您好呀", "greet"),
        ("谢谢你", "thank"),
        ("好的谢谢", None),  # 好的 is more than a filler: an answer to a yes/no question
        ("多谢了", "thank"),
        ("拜拜", "goodbye"),
        ("你是机器人吗", "bot_challenge"),
        ("你好，我想问下补贴", None),
        ("张谢", None),
    ],
)
def test_small_talk_is_only_small_talk(text: str, intent: str | None) -> None:
    assert digression.chitchat_intent(text) == intent


@pytest.mark.parametrize("text", ["这是什么", "啥意思？", "嗯？", "？", "为什么要填手机号", "这个怎么填"])
def test_questions_about_the_question_itself(text: str) -> None:
    assert digression.asks_about_the_question(text)


def test_a_question_at_the_employer_question_is_never_an_employer() -> None:
    message = typed("劳模班学费谁出", "ask_subsidy", course="劳模班")
    assert before_validation(message, "worker_employer", message.text) == digression.QUESTION


def test_a_question_is_not_a_yes_even_when_the_nlu_hears_one() -> None:
    """ "会员有什么好处" was classified affirm (0.70): the mapping made it True."""
    message = typed("会员有什么好处", "affirm", 0.70)
    assert before_validation(message, "worker_union_member", True) == digression.QUESTION
    yes = typed("是的", "affirm", 0.99)
    assert before_validation(yes, "worker_union_member", True) is None


def test_naming_the_course_in_a_how_question_answers_which_course() -> None:
    message = typed("PLC怎么报名", "enroll_course", course="PLC")
    assert before_validation(message, "course_id", "PLC", "enroll_course") is None
    assert before_validation(message, "worker_name", message.text, "enroll_course") == digression.QUESTION


def test_buttons_by_what_they_ask_for() -> None:
    def button(payload: str, intent: str) -> Message:
        return Message(payload, intent, 1.0)

    assert before_validation(button("/ask_course_list", "ask_course_list"), "worker_name", "/ask_course_list") == (
        digression.QUESTION
    )
    assert before_validation(button("/my_records", "my_records"), "worker_phone", "/my_records") == digression.RECORDS
    join = "/join_reading_team"
    assert before_validation(button(join, "join_reading_team"), "worker_phone", join) == digression.OTHER_FORM
    assert before_validation(button("/affirm", "affirm"), "worker_name", "/affirm") == digression.CONTINUE
    assert before_validation(button('/inform{"district":"海曙区"}', "inform"), "worker_name", "x") is None  # mapped
    old = '/inform{"district":"海曙区"}'
    assert before_validation(button(old, "inform"), "worker_name", old) == digression.STALE
    # this question's own button: an answer
    assert before_validation(button("/affirm", "affirm"), "worker_union_member", True) is None
    course = '/enroll_course{"course":"jxgf_plc"}'
    assert before_validation(button(course, "enroll_course"), "course_id", course, "enroll_course") is None


def test_a_rejected_value_with_a_clear_intent_is_not_a_wrong_answer() -> None:
    assert after_validation(typed("读书节", "ask_reading"), "worker_phone", "读书节", False) == digression.QUESTION
    assert after_validation(typed("我要报名PLC", "enroll_course"), "worker_phone", "x", False) == digression.OTHER_FORM
    assert after_validation(typed("好的", "affirm"), "worker_name", "好的", False) == digression.CONTINUE
    assert after_validation(typed("12345"), "worker_phone", "12345", False) is None  # a real failure
    # weak intents decide nothing
    assert after_validation(typed("欧阳明", "affirm", 0.53), "worker_name", "欧阳明", False) is None


def test_an_accepted_free_text_value_is_kept_unless_intent_and_words_agree() -> None:
    records = typed("我的报名", "my_records", 0.98)
    assert after_validation(records, "worker_employer", "我的报名", True) == digression.RECORDS
    assert after_validation(typed("欧阳明", "affirm", 0.53), "worker_name", "欧阳明", True) is None
    assert after_validation(typed("宁波开放大学"), "school", "宁波开放大学", True) is None
    assert after_validation(typed("匠心工坊", "ask_course"), "worker_employer", "匠心工坊", True) == (
        digression.MAYBE_QUESTION
    )
    # formatted answers are never second-guessed
    assert after_validation(typed("13812345678", "ask_general"), "worker_phone", "13812345678", True) is None


def test_the_forms_own_intent_answers_what_to_sign_up_for() -> None:
    message = typed("我要报名工业机器人", "enroll_course", course="工业机器人")
    assert after_validation(message, "course_id", "工业机器人", False, "enroll_course") is None
    assert after_validation(message, "worker_phone", message.text, False, "enroll_course") == digression.OTHER_FORM


def test_a_question_about_ones_own_records_shows_them() -> None:
    message = typed("我报了哪些", "my_records", 0.95)
    assert before_validation(message, "worker_employer", message.text) == digression.RECORDS
    assert before_validation(typed("我报了哪些", "ask_course", 0.95), "worker_employer", "我报了哪些") == (
        digression.QUESTION
    )


def test_digits_are_an_attempt_at_a_number_whatever_the_nlu_hears() -> None:
    """ "88" is goodbye in chat slang: the NLU hears goodbye in digit strings."""
    for text in ["123", "138123456789", "88"]:
        assert after_validation(typed(text, "goodbye", 0.9), "worker_phone", text, False) is None
        assert after_validation(typed(text, "ask_general", 0.9), "worker_name", text, False) is None


def test_small_talk_by_intent_needs_its_words() -> None:
    assert after_validation(typed("嗯呐哈", "greet", 0.9), "worker_name", "嗯呐哈", False) is None
    assert after_validation(typed("好的谢谢你啊", "thank", 0.9), "worker_name", "好的谢谢你啊", False) == (
        digression.CHITCHAT
    )
