"""Rasa's replies as WeChat texts, and a typed number back to the button it stands for.

WeChat text has no inline keyboard. A reply's buttons become numbered lines the worker
answers with the number (``2``, ``2.``, ``２``, or the option's title); in a customer-service
message each line is also a ``weixin://bizmsgmenu`` link, which sends that number when
tapped. The numbers of one turn run on across its replies and mean the payloads of the
last turn only (kept in :mod:`wechat.store`).

WeChat limits a text to 2048 bytes (UTF-8): parts are cut at sentence ends to
:data:`MAX_UNITS` UTF-16 units, which is at most 2040 bytes whatever the characters.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from bot.formatting import split_text
from common import texts
from common.replies import handoff_request

#: 680 UTF-16 units are at most 2040 UTF-8 bytes (3 bytes per unit at worst).
MAX_UNITS = 680
MAX_BYTES = 2048
#: The menu keys to configure on the platform (自定义菜单, type click), and what they mean:
#: the same payloads as the Telegram buttons. A key that is itself a payload works too.
MENU_PAYLOADS: dict[str, str] = {
    "UH_SUBSIDY": "/ask_subsidy",
    "UH_COURSES": "/ask_course_list",
    "UH_READING": "/ask_reading",
    "UH_MY_RECORDS": "/my_records",
    "UH_HUMAN": "/request_human",
    "UH_HELP": "/greet",
}


def menu_definition() -> dict[str, Any]:
    """The account's custom menu (自定义菜单) with the keys above: what
    ``python -m wechat menu`` sets (at most 3 buttons of up to 5 entries, WeChat's limits)."""

    def click(name: str, key: str) -> dict[str, str]:
        return {"type": "click", "name": name, "key": key}

    return {
        "button": [
            {
                "name": texts.WX_MENU_ASK,
                "sub_button": [
                    click(texts.TOPIC_MENU[0]["title"], "UH_SUBSIDY"),
                    click(texts.TOPIC_MENU[1]["title"], "UH_COURSES"),
                    click(texts.TOPIC_MENU[2]["title"], "UH_READING"),
                ],
            },
            click(texts.MY_RECORDS_BUTTON["title"], "UH_MY_RECORDS"),
            {
                "name": texts.WX_MENU_HELP,
                "sub_button": [click(texts.HUMAN_BUTTON["title"], "UH_HUMAN"), click(texts.WX_MENU_HELP, "UH_HELP")],
            },
        ]
    }


_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.．、)）]?\s*(.*)$")


@dataclass
class Rendered:
    """One turn's answer: the texts in order, the numbered options, a hand-off request."""

    texts: list[str] = field(default_factory=list)
    options: list[dict[str, str]] = field(default_factory=list)
    handoff: dict[str, Any] | None = None

    def parts(self) -> list[str]:
        """The texts as few WeChat messages as fit (a passive reply is one message)."""
        return pack(self.texts)


def pack(items: list[str]) -> list[str]:
    """``items`` cut to WeChat's limit at sentence ends, neighbours joined while they fit."""
    packed: list[str] = []
    for part in (p for text in items for p in split_text(text, MAX_UNITS)):
        joined = f"{packed[-1]}\n\n{part}" if packed else part
        if packed and len(joined.encode("utf-16-le")) // 2 <= MAX_UNITS:
            packed[-1] = joined
        else:
            packed.append(part)
    return packed


def _options_block(options: list[dict[str, str]], start: int, *, links: bool) -> str:
    lines = []
    for number, option in enumerate(options, start=start):
        title = option["title"]
        line = texts.WX_OPTION_LINE.format(number=number, title=title)
        if links:
            link = (
                f'<a href="weixin://bizmsgmenu?msgmenucontent={number}&amp;msgmenuid={number}">'
                f"{html.escape(title, quote=True)}</a>"
            )
            line = texts.WX_OPTION_LINE.format(number=number, title=link)
        lines.append(line)
    return "\n".join(lines)


def render(replies: list[dict[str, Any]], *, links: bool = False) -> Rendered:
    """Rasa's replies of one turn; ``links``: bizmsgmenu links (customer-service messages).

    Consecutive texts are joined (Rasa cuts a text at blank lines into separate replies);
    buttons close the text they belong to with their numbered lines."""
    out = Rendered()
    pending: list[str] = []

    def flush(buttons: list[dict[str, Any]] | None = None) -> None:
        text = "\n\n".join(t.strip() for t in pending if t and t.strip())
        pending.clear()
        if buttons:
            options = [
                {"title": str(b.get("title") or b.get("payload")), "payload": str(b.get("payload") or b.get("title"))}
                for b in buttons
                if isinstance(b, dict) and (b.get("payload") or b.get("title"))
            ]
            if options:
                block = _options_block(options, len(out.options) + 1, links=links)
                out.options.extend(options)
                text = "\n\n".join(p for p in (text or texts.CHOOSE_PROMPT, block, texts.WX_OPTIONS_HINT) if p)
        if text:
            out.texts.append(text)

    for reply in replies:
        request = handoff_request(reply)
        if request is not None:
            out.handoff = request
        if reply.get("text"):
            pending.append(str(reply["text"]))
        buttons = reply.get("buttons") or reply.get("quick_replies")
        if buttons:
            flush(list(buttons))
        if reply.get("image"):
            pending.append(texts.IMAGE_LINK.format(caption=texts.IMAGE_DEFAULT_CAPTION, url=reply["image"]))
    flush()
    return out


def choose(text: str, options: list[dict[str, str]]) -> str | None:
    """The payload a typed answer to numbered options stands for; None for anything else
    (a number that is no option, free text): that goes to Rasa as it is, since a form may
    ask for a number."""
    typed = unicodedata.normalize("NFKC", text or "").strip()
    for option in options:
        if typed == option["title"]:
            return option["payload"]
    match = _NUMBER.match(typed)
    if match is None:
        return None
    number, rest = int(match.group(1)), match.group(2).strip()
    if rest and not any(rest == option["title"] for option in options):
        return None  # "2 个人" is an answer, not option 2
    return options[number - 1]["payload"] if 1 <= number <= len(options) else None


def fits(text: str) -> bool:
    return len(text.encode("utf-8")) <= MAX_BYTES
