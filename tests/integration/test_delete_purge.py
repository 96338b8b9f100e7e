"""删除我的数据 forgets what the worker typed, end to end: the trained model, the action
server deleting the registry rows, and the Rasa server's tracker store (rasa_ext/purge.py)
deleting the conversation from tracker.db."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest

from registry import get_worker, open_registry
from tests.support import RestChat, buttons

pytestmark = pytest.mark.slow

PHONE = "13812347788"


def press(chat: RestChat, replies: list[dict], title: str) -> list[dict]:
    for button in buttons(replies):
        if title in button["title"]:
            return chat.send(button["payload"], timeout=60)
    raise AssertionError(f"no button {title!r} in {buttons(replies)}")


def text(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def tracker_rows(db: Path, needle: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT sender_id, type_name, data FROM events WHERE data LIKE ? OR sender_id LIKE ?",
            (f"%{needle}%", f"%{needle}%"),
        ).fetchall()
    finally:
        con.close()


def test_deleting_my_data_removes_the_conversation_from_the_tracker_store(rasa_stack) -> None:
    chat = RestChat(rasa_stack.rasa_url, f"purge-{uuid.uuid4().hex[:10]}")
    tracker_db = rasa_stack.data / "tracker.db"

    # a worker signs up, typing their phone number (and mentioning it once more)
    assert "姓名" in text(chat.send("我想报名PLC编程", timeout=60))
    assert "手机号" in text(chat.send("李四", timeout=60))
    assert "单位" in text(chat.send(PHONE, timeout=60))
    replies = chat.send("宁波永发机械有限公司", timeout=60)
    replies = press(chat, replies, "北仑区")
    replies = press(chat, replies, "是")
    assert "确认报名「PLC编程」吗" in text(replies)
    assert "报名成功" in text(press(chat, replies, "确认报名"))
    chat.send(f"开课前打我电话{PHONE}可以吗", timeout=60)
    registry = open_registry(rasa_stack.data / "registry.db")
    try:
        assert get_worker(registry, chat.sender_id).phone == PHONE
        assert tracker_rows(tracker_db, PHONE), "the phone number should be in the conversation before"

        # 删除我的数据 → confirm
        replies = chat.send("删除我的数据", timeout=60)
        assert "确认删除您的全部个人数据吗" in text(replies)
        replies = press(chat, replies, "确认删除")
        assert "已删除" in text(replies) and "对话内容也一并删除了" in text(replies)

        # the registry forgot the worker ...
        assert get_worker(registry, chat.sender_id) is None
        for table in ("workers", "enrollments", "applications"):
            assert registry.query(f"SELECT * FROM {table} WHERE sender_id = :s", {"s": chat.sender_id}) == []
        assert not [r for r in registry["workers"].rows if PHONE in str(r)]
    finally:
        registry.close()
    # ... and so did the tracker store: no row holds the number, not even in free pages
    assert tracker_rows(tracker_db, PHONE) == []
    for path in (tracker_db, tracker_db.with_name(tracker_db.name + "-wal")):
        if path.exists():
            assert PHONE.encode() not in path.read_bytes(), path
    events = httpx.get(
        f"{rasa_stack.rasa_url}/conversations/{chat.sender_id}/tracker",
        params={"token": rasa_stack.token, "include_events": "ALL"},
        timeout=30,
    ).json()["events"]
    assert [e["event"] for e in events] == ["action", "session_started", "action", "bot"]
    assert "已删除" in events[-1]["text"]

    # the conversation goes on from the fresh session
    assert "还没有报名" in text(chat.send("我的报名", timeout=60))
