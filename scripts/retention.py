"""Retention: what is older than ``UH_RETENTION_DAYS`` (default 180) is deleted, on a schedule.

    python -m scripts.retention run       # an asyncio task: now, then every UH_RETENTION_EVERY_HOURS (24)
    python -m scripts.retention once      # one pass, the counts printed

Each store forgets its own old rows through its owner's function — nothing here runs SQL:

* conversations (Rasa's tracker, ``rasa_ext.purge.forget_conversations_before``): every
  event of a conversation whose latest event is older than the cutoff;
* hand-off tickets closed before the cutoff, with their transcripts and outbox entries
  (``handoff.forget_closed_before``), and the Telegram front end's mapping of them, its
  activity counts and handled updates (``bot.tickets.forget_before``);
* delivered (or given-up) waiting-list notifications (``registry.forget_delivered_notifications``);
* unanswered questions recorded before the cutoff (``knowledge.gaps.forget_before``).

Sign-ups, applications and teams are the union's records, not kept "for a while": they stay
until the worker deletes them (删除我的数据).

Every pass logs one line with the counts. One instance is enough for a deployment; several
(one per machine) only repeat the same deletions. ``UH_RETENTION_DAYS=0`` keeps everything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import datetime, timedelta
from typing import Any

from common import settings as config
from common.clock import CHINA_FIXED, Clock
from common.database import DRIVER_ERRORS
from common.privacy import install_redaction

log = logging.getLogger("scripts.retention")


def run_once(settings: config.Settings, now: datetime) -> dict[str, Any]:
    """One pass over every store; the counts of what was deleted (or the error, per store:
    a store that is down does not stop the others)."""
    from bot import tickets as telegram
    from common.database import sqlite_path
    from handoff import forget_closed_before, handoff_url, open_handoff
    from knowledge.gaps import forget_before as forget_gaps_before
    from rasa_ext.purge import forget_conversations_before, tracker_url
    from registry import forget_delivered_notifications, open_registry

    if settings.retention_days <= 0:
        return {"kept": "UH_RETENTION_DAYS=0"}
    cutoff = now - timedelta(days=settings.retention_days)
    before = cutoff.astimezone(CHINA_FIXED).isoformat()
    counts: dict[str, Any] = {"before": before}

    def exists(url: str) -> bool:
        path = sqlite_path(url)
        return path is None or path.exists()

    def step(name: str, work: Any) -> None:
        try:
            counts[name] = work()
        except DRIVER_ERRORS as exc:
            log.error("Retention of %s failed: %s", name, exc)
            counts[name] = f"error: {type(exc).__name__}"

    url = tracker_url(settings)
    if exists(url):
        step("conversation_events", lambda: forget_conversations_before(url, cutoff.timestamp()))
    if exists(handoff_url()):

        def forget_handoffs() -> dict[str, int]:
            with open_handoff(handoff_url()) as db:
                done = forget_closed_before(db, before)
                if db.has_table("tg_activity"):
                    done.update({f"telegram_{k}": v for k, v in telegram.forget_before(db, cutoff).items()})
                return done

        step("handoff", forget_handoffs)
    if exists(settings.registry_url):

        def forget_notifications() -> int:
            with open_registry(settings.registry_url) as db:
                return forget_delivered_notifications(db, before)

        step("notifications", forget_notifications)
    step("gaps", lambda: forget_gaps_before(cutoff, db_path=settings.gaps_db))  # reads never create the file
    return counts


async def run_forever(settings: config.Settings, clock: Clock, stop: asyncio.Event | None = None) -> None:
    """The scheduled task: a pass now, then one every ``retention_every_hours``; each in a
    worker thread (the deletions may take a while), each logged."""
    stop = stop or asyncio.Event()
    every = settings.retention_every_hours * 3600
    while not stop.is_set():
        try:
            counts = await asyncio.to_thread(run_once, settings, clock.now())
            log.info("Retention (older than %d days): %s", settings.retention_days, json.dumps(counts))
        except Exception:
            log.exception("The retention pass failed; trying again at the next one")
        try:
            await asyncio.wait_for(stop.wait(), every)
        except asyncio.TimeoutError:
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="删除超过保存期限（UH_RETENTION_DAYS，默认 180 天）的对话、工单和通知")
    parser.add_argument("command", choices=["run", "once"], help="run：按计划一直运行；once：只清理一次")
    parser.add_argument("--days", type=int, help="这次按多少天计算（默认 UH_RETENTION_DAYS）")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    install_redaction()
    try:
        settings = config.load()
    except config.SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    if args.days is not None:
        from dataclasses import replace

        settings = replace(settings, retention_days=max(0, args.days))
    if args.command == "once":
        counts = run_once(settings, settings.clock.now())
        print(json.dumps(counts, ensure_ascii=False, indent=2))
        log.info("Retention (older than %d days): %s", settings.retention_days, json.dumps(counts))
        return 0
    try:
        asyncio.run(run_forever(settings, settings.clock))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
