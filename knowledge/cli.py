"""Staff tools: ``python -m knowledge validate | ask | gaps | export-faq | import-faq | build``.

Everything printed is Chinese, for union staff; exit status is non-zero when
something must be fixed, so the same commands work in CI and in a Makefile.

The settings are read once (:func:`common.settings.load`, with ``--knowledge-dir`` and
``--data-dir`` on top) and handed to each command; nothing here changes the environment.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from common import settings
from common.settings import Settings
from knowledge.faq_csv import export_faq, import_faq
from knowledge.gaps import group_gaps, list_gaps, write_groups_csv
from knowledge.kb import KnowledgeBase
from knowledge.loader import load
from knowledge.schema import CONFIDENT_SCORE, KnowledgeError, Problem

KIND_NAMES = {
    "faq": "常见问题",
    "course": "课程",
    "subsidy": "补贴",
    "reading": "读书",
    "sports": "文体",
    "organization": "单位",
}


def _print_problems(problems: Sequence[Problem], *, warnings: bool = True) -> None:
    for p in problems:
        if p.is_error:
            print(p)
    if warnings:
        for p in problems:
            if not p.is_error:
                print(p)


def cmd_validate(args: argparse.Namespace, config: Settings) -> int:
    result = load(config.knowledge_dir, registry_path=config.registry_db, clock=config.clock)
    _print_problems(result.problems, warnings=not args.quiet)
    errors, warns = len(result.errors), len(result.warnings)
    if errors:
        print(f"\n检查没有通过：{errors} 个错误，{warns} 个提醒。改好错误后再运行一次；在这之前小助手继续用上一版。")
        return 1
    counts = Counter(e.kind for e in result.entries)
    parts = "、".join(f"{KIND_NAMES.get(k, k)} {n} 条" for k, n in counts.items())
    print(
        f"\n检查通过：共 {len(result.entries)} 条知识（{parts}），每月书目 {len(result.books)} 条；"
        f"{warns} 个提醒（提醒不影响使用）。"
    )
    return 0


def _open_kb(config: Settings) -> KnowledgeBase | None:
    try:
        return KnowledgeBase.open(
            config.knowledge_dir, config.knowledge_index, registry_path=config.registry_db, clock=config.clock
        )
    except KnowledgeError as exc:
        print("知识库文件有错误，而且没有上一版可用：")
        for message in exc.messages:
            print(message)
        return None


def cmd_ask(args: argparse.Namespace, config: Settings) -> int:
    kb = _open_kb(config)
    if kb is None:
        return 1
    if any(p.is_error for p in kb.problems):
        print("注意：知识库文件有错误，下面是用上一版知识回答的（运行 validate 查看错误）。\n")
    question = " ".join(args.question)
    hits = kb.search(question, kind=args.kind, limit=args.limit)
    print(f"问题：{question}")
    if hits and hits[0].confident:
        print(f"\n小助手会回答（有把握，得分 {hits[0].score:g}）：\n{hits[0].answer}")
    elif hits:
        print(
            f"\n没有把握（最高得分 {hits[0].score:g}，低于 {CONFIDENT_SCORE:g}）。"
            "小助手会说没找到确切答案，并推荐这些话题："
        )
        for h in hits[:3]:
            print(f"  · {h.title}")
    else:
        print("\n没有找到相关内容。小助手会请职工换个说法，或发“转人工”。")
    if hits:
        print("\n匹配到的条目（编号、类别、得分、最像的问法）：")
        for i, h in enumerate(hits, 1):
            mark = "✔" if h.confident else " "
            via = f"“{h.matched}”" if h.matched else "（回答正文里提到）"
            print(f"  {i}. {mark} {h.id}（{KIND_NAMES.get(h.kind, h.kind)}）{h.score:g}  {via}")
    courses = kb.find_courses(question, limit=3)
    good = [(c, s) for c, s in courses if s >= CONFIDENT_SCORE]
    if good:
        print("\n说到的课程：" + "，".join(f"{c.name}（{c.id}，{s:g}）" for c, s in good))
    return 0


def _parse_day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"“{text}”不是有效的日期，请写成 YYYY-MM-DD，例如 2026-11-01") from None


def cmd_gaps(args: argparse.Namespace, config: Settings) -> int:
    since = _parse_day(args.since)
    rows = list_gaps(since=since, db_path=config.gaps_db)
    groups = group_gaps(rows, threshold=args.threshold)
    scope = f"{since.isoformat()} 以来" if since else "全部记录中"
    if not groups:
        print(f"{scope}没有答不上的问题。")
    else:
        print(f"{scope}小助手答不上的问题共 {len(rows)} 次，归成 {len(groups)} 组（问得多的在前）：\n")
        for i, g in enumerate(groups[: args.limit], 1):
            print(f"{i}. “{g.representative}” —— {g.count} 次，{g.people} 人问过，最近 {g.last_day}")
            others = g.other_texts[:3]
            if others:
                print("   类似问法：" + "；".join(others))
            near = g.nearest_ids()
            if near:
                print("   当时推荐的条目：" + "，".join(f"{i_}({s:g})" for i_, s in near))
        if len(groups) > args.limit:
            print(f"\n……还有 {len(groups) - args.limit} 组，用 --limit 或 --csv 查看全部。")
        print("\n建议：把问得多的问题写进 faq.yml（或给最接近的条目加上这些问法）。")
    if args.csv:
        write_groups_csv(groups, Path(args.csv))
        print(f"已导出到 {args.csv}（可以用 Excel 打开）。")
    return 0


def cmd_export(args: argparse.Namespace, config: Settings) -> int:
    n, problems = export_faq(config.knowledge_dir, Path(args.csv))
    if problems:
        _print_problems(problems)
        print("\n没有导出：faq.yml 读不出来，请先改好上面的错误。")
        return 1
    print(f"已导出 {n} 条常见问题到 {args.csv}。用 Excel 编辑后保存为“CSV UTF-8”，再运行 import-faq 导入。")
    return 0


def cmd_import(args: argparse.Namespace, config: Settings) -> int:
    result = import_faq(config.knowledge_dir, Path(args.csv), registry_path=config.registry_db, clock=config.clock)
    if not result.written:
        _print_problems(result.problems, warnings=False)
        print(f"\n没有导入：发现 {len(result.errors)} 个错误，faq.yml 没有改动。请在表格里改好后再导入。")
        return 1
    _print_problems(result.problems, warnings=not args.quiet)
    print(
        f"\n已导入：共 {result.total} 条常见问题（新增 {result.added}，修改 {result.changed}，删除 {result.removed}）。"
        "小助手几秒钟内会自动用上。"
    )
    return 0


def cmd_build(args: argparse.Namespace, config: Settings) -> int:
    kb = _open_kb(config)
    if kb is None:
        return 1
    if any(p.is_error for p in kb.problems):
        _print_problems(kb.problems, warnings=False)
        print("\n文件有错误，索引仍是上一版。")
        return 1
    print(f"索引已就绪：{kb.index_path}（{len(kb.snapshot.entries)} 条知识）。")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description="工会小助手知识库工具")
    parser.add_argument("--knowledge-dir", help="知识文件所在目录（默认 UH_KNOWLEDGE_DIR 或 knowledge/）")
    parser.add_argument("--data-dir", help="运行数据目录（默认 UH_DATA_DIR 或 var/）")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")

    p = sub.add_parser("validate", help="检查所有知识文件，列出全部问题")
    p.add_argument("-q", "--quiet", action="store_true", help="只显示错误，不显示提醒")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("ask", help="看看小助手会怎么回答一个问题")
    p.add_argument("question", nargs="+", help="职工的问题")
    p.add_argument("--kind", choices=sorted(KIND_NAMES), help="话题提示（只影响排序）")
    p.add_argument("--limit", type=int, default=5)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("gaps", help="小助手答不上的问题，相似的归成一组")
    p.add_argument("--since", help="只看这一天（YYYY-MM-DD）以来的")
    p.add_argument("--csv", help="同时导出为 CSV 文件")
    p.add_argument("--limit", type=int, default=30, help="最多显示多少组")
    p.add_argument("--threshold", type=float, default=70.0, help="相似度多少算一组（0-100）")
    p.set_defaults(func=cmd_gaps)

    p = sub.add_parser("export-faq", help="把 faq.yml 导出为 Excel 能打开的 CSV")
    p.add_argument("csv")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import-faq", help="检查并导入 CSV，替换 faq.yml")
    p.add_argument("csv")
    p.add_argument("-q", "--quiet", action="store_true", help="只显示错误，不显示提醒")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("build", help="重建搜索索引（一般不需要，小助手会自动重建）")
    p.set_defaults(func=cmd_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    config = settings.load()
    if args.knowledge_dir:
        config = dataclasses.replace(config, knowledge_dir=Path(args.knowledge_dir))
    if args.data_dir:
        config = dataclasses.replace(config, data_dir=Path(args.data_dir))
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    return int(args.func(args, config) or 0)
