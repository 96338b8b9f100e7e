"""Filling every store with a little of everything, for the retention, backup and export
tests (importable as ``tests.scale.stores``): through the owners' functions, except Rasa's
tracker, whose events are written the way Rasa's SQLTrackerStore writes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from bot.db import open_db
from common.clock import FixedClock
from handoff import add_operator_reply, add_worker_message, close_ticket, mark_posted, request_ticket
from registry import create_application, enroll, open_registry, save_worker

PHONE = "13812348888"
CERTIFICATE = "106471202405009999"


def add_events(url: str, sender_id: str, texts: list[tuple[str, str]], at: datetime) -> None:
    """User/bot events of a conversation in Rasa's ``events`` table (created as Rasa does)."""
    from rasa.core.tracker_store import SQLTrackerStore

    engine = sa.create_engine(url, future=True, poolclass=sa.pool.NullPool)
    try:
        SQLTrackerStore.Base.metadata.create_all(engine)
        with engine.begin() as conn:
            for offset, (kind, text) in enumerate(texts):
                stamp = at.timestamp() + offset
                conn.execute(
                    sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, :t, :ts, :d)"),
                    {
                        "s": sender_id,
                        "t": kind,
                        "ts": stamp,
                        "d": json.dumps({"event": kind, "text": text, "timestamp": stamp}),
                    },
                )
    finally:
        engine.dispose()


@dataclass
class Filled:
    enrollment_no: str
    application_no: str
    ticket_id: int


def fill(registry_url: str, handoff_url: str, tracker_url: str, sender: str, clock: FixedClock) -> Filled:
    """A worker with a sign-up, an application, a closed hand-off and a conversation."""
    with open_registry(registry_url) as db:
        save_worker(
            db, sender, name="钱八", phone=PHONE, employer="宁波备份测试有限公司", district="海曙区", clock=clock
        )
        number = enroll(db, sender, "jxgf_plc", "PLC编程入门", capacity=30, clock=clock).number
        application = create_application(
            db,
            sender,
            name="钱八",
            phone=PHONE,
            school="宁波大学",
            programme="会计学",
            graduation_date="2024-06",
            certificate_no=CERTIFICATE,
            clock=clock,
        ).number
    with open_db(handoff_url) as db:  # the hand-off store with the front end's tables
        ticket = request_ticket(
            db, sender_id=sender, display_name="钱 八", reason="request_human", staffed=True, now=clock.now()
        )
        ticket = mark_posted(db, ticket.id, clock.now(), transcript="👤 我想问补贴")
        add_worker_message(db, ticket.id, f"我的手机{PHONE}", now=clock.now())
        add_operator_reply(db, ticket, "您好，请讲", author="operator:1", now=clock.now())
        close_ticket(db, ticket.id, closed_by="operator:1", now=clock.now(), notice="已结束人工服务")
    add_events(tracker_url, sender, [("user", "我想报名PLC"), ("bot", "请问您的姓名？"), ("user", PHONE)], clock.now())
    assert number and application
    return Filled(number, application, ticket.id)
