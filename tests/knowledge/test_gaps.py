"""Unanswered questions: recording (privacy), grouping, CSV and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from pathlib import Path

from knowledge import Hit
from knowledge.cli import main
from knowledge.gaps import count_unanswered, group_gaps, list_gaps, mask_personal, record_gap, write_groups_csv

UTC = dt.timezone.utc


def hit(entry_id: str, score: float) -> Hit:
    return Hit(id=entry_id, kind="faq", title=entry_id, answer="", score=score, confident=False, source="测试")


def test_record_stores_text_time_nearest_and_an_opaque_conversation(data_dir: Path):
    db = data_dir / "gaps.db"
    when = dt.datetime(2026, 11, 20, 17, 30, tzinfo=UTC)  # 01:30 next day in Ningbo
    assert record_gap(
        "社保怎么交？",
        "tg-123456789",
        "low_score",
        [hit("faq_fees", 41.5), hit("faq_contact", 33.0)],
        db_path=db,
        now=when,
    )
    con = sqlite3.connect(db)
    row = con.execute("SELECT ts, day, text, norm, conversation, reason, nearest FROM gaps").fetchone()
    assert row[0] == "2026-11-20T17:30:00+00:00"
    assert row[1] == "2026-11-21"
    assert row[2] == "社保怎么交？" and row[3] == "社保怎么交"
    assert row[4] != "tg-123456789" and "123456789" not in row[4] and len(row[4]) == 16
    assert row[5] == "low_score"
    assert row[6] == '[{"id": "faq_fees", "score": 41.5}, {"id": "faq_contact", "score": 33.0}]'
    dump = "\n".join(con.iterdump())
    assert "tg-123456789" not in dump  # the raw id is stored nowhere


def test_same_conversation_same_hash_different_conversations_differ(data_dir: Path):
    db = data_dir / "gaps.db"
    for conv in ("tg-1", "tg-1", "tg-2"):
        record_gap("股票怎么买", conv, "no_hit", db_path=db)
    convs = [r.conversation for r in list_gaps(db_path=db)]
    assert convs[0] == convs[1] != convs[2]


def test_personal_numbers_are_masked():
    # the one policy of common.privacy, as in logs and transcripts
    assert (
        mask_personal("我的电话13812345678，身份证33020319900101123X")
        == "我的电话138****5678，身份证3302**********123X"
    )
    assert mask_personal("电话 138-1234-5678 找我") == "电话 138****5678 找我"
    assert mask_personal("身份证号330203199001011234") == "身份证号3302**********1234"
    assert mask_personal("座机0574-87654321") == "座机0574****4321"
    assert mask_personal("邮箱 a.b@example.com") == "邮箱 a***@example.com"
    assert mask_personal("PLC编程有30个名额吗") == "PLC编程有30个名额吗"


def test_masking_happens_before_storing(data_dir: Path):
    db = data_dir / "gaps.db"
    record_gap("我是13812345678，帮我查一下报名", "tg-9", "low_score", db_path=db)
    assert list_gaps(db_path=db)[0].text == "我是138****5678，帮我查一下报名"


def test_record_never_raises(tmp_path: Path):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x")
    assert record_gap("问题", "c", "no_hit", db_path=blocker / "gaps.db") is False
    assert record_gap("   ", "c", "no_hit", db_path=tmp_path / "gaps.db") is False


def test_grouping_similar_questions_most_frequent_first(data_dir: Path):
    db = data_dir / "gaps.db"
    rows = [
        ("汽修班什么时候开课", "tg-1"),
        ("汽修班什么时候开课？", "tg-2"),
        ("汽修班什么时候开课", "tg-3"),
        ("请问汽修班啥时候开课", "tg-4"),
        ("股票怎么买", "tg-1"),
        ("工资怎么算", "tg-5"),
        ("工资怎么算呢", "tg-5"),
    ]
    for i, (text, conv) in enumerate(rows):
        record_gap(
            text,
            conv,
            "low_score",
            [hit("jxgf_auto_repair", 60.0 + i)],
            db_path=db,
            now=dt.datetime(2026, 11, 1 + i, 3, 0, tzinfo=UTC),
        )
    groups = group_gaps(list_gaps(db_path=db))
    assert [(g.representative, g.count, g.people) for g in groups] == [
        ("汽修班什么时候开课", 4, 4),
        ("工资怎么算", 2, 1),
        ("股票怎么买", 1, 1),
    ]
    first = groups[0]
    assert first.other_texts == ["汽修班什么时候开课？", "请问汽修班啥时候开课"]
    assert (first.first_day, first.last_day) == ("2026-11-01", "2026-11-04")
    assert first.nearest_ids() == [("jxgf_auto_repair", 63.0)]


def test_since_filters_by_ningbo_date(data_dir: Path):
    db = data_dir / "gaps.db"
    record_gap("旧问题", "a", "no_hit", db_path=db, now=dt.datetime(2026, 10, 31, 15, 59, tzinfo=UTC))  # 23:59 Ningbo
    record_gap("新问题", "a", "no_hit", db_path=db, now=dt.datetime(2026, 10, 31, 16, 0, tzinfo=UTC))  # 00:00 Ningbo
    assert [r.text for r in list_gaps(since=dt.date(2026, 11, 1), db_path=db)] == ["新问题"]
    assert [r.text for r in list_gaps(db_path=db)] == ["旧问题", "新问题"]


def test_groups_csv_opens_in_excel(data_dir: Path, tmp_path: Path):
    db = data_dir / "gaps.db"
    record_gap(
        "汽修班什么时候开课",
        "a",
        "low_score",
        [hit("jxgf_auto_repair", 66.0)],
        db_path=db,
        now=dt.datetime(2026, 11, 2, tzinfo=UTC),
    )
    record_gap("汽修班啥时候开课", "b", "no_hit", db_path=db, now=dt.datetime(2026, 11, 3, tzinfo=UTC))
    out = tmp_path / "gaps.csv"
    write_groups_csv(group_gaps(list_gaps(db_path=db)), out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows == [
        ["次数", "提问人数", "代表问法", "其他问法", "最早日期", "最近日期", "原因", "最接近的条目"],
        # equally frequent wordings: the shorter one represents the group
        [
            "2",
            "2",
            "汽修班啥时候开课",
            "汽修班什么时候开课",
            "2026-11-02",
            "2026-11-03",
            "no_hit×1 | low_score×1",
            "jxgf_auto_repair(66)",
        ],
    ]


def test_cli_gaps(data_dir: Path, tmp_path: Path, capsys):
    db = data_dir / "gaps.db"  # UH_DATA_DIR points at data_dir
    for conv in ("a", "b", "c"):
        record_gap(
            "食堂几点开饭",
            conv,
            "low_score",
            [hit("faq_contact", 35.0)],
            db_path=db,
            now=dt.datetime(2026, 11, 5, tzinfo=UTC),
        )
    record_gap("十月的问题", "d", "no_hit", db_path=db, now=dt.datetime(2026, 10, 5, tzinfo=UTC))
    out_csv = tmp_path / "out.csv"
    assert main(["gaps", "--since", "2026-11-01", "--csv", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "2026-11-01 以来小助手答不上的问题共 3 次，归成 1 组（问得多的在前）：" in out
    assert "1. “食堂几点开饭” —— 3 次，3 人问过，最近 2026-11-05" in out
    assert "十月的问题" not in out
    assert out_csv.exists()


def test_cli_gaps_bad_date(capsys):
    import pytest

    with pytest.raises(SystemExit) as info:
        main(["gaps", "--since", "2026-13-01"])
    assert str(info.value) == "“2026-13-01”不是有效的日期，请写成 YYYY-MM-DD，例如 2026-11-01"


def test_cli_gaps_empty(capsys):
    assert main(["gaps"]) == 0
    assert capsys.readouterr().out.strip() == "全部记录中没有答不上的问题。"


def test_count_unanswered_by_day(data_dir: Path):
    db = data_dir / "gaps.db"
    assert count_unanswered("2026-11-16", db_path=db) is None
    day = dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Ningbo
    record_gap("股票怎么买", "tg-1", "no_hit", db_path=db, now=day)
    record_gap("天气怎么样", "tg-2", "no_hit", db_path=db, now=day - dt.timedelta(days=1))
    assert count_unanswered("2026-11-16", db_path=db) == (1, 2)
    assert count_unanswered("2026-11-17", db_path=db) == (0, 2)
