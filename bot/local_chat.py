"""A terminal chat with the assistant, for trying it out without a Telegram token.

Buttons are shown numbered; typing the number presses the button, just as a tap on
Telegram would send its payload.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import Any

from bot.rasa_client import RasaClient, RasaUnavailable
from common import settings, texts


def render(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Print Rasa's replies; return the buttons now on offer, in display order."""
    buttons: list[dict[str, str]] = []
    for reply in replies:
        if reply.get("text"):
            print(texts.TERMINAL_REPLY.format(text=reply["text"]))
        if reply.get("image"):
            print(texts.TERMINAL_IMAGE.format(url=reply["image"]))
        if isinstance(reply.get("custom"), dict) and "handoff" in reply["custom"]:
            print(texts.TERMINAL_HANDOFF)
        if isinstance(reply.get("custom"), dict) and isinstance(reply["custom"].get("document"), dict):
            document = reply["custom"]["document"]
            size = len(str(document.get("content", "")).encode("utf-8"))
            print(texts.TERMINAL_DOCUMENT.format(filename=document.get("filename"), size=size))
        for item in reply.get("buttons") or []:
            buttons.append(item)
            print(texts.TERMINAL_BUTTON.format(number=len(buttons), title=item.get("title")))
    return buttons


def resolve(text: str, buttons: list[dict[str, str]]) -> str:
    """A bare number picks the button with that number; anything else is sent as typed."""
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        return buttons[int(text) - 1]["payload"]
    return text


async def chat(client: RasaClient, sender_id: str) -> None:
    """Talk until /quit or end of input; the client is closed afterwards."""
    try:
        await _converse(client, sender_id)
    finally:
        await client.close()


async def _converse(client: RasaClient, sender_id: str) -> None:
    print(texts.TERMINAL_WELCOME)
    buttons: list[dict[str, str]] = render(await client.send(sender_id, "/greet"))
    while True:
        try:
            text = (await asyncio.to_thread(input, texts.TERMINAL_PROMPT)).strip()
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
            print(texts.TERMINAL_REPLY.format(text=texts.TERMINAL_NO_REPLY))
            buttons = []


def main() -> int:
    read = settings.load()
    client = RasaClient(base_url=read.rasa_url, token=read.rasa_token, timeout=read.rasa_timeout)
    sender_id = f"local-{getpass.getuser()}"
    try:
        asyncio.run(chat(client, sender_id))
    except RasaUnavailable:
        print(texts.TERMINAL_NO_SERVER, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
