"""Retention (issue #17, item 6): conversations, tickets and delivered notifications older
than UH_RETENTION_DAYS are deleted by the scheduled task, which logs the counts; sign-ups
stay. On SQLite, and on PostgreSQL with ``make test-scale``."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.db import open_db
from common import settings as config
from common.clock import CHINA_TZ, FixedClock
from handoff import export_sender
from knowledge.gaps import list_gaps, record_gap
from rasa_ext.purge import export_conversation, tracker_url
from registry import export_worker_data, mark_notification_delivered, open_registry, queue_notification
from scripts.retention import run_forever, run_once
from tests.scale.postgres import BACKENDS, postgres_server, postgres_url, settings_for
from tests.scale.stores import add_events, fill

__all__ = ["postgres_server", "postgres_url"]


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> config.Settings:
    return settings_for(request, tmp_path, monkeypatch)


def test_old_conversations_tickets_and_notifications_go_sign_ups_stay(settings: config.Settings) -> None:
    old = FixedClock(datetime(2026, 1, 5, 10, 0, tzinfo=CHINA_TZ))
    fill(settings.registry_url, settings.handoff_url, tracker_url(settings), "tg-old", old)
    with open_registry(settings.registry_url) as db:
        note = queue_notification(db, "tg-old", "候补转正", clock=old)
        mark_notification_delivered(db, note, clock=old)
        waiting = queue_notification(db, "tg-old", "还没送到", clock=old)
    now = FixedClock(datetime(2026, 11, 16, 10, 0, tzinfo=CHINA_TZ))
    fill(settings.registry_url, settings.handoff_url, tracker_url(settings), "tg-new", now)
    add_events(tracker_url(settings), "tg-still-talking", [("user", "很久以前")], old.now())
    add_events(tracker_url(settings), "tg-still-talking", [("user", "今天又来了")], now.now())
    record_gap("很久以前没答上的问题", "tg-old", "no_hit", now=old.now())
    record_gap("今天没答上的问题", "tg-new", "no_hit", now=now.now())

    counts = run_once(settings, now.now())

    assert counts["gaps"] == 1 and [g.text for g in list_gaps()] == ["今天没答上的问题"]
    assert counts["conversation_events"] == 3  # tg-old's whole conversation; the others kept
    assert counts["handoff"]["tickets"] == 1 and counts["handoff"]["messages"] == 2
    assert counts["notifications"] == 1
    url = tracker_url(settings)
    assert export_conversation(url, "tg-old") == []
    assert len(export_conversation(url, "tg-still-talking")) == 2  # a conversation going on keeps its history
    assert len(export_conversation(url, "tg-new")) == 3
    with open_db(settings.handoff_url) as db:
        assert export_sender(db, "tg-old")["tickets"] == []
        assert len(export_sender(db, "tg-new")["tickets"]) == 1
    with open_registry(settings.registry_url) as db:
        data = export_worker_data(db, "tg-old")
        assert data["profile"] and len(data["enrollments"]) == 1  # the union's records stay
        assert [n["id"] for n in data["notifications"]] == [waiting]  # undelivered: kept
    assert run_once(settings, now.now())["conversation_events"] == 0  # nothing left to do


def test_zero_days_keeps_everything(settings: config.Settings) -> None:
    from dataclasses import replace

    assert run_once(replace(settings, retention_days=0), datetime.now(CHINA_TZ)) == {"kept": "UH_RETENTION_DAYS=0"}


async def test_the_scheduled_task_logs_a_count(settings: config.Settings, caplog: pytest.LogCaptureFixture) -> None:
    old = FixedClock(datetime(2026, 1, 5, 10, 0, tzinfo=CHINA_TZ))
    add_events(tracker_url(settings), "tg-old", [("user", "早就说过的话")], old.now())
    clock = FixedClock(datetime(2026, 11, 16, 10, 0, tzinfo=CHINA_TZ))
    stop = asyncio.Event()
    with caplog.at_level(logging.INFO, logger="scripts.retention"):
        task = asyncio.create_task(run_forever(settings, clock, stop))
        deadline = asyncio.get_running_loop().time() + 60
        while "Retention (older than 180 days)" not in caplog.text:
            assert asyncio.get_running_loop().time() < deadline, caplog.text
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 30)
    assert '"conversation_events": 1' in caplog.text
    assert export_conversation(tracker_url(settings), "tg-old") == []
    assert timedelta(hours=settings.retention_every_hours) == timedelta(hours=24)
