"""The console's read-only look at the conversations (rasa_ext/activity.py), on a tracker
store written by the store Rasa loads: workers and questions per Ningbo day, the questions
asked most with their numbers masked, and nothing created where there is no store."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from common.clock import CHINA_TZ
from rasa_ext.activity import export_conversation, period_activity
from rasa_ext.tracker_store import BoundedSQLTrackerStore

REPO = Path(__file__).resolve().parents[2]


def _at(day: int, hour: int) -> float:
    return datetime(2026, 11, day, hour, 0, tzinfo=CHINA_TZ).timestamp()


def _question(text: str, stamp: float, action: str = "action_answer_question") -> list:
    return [
        UserUttered(text, intent={"name": "ask_question", "confidence": 1.0}, timestamp=stamp),
        ActionExecuted(action, timestamp=stamp + 1),
        BotUttered("回答", timestamp=stamp + 2),
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=stamp + 3),
    ]


def test_workers_questions_and_top_questions_per_ningbo_day(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    store = BoundedSQLTrackerStore(domain=Domain.load(str(REPO / "domain")), dialect="sqlite", db=str(db))
    conversations = {
        # 00:30 Ningbo on the 16th is still the 15th in UTC: counted on the 16th.
        "tg-1": _question("劳模班学费谁出", _at(16, 0) + 1800) + _question("我的电话13812345678能报名吗", _at(16, 9)),
        "wx-2": _question("劳模班学费谁出", _at(16, 10))
        + _question("食堂几点开饭", _at(17, 10), "action_default_fallback"),
        "tg-3": [UserUttered("/greet", intent={"name": "greet"}, timestamp=_at(17, 11))],
    }
    for sender, events in conversations.items():
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    url = f"sqlite:///{db}"
    seen = period_activity(url, date(2026, 11, 16), date(2026, 11, 17))
    assert seen.days == {
        "2026-11-16": {"workers": 2, "messages": 3, "questions": 3},
        "2026-11-17": {"workers": 2, "messages": 2, "questions": 1},
    }
    assert seen.workers == 3
    assert seen.top_questions[0] == ("劳模班学费谁出", 2)
    assert ("我的电话138****5678能报名吗", 1) in seen.top_questions
    assert period_activity(url, date(2026, 11, 17), date(2026, 11, 17)).workers == 2
    said = export_conversation(url, "tg-1")
    assert [s["who"] for s in said] == ["worker", "bot", "worker", "bot"]


def test_no_store_no_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    assert period_activity(url, date(2026, 11, 1), date(2026, 11, 30)).days == {}
    assert export_conversation(url, "tg-1") == []
    assert not (tmp_path / "none.db").exists()
