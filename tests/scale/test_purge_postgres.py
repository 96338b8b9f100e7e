"""删除我的数据 on PostgreSQL with two replicas: the sign-up happens on both, the deletion
on one, and no row of the conversation with the worker's phone number is left in the
shared tracker database (rasa_ext/purge.py). Run with ``make test-scale``."""

from __future__ import annotations

import uuid

import pytest

from registry import get_worker, open_registry
from tests.scale.turns import stored_events
from tests.support import RestChat, buttons

pytestmark = pytest.mark.scale

PHONE = "13812349911"


def text(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def press(chat: RestChat, replies: list[dict], title: str) -> list[dict]:
    for button in buttons(replies):
        if title in button["title"]:
            return chat.send(button["payload"], timeout=60)
    raise AssertionError(f"no button {title!r} in {buttons(replies)}")


def test_deleting_my_data_purges_the_conversation_from_postgres(cluster) -> None:
    sender = f"purge-{uuid.uuid4().hex[:10]}"
    on_a = RestChat(cluster.a.rasa_url, sender)
    on_b = RestChat(cluster.b.rasa_url, sender)
    assert "姓名" in text(on_a.send("我想报名PLC编程", timeout=60))
    assert "手机号" in text(on_b.send("钱八", timeout=60))
    assert "单位" in text(on_a.send(PHONE, timeout=60))
    replies = press(on_b, on_b.send("宁波永发机械有限公司", timeout=60), "北仑区")
    replies = press(on_a, replies, "是")
    assert "报名成功" in text(press(on_b, replies, "确认报名"))

    connection = cluster.services.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM events WHERE data LIKE %s", (f"%{PHONE}%",))
            assert cursor.fetchone()[0] > 0

        replies = on_a.send("删除我的数据", timeout=60)
        assert "确认删除" in text(replies)
        assert "对话内容也一并删除了" in text(press(on_b, replies, "确认删除"))

        connection.rollback()  # a fresh snapshot
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM events WHERE data LIKE %s", (f"%{PHONE}%",))
            assert cursor.fetchone()[0] == 0
        events = stored_events(connection, sender)
        assert [e["event"] for e in events] == ["action", "session_started", "action", "bot"]
        assert "已删除" in events[-1]["text"]
    finally:
        connection.close()
    registry = open_registry(cluster.database_url)
    try:
        assert get_worker(registry, sender) is None
    finally:
        registry.close()
    # the conversation goes on, on either replica
    assert "还没有报名" in text(on_a.send("我的报名", timeout=60))
