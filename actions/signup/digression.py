"""Is a message inside a form an answer to the question asked, or something else?

Every question of a form maps the worker's typed text onto its slot (``from_text``), so
the form sees every message: a name, but also "劳模班学费谁出", "谢谢", "你好" or a button
pressed in an old message. Treating those as answers saved a question as the employer
and told a worker "这好像不是姓名" two hundred times. This module decides, from the message
alone (text, intent, confidence) and the question asked, what the message is; the form
base (:mod:`actions.signup.base`) then answers it, asks its question again and does not
count it as a wrong answer. Only an answer to the question that is plainly invalid is a
failure.

Two moments, because some signals are stronger than any answer and some are not:

* :func:`before_validation` — a question ("…吗", "…谁出", "？"), a greeting or thanks, a
  button of another intent: never an answer, whatever the question;
* :func:`after_validation` — the question's own validator has spoken: a rejected value
  with a clear intent (a question without a question word, "我的报名", "我要报名…") is
  that, not a wrong answer; an accepted free-text value ("我的报名" as an employer) is
  kept unless the intent is clear and the words say so too.

Pure: no Rasa, no store. ``MAYBE_QUESTION`` asks the caller to check the knowledge base.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from actions.signup.parsing import is_payload, parse_yes_no

Kind = Literal["question", "maybe_question", "chitchat", "records", "other_form", "continue", "stale"]

QUESTION: Kind = "question"
#: A question if the knowledge base answers it confidently, else an answer.
MAYBE_QUESTION: Kind = "maybe_question"
CHITCHAT: Kind = "chitchat"
RECORDS: Kind = "records"  # 我的报名 / 我的数据 / 我的申请: read only, shown at once
OTHER_FORM: Kind = "other_form"  # another sign-up (or this one again) while one is open
CONTINUE: Kind = "continue"  # 好的 / 嗯 / 不想说 to a question that takes no yes/no
STALE: Kind = "stale"  # a button of an old message

#: Questions answered with free text and no buttons of their own: a "continue" button is
#: offered with them after a digression, and a bare yes/no typed there is "continue".
FREE_TEXT_SLOTS: frozenset[str] = frozenset(
    {
        "worker_name",
        "worker_phone",
        "worker_employer",
        "school",
        "programme",
        "graduation_date",
        "certificate_no",
    }
)
#: Free text a question or a request can be mistaken for (the validator accepts nearly
#: anything): an accepted value is still checked against the intent here.
LOOSE_SLOTS: frozenset[str] = frozenset({"worker_name", "worker_employer", "school", "programme"})
#: The form's own intent is an answer here ("我要报名PLC" when asked which course).
OWN_INTENT_SLOTS: frozenset[str] = frozenset({"course_id", "cancel_target", "profile_field", "profile_confirmed"})

KNOWLEDGE_INTENTS: frozenset[str] = frozenset(
    {
        "ask_subsidy",
        "ask_course",
        "ask_course_list",
        "ask_reading",
        "ask_sports",
        "ask_general",
        "out_of_scope",
        "follow_up",  # "那劳模呢", "谁来上课": a question about the last answer
    }
)
CHITCHAT_INTENTS: frozenset[str] = frozenset({"greet", "thank", "goodbye", "bot_challenge"})
RECORDS_INTENTS: frozenset[str] = frozenset({"my_records", "my_data", "check_application", "export_my_data"})
FORM_INTENTS: frozenset[str] = frozenset(
    {"enroll_course", "join_reading_team", "apply_subsidy", "update_profile", "cancel_record", "delete_my_data"}
)
YES_NO_INTENTS: frozenset[str] = frozenset({"affirm", "deny"})

#: Confidence from which an intent decides about a value the validator rejected …
CLEAR = 0.6
#: … and about one it accepted (free text only).
VERY_CLEAR = 0.8

_QUESTION_WORDS = re.compile(
    r"什么|啥|怎么|怎样|咋|如何|为什么|为啥|干嘛|多少|多久|多长|多大|几[个期本天号点月年次门位岁周人块钱]|"
    r"[在去到从]哪|哪[里儿些个家天一位种门所]|谁|是否|能不能|可不可以|可以不|会不会|有没有|要不要|是不是|行不行|对不对"
)
_QUESTION_END = re.compile(r"(?:吗|呢|么|嘛)$")
#: "随便哪个" / "谁都行" answer with a question word, they do not ask.
_NOT_ASKING = re.compile(r"随便|都行|都可以|都好|无所谓|不管")
#: The worker asks what the question itself means ("这是什么", "啥意思", "嗯？").
_ABOUT_THE_QUESTION = re.compile(
    r"这是什么|这个是什么|什么意思|啥意思|是啥|怎么填|怎么写|填什么|写什么|填哪个|选哪个|不懂|不明白|看不懂|为什么要|为啥要|干嘛要"
)
_YES_NO_STEMS = frozenset({"嗯", "好", "好的", "是", "是的", "对", "对的", "行", "可以", "不", "不是", "不要", "没有"})
_TRAILING = re.compile(r"[\s。.!！~～…,，、]+$")

#: Greetings, thanks, goodbyes and "who are you", as typed (lower case, no punctuation).
CHITCHAT_WORDS: dict[str, tuple[str, ...]] = {
    "greet": (
        "你好",
        "您好",
        "嗨",
        "哈喽",
        "哈罗",
        "hello",
        "hi",
        "早上好",
        "上午好",
        "下午好",
        "晚上好",
        "在吗",
        "在不在",
    ),
    "thank": ("谢谢", "多谢", "感谢", "谢了", "辛苦了", "辛苦", "thanks", "thankyou", "3q"),
    "goodbye": ("再见", "拜拜", "bye", "回头见", "下次聊"),
    "bot_challenge": ("你是谁", "你是机器人", "你是真人", "是机器人吗", "是真人吗"),
}
_FILLERS = re.compile(r"[啊呀哦哈嗯噢呐哟吧喔的你您了\s]")

_RECORDS_CUES = (
    "我的报名",
    "我的申请",
    "我的资料",
    "我的信息",
    "我的数据",
    "我的记录",
    "我报了",
    "报了哪",
    "审核",
    "进度",
)
_FORM_CUES = (
    "报名",
    "报个",
    "我要报",
    "想报",
    "参加",
    "加入",
    "申请",
    "取消",
    "退出",
    "删除",
    "删掉",
    "注销",
    "修改",
    "更新",
    "改一下",
)
_SIGNUP_CUES = ("报名", "报个", "报一", "我要报", "想报", "我报", "参加", "上这个")


@dataclass(frozen=True)
class Message:
    """What the worker sent, as the form sees it."""

    text: str
    intent: str = ""
    confidence: float = 0.0
    entities: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_parse(cls, latest: Mapping[str, Any]) -> Message:
        """From Rasa's ``latest_message`` (parse data)."""
        intent = latest.get("intent") or {}
        entities: dict[str, str] = {}
        for entity in latest.get("entities") or []:
            name, value = entity.get("entity"), entity.get("value")
            if name and value not in (None, "") and name not in entities:
                entities[str(name)] = str(value)
        return cls(
            text=str(latest.get("text") or "").strip(),
            intent=str(intent.get("name") or ""),
            confidence=float(intent.get("confidence") or 0.0),
            entities=entities,
        )

    @property
    def typed(self) -> bool:
        """Typed by the worker (even if empty), not a button's payload."""
        return not is_payload(self.text)

    def is_intent(self, intents: frozenset[str], confidence: float) -> bool:
        return self.intent in intents and self.confidence >= confidence


