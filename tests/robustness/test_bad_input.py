"""Bad input through the REST channel with the real model and action server: the bot
answers, nothing crashes, nothing is lost. Plus names full of SQL and markup (registry and
reply level), forged button payloads, and malformed knowledge files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.formatting import to_html
from rasa_ext.channels import MAX_MESSAGE_CHARS
from registry import InvalidInput, get_enrollments, get_worker, normalize_name, open_registry, save_worker
from scripts.stack import REPO, Stack
from tests.bot.fake_bot_api import html_to_text
from tests.support import RestChat, copy_knowledge

QUESTION = "劳模先进班的学费谁出"


def new_sender(prefix: str = "bad") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def webhook(stack: Stack) -> str:
    return f"{stack.rasa_url}/webhooks/rest/webhook"


def post_raw(stack: Stack, body: bytes, content_type: str = "application/json") -> httpx.Response:
    return httpx.post(webhook(stack), content=body, headers={"Content-Type": content_type}, timeout=60)


def tracker(stack: Stack, sender: str) -> dict:
    response = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.token}, timeout=30)
    response.raise_for_status()
    return response.json()


def user_texts(stack: Stack, sender: str) -> list[str]:
    return [e.get("text") for e in tracker(stack, sender)["events"] if e["event"] == "user"]


def assert_answered(replies: list[dict]) -> None:
    assert isinstance(replies, list) and replies, "silence"
    assert all(r.get("text") or r.get("custom") or r.get("buttons") for r in replies), replies


def assert_still_works(stack: Stack, sender: str) -> None:
    """The conversation goes on: leave whatever the odd message started (a sign-up form
    may take it as the start of an application), then a question is answered."""
    chat = RestChat(stack.rasa_url, sender)
    assert_answered(chat.send("/stop"))
    reply = chat.say(QUESTION)
    assert "全额" in reply and "依据" in reply, reply


# ------------------------------------------------------------------ odd messages


ODD_MESSAGES = {
    "empty": "",
    "whitespace": " \n\t\u3000 ",
    "emoji": "😀🎉👍🏻🇨🇳",
    "10k ascii": "x" * 10_000,
    "10k chinese": "请问补贴怎么申请" * 1250,
    "control characters": "补贴\x00\x01\x07\x1b[31m申请\x7f\x85条件",
    "bidi and zero-width": "\u202e补贴\u200b\u200d申请\ufeff",
    "sql": "'; DROP TABLE events; -- 补贴",
    "markup": "<b>补贴</b> *申请* [点我](https://example.com) `code`",
}


@pytest.mark.slow
@pytest.mark.parametrize("message", list(ODD_MESSAGES.values()), ids=list(ODD_MESSAGES))
def test_odd_messages_are_answered_and_kept(private_stack: Stack, message: str) -> None:
    sender = new_sender()
    response = httpx.post(webhook(private_stack), json={"sender": sender, "message": message}, timeout=120)
    assert response.status_code == 200, response.text
    assert_answered(response.json())
    assert_still_works(private_stack, sender)
    texts = user_texts(private_stack, sender)
    assert len(texts) == 3 and texts[2] == QUESTION, texts  # nothing lost
    # a pasted essay is cut before the NLU, so it cannot stall the server for everyone
    assert len(texts[0]) <= MAX_MESSAGE_CHARS


@pytest.mark.slow
def test_a_long_message_is_cut_not_dropped(private_stack: Stack) -> None:
    sender = new_sender("long")
    message = "我想问一下学历提升补贴。" + "很长的说明。" * 5000
    response = httpx.post(webhook(private_stack), json={"sender": sender, "message": message}, timeout=120)
    assert response.status_code == 200
    event = [e for e in tracker(private_stack, sender)["events"] if e["event"] == "user"][0]
    assert message.startswith(event["text"]) and 500 <= len(event["text"]) <= 1000
    assert event["metadata"]["truncated_from"] == len(message)


# ------------------------------------------------------------------ raw bytes


@pytest.mark.slow
def test_invalid_utf8_is_answered_with_replacement_characters(private_stack: Stack) -> None:
    sender = new_sender("bytes")
    body = b'{"sender": "' + sender.encode() + b'", "message": "\xff\xfe\xc3( \xe8\xa1\xa5\xe8\xb4\xb4 \xed\xa0\x80"}'
    response = post_raw(private_stack, body)
    assert response.status_code == 200, response.text
    assert_answered(response.json())
    (text,) = user_texts(private_stack, sender)
    assert "补贴" in text and "\ufffd" in text
    assert_still_works(private_stack, sender)


@pytest.mark.slow
def test_a_lone_surrogate_escape_is_answered(private_stack: Stack) -> None:
    sender = new_sender("surrogate")
    body = json.dumps({"sender": sender, "message": "补贴\ud800申请"}).encode()  # "\\ud800" escape
    response = post_raw(private_stack, body)
    assert response.status_code == 200, response.text
    assert_answered(response.json())
    assert user_texts(private_stack, sender) == ["补贴申请"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b"",
        b"[1, 2, 3]",
        b'"just a string"',
        b'{"message": "no sender"}',
        b'{"sender": "", "message": "empty sender"}',
        b'{"sender": {"id": 1}, "message": "object sender"}',
        json.dumps({"sender": "s" * 300, "message": "long sender"}).encode(),
        b'{"sender": "truncated", "message": "\xe8\xa1',
    ],
    ids=[
        "text",
        "empty",
        "array",
        "string",
        "no-sender",
        "empty-sender",
        "object-sender",
        "long-sender",
        "truncated-json",
    ],
)
def test_unusable_requests_get_a_clear_400(private_stack: Stack, body: bytes) -> None:
    response = post_raw(private_stack, body)
    assert response.status_code == 400, response.text
    assert response.json()["message"]
    # and the server is fine afterwards
    assert_still_works(private_stack, new_sender("after-400"))


@pytest.mark.slow
@pytest.mark.parametrize("message", [12345, None, {"text": "补贴"}, ["补贴"], True])
def test_a_message_that_is_not_a_string_is_answered(private_stack: Stack, message: object) -> None:
    response = httpx.post(webhook(private_stack), json={"sender": new_sender("types"), "message": message}, timeout=60)
    assert response.status_code == 200, response.text
    assert_answered(response.json())


@pytest.mark.slow
def test_a_form_encoded_body_is_refused(private_stack: Stack) -> None:
    response = post_raw(private_stack, b"sender=x&message=hi", "application/x-www-form-urlencoded")
    assert response.status_code == 400


# ------------------------------------------------------------------ forged payloads


@pytest.mark.slow
@pytest.mark.parametrize(
    "payload",
    [
        '/ask_general{"kb_id":"../../etc"}',
        '/ask_general{"kb_id":"../../../../etc/passwd"}',
        "/ask_general{\"kb_id\":\"faq_x' OR '1'='1\"}",
        '/ask_general{"kb_id":{"$ne":null}}',
        '/ask_general{"kb_id":',
    ],
)
def test_forged_knowledge_buttons_answer_nothing_they_should_not(private_stack: Stack, payload: str) -> None:
    sender = new_sender("forged")
    replies = RestChat(private_stack.rasa_url, sender).send(payload)
    assert_answered(replies)
    text = "\n".join(r.get("text") or "" for r in replies)
    assert "root:" not in text and "依据" not in text, text
    assert tracker(private_stack, sender)["slots"]["kb_id"] is None
    assert_still_works(private_stack, sender)


@pytest.mark.slow
@pytest.mark.parametrize("payload", ["/drop_tables", "/restart_everything{}", "/nlu_fallback"])
def test_unknown_intents_in_payloads_are_answered(private_stack: Stack, payload: str) -> None:
    sender = new_sender("unknown")
    replies = RestChat(private_stack.rasa_url, sender).send(payload)
    assert_answered(replies)
    assert_still_works(private_stack, sender)


def custom_slots(domain: dict) -> dict[str, object]:
    """Slots filled only by our actions (every mapping is ``custom``), with their initial value."""
    found = {}
    for name, slot in (domain.get("slots") or {}).items():
        mappings = slot.get("mappings") or []
        if mappings and all(m.get("type") == "custom" for m in mappings):
            found[name] = slot.get("initial_value")
    return found


@pytest.mark.slow
def test_typed_entities_cannot_set_slots_with_custom_mappings(private_stack: Stack) -> None:
    domain = httpx.get(
        f"{private_stack.rasa_url}/domain",
        params={"token": private_stack.token},
        headers={"Accept": "application/json"},
        timeout=30,
    ).json()
    slots = custom_slots(domain)
    assert "unanswered_streak" in slots, slots
    sender = new_sender("slots")
    chat = RestChat(private_stack.rasa_url, sender)
    forged = {name: 5 if name == "unanswered_streak" else "forged" for name in slots}
    for intent in ("inform", "ask_general", "greet"):
        assert_answered(chat.send(f"/{intent}{json.dumps(forged, ensure_ascii=False)}"))
        state = tracker(private_stack, sender)["slots"]
        changed = {n: state.get(n) for n in slots if state.get(n) not in (slots[n], None, 0, 0.0)}
        assert not changed, f"/{intent} set {changed}"
    # the hand-off after two unanswered questions was not brought forward by the forged streak
    replies = chat.send("夜班津贴怎么算")
    assert not any("handoff" in (r.get("custom") or {}) for r in replies), replies


@pytest.mark.slow
def test_a_typed_enrollment_payload_for_an_unknown_course_enrolls_nobody(private_stack: Stack) -> None:
    sender = new_sender("enroll")
    chat = RestChat(private_stack.rasa_url, sender)
    for payload in (
        '/enroll_course{"course":"x"}',
        '/enroll_course{"course":"../../x","course_id":"x"}',
        '/enroll_course{"course_id":"jxgf_plc","enroll_confirmed":true}',
    ):
        assert_answered(chat.send(payload))
    registry = private_stack.data / "registry.db"
    if registry.exists():
        with open_registry(registry) as db:
            assert get_enrollments(db, sender, include_cancelled=True) == []
    assert_still_works(private_stack, sender)


# ------------------------------------------------------------------ names with SQL and markup


PROFILE = {"phone": "13812345678", "district": "海曙区", "union_member": True}
NAMES = [
    "O'Brien",
    "Robert'); DROP TABLE workers;--",
    "<b>张三</b>",
    "*张三*",
    "_张三_",
    "张三<script>",
    "[张三](https://example.com)",
    "阿依古丽·买买提",
    "Li Ming",
]
EMPLOYERS = [
    "宁波'; DROP TABLE workers;-- 有限公司",
    "<b>宁波</b><script>alert(1)</script>机械公司",
    '宁波 & 舟山 <港口> "集团"',
    "宁波`code`_斜体_公司",
]
# Markdown that bot.formatting.to_html renders: shown as bold text or a link, not verbatim.
MARKDOWN_EMPLOYERS = ["宁波**永发**机械有限公司", "[宁波市总工会](https://phishing.example) 公司"]


def test_names_with_sql_and_markup_are_stored_verbatim_or_refused(tmp_path: Path) -> None:
    with open_registry(tmp_path / "registry.db") as db:
        for index, name in enumerate(NAMES):
            sender = f"tg-{index}"
            try:
                expected = normalize_name(name)
            except InvalidInput as exc:
                assert exc.message and any("\u4e00" <= ch <= "\u9fff" for ch in exc.message)
                with pytest.raises(InvalidInput):
                    save_worker(db, sender, name=name, **PROFILE)
                assert get_worker(db, sender) is None
                continue
            saved = save_worker(db, sender, name=name, **PROFILE)
            assert saved.name == expected == get_worker(db, sender).name
        for index, employer in enumerate(EMPLOYERS + MARKDOWN_EMPLOYERS):
            sender = f"tg-e{index}"
            saved = save_worker(db, sender, name="张三", employer=employer, **PROFILE)
            assert get_worker(db, sender).employer == employer  # byte for byte
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"workers", "enrollments", "applications"} <= tables


async def _my_data_reply(tmp_path: Path, monkeypatch, employer: str) -> str:
    from actions import my_records

    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path))
    with open_registry(tmp_path / "registry.db") as db:
        save_worker(db, "tg-markup", name="张三", employer=employer, **PROFILE)
    tracker = Tracker(
        "tg-markup",
        {},
        {"text": "我的数据", "intent": {"name": "my_data"}, "entities": []},
        [],
        False,
        None,
        {},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()
    await my_records.ActionMyData().run(dispatcher, tracker, {})
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def _as_telegram_shows_it(text: str) -> str:
    return html_to_text(to_html(text))


@pytest.mark.parametrize("employer", EMPLOYERS)
async def test_a_name_with_sql_or_html_is_shown_verbatim(tmp_path: Path, monkeypatch, employer: str) -> None:
    reply = await _my_data_reply(tmp_path, monkeypatch, employer)
    assert employer in reply
    assert "13812345678" not in reply and "138****5678" in reply
    assert employer in _as_telegram_shows_it(reply)


@pytest.mark.parametrize("employer", MARKDOWN_EMPLOYERS)
async def test_a_name_with_markdown_is_shown_verbatim(tmp_path: Path, monkeypatch, employer: str) -> None:
    reply = await _my_data_reply(tmp_path, monkeypatch, employer)
    assert employer in _as_telegram_shows_it(reply)


# ------------------------------------------------------------------ malformed knowledge files


MALFORMED = {
    "yaml syntax": ("faq.yml", lambda text: text + "\n- id: [broken\n"),
    "not utf-8": ("sports.yml", lambda text: None),
    "not a list": ("reading.yml", lambda text: "标题: 读书活动\n内容: 这不是条目列表\n"),
    "missing answer": (
        "faq.yml",
        lambda text: text + "\n- id: faq_robust\n  title: 测试\n  questions: [测试]\n  source: 测试\n",
    ),
    "duplicate id": ("faq.yml", lambda text: text + "\n" + text[text.index("- id:") :]),
    "wrong type": ("courses.yml", lambda text: text.replace("capacity: 30", "capacity: 三十", 1)),
}


def _break(directory: Path, name: str, change) -> None:
    path = directory / name
    new = change(path.read_text(encoding="utf-8"))
    if new is None:
        path.write_bytes(b"\xff\xfe\x00garbage \xc3(\n- id: x\n")
    else:
        path.write_text(new, encoding="utf-8")


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_the_validator_explains_malformed_knowledge_in_chinese(tmp_path: Path, case: str) -> None:
    directory = copy_knowledge(tmp_path / "knowledge")
    _break(directory, *MALFORMED[case])
    result = subprocess.run(
        [sys.executable, "-m", "knowledge", "validate"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "UH_KNOWLEDGE_DIR": str(directory), "UH_DATA_DIR": str(tmp_path / "var")},
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "[错误]" in output and MALFORMED[case][0] in output, output
    assert "Traceback" not in output


KNOWN_ANSWERS = ((QUESTION, "全额"), ("读书团队是干嘛的", "每月"), ("职工书屋示范点有几家", "78"))
#: What the action server logs when it refuses an edit of the knowledge files (knowledge.kb).
REFUSED = "知识库文件有错误"


def refusal_naming(log: Path, offset: int, names: set[str]) -> bool:
    """The action server's log, after ``offset``, refuses an edit naming every file of ``names``."""
    text = log.read_bytes()[offset:].decode("utf-8", errors="replace")
    return any(all(name in block for name in names) for block in text.split(REFUSED)[1:])


