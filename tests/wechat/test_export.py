"""导出我的数据 on WeChat: an Official Account cannot send a file, so the file the action
builds (``actions.data_export``: the ``document`` payload Telegram sends as a file) reaches
the worker as text — every record with its Chinese labels, within WeChat's limits, and the
way to the full file — instead of a text promising a file that never comes."""

from __future__ import annotations

import json
from typing import Any

from actions.data_export import labelled, summary
from common import texts
from wechat import render

PHONE = "13812340001"


def exported(enrollments: int = 1, notifications: int = 0) -> dict[str, Any]:
    """What ``actions.data_export.collect`` returns for a worker (the stores' field names)."""
    return {
        "title": texts.EXPORT_TITLE,
        "about": texts.EXPORT_INTRO,
        "conversation_id": "wx-oUH1",
        "exported_at": "2026-11-16T10:00:00+08:00",
        "registry": {
            "profile": {"sender_id": "wx-oUH1", "name": "张三", "phone": PHONE, "union_member": True},
            "enrollments": [
                {"enrollment_no": f"KC20261116{n:04d}", "course_name": "工业机器人", "status": "enrolled"}
                for n in range(enrollments)
            ],
            "reading_teams": [],
            "subsidy_applications": [],
            "notifications": [
                {"kind": "promoted", "text": "您已从候补转为正式报名。" * 3} for _ in range(notifications)
            ],
        },
        "handoff": {"tickets": [], "messages_to_you": []},
        "conversation": [{"who": "worker", "text": "你好"}, {"who": "bot", "text": "您好"}],
    }


def replies_for(data: dict[str, Any]) -> list[dict[str, Any]]:
    """What the REST channel returns for action_export_my_data."""
    document = {"filename": "x.json", "mime_type": "application/json", "content": json.dumps(labelled(data))}
    return [{"text": texts.EXPORT_SENT.format(summary=summary(data))}, {"custom": {"document": document}}]


def test_the_export_comes_as_text_with_every_record_and_no_promise_of_a_file() -> None:
    parts = render.render(replies_for(exported())).parts()
    joined = "\n".join(parts)
    assert "整理成文件发给您" not in joined  # no file comes on WeChat
    assert "不能发送文件" in joined and "报名 1 条" in joined  # why, and the action's counts
    assert f"手机号：{PHONE}" in joined and "姓名：张三" in joined and "是否工会会员：是" in joined
    assert "· 报名号：KC202611160000" in joined and "课程名称：工业机器人" in joined and "状态：已报名" in joined
    assert "【与小助手的对话】共 2 条" in joined
    assert "会话号" not in joined and "wx-oUH1" not in joined  # the internal id says nothing to them
    assert texts.WX_EXPORT_FOOTER in parts[-1]
    assert all(render.fits(part) for part in parts)


def test_a_long_export_stays_within_a_few_messages_and_says_where_the_rest_is() -> None:
    parts = render.render(replies_for(exported(enrollments=120, notifications=60))).parts()
    assert len(parts) <= render.MAX_DOCUMENT_PARTS
    assert all(render.fits(part) for part in parts)
    assert texts.WX_EXPORT_CUT in parts[-1] and "转人工" in parts[-1]


def test_a_broken_document_is_an_apology_not_a_crash() -> None:
    parts = render.render([{"custom": {"document": {"filename": "x.json", "content": "{not json"}}}]).parts()
    assert parts == [texts.EXPORT_FAILED]