def _plain(text: str) -> str:
    return _TRAILING.sub("", unicodedata.normalize("NFKC", text)).strip()


def looks_like_question(text: str) -> bool:
    """ "劳模班学费谁出", "一个月读几本", "要钱吗", "什么时候开始？" — not a yes or no."""
    plain = _plain(text)
    if not plain:
        return False
    if plain.endswith(("?", "？")) or "?" in plain or "？" in plain:
        return True
    if _NOT_ASKING.search(plain):
        return False
    if _QUESTION_WORDS.search(plain):
        return True
    # A final 吗/呢/嘛 asks, unless it follows a bare yes or no ("嗯呢", "好嘛").
    return bool(_QUESTION_END.search(plain)) and plain[:-1] not in _YES_NO_STEMS


def asks_about_the_question(text: str) -> bool:
    """ "这是什么", "什么意思", "为什么要填这个", "嗯？": a question about the question asked,
    answered with its explanation when the knowledge base has nothing better."""
    plain = _plain(text).rstrip("?？")
    return len(plain) <= 2 or bool(_ABOUT_THE_QUESTION.search(plain))


def chitchat_intent(text: str) -> str | None:
    """The small-talk intent of a message made only of a greeting, thanks, goodbye or
    "who are you" (with fillers such as 啊 / 呀 / 你), else None."""
    plain = _plain(text).lower().replace(" ", "")
    if not plain or len(plain) > 12:
        return None
    for intent, words in CHITCHAT_WORDS.items():
        for word in words:
            if word in plain and not _FILLERS.sub("", plain.replace(word, "")):
                return intent
    return None


