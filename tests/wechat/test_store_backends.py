"""The WeChat tables on both databases (SQLite, and PostgreSQL with ``-m scale``): a taken
message's lease — renewed, run out, taken over by exactly one retry — and 删除我的数据,
and the migration of a store taken before leases existed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from common.clock import FixedClock
from handoff import open_handoff
from tests.scale.postgres import BACKENDS, postgres_server, postgres_url, store_url_for
from wechat import store

__all__ = ["postgres_server", "postgres_url"]

LEASE = timedelta(seconds=8)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str:
    return store_url_for(request, "handoff.db")


def test_a_lease_is_renewed_runs_out_and_is_taken_over_once(store_url: str) -> None:
    clock = FixedClock.on(date(2026, 11, 16))
    a, b = store.open_db(store_url), store.open_db(store_url)
    try:
        assert store.take_message(a, "msg:1", "wx-o1", clock.now(), owner="A", lease=LEASE) is None
        clock.advance(seconds=6)
        assert store.take_message(b, "msg:1", "wx-o1", clock.now(), owner="B", lease=LEASE) == store.Seen(
            "running", None, owner="A"
        )
        assert store.renew_seen(a, "msg:1", "A", clock.now() + LEASE)  # A's heartbeat
        clock.advance(seconds=6)
        assert not store.take_message(b, "msg:1", "wx-o1", clock.now(), owner="B", lease=LEASE).mine  # type: ignore[union-attr]
        clock.advance(seconds=9)  # A stopped beating: its lease ran out
        taken = store.take_message(b, "msg:1", "wx-o1", clock.now(), owner="B", lease=LEASE)
        assert taken == store.Seen("running", None, mine=True, attempts=2)
        again = store.take_message(a, "msg:1", "wx-o1", clock.now(), owner="C", lease=LEASE)
        assert again is not None and not again.mine  # one taker at a time
        assert not store.renew_seen(a, "msg:1", "A", clock.now() + LEASE)  # A learns it lost it
        store.finish_seen(b, "msg:1", "passive", "<xml>B</xml>")
        store.finish_seen(a, "msg:1", "pushed")  # a late finish by the stalled first taker loses
        assert store.take_message(a, "msg:1", "wx-o1", clock.now(), owner="C", lease=LEASE) == store.Seen(
            "passive", "<xml>B</xml>", attempts=2
        )
        # a taker known to be gone is taken over before its lease runs out, once
        assert store.take_message(a, "msg:2", "wx-o1", clock.now(), owner="A", lease=LEASE) is None
        assert store.take_over(b, "msg:2", "A", "B", clock.now() + LEASE) == store.Seen(
            "running", None, mine=True, attempts=2
        )
        assert store.take_over(a, "msg:2", "A", "C", clock.now() + LEASE) is None
    finally:
        a.close()
        b.close()


def test_forgetting_a_worker_leaves_no_openid(store_url: str) -> None:
    clock = FixedClock.on(date(2026, 11, 16))
    db = store.open_db(store_url)
    try:
        for msg_id, sender in ((1001, "wx-oForget"), (1002, "wx-oKeep")):
            store.take_message(db, f"msg:{msg_id}", sender, clock.now(), owner="A", lease=LEASE)
            store.finish_seen(db, f"msg:{msg_id}", "passive", f"<xml>{sender}</xml>")
            store.take_message(db, f"evt:{sender[3:]}:1:subscribe", sender, clock.now())
            store.record_message(db, sender, clock.now())
            store.save_options(db, sender, [{"title": "是", "payload": "/affirm"}], clock.now())
        assert store.forget_sender(db, "wx-oForget") == {"seen": 2, "workers": 1, "options": 1}
        rows = db.query("SELECT key, sender_id, reply FROM wx_seen ORDER BY key")
        assert not [r for r in rows if "oForget" in f"{r['sender_id']}{r['reply']}{r['key']}"]
        assert store.take_message(db, "msg:1001", "wx-oForget", clock.now(), owner="B", lease=LEASE) == (
            store.Seen("pushed", None)
        )
        assert store.last_message_at(db, "wx-oKeep") is not None and store.load_options(db, "wx-oKeep")
        assert store.forget_sender(db, "wx-oNobody") == {"seen": 0, "workers": 0, "options": 0}
    finally:
        db.close()


def test_a_store_from_before_leases_is_migrated_and_its_stuck_turns_can_be_taken_over(store_url: str) -> None:
    clock = FixedClock.on(date(2026, 11, 16))
    db = open_handoff(store_url)
    try:
        store.MIGRATIONS.apply(db, stop_before="0002_turn_leases")
        db.execute(
            "INSERT INTO wx_seen (key, sender_id, state, created_at) VALUES ('msg:9', 'wx-o9', 'running', :at)",
            {"at": clock.now().isoformat()},
        )
    finally:
        db.close()
    store._MIGRATED.clear()
    migrated = store.open_db(store_url)
    try:
        clock.advance(minutes=1)
        taken = store.take_message(migrated, "msg:9", "wx-o9", clock.now(), owner="B", lease=LEASE)
        assert taken is not None and taken.mine  # answered by the next retry, not lost
    finally:
        migrated.close()
