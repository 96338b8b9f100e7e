"""What a form says to a message that is not an answer, and how it then asks again.

:mod:`actions.signup.digression` decides what the message is; here it is answered the
way it would be outside the form — a question from the knowledge base (the same
``answering.answer_question`` as ``action_answer_question``), 我的报名 from the registry,
small talk briefly — and the form's question is asked again with a way on and a way out
(:func:`decorate_question`). Nothing here counts as a wrong answer.

Inside a form, buttons that would start another sign-up are left off the answers: the
worker finishes or leaves this one first (the question asked again offers to leave).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.signup import digression
from actions.signup.digression import Message
from actions.stores import knowledge
from answering import Outcome, answer_question, list_courses
from common import replies, texts
from knowledge import KnowledgeError
from knowledge.gaps import record_gap
from registry import DISTRICTS

logger = logging.getLogger(__name__)

#: Words that show a question is about the question being asked ("为什么要填手机号"):
#: when the knowledge base has no answer, the question's own explanation is the answer.
FIELD_WORDS: dict[str, tuple[str, ...]] = {
    "worker_name": ("名字", "姓名", "名"),
    "worker_phone": ("手机", "电话", "号码"),
    "worker_employer": ("单位", "公司", "厂"),
    "worker_district": ("区", "县", "市"),
    "worker_union_member": ("会员", "入会", "工会"),
    "profile_confirmed": ("信息", "资料"),
    "profile_field": ("信息", "资料", "改"),
    "course_id": ("课", "班", "培训"),
    "team_kind": ("读书会", "团队", "单位", "地区"),
    "school": ("学校", "院校"),
    "programme": ("专业",),
    "graduation_date": ("毕业", "时间", "年月"),
    "certificate_no": ("证书", "编号", "证"),
    "model_worker_class": ("劳模",),
    "enroll_confirmed": ("确认", "报名"),
    "subsidy_confirmed": ("确认", "提交"),
    "cancel_target": ("取消", "哪"),
    "cancel_confirmed": ("确认", "取消"),
    "delete_confirmed": ("删", "恢复"),
}


def payload_intent(payload: str) -> str:
    """``/enroll_course{"course":"x"}`` → ``enroll_course`` ("" for typed text)."""
    if not payload.startswith("/"):
        return ""
    return payload[1:].split("{", 1)[0].strip()


def _inside_a_form(buttons: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The buttons of an answer, without those that would start another sign-up."""
    return [b for b in buttons or [] if payload_intent(str(b.get("payload", ""))) not in digression.FORM_INTENTS]


def relay(source: CollectingDispatcher, dispatcher: CollectingDispatcher) -> None:
    """Pass on what ``source`` said, as it is said inside a form."""
    for message in source.messages:
        dispatcher.messages.append({**message, "buttons": _inside_a_form(message.get("buttons"))})


async def form_doing(tracker: Tracker) -> str:
    """What the worker is doing in the active form: 报名「PLC编程」, 加入读书团队 …"""
    form = tracker.active_loop_name or ""
    course_id = tracker.get_slot("course_id")
    if form == "enroll_form" and course_id:
        try:
            course = (await knowledge()).get_course(course_id)
        except KnowledgeError:
            course = None
        if course is not None:
            return texts.ENROLL_PURPOSE.format(course=course.name)
    return texts.FORM_DOING.get(form, texts.FORM_DOING_DEFAULT)


def leave_button(form: str | None) -> replies.Button:
    return {"title": texts.FORM_LEAVE_TITLES.get(form or "", texts.FORM_LEAVE_DEFAULT), "payload": "/stop"}


# ---------------------------------------------------------------- answering the aside


#: The form's longer explanation of a question (``SignupFormValidationAction.explanation``).
Explain = Callable[[str], Awaitable[str | None]]


async def say_aside(
    kind: str,
    message: Message,
    slot: str,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    explain: Explain,
) -> list[Any]:
    """Answer a message that is not an answer to ``slot`` (the question is asked again
    after); the slot events the answer leaves (the conversation's context)."""
    if kind == digression.QUESTION:
        return await answer_in_form(message, slot, dispatcher, tracker, explain)
    elif kind == digression.CHITCHAT:
        intent = digression.chitchat_intent(message.text) or message.intent
        template = texts.FORM_SMALL_TALK.get(intent)
        if template:
            dispatcher.utter_message(text=template.format(doing=await form_doing(tracker)))
    elif kind == digression.RECORDS:
        await show_records(message.intent, dispatcher, tracker)
    elif kind == digression.OTHER_FORM:
        form = tracker.active_loop_name
        dispatcher.utter_message(
            text=texts.FORM_OTHER_REQUEST.format(doing=await form_doing(tracker), leave=leave_button(form)["title"])
        )
    elif kind == digression.STALE:
        dispatcher.utter_message(text=texts.ANSWER_FIRST)
    # CONTINUE: nothing to say, the question comes again
    return []


