"""导出我的数据 — everything held about one worker, as one file for them (PIPL art. 45).

    python -m scripts.worker_data export tg-5001 [--out 文件.json]

Staff run it when a worker asks (the worker-facing intent is the next issue's; see
docs/scale.md). Each store contributes through its owner's function:

* the registry (``registry.export_worker_data``): profile, enrollments (cancelled too),
  reading teams, subsidy applications with the staff notes, notifications;
* the hand-off store (``handoff.export_sender``): tickets, transcripts, the messages
  exchanged with the operators, what was queued for the worker;
* the conversation (``rasa_ext.purge.export_conversation``): what the worker and the bot
  said, every session.

Unmasked — it is the worker's own data: hand the file to them only (never into a group)
and delete the copy afterwards. The unanswered questions are stored anonymously (a keyed
hash, no link to the worker), so they cannot be part of it; the file says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from common import settings as config
from common import texts
from common.database import sqlite_path


def _exists(url: str) -> bool:
    path = sqlite_path(url)
    return path is None or path.exists()


def collect(settings: config.Settings, sender_id: str) -> dict[str, Any]:
    """The whole copy for ``sender_id`` (JSON-ready)."""
    from handoff import export_sender, handoff_url, open_handoff
    from rasa_ext.purge import export_conversation, tracker_url
    from registry import export_worker_data, open_registry

    data: dict[str, Any] = {
        "title": texts.EXPORT_TITLE,
        "about": texts.EXPORT_INTRO,
        "conversation_id": sender_id,
        "exported_at": settings.clock.now().isoformat(timespec="seconds"),
    }
    registry_url = settings.registry_url
    data["registry"] = None
    if _exists(registry_url):
        with open_registry(registry_url) as db:
            data["registry"] = export_worker_data(db, sender_id)
    data["handoff"] = None
    if _exists(handoff_url()):
        with open_handoff(handoff_url()) as db:
            data["handoff"] = export_sender(db, sender_id)
    conversation = tracker_url(settings)
    data["conversation"] = export_conversation(conversation, sender_id) if _exists(conversation) else []
    return data


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
    data = collect(settings, args.sender_id)
    out = args.out or Path(f"职工数据_{args.sender_id}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    registry = data["registry"] or {}
    handoff = data["handoff"] or {}
    enrollments = len(registry.get("enrollments") or [])
    applications = len(registry.get("subsidy_applications") or [])
    print(
        f"已导出到 {out}：登记信息{'有' if registry.get('profile') else '无'}，"
        f"报名 {enrollments} 条，补贴申请 {applications} 份，"
        f"转人工 {len(handoff.get('tickets') or [])} 次，对话消息 {len(data['conversation'])} 条。"
        "文件含完整个人信息，只交给职工本人，用完请删除。"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
