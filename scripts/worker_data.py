"""导出我的数据 — everything held about one worker, as one file for them (PIPL art. 45).

    python -m scripts.worker_data export tg-5001 [--out 文件.json]

Staff run it when a worker asks them; a worker can also ask the bot itself ("导出我的数据",
``actions/data_export.py``). Both give the same file, built by
``actions.data_export.export_file`` from each store's owner's function (the registry, the
hand-off store, the conversation), with Chinese labels.

Unmasked — it is the worker's own data: hand the file to them only (never into a group)
and delete the copy afterwards. The unanswered questions are stored anonymously (a keyed
hash, no link to the worker), so they cannot be part of it; the file says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from actions.data_export import collect, export_file
from common import settings as config

__all__ = ["collect", "main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="导出一位职工的全部个人数据（给职工本人，依据《个人信息保护法》）")
    commands = parser.add_subparsers(dest="command", required=True, metavar="命令")
    p = commands.add_parser("export", help="导出为 JSON 文件")
    p.add_argument("sender_id", metavar="会话号", help="例如 tg-5001（工单里的“用户”一栏、或职工的 Telegram 号）")
    p.add_argument("--out", type=Path, help="写到这个文件（默认 职工数据_会话号.json）")
    args = parser.parse_args(argv)
    try:
        settings = config.load()
    except config.SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    exported = export_file(settings, args.sender_id)
    out = args.out or Path(f"职工数据_{args.sender_id}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(exported.content, encoding="utf-8")
    print(f"已导出到 {out}：{exported.summary}。文件含完整个人信息，只交给职工本人，用完请删除。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
