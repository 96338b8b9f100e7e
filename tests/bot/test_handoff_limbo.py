"""A hand-off never leaves a worker in limbo (issue #17, item 4).

Found with a Bot API whose ``getChat`` answer could not be parsed: the ticket row was kept
and the worker was told "您正在与工作人员对话" while the operators had no ticket. Now any
failure between asking for a person and the ticket being in the operators' chat — of any
exception type — leaves the ticket *pending*: the worker is told and stays with the bot,
the cause is logged, and posting is retried once the operators' chat is back.
"""

from __future__ import annotations

import logging

import pytest

from bot import tickets
from bot.app import services_of
from common import texts
from tests.bot.bot_test_ids import OPS_CHAT, WORKER_ID
from tests.bot.helpers import worker_round_trip

W = WORKER_ID
SENDER = f"tg-{W}"

#: Ways the operators' chat can refuse a ticket, each raising a different kind of error.
FAILURES = {
    "header answer cannot be parsed": lambda tg: tg.garble_next(1, methods="sendMessage", chat_id=OPS_CHAT),
    "topic answer cannot be parsed": lambda tg: tg.garble_next(1, methods="createForumTopic"),
    # one send with all its retries (send_retries=4): 5 answers
    "Telegram keeps failing": lambda tg: tg.fail_next(5, 502, methods="sendMessage", chat_id=OPS_CHAT),
    "bot removed from the group": lambda tg: tg.fail_next(1, 403, methods="sendMessage", chat_id=OPS_CHAT),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
async def test_a_ticket_that_cannot_be_posted_leaves_the_worker_with_the_bot(
    tg, rasa, app, worker, clock, caplog, failure
):
    FAILURES[failure](tg)
    with caplog.at_level(logging.ERROR, logger="bot.handoff"):
        tg.user_text(worker, "/human")
        await tg.wait_for(lambda: texts.HANDOFF_DEFERRED in tg.texts_to(W), timeout=30)
    # told the truth: nobody has it yet; never "您正在与工作人员对话"
    assert texts.HANDOFF_STAFFED not in tg.texts_to(W)
    assert "Could not post ticket #1" in caplog.text  # the cause is in the log
    svc = services_of(app)
    ticket = tickets.live_for_user(svc.db, W)
    assert ticket is not None and ticket.is_pending and tickets.open_for_user(svc.db, W) is None
    assert rasa.events_for(SENDER) == []  # not paused
    # still with the bot: the next message is answered by Rasa, not relayed
    await worker_round_trip(tg, worker, "那我先问问别的")
    # the operators' chat is back: the next attempt posts it, and the worker hears it
    clock.advance(seconds=30)
    await svc.notifications.poll_once()
    await tg.wait_for(lambda: texts.HANDOFF_READY_LATER in tg.texts_to(W), timeout=30)
    assert [m for m in tg.sent_to(OPS_CHAT) if "工单 #1" in m.get("text", "")]
    assert tickets.open_for_user(svc.db, W) is not None
    assert rasa.events_for(SENDER) == ["pause"]


async def test_the_worker_can_withdraw_a_request_that_waits(tg, rasa, app, worker, clock):
    tg.fail_next(20, 502, methods="sendMessage", chat_id=OPS_CHAT)
    tg.user_text(worker, "/human")
    await tg.wait_for(lambda: texts.HANDOFF_DEFERRED in tg.texts_to(W), timeout=30)
    tg.user_text(worker, "/human")  # asking again: still waiting, not a second ticket
    await tg.wait_for(lambda: texts.HANDOFF_DEFERRED_ALREADY in tg.texts_to(W), timeout=30)
    tg.user_text(worker, "/cancel")
    await tg.wait_for(lambda: texts.HANDOFF_REQUEST_WITHDRAWN in tg.texts_to(W), timeout=30)
    clock.advance(minutes=10)
    assert await services_of(app).notifications.poll_once() == 0
    assert tickets.live_for_user(services_of(app).db, W) is None
    assert not [m for m in tg.sent_to(OPS_CHAT) if "工单 #1" in m.get("text", "")]


async def test_a_request_that_cannot_be_posted_for_hours_is_given_up_and_said(tg, rasa, app, worker, clock):
    tg.fail_next(10_000, 502, methods="sendMessage", chat_id=OPS_CHAT)
    tg.user_text(worker, "/human")
    await tg.wait_for(lambda: texts.HANDOFF_DEFERRED in tg.texts_to(W), timeout=30)
    clock.advance(hours=5)
    await services_of(app).notifications.poll_once()
    await tg.wait_for(lambda: texts.HANDOFF_GAVE_UP in tg.texts_to(W), timeout=30)
    assert tickets.live_for_user(services_of(app).db, W) is None
    assert rasa.events_for(SENDER) == []


async def test_an_unparsable_get_chat_still_posts_the_ticket(tg, rasa, app, worker):
    """The bug of the issue: getChat's answer cannot be parsed. Whether the group is a forum
    is then unknown: the ticket goes in as a header message, and the worker is with a person."""
    tg.garble_next(1, methods="getChat")
    tg.user_text(worker, "/human")
    await tg.wait_for(lambda: texts.HANDOFF_STAFFED in tg.texts_to(W), timeout=30)
    header = [m for m in tg.sent_to(OPS_CHAT) if "工单 #1" in m.get("text", "")][0]
    assert texts.TICKET_HOWTO_REPLY in header["text"]
    assert tickets.open_for_user(services_of(app).db, W) is not None
