"""删除我的数据 reaches the front ends' own rows: the purge the Rasa server's tracker store
runs (``rasa_ext.purge.purge_conversation``) deletes, beside the conversation and the
hand-off tickets, the ``wx_*`` rows (the openid's 48-hour window, the messages taken with
their stored passive replies, the numbered options) and the ``tg_*`` rows (buttons,
activity counts, where the worker's tickets were posted in the operators' chat) — and
nothing of another worker."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

import handoff
from bot import buttons as tg_buttons
from bot import tickets as tg_tickets
from bot.db import open_db as open_telegram
from common.clock import FixedClock
from common.database import Database
from rasa_ext import purge
from rasa_ext.tracker_store import BoundedSQLTrackerStore
from tests.rasa_ext.test_purge import delete_turn, save_events, sign_up_turns
from tests.support import TODAY
from wechat import store

WX = "wx-oUH_forget_me_0000000000001"
WX_OTHER = "wx-oUH_keep_me_00000000000002"
TG = "tg-4242"
TG_OTHER = "tg-7777"
CLOCK = FixedClock.on(__import__("datetime").date.fromisoformat(TODAY[:10]))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("UH_DATABASE_URL", raising=False)
    return tmp_path


def ticket_for(db: Database, sender: str) -> int:
    now = CLOCK.now()
    ticket = handoff.request_ticket(
        db, sender_id=sender, display_name="x", reason="request_human", staffed=True, now=now
    )
    handoff.mark_posted(db, ticket.id, now, transcript="👤 我的手机号 138****5678")
    return ticket.id


def fill_wechat(db: Database, sender: str, msg_id: int) -> int:
    now = CLOCK.now()
    store.take_message(db, f"msg:{msg_id}", sender, now, owner="wx-a", lease=timedelta(seconds=8))
    store.finish_seen(db, f"msg:{msg_id}", "passive", f"<xml><ToUserName>{sender[3:]}</ToUserName>…</xml>")
    store.take_message(db, f"evt:{sender[3:]}:1763258400:subscribe", sender, now)
    store.record_message(db, sender, now)
    store.save_options(db, sender, [{"title": "是", "payload": "/affirm"}], now)
    ticket = ticket_for(db, sender)
    assert tg_tickets.claim_mirror(db, ticket, now)  # a WeChat ticket shown in the operators' group
    assert tg_tickets.advance_mirror(db, ticket, 0, 3)
    return ticket


def fill_telegram(db: Database, sender: str) -> int:
    now = CLOCK.now()
    user = tg_tickets.user_for(sender)
    assert user is not None
    tg_buttons.make_keyboard(db, user, [{"title": "课程", "payload": "/ask_course_list"}], now)
    tg_tickets.record_activity(db, user, now)
    ticket = ticket_for(db, sender)
    tg_tickets.record_post(db, ticket, -100, 55, 900 + user % 100, now)
    tg_tickets.remember_message(db, ticket, -100, 1000 + user % 100, "relay", now)
    return ticket


def count(db: Database, table: str, where: str = "", params: dict | None = None) -> int:
    return int(db.scalar(f"SELECT COUNT(*) FROM {table}" + (f" WHERE {where}" if where else ""), params or {}))


async def purge_through_the_tracker_store(data_dir: Path, sender: str) -> None:
    """What the Rasa server does when action_submit_delete sets the purge slot."""
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))
    tracker_store = BoundedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(data_dir / "tracker.db"))
    await save_events(tracker_store, domain, sender, sign_up_turns())
    await save_events(tracker_store, domain, sender, delete_turn())
    events = [e for e in (await tracker_store.retrieve(sender)).events if e.type_name == "user"]  # type: ignore[union-attr]
    assert events == []  # the purge ran (only the fresh session is left)


async def test_deleting_my_data_removes_the_wechat_and_telegram_rows(data_dir: Path) -> None:
    db = store.open_db(data_dir / "handoff.db")
    open_telegram(data_dir / "handoff.db").close()  # the Telegram tables beside them
    try:
        fill_wechat(db, WX, 9_300_000_001)
        kept_wx = fill_wechat(db, WX_OTHER, 9_300_000_002)
        fill_telegram(db, TG)
        kept_tg = fill_telegram(db, TG_OTHER)

        await purge_through_the_tracker_store(data_dir, WX)
        await purge_through_the_tracker_store(data_dir, TG)

        openid = WX[3:]
        for table in ("wx_seen", "wx_workers", "wx_options"):
            assert count(db, table, "sender_id = :s", {"s": WX}) == 0, table
        assert count(db, "wx_seen", "key LIKE :k OR reply LIKE :k", {"k": f"%{openid}%"}) == 0
        # the anonymous key of the message that asked stays, so WeChat's retry runs no turn
        retry = store.take_message(db, "msg:9300000001", WX, CLOCK.now(), owner="wx-b", lease=timedelta(seconds=8))
        assert retry == store.Seen("pushed", None)
        assert count(db, "tg_buttons", "user_id = 4242") == 0
        assert count(db, "tg_activity") == 1  # TG_OTHER's day
        assert count(db, "tg_ticket_posts") == 2 and count(db, "tg_message_map") == 1  # the others' tickets
        assert {int(r["ticket_id"]) for r in db.query("SELECT ticket_id FROM tg_ticket_posts")} == {kept_wx, kept_tg}
        assert count(db, "tg_meta", "key LIKE 'mirror:%'") == 1
        assert handoff.open_ticket_of(db, WX) is None and handoff.open_ticket_of(db, TG) is None

        # the other workers keep everything
        for table in ("wx_seen", "wx_workers", "wx_options"):
            assert count(db, table, "sender_id = :s", {"s": WX_OTHER}) >= 1, table
        assert count(db, "tg_buttons", "user_id = 7777") == 1
        assert handoff.open_ticket_of(db, WX_OTHER) is not None
    finally:
        db.close()


def test_a_store_without_front_end_tables_has_nothing_to_forget(data_dir: Path) -> None:
    handoff.open_handoff(data_dir / "handoff.db").close()  # no WeChat or Telegram front end ever ran
    assert purge.forget_channels(WX) == {
        "wx_seen": 0,
        "wx_workers": 0,
        "wx_options": 0,
        "tg_buttons": 0,
        "tg_activity": 0,
        "tg_mappings": 0,
    }
    with handoff.handoff_store(data_dir / "handoff.db") as db:
        assert not db.has_table("wx_seen") and not db.has_table("tg_buttons")  # and creates none