_WORDS = re.compile(r"[\u3400-\u9fffA-Za-z]")


def _has_small_talk(text: str) -> bool:
    plain = _plain(text).lower().replace(" ", "")
    return any(word in plain for words in CHITCHAT_WORDS.values() for word in words)


def _by_intent(message: Message, confidence: float) -> Kind | None:
    """What a message is by its intent alone (buttons, clear rejections)."""
    if message.is_intent(KNOWLEDGE_INTENTS, confidence):
        return QUESTION
    if message.is_intent(CHITCHAT_INTENTS, confidence):
        return CHITCHAT
    if message.is_intent(RECORDS_INTENTS, confidence):
        return RECORDS
    if message.is_intent(FORM_INTENTS, confidence):
        return OTHER_FORM
    return None


def before_validation(message: Message, slot: str, value: Any, own_intent: str | None = None) -> Kind | None:
    """Never an answer, whatever the question: a question, small talk, another button.

    ``value`` is what the slot mapping extracted; a value that is not the text itself
    (a button for this very question, an entity, a yes/no intent) is an answer unless
    the words ask something.
    """
    mapped = value != message.text
    if not message.typed:
        if mapped:
            return None  # this question's own button (/affirm, /inform{"district": …})
        if message.intent == own_intent and slot in OWN_INTENT_SLOTS:
            return None
        kind = _by_intent(message, 0.0)
        if kind is not None:
            return kind
        if message.intent in YES_NO_INTENTS:
            return CONTINUE
        return STALE
    if chitchat_intent(message.text):
        return CHITCHAT
    if message.is_intent(RECORDS_INTENTS, VERY_CLEAR) and any(c in message.text for c in _RECORDS_CUES):
        return RECORDS  # "我报了哪些": the records themselves, not a search
    if looks_like_question(message.text):
        if slot == "course_id" and message.entities.get("course") and any(c in message.text for c in _SIGNUP_CUES):
            return None  # "PLC怎么报名" when asked which course: PLC
        return QUESTION
    return None


def after_validation(
    message: Message, slot: str, value: Any, accepted: bool, own_intent: str | None = None
) -> Kind | None:
    """Decide with the validator's verdict: ``accepted`` is False only when it rejected
    the value as a wrong answer (a value taken, an edit asked for or a "no" is not)."""
    if not message.typed:
        return None
    own = message.intent == own_intent and slot in OWN_INTENT_SLOTS
    if accepted:
        if slot not in LOOSE_SLOTS or value != message.text or own:
            return None
        if message.is_intent(RECORDS_INTENTS, VERY_CLEAR) and any(c in message.text for c in _RECORDS_CUES):
            return RECORDS
        if message.is_intent(FORM_INTENTS, VERY_CLEAR) and any(c in message.text for c in _FORM_CUES):
            return OTHER_FORM
        if message.is_intent(KNOWLEDGE_INTENTS, VERY_CLEAR):
            return MAYBE_QUESTION
        return None
    if own or not _WORDS.search(message.text):
        return None  # digits and signs are an attempt at a number ("88" is no goodbye)
    kind = _by_intent(message, CLEAR)
    if kind == CHITCHAT and not _has_small_talk(message.text):
        kind = None  # the NLU's small talk without its words: a wrong answer after all
    if kind is not None:
        return kind
    if (
        message.is_intent(YES_NO_INTENTS, CLEAR)
        and value == message.text
        and parse_yes_no(message.text) is not None
        and slot in FREE_TEXT_SLOTS | {"course_id", "team_kind", "cancel_target"}
    ):
        return CONTINUE
    return None
