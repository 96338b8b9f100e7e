"""The staff command line, run as ``python -m registry`` in a subprocess."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from registry import (
    create_application,
    enroll,
    get_application,
    join_reading_team,
    open_registry,
    save_worker,
)
from tests.registry.helpers import run_cli

BOM = b"\xef\xbb\xbf"
CERTIFICATE = "106471202405001234"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """UH_DATA_DIR with a course (2 seats, 1 waiting) and two applications."""
    directory = tmp_path / "data"
    db = open_registry(directory / "registry.db")
    save_worker(
        db,
        "tg-1",
        name="张三",
        phone="13812345678",
        employer="宁波甬江机械有限公司",
        district="海曙",
        union_member=True,
    )
    save_worker(db, "tg-2", name="李四", phone="13987654321", employer='=HYPERLINK("x")', district="北仑")
    save_worker(db, "tg-3", name="王五", phone="13711112222", district="余姚")
    for sender in ("tg-1", "tg-2", "tg-3"):
        enroll(db, sender, "jxgf_plc", "PLC编程入门", 2)
    enroll(db, "tg-1", "hg_basic", "焊工基础", None)
    form = dict(school="宁波大学", programme="机械工程", graduation_date="2024年6月")
    create_application(db, "tg-1", name="张三", phone="13812345678", certificate_no=CERTIFICATE, **form)
    create_application(db, "tg-2", name="李四", phone="13987654321", certificate_no="ZJ2024000002", **form)
    join_reading_team(db, "tg-1", "district:海曙区")
    db.close()
    return directory


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(BOM), f"{path.name} has no UTF-8 BOM"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_help_is_chinese(data_dir: Path) -> None:
    result = run_cli(data_dir, "--help")
    assert result.returncode == 0
    assert "报名名单" in result.stdout and "补贴申请" in result.stdout


def test_courses(data_dir: Path) -> None:
    result = run_cli(data_dir, "courses")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "课程编号" in lines[0] and "已报名" in lines[0]
    plc = next(line.split() for line in lines if line.startswith("jxgf_plc"))
    assert plc == ["jxgf_plc", "PLC编程入门", "2", "2", "1", "0"]
    assert any(line.split()[:3] == ["hg_basic", "焊工基础", "不限"] for line in lines)


def test_roster_masks_on_screen_and_exports_full_csv(data_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "roster.csv"
    result = run_cli(data_dir, "roster", "jxgf_plc", "--csv", str(target))
    assert result.returncode == 0, result.stderr
    assert "张三" in result.stdout and "138****5678" in result.stdout
    assert "13812345678" not in result.stdout + result.stderr
    table = read_csv(target)
    assert table[0][:4] == ["序号", "报名号", "姓名", "手机号"]
    assert [row[2] for row in table[1:]] == ["张三", "李四"]
    assert table[1][3] == "13812345678"  # staff need the full number
    assert table[1][4:7] == ["宁波甬江机械有限公司", "海曙区", "是"]
    assert table[2][4] == '\'=HYPERLINK("x")'  # no formula injection into Excel


def test_waitlist(data_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "waitlist.csv"
    result = run_cli(data_dir, "waitlist", "jxgf_plc", "--csv", str(target))
    assert result.returncode == 0, result.stderr
    assert "1 人" in result.stdout and "王五" in result.stdout
    table = read_csv(target)
    assert table[0][0] == "候补顺序"
    assert [(row[0], row[2], row[3]) for row in table[1:]] == [("1", "王五", "13711112222")]


def test_unknown_course(data_dir: Path) -> None:
    result = run_cli(data_dir, "roster", "no_such_course")
    assert result.returncode == 1
    assert "没有找到课程" in result.stderr and "jxgf_plc" in result.stderr


def test_applications_listing_and_csv(data_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "apps.csv"
    result = run_cli(data_dir, "applications", "--status", "pending", "--csv", str(target))
    assert result.returncode == 0, result.stderr
    assert "审核中" in result.stdout and "2 份" in result.stdout
    assert CERTIFICATE not in result.stdout and "1064**********1234" in result.stdout
    table = read_csv(target)
    assert table[0][:3] == ["申请号", "状态", "姓名"]
    assert table[1][1:4] == ["审核中", "张三", "13812345678"]
    assert table[1][7] == f'="{CERTIFICATE}"'  # Excel keeps all 18 digits
    assert table[2][7] == "ZJ2024000002"


def test_approve_and_reject_reach_the_worker(data_dir: Path) -> None:
    approve = run_cli(data_dir, "approve", "bt2026-1", "--note", "材料齐全，补贴将于下月发放")
    assert approve.returncode == 0, approve.stderr
    assert "审核中 → 已通过" in approve.stdout and "138****5678" in approve.stdout
    reject = run_cli(data_dir, "reject", "BT2026-000002", "--note", "证书编号与学信网不符")
    assert reject.returncode == 0, reject.stderr

    db = open_registry(data_dir / "registry.db")
    first = get_application(db, "tg-1", "BT2026-000001")
    second = get_application(db, "tg-2", "BT2026-000002")
    db.close()
    assert (first.status, first.staff_note) == ("approved", "材料齐全，补贴将于下月发放")
    assert (second.status_label, second.staff_note) == ("未通过", "证书编号与学信网不符")

    listing = run_cli(data_dir, "applications", "--status", "pending")
    assert "0 份" in listing.stdout


def test_reject_needs_a_note_and_unknown_numbers_fail(data_dir: Path) -> None:
    assert run_cli(data_dir, "reject", "BT2026-000001").returncode == 2
    assert run_cli(data_dir, "reject", "BT2026-000001", "--note", "  ").returncode == 2
    missing = run_cli(data_dir, "approve", "BT2026-999999")
    assert missing.returncode == 1 and "没有找到申请" in missing.stderr


def test_export_writes_every_file_with_bom(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = run_cli(data_dir, "export", str(out))
    assert result.returncode == 0, result.stderr
    names = {p.name for p in out.iterdir()}
    assert names == {
        "courses.csv",
        "roster_jxgf_plc.csv",
        "waitlist_jxgf_plc.csv",
        "roster_hg_basic.csv",
        "waitlist_hg_basic.csv",
        "applications.csv",
        "reading_teams.csv",
    }
    for path in out.iterdir():
        read_csv(path)
    assert [row[2] for row in read_csv(out / "roster_jxgf_plc.csv")[1:]] == ["张三", "李四"]
    assert read_csv(out / "waitlist_jxgf_plc.csv")[1][2] == "王五"
    assert len(read_csv(out / "applications.csv")) == 3
    assert read_csv(out / "reading_teams.csv")[1] == ["district:海曙区", "海曙区职工读书会", "1"]
    assert "13812345678" not in result.stdout + result.stderr


def test_stats_and_teams(data_dir: Path) -> None:
    stats = run_cli(data_dir, "stats")
    assert stats.returncode == 0 and "报名总次数" in stats.stdout
    teams = run_cli(data_dir, "teams")
    assert "海曙区职工读书会" in teams.stdout


def test_empty_database(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "empty", "courses")
    assert result.returncode == 0 and "还没有任何课程报名" in result.stdout
    assert (tmp_path / "empty" / "registry.db").exists()
