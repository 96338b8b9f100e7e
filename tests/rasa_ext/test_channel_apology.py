"""The REST channel's apology when Rasa produced no reply must not tell a worker whose
sign-up may have been saved that it failed (the action server can finish an enrollment
while Rasa's call to it fails or times out)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rasa_ext.channels import APOLOGY, HUMAN_BUTTON, RestInput


def request_without_agent() -> SimpleNamespace:
    return SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=None)))


@pytest.mark.parametrize("failed", [True, False], ids=["timed-out-or-raised", "no-reply"])
async def test_the_apology_says_the_sign_up_may_be_saved_and_how_to_check(failed: bool) -> None:
    replies = await RestInput().fallback_replies(request_without_agent(), "tg-1", "确认报名", failed)
    assert replies == [{"recipient_id": "tg-1", "text": APOLOGY, "buttons": [HUMAN_BUTTON]}]
    text = replies[0]["text"]
    assert "如果您刚才在报名或申请，可能已经办好了" in text
    assert "发“我的报名”查看" in text
    assert "失败" not in text and "没有办成" not in text


def test_the_load_script_still_recognises_the_apology() -> None:
    from scripts.load import APOLOGY_MARK

    assert APOLOGY_MARK in APOLOGY


def test_the_telegram_front_end_says_the_same() -> None:
    from bot import texts

    for text in (texts.RASA_DOWN, texts.ERROR_APOLOGY, texts.LOCAL_RASA_DOWN):
        assert "如果您刚才在报名或申请，可能已经办好了，请先发“我的报名”查看" in text
        assert "失败" not in text
