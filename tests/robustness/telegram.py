"""The real Telegram front end (``python -m bot``, its own logging set-up) as a child
process, against the front end's fake Bot API on 127.0.0.1 and a real Rasa stack."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from scripts.stack import REPO, Stack
from tests.bot.bot_test_ids import OPERATOR_ID, OPS_CHAT
from tests.bot.fake_bot_api import FakeBotApi


def keyboard(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


@dataclass
class FrontEnd:
    tg: FakeBotApi
    process: asyncio.subprocess.Process
    log: Path

    async def ask(self, user: dict, text: str, timeout: float = 90.0) -> list[dict]:
        """Send ``text``; wait for the bot's next message(s) to this worker; return them."""
        chat = user["id"]
        before = len(self.tg.sent_to(chat))
        self.tg.user_text(user, text)
        await self.tg.wait_for(lambda: len(self.tg.sent_to(chat)) > before, timeout=timeout)
        await self.tg.settle(quiet=1.0, timeout=timeout)
        return self.tg.sent_to(chat)[before:]


@contextlib.asynccontextmanager
async def telegram_front_end(
    stack: Stack,
    workdir: Path,
    timeout: float = 60.0,
    *,
    rasa_url: str | None = None,
    rasa_timeout: float = 120.0,
) -> AsyncIterator[FrontEnd]:
    """The front end against ``stack`` (or ``rasa_url``, e.g. a proxy in front of it)."""
    tg = await FakeBotApi().start()
    tg.add_group(OPS_CHAT, "工会人工服务", forum=True)
    tg.set_member(OPS_CHAT, OPERATOR_ID, "member")
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "bot.log"
    env = dict(os.environ)
    env.update(
        TELEGRAM_TOKEN="123456:ROBUSTNESS-TEST",
        TELEGRAM_BASE_URL=tg.base_url,
        TELEGRAM_OPERATOR_CHAT_ID=str(OPS_CHAT),
        STAFFED_HOURS="always",
        RASA_URL=rasa_url or stack.rasa_url,
        RASA_TOKEN=stack.token,
        RASA_TIMEOUT=str(rasa_timeout),
        UH_DATA_DIR=str(workdir / "data"),
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
    )
    with open(log, "ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=str(REPO),
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # ready once polling started (the fake API does not record empty getUpdates calls)
        await tg.wait_for(
            lambda: tg.calls_of("deleteWebhook", ok=None) or process.returncode is not None, timeout=timeout
        )
        deadline = asyncio.get_running_loop().time() + timeout
        while "Application started" not in log.read_text(encoding="utf-8", errors="replace"):
            if process.returncode is not None or asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"the front end did not start; see {log}")
            await asyncio.sleep(0.2)
        yield FrontEnd(tg, process, log)
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        await tg.stop()