def _outcome(kb: Any, message: Message, tracker: Tracker) -> Outcome:
    names = ("kb_id", "attribute", "course", "district")
    entities = {name: message.entities[name] for name in names if name in message.entities}
    if message.intent == "ask_course_list" and "kb_id" not in entities:
        return list_courses(kb, message.entities.get("district"))
    context = _context_module()
    extra: dict[str, Any] = {}
    if context is not None:
        extra["context"] = context.read_context(tracker)
    return answer_question(kb, message.text, intent=message.intent or None, entities=entities, **extra)


def _context_module() -> Any:
    """``actions.context``: what the conversation is about, kept by the answering actions
    (issue #13's other half), so "那劳模呢" inside a form follows the last answer too.
    Looked up by name: without it the answer is given without a context, as before."""
    try:
        return importlib.import_module("actions.context")
    except ImportError:
        return None


def context_events(outcome: Outcome) -> list[Any]:
    """The slot events that keep the context the answer leaves, if contexts are kept."""
    context = _context_module()
    if context is None:
        return []
    return list(context.context_events(getattr(outcome, "context", None)))


async def answer_in_form(
    message: Message, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker, explain: Explain
) -> list[Any]:
    """The knowledge base's answer, as outside the form. A question about the question
    itself ("这是什么", "为什么要填手机号") that the knowledge base cannot answer
    confidently gets the question's explanation instead (nothing is recorded as a gap)."""
    about_the_question = message.typed and (
        digression.asks_about_the_question(message.text)
        or any(word in message.text for word in FIELD_WORDS.get(slot, ()))
    )
    try:
        kb = await knowledge()
    except KnowledgeError as error:
        logger.error("knowledge base unavailable inside a form: %s", error)
        explanation = await explain(slot) if about_the_question else None
        dispatcher.utter_message(text=explanation or texts.KNOWLEDGE_UNAVAILABLE)
        return []
    outcome = _outcome(kb, message, tracker)
    if outcome.status not in ("answered", "menu") and about_the_question:
        explanation = await explain(slot)
        if explanation:
            dispatcher.utter_message(text=explanation)
            return []
    if outcome.gap:
        await asyncio.to_thread(record_gap, outcome.searched, tracker.sender_id, outcome.gap, list(outcome.hits))
    for reply in outcome.replies:
        dispatcher.utter_message(text=reply.text, buttons=_inside_a_form([dict(b) for b in reply.buttons]))
    return context_events(outcome)


async def show_records(intent: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """我的报名 / 我的数据 / 我的申请 / 导出我的数据, read only, as outside the form."""
    from actions import my_records  # my_records builds on the forms: imported when needed

    views = {
        "my_records": my_records.ActionMyRecords,
        "my_data": my_records.ActionMyData,
        "check_application": my_records.ActionCheckApplication,
    }
    view = views.get(intent, my_records.ActionMyRecords)()
    said = CollectingDispatcher()
    try:
        if intent == "export_my_data":  # the file, as outside the form
            from actions.data_export import send_export

            await send_export(said, tracker.sender_id)
        else:
            await view.show(said, tracker)
    except Exception:
        logger.exception("%s inside a form failed", intent)
        said.messages.clear()
        said.utter_message(text=texts.TECHNICAL_PROBLEM)
    relay(said, dispatcher)


# ---------------------------------------------------------------- asking again


async def decorate_question(
    messages: list[dict[str, Any]], slot: str, aside: str | None, tracker: Tracker, *, confirmation: bool
) -> None:
    """After an aside, the question comes again with a way on and a way out.

    ``messages`` are what the question's ask action said (its last message is the
    question). A question typed in free text gets 继续填写 and the form's leave button;
    one with buttons of its own keeps them and gets the leave button if it has none (a
    final confirmation's "no" already is one). After 再试一次 (``retry``) the question is
    preceded by its explanation with an example.
    """
    if not aside or not messages:
        return
    question = messages[-1]
    text = str(question.get("text") or "")
    if aside == "retry":
        example = texts.EXPLANATIONS.get(slot)
        if example and slot == "worker_district":
            example = example.format(count=len(DISTRICTS))
        question["text"] = replies.lines([texts.FORM_RETRY.format(example=example) if example else "", text])
    else:
        question["text"] = replies.lines([texts.FORM_BACK.format(doing=await form_doing(tracker)), text])
    buttons = list(question.get("buttons") or [])
    form = tracker.active_loop_name
    if slot in digression.FREE_TEXT_SLOTS:
        buttons = [dict(texts.FORM_CONTINUE_BUTTON), leave_button(form), dict(texts.HUMAN_BUTTON)]
    elif not confirmation and not any(b.get("payload") == "/stop" for b in buttons):
        buttons.append(leave_button(form))
    question["buttons"] = buttons
