"""Waiting-list promotions reach the promoted worker through the real front end.

The front end runs with the production poll interval on a registry of its own, written with
the registry's own functions (what the enrollment actions call): worker A takes the last
seat, B waits, A cancels. The answer afterwards comes from the real Rasa and action server.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import running, services_of
from registry import (
    cancel_enrollment,
    enroll,
    pending_notifications,
    registry,
    save_worker,
)
from tests.bot_e2e.conftest import new_user_id
from tests.bot_e2e.helpers import WAIT, sender, with_keyboard

pytestmark = pytest.mark.slow


async def test_a_promoted_worker_is_told_once_and_can_go_on_chatting(
    tg, config, make_app, worker, rasa_stack, rasa_api, tmp_path
):
    W = worker["id"]
    leaving = f"tg-{new_user_id()}"
    course = f"e2e_course_{W}"
    # A registry of its own: a made-up course with enrollments in the servers' registry.db
    # would (rightly) make the knowledge validator refuse every later staff edit.
    config = replace(config, data_dir=tmp_path / "own-registry")
    db_path = config.registry_db_path
    with registry(db_path) as db:
        save_worker(db, leaving, name="王五", phone="13800000001", employer="宁波测试有限公司", district="海曙区")
        save_worker(
            db, sender(worker), name="张三", phone="13800000002", employer="宁波测试有限公司", district="鄞州区"
        )
        seat = enroll(db, leaving, course, "PLC编程（端到端测试）", capacity=1)
        waiting = enroll(db, sender(worker), course, "PLC编程（端到端测试）", capacity=1)
        assert (seat.status, waiting.status) == ("enrolled", "waitlisted")

    app = make_app(config)
    delivery = services_of(app).notifications
    async with running(app):
        assert await delivery.poll_once() == 0  # nothing to tell yet
        assert not tg.sent_to(W)
        with registry(db_path) as db:  # another worker cancels (the action server would)
            cancel_enrollment(db, leaving, seat.enrollment.enrollment_no)
        message = (await tg.wait_for(lambda: tg.sent_to(W), timeout=WAIT))[0]
        assert "候补的「PLC编程（端到端测试）」有名额了，已自动转为正式报名" in message["text"]
        assert waiting.enrollment.enrollment_no in message["text"]

        def still_pending() -> list:
            with registry(db_path) as db:
                return pending_notifications(db, sender_id=sender(worker))

        await tg.wait_for(lambda: not still_pending())  # marked delivered after the send
        assert await delivery.poll_once() == 0 and not delivery.in_flight  # so never sent again
        assert len(tg.sent_to(W)) == 1

        tg.user_text(worker, "PLC编程在哪学")  # and the bot answers as usual
        await tg.wait_for(lambda: with_keyboard(tg, W), timeout=WAIT)
    assert rasa_api.user_texts(sender(worker)) == ["PLC编程在哪学"]
