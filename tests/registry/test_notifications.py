"""The notifications outbox: promoted waiting-list workers are told, in the same
transaction as the promotion."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from registry import (
    cancel_enrollment,
    delete_worker_data,
    enroll,
    mark_notification_delivered,
    open_registry,
    pending_notifications,
    queue_notification,
)
from tests.registry.helpers import refuse_commits, register


def test_queue_list_and_mark_delivered(db: Database) -> None:
    first = queue_notification(db, "tg-1", "你好")
    second = queue_notification(db, "tg-2", "第二条", kind="promotion", ref="BM2026-000001")
    assert [n.id for n in pending_notifications(db)] == [first, second]
    assert [n.id for n in pending_notifications(db, sender_id="tg-2")] == [second]
    assert mark_notification_delivered(db, first) is True
    assert mark_notification_delivered(db, first) is False  # once
    assert mark_notification_delivered(db, 999) is False
    (left,) = pending_notifications(db)
    assert (left.sender_id, left.kind, left.ref, left.text) == ("tg-2", "promotion", "BM2026-000001", "第二条")
    assert db["notifications"].get(first)["delivered_at"]


@pytest.mark.parametrize(("sender", "text"), [("", "x"), ("tg-1", " ")])
def test_queue_needs_a_sender_and_a_text(db: Database, sender: str, text: str) -> None:
    with pytest.raises(ValueError):
        queue_notification(db, sender, text)


def test_a_promotion_queues_a_message_for_the_promoted_worker(db: Database) -> None:
    register(db, "a", "b")
    seat = enroll(db, "a", "c1", "PLC编程", capacity=1).number
    waiting = enroll(db, "b", "c1", "PLC编程", capacity=1).number
    assert pending_notifications(db) == []
    cancel_enrollment(db, "a", seat)
    (note,) = pending_notifications(db)
    assert (note.sender_id, note.kind, note.ref) == ("b", "promotion", waiting)
    assert "PLC编程" in note.text and waiting in note.text


def test_a_raised_capacity_tells_everyone_promoted(db: Database) -> None:
    register(db, "a", "b", "c")
    for sender in "abc":
        enroll(db, sender, "c1", "课程", capacity=1)
    register(db, "d")
    enroll(db, "d", "c1", "课程", capacity=3)  # b and c get seats first
    assert sorted(n.sender_id for n in pending_notifications(db)) == ["b", "c"]


def test_the_message_rolls_back_with_the_promotion(db: Database, db_path: Path) -> None:
    register(db, "a", "b")
    seat = enroll(db, "a", "c1", "课程", capacity=1).number
    enroll(db, "b", "c1", "课程", capacity=1)
    broken = open_registry(db_path)  # the promotion and its message written, then the COMMIT fails
    refuse_commits(broken)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            cancel_enrollment(broken, "a", seat)
    finally:
        broken.close()
    assert pending_notifications(db) == []
    assert [r["status"] for r in db["enrollments"].rows] == ["enrolled", "waitlisted"]


def test_deleting_data_tells_the_promoted_and_drops_own_messages(db: Database) -> None:
    register(db, "a", "b")
    queue_notification(db, "a", "给a的旧消息")
    enroll(db, "a", "c1", "课程", capacity=1)
    waiting = enroll(db, "b", "c1", "课程", capacity=1).number
    delete_worker_data(db, "a")
    assert [(n.sender_id, n.ref) for n in pending_notifications(db)] == [("b", waiting)]
    assert db.execute("SELECT COUNT(*) FROM notifications WHERE sender_id = 'a'").fetchone() == (0,)
