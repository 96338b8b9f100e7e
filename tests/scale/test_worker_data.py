"""导出我的数据 (PIPL's right of access) and 删除我的数据 across every store: the staff
command writes one file with everything held about the worker; the purge the Rasa server
runs on deletion also removes their hand-off transcripts and outbox entries."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bot.db import open_db
from common import settings as config
from common.clock import CHINA_TZ, FixedClock
from handoff import export_sender
from rasa_ext.purge import forget_handoff, tracker_url
from scripts.worker_data import collect
from tests.scale.postgres import BACKENDS, postgres_server, postgres_url, settings_for
from tests.scale.stores import CERTIFICATE, PHONE, fill
from tests.support import REPO

__all__ = ["postgres_server", "postgres_url"]

CLOCK = FixedClock(datetime(2026, 11, 16, 10, 0, tzinfo=CHINA_TZ))


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> config.Settings:
    return settings_for(request, tmp_path, monkeypatch)


def test_the_export_holds_everything_about_the_worker(settings: config.Settings) -> None:
    filled = fill(settings.registry_url, settings.handoff_url, tracker_url(settings), "tg-1", CLOCK)
    fill(settings.registry_url, settings.handoff_url, tracker_url(settings), "tg-2", CLOCK)
    data = collect(settings, "tg-1")
    assert data["registry"]["profile"]["phone"] == PHONE  # unmasked: it is the worker's own
    assert [e["enrollment_no"] for e in data["registry"]["enrollments"]] == [filled.enrollment_no]
    assert data["registry"]["subsidy_applications"][0]["certificate_no"] == CERTIFICATE
    (ticket,) = data["handoff"]["tickets"]
    assert ticket["id"] == filled.ticket_id and [m["direction"] for m in ticket["messages"]] == [
        "from_worker",
        "to_worker",
    ]
    assert [m["text"] for m in data["conversation"]] == ["我想报名PLC", "请问您的姓名？", PHONE]
    assert "个人信息保护法" in data["about"]
    assert "tg-2" not in json.dumps(data, ensure_ascii=False)


def test_the_staff_command_writes_the_file(settings: config.Settings, tmp_path: Path) -> None:
    fill(settings.registry_url, settings.handoff_url, tracker_url(settings), "tg-1", CLOCK)
    out = tmp_path / "导出" / "tg-1.json"
    env = {"UH_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(REPO)}
    if settings.database_url:
        env["UH_DATABASE_URL"] = settings.database_url
    result = subprocess.run(
        [sys.executable, "-m", "scripts.worker_data", "export", "tg-1", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "报名 1 条" in result.stdout and "转人工 1 次" in result.stdout
    written = json.loads(out.read_text(encoding="utf-8"))  # the worker's file: Chinese labels
    assert written["报名登记"]["登记信息"]["姓名"] == "钱八"
    assert written["与小助手的对话"][0]["说话人"] == "您"


def test_deleting_my_data_removes_the_hand_off_transcripts_and_outbox(settings: config.Settings) -> None:
    fill(settings.registry_url, settings.handoff_url, tracker_url(settings), "tg-1", CLOCK)
    fill(settings.registry_url, settings.handoff_url, tracker_url(settings), "tg-2", CLOCK)
    assert forget_handoff("tg-1") == {"tickets": 1, "messages": 2, "outbox": 2}  # what the purge calls
    with open_db(settings.handoff_url) as db:
        assert export_sender(db, "tg-1") == {"tickets": [], "messages_to_you": []}
        assert len(export_sender(db, "tg-2")["tickets"]) == 1
        for table in ("handoff_tickets", "handoff_messages", "handoff_outbox"):
            assert PHONE[-4:] not in json.dumps([r for r in db[table].rows if "tg-1" in json.dumps(r)])
