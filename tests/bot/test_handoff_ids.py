"""Real Telegram user ids have 9-10 digits: the ticket still names the worker's conversation."""

from __future__ import annotations

from common import texts
from tests.bot.bot_test_ids import OPS_CHAT

REAL_ID = 5123456789  # what user ids look like today (more digits than a phone-number mask allows)


async def test_ticket_header_shows_the_sender_id_but_masks_phone_numbers(tg, rasa, app):
    worker = tg.make_user(REAL_ID, "张", "13812345678")  # a phone number in the display name
    tg.user_text(worker, "我的电话是13987654321")
    await tg.wait_for(lambda: tg.texts_to(REAL_ID))
    tg.user_text(worker, "/human")
    await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(REAL_ID))
    header = next(t for t in tg.texts_to(OPS_CHAT) if t.startswith("🆕 工单 #1"))
    assert f"（tg-{REAL_ID}）" in header
    assert "13812345678" not in header and "13987654321" not in header
    assert "用户：张 138****5678（" in header and "我的电话是139****4321" in header
