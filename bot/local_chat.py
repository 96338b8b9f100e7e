"""A terminal chat with the assistant, for trying it out without a Telegram token.

Buttons are shown numbered; typing the number presses the button, just as a tap on
Telegram would send its payload.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import Any

from bot import texts
from bot.rasa_client import RasaClient, RasaUnavailable

PROMPT = "您："
WELCOME = "工会小助手（本地聊天）。输入问题后回车；输入按钮前的数字即可点按钮；输入 /quit 退出。"


def render(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Print Rasa's replies; return the buttons now on offer, in display order."""
    buttons: list[dict[str, str]] = []
    for reply in replies:
        if reply.get("text"):
            print(f"小助手：{reply['text']}")
        if reply.get("image"):
            print(f"小助手：[图片] {reply['image']}")
        if isinstance(reply.get("custom"), dict) and "handoff" in reply["custom"]:
            print("（已转人工：在 Telegram 上工作人员会在这里回复；本地聊天没有工作人员。）")
        for item in reply.get("buttons") or []:
            buttons.append(item)
            print(f"   [{len(buttons)}] {item.get('title')}")
    return buttons


def resolve(text: str, buttons: list[dict[str, str]]) -> str:
    """A bare number picks the button with that number; anything else is sent as typed."""
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        return buttons[int(text) - 1]["payload"]
    return text


async def chat(client: RasaClient, sender_id: str) -> None:
    print(WELCOME)
    buttons: list[dict[str, str]] = render(await client.send(sender_id, "/greet"))
    while True:
        try:
            text = (await asyncio.to_thread(input, PROMPT)).strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text in {"/quit", "/exit"}:
            return
        if not text:
            continue
        try:
            buttons = render(await client.send(sender_id, resolve(text, buttons)))
        except RasaUnavailable:
            print(f"小助手：{texts.LOCAL_RASA_DOWN}")
            buttons = []


def main() -> int:
    client = RasaClient()
    sender_id = f"local-{getpass.getuser()}"
    try:
        asyncio.run(chat(client, sender_id))
    except RasaUnavailable:
        print("无法连接 Rasa 服务器，请先运行 make serve（或 make run）。", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