@pytest.mark.slow
def test_the_bot_keeps_serving_the_last_good_knowledge(private_stack: Stack) -> None:
    knowledge_dir: Path = private_stack.knowledge_dir  # type: ignore[attr-defined]  # set by stack_on_free_ports
    originals = {p.name: p.read_bytes() for p in knowledge_dir.glob("*.yml")}
    chat = RestChat(private_stack.rasa_url, new_sender("kb"))
    log = private_stack.log_dir / "actions.log"
    offset = log.stat().st_size
    broken = {name for name, _ in MALFORMED.values()}
    try:
        for name, change in MALFORMED.values():
            _break(knowledge_dir, name, change)
        # Every question makes the knowledge base look at the files (at most once a
        # second): ask until it has looked at the broken ones and refused them.
        deadline = time.monotonic() + 120
        while not refusal_naming(log, offset, broken):
            assert time.monotonic() < deadline, f"no refusal of {sorted(broken)} in {log}"
            assert "全额" in chat.say(QUESTION)
            time.sleep(0.2)
        for question, fact in KNOWN_ANSWERS:
            reply = chat.say(question)
            assert fact in reply, f"{question!r} → {reply!r}"
    finally:
        for name, data in originals.items():
            (knowledge_dir / name).write_bytes(data)
    assert "全额" in chat.say(QUESTION)
