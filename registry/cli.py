"""Staff command line: ``python -m registry <命令>``.

Rosters, waiting lists and subsidy applications on screen (phones masked) and as CSV
files in UTF-8 with BOM, so Excel shows the Chinese correctly (phones in full: staff
call the workers). Approve or reject applications with a note the worker will see.
"""

from __future__ import annotations

import argparse
import csv
import logging
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from common.privacy import install_redaction, mask_phone
from registry.applications import (
    list_applications,
    set_application_status,
)
from registry.counters import get_stats
from registry.database import Database, open_registry, registry_url
from registry.enrollments import course_summaries, get_course_summary, roster, waitlist
from registry.models import (
    APPLICATION_STATUS_LABELS,
    Application,
    RosterEntry,
)
from registry.teams import list_teams

__all__ = ["main"]

ROSTER_HEADER = ["序号", "报名号", "姓名", "手机号", "工作单位", "所在区县", "工会会员", "报名时间", "获得名额时间"]
WAITLIST_HEADER = ["候补顺序", "报名号", "姓名", "手机号", "工作单位", "所在区县", "工会会员", "报名时间"]
APPLICATION_HEADER = [
    "申请号",
    "状态",
    "姓名",
    "手机号",
    "毕业学校",
    "专业",
    "毕业时间",
    "证书编号",
    "劳模/先进",
    "审核意见",
    "提交时间",
    "审核时间",
]
STATUS_CHOICES = {"pending": "审核中", "approved": "已通过", "rejected": "未通过", "cancelled": "已撤回"}


# ---------------------------------------------------------------- formatting helpers


