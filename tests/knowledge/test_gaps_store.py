"""The gaps store on both databases (knowledge/gaps.py on common.database): SQLite by
default, the shared PostgreSQL with ``UH_DATABASE_URL`` (the ``postgresql`` parameter runs
under ``-m scale``); the same public functions the console and the operators' /stats call;
retention; 删除我的数据 leaves no text the worker typed; an old sqlite-utils gaps.db keeps
its rows."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from common import settings as config
from common.database import Database
from knowledge.gaps import (
    count_unanswered,
    forget_before,
    forget_conversation,
    gaps_url,
    group_gaps,
    handled_marks,
    list_gaps,
    mark_handled,
    record_gap,
    reopen,
)
from tests.scale.postgres import BACKENDS, postgres_server, postgres_url, settings_for

__all__ = ["postgres_server", "postgres_url"]

UTC = dt.timezone.utc
DAY = dt.datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # 10:00 in Ningbo


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> config.Settings:
    """The settings' store: ``gaps.db`` in the data dir, or the shared PostgreSQL."""
    return settings_for(request, tmp_path, monkeypatch)


def _rows(url: str, sql: str) -> list[dict]:
    with Database(url) as db:
        return db.query(sql)


def test_record_list_count_and_handled_on_the_configured_store(store: config.Settings) -> None:
    assert list_gaps() == [] and count_unanswered("2026-11-16") is None and handled_marks() == {}
    for conversation in ("tg-1", "tg-2", "tg-1"):
        assert record_gap("停车场在哪里？", conversation, "no_hit", now=DAY)
    assert record_gap("食堂几点开门", "tg-3", "low_score", now=DAY - dt.timedelta(days=1))
    # the console passes the settings' gaps.db path: it stands for the configured store
    rows = list_gaps(db_path=store.gaps_db)
    assert [r.text for r in rows] == ["食堂几点开门", "停车场在哪里？", "停车场在哪里？", "停车场在哪里？"]
    assert [r.text for r in list_gaps(since=dt.date(2026, 11, 16))] == ["停车场在哪里？"] * 3
    assert count_unanswered("2026-11-16", db_path=store.gaps_db) == (3, 4)
    (parking, canteen) = group_gaps(rows)
    assert (parking.count, parking.people, canteen.count) == (3, 2, 1)
    assert mark_handled(parking.norms, by="staff1", note="已写FAQ", now=DAY) == 1
    assert mark_handled(parking.norms, by="staff2", now=DAY) == 1  # again: the newer mark wins
    assert handled_marks()[parking.norms[0]].by == "staff2"
    assert group_gaps(list_gaps(), handled=handled_marks())[0].status == "handled"
    assert reopen(parking.norms) == 1 and handled_marks() == {}
    if store.uses_postgres:
        assert gaps_url() == store.database_url and not store.gaps_db.exists()
        assert len(_rows(store.database_url or "", "SELECT text FROM gaps")) == 4


def test_deleting_my_data_leaves_no_text_the_worker_typed(store: config.Settings) -> None:
    record_gap("我叫张三，手机13812345678，社保怎么转", "tg-me", "no_hit", now=DAY)
    record_gap("张三的社保问题又来了", "tg-me", "no_hit", now=DAY)
    record_gap("社保怎么转", "tg-other", "no_hit", now=DAY)
    mine = [g for g in group_gaps(list_gaps()) if "张三" in g.representative]
    mark_handled([n for g in mine for n in g.norms], by="staff1", now=DAY)
    mark_handled([g.norms for g in group_gaps(list_gaps()) if "张三" not in g.representative][0], by="s", now=DAY)
    assert forget_conversation("tg-me") == 2
    assert [r.text for r in list_gaps()] == ["社保怎么转"]  # somebody else's question stays
    url = gaps_url()
    dump = repr(_rows(url, "SELECT * FROM gaps")) + repr(_rows(url, "SELECT * FROM gaps_handled"))
    assert "张三" not in dump and "5678" not in dump and "社保怎么转" in dump
    assert forget_conversation("tg-me") == 0 and forget_conversation("tg-never-asked") == 0


def test_retention_forgets_old_questions_only(store: config.Settings) -> None:
    record_gap("去年的问题", "tg-1", "no_hit", now=DAY - dt.timedelta(days=200))
    record_gap("今天的问题", "tg-1", "no_hit", now=DAY)
    mark_handled([list_gaps()[0].norm], by="staff1", now=DAY)
    assert forget_before(DAY - dt.timedelta(days=180)) == 1
    assert [r.text for r in list_gaps()] == ["今天的问题"] and handled_marks() == {}
    assert forget_before(DAY - dt.timedelta(days=180)) == 0


def test_reading_a_store_never_creates_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("UH_DATABASE_URL", raising=False)
    assert list_gaps() == [] and handled_marks() == {} and count_unanswered("2026-11-16") is None
    assert forget_before(DAY) == 0 and forget_conversation("tg-1") == 0 and reopen(["x"]) == 0
    assert not (tmp_path / "gaps.db").exists()


def test_an_old_sqlite_utils_gaps_db_keeps_its_questions_and_marks(tmp_path: Path) -> None:
    old = tmp_path / "gaps.db"
    con = sqlite3.connect(old)
    con.executescript(
        """
        CREATE TABLE gaps (id INTEGER PRIMARY KEY, ts TEXT, day TEXT, text TEXT, norm TEXT,
                           conversation TEXT, reason TEXT, nearest TEXT);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE handled (norm TEXT PRIMARY KEY, at TEXT, by TEXT, note TEXT);
        INSERT INTO meta VALUES ('salt', '00112233445566778899aabbccddeeff');
        INSERT INTO gaps VALUES (1, '2026-11-01T02:00:00+00:00', '2026-11-01', '旧问题', '旧问题',
                                 'abc', 'no_hit', '[]');
        INSERT INTO handled VALUES ('旧问题', '2026-11-02T00:00:00+00:00', 'staff1', '');
        """
    )
    con.commit()
    con.close()
    assert [r.text for r in list_gaps(db_path=old)] == ["旧问题"]
    assert handled_marks(db_path=old)["旧问题"].by == "staff1"
    # the same key as before: the same worker is still counted once
    record_gap("新问题", "tg-1", "no_hit", db_path=old, now=DAY)
    record_gap("新问题", "tg-1", "no_hit", db_path=old, now=DAY)
    assert group_gaps(list_gaps(db_path=old))[0].people == 1
    with sqlite3.connect(old) as check:
        tables = {row[0] for row in check.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"gaps", "gaps_meta", "gaps_handled"} <= tables and not {"meta", "handled"} & tables