def _time(stamp: str | None) -> str:
    """``2026-03-01T10:05:00+08:00`` → ``2026-03-01 10:05``."""
    return stamp[:16].replace("T", " ") if stamp else ""


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _print_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    table = [[str(cell) for cell in header]] + [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [max(_width(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip())


def _excel_cell(value: object) -> str:
    """Text Excel keeps as typed: no formulas from ``=+-@``; long digit strings (18-digit
    certificate numbers) as ``="…"`` so they are not turned into 1.06E+17."""
    text = "" if value is None else str(value)
    if re.fullmatch(r"\d{12,}", text):
        return f'="{text}"'
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_excel_cell(cell) for cell in row])
            count += 1
    return count


def _roster_row(index: int, entry: RosterEntry, full_phone: bool) -> list[object]:
    e = entry.enrollment
    phone = entry.phone if full_phone else mask_phone(entry.phone or "")
    return [
        index,
        e.enrollment_no,
        entry.name or "（已删除）",
        phone,
        entry.employer,
        entry.district,
        _yes_no(entry.union_member),
        _time(e.created_at),
        _time(e.enrolled_at),
    ]


def _waitlist_row(entry: RosterEntry, full_phone: bool) -> list[object]:
    e = entry.enrollment
    phone = entry.phone if full_phone else mask_phone(entry.phone or "")
    return [
        e.waitlist_position,
        e.enrollment_no,
        entry.name or "（已删除）",
        phone,
        entry.employer,
        entry.district,
        _yes_no(entry.union_member),
        _time(e.created_at),
    ]


def _application_row(a: Application, full: bool) -> list[object]:
    return [
        a.application_no,
        a.status_label,
        a.name or "（已删除）",
        a.phone if full else a.masked_phone,
        a.school,
        a.programme,
        a.graduation_date,
        a.certificate_no if full else a.masked_certificate,
        "是" if a.model_worker_class else "否",
        a.staff_note,
        _time(a.created_at),
        _time(a.decided_at),
    ]


def _safe_filename(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("._") or "course"


# ---------------------------------------------------------------- commands


def cmd_courses(db: Database, args: argparse.Namespace) -> int:
    summaries = course_summaries(db)
    if not summaries:
        print("还没有任何课程报名。")
        return 0
    _print_table(
        ["课程编号", "课程名称", "名额", "已报名", "候补", "剩余名额"],
        [
            [
                s.course_id,
                s.course_name,
                "不限" if s.capacity is None else s.capacity,
                s.enrolled,
                s.waitlisted,
                "不限" if s.seats_left is None else s.seats_left,
            ]
            for s in summaries
        ],
    )
    return 0


def _course_or_complain(db: Database, course_id: str) -> bool:
    if get_course_summary(db, course_id) is None:
        known = "、".join(s.course_id for s in course_summaries(db)) or "（无）"
        print(f"没有找到课程“{course_id}”的报名记录。已有报名的课程：{known}", file=sys.stderr)
        return False
    return True


def cmd_roster(db: Database, args: argparse.Namespace) -> int:
    if not _course_or_complain(db, args.course_id):
        return 1
    summary = get_course_summary(db, args.course_id)
    assert summary is not None
    entries = roster(db, args.course_id)
    capacity = "不限" if summary.capacity is None else summary.capacity
    print(
        f"{summary.course_name}（{summary.course_id}）报名名单：{len(entries)} 人，"
        f"名额 {capacity}，候补 {summary.waitlisted} 人"
    )
    _print_table(ROSTER_HEADER, [_roster_row(i, e, False) for i, e in enumerate(entries, 1)])
    if args.csv:
        _write_csv(Path(args.csv), ROSTER_HEADER, [_roster_row(i, e, True) for i, e in enumerate(entries, 1)])
        print(f"已导出到 {args.csv}")
    return 0


def cmd_waitlist(db: Database, args: argparse.Namespace) -> int:
    if not _course_or_complain(db, args.course_id):
        return 1
    entries = waitlist(db, args.course_id)
    print(f"{args.course_id} 候补名单：{len(entries)} 人（按顺序递补）")
    _print_table(WAITLIST_HEADER, [_waitlist_row(e, False) for e in entries])
    if args.csv:
        _write_csv(Path(args.csv), WAITLIST_HEADER, [_waitlist_row(e, True) for e in entries])
        print(f"已导出到 {args.csv}")
    return 0


def cmd_applications(db: Database, args: argparse.Namespace) -> int:
    applications = list_applications(db, args.status)
    label = STATUS_CHOICES[args.status] if args.status else "全部"
    print(f"补贴申请（{label}）：{len(applications)} 份")
    _print_table(APPLICATION_HEADER, [_application_row(a, False) for a in applications])
    if args.csv:
        _write_csv(Path(args.csv), APPLICATION_HEADER, [_application_row(a, True) for a in applications])
        print(f"已导出到 {args.csv}")
    return 0


def _decide(db: Database, number: str, status: str, note: str) -> int:
    result = set_application_status(db, number, status, note)
    if result.status == "not_found":
        print(f"没有找到申请 {number}，请用 applications 命令核对申请号。", file=sys.stderr)
        return 1
    application = result.application
    assert application is not None
    if result.status == "not_allowed":
        reason = "职工已删除个人数据" if application.sender_id is None else "职工已撤回申请"
        print(f"申请 {application.application_no} 不能再审核：{reason}。", file=sys.stderr)
        return 1
    previous = APPLICATION_STATUS_LABELS[result.previous_status or "pending"]
    print(
        f"申请 {application.application_no}（{application.name}，{application.masked_phone}）："
        f"{previous} → {application.status_label}"
    )
    if application.staff_note:
        print(f"审核意见：{application.staff_note}")
    print("职工下次在机器人里查询申请时会看到结果和审核意见。")
    return 0


def cmd_approve(db: Database, args: argparse.Namespace) -> int:
    return _decide(db, args.number, "approved", args.note)


def cmd_reject(db: Database, args: argparse.Namespace) -> int:
    if not args.note.strip():
        print("驳回时请用 --note 写明原因，职工会看到这条意见。", file=sys.stderr)
        return 2
    return _decide(db, args.number, "rejected", args.note)


def export_all(db: Database, directory: Path) -> list[Path]:
    """Every course's roster and waiting list, all applications, teams and the course
    overview as CSV files in ``directory``; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    summaries = course_summaries(db)
    path = directory / "courses.csv"
    _write_csv(
        path,
        ["课程编号", "课程名称", "名额", "已报名", "候补"],
        [
            [s.course_id, s.course_name, "不限" if s.capacity is None else s.capacity, s.enrolled, s.waitlisted]
            for s in summaries
        ],
    )
    written.append(path)
    for s in summaries:
        name = _safe_filename(s.course_id)
        path = directory / f"roster_{name}.csv"
        _write_csv(path, ROSTER_HEADER, [_roster_row(i, e, True) for i, e in enumerate(roster(db, s.course_id), 1)])
        written.append(path)
        path = directory / f"waitlist_{name}.csv"
        _write_csv(path, WAITLIST_HEADER, [_waitlist_row(e, True) for e in waitlist(db, s.course_id)])
        written.append(path)
    path = directory / "applications.csv"
    _write_csv(path, APPLICATION_HEADER, [_application_row(a, True) for a in list_applications(db)])
    written.append(path)
    path = directory / "reading_teams.csv"
    _write_csv(path, ["读书团队编号", "读书团队", "人数"], [[t.team_id, t.display_name, n] for t, n in list_teams(db)])
    written.append(path)
    return written


def cmd_export(db: Database, args: argparse.Namespace) -> int:
    files = export_all(db, Path(args.dir))
    print(f"已导出 {len(files)} 个文件到 {args.dir}：")
    for path in files:
        print(f"  {path.name}")
    return 0


def cmd_teams(db: Database, args: argparse.Namespace) -> int:
    teams = list_teams(db)
    if not teams:
        print("还没有读书团队。")
        return 0
    _print_table(["读书团队编号", "读书团队", "人数"], [[t.team_id, t.display_name, n] for t, n in teams])
    return 0


METRIC_LABELS = {
    "enrollments.created": "报名总次数（按课程）",
    "enrollments.waitlisted": "进入候补次数（按课程）",
    "enrollments.promoted": "候补转正次数（按课程）",
    "enrollments.cancelled": "职工取消报名次数（按课程）",
    "enrollments.withdrawn_by_deletion": "因删除个人数据而取消（按课程）",
    "applications.created": "补贴申请总数",
    "applications.by_status": "补贴申请当前状态",
    "workers.registered": "登记职工数（按区县）",
    "workers.deleted": "删除个人数据的职工数",
    "reading_teams.joined": "加入读书团队次数",
}


def cmd_stats(db: Database, args: argparse.Namespace) -> int:
    stats = get_stats(db)
    if not stats:
        print("还没有统计数据。")
        return 0
    order = [m for m in METRIC_LABELS if m in stats] + sorted(set(stats) - set(METRIC_LABELS))
    for metric in order:
        counts = stats[metric]
        print(METRIC_LABELS.get(metric, metric))
        for key, count in counts.items():
            label = key
            if metric == "applications.by_status":
                label = APPLICATION_STATUS_LABELS.get(key, key)
            print(f"  {label}：{count}")
    return 0


# ---------------------------------------------------------------- argument parsing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m registry",
        description="工会小助手 报名数据管理（工作人员使用）。"
        "数据库默认是 UH_DATABASE_URL 指定的 PostgreSQL；未设置时为 $UH_DATA_DIR/registry.db（仓库下的 var/）。",
        epilog="屏幕上的手机号会打码；导出的 CSV 含完整手机号，请妥善保管。",
    )
    parser.add_argument(
        "--db",
        metavar="文件或地址",
        help="数据库文件路径或 postgresql:// 地址（默认：UH_DATABASE_URL，未设置时 $UH_DATA_DIR/registry.db）",
    )
    commands = parser.add_subparsers(dest="command", metavar="命令", required=True)

    p = commands.add_parser("courses", help="列出所有课程及已报名、候补人数")
    p.set_defaults(func=cmd_courses)

    p = commands.add_parser("roster", help="某门课程的报名名单")
    p.add_argument("course_id", metavar="课程编号", help="例如 jxgf_plc（用 courses 命令查看）")
    p.add_argument("--csv", metavar="文件", help="同时导出为 CSV 文件（含完整手机号）")
    p.set_defaults(func=cmd_roster)

    p = commands.add_parser("waitlist", help="某门课程的候补名单（按递补顺序）")
    p.add_argument("course_id", metavar="课程编号")
    p.add_argument("--csv", metavar="文件", help="同时导出为 CSV 文件（含完整手机号）")
    p.set_defaults(func=cmd_waitlist)

    p = commands.add_parser("applications", help="补贴申请列表")
    p.add_argument(
        "--status",
        choices=list(STATUS_CHOICES),
        metavar="状态",
        help="只看某种状态：pending 审核中，approved 已通过，rejected 未通过，cancelled 已撤回",
    )
    p.add_argument("--csv", metavar="文件", help="同时导出为 CSV 文件（含完整手机号和证书编号）")
    p.set_defaults(func=cmd_applications)

    p = commands.add_parser("approve", help="通过一份补贴申请")
    p.add_argument("number", metavar="申请号", help="例如 BT2026-000012")
    p.add_argument("--note", default="", metavar="意见", help="审核意见，职工可以看到")
    p.set_defaults(func=cmd_approve)

    p = commands.add_parser("reject", help="驳回一份补贴申请（必须写明原因）")
    p.add_argument("number", metavar="申请号")
    p.add_argument("--note", required=True, metavar="意见", help="驳回原因，职工可以看到")
    p.set_defaults(func=cmd_reject)

    p = commands.add_parser("export", help="把所有报名名单、候补名单、补贴申请导出为 CSV")
    p.add_argument("dir", metavar="目录", help="导出到这个目录（不存在会自动创建）")
    p.set_defaults(func=cmd_export)

    p = commands.add_parser("teams", help="读书团队及人数")
    p.set_defaults(func=cmd_teams)

    p = commands.add_parser("stats", help="匿名统计（删除个人数据后仍保留）")
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_redaction()
    args = build_parser().parse_args(argv)
    location = args.db or None
    if location and "://" not in location and not Path(location).exists():
        print(f"数据库文件不存在：{location}", file=sys.stderr)
        return 1
    db = open_registry(registry_url(location))
    try:
        return args.func(db, args)
    finally:
        db.close()
