"""Rasa's replies as WeChat texts, and a typed number back to the button it stands for.

WeChat text has no inline keyboard. A reply's buttons become numbered lines the worker
answers with the number (``2``, ``2.``, ``２``, or the option's title); in a customer-service
message each line is also a ``weixin://bizmsgmenu`` link, which sends that number when
tapped. The numbers of one turn run on across its replies and mean the payloads of the
last turn only (kept in :mod:`wechat.store`).

WeChat limits a text to 2048 bytes (UTF-8): parts are cut at sentence ends to
:data:`MAX_UNITS` UTF-16 units, which is at most 2040 bytes whatever the characters.

导出我的数据 sends a file (the ``document`` custom payload; Telegram's ``sendDocument``). An
Official Account cannot: its customer-service messages are text, image, voice, video,
music, articles, menus and cards — no file type (``media/upload`` takes images, voice,
video and thumbnails only), and a download link would put the worker's unmasked data
behind a URL anyone it is forwarded to could open. So the file's content is written out as
text (:func:`document_texts`): every record with its Chinese labels, the conversation only
counted (the worker sees it in the chat itself), at most :data:`MAX_DOCUMENT_PARTS`
messages, and the way to the full file (转人工: staff export it with ``scripts.worker_data``).
"""

from __future__ import annotations

import html
import json
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
#: 导出我的数据 as text: at most this many messages (WeChat answers 45047 to a long run of
#: customer-service messages to one worker).
MAX_DOCUMENT_PARTS = 4
#: The longest value shown of one field (a ticket's transcript, a long note).
MAX_FIELD = 300
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
        custom = reply.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("document"), dict):
            summary = _export_summary(pending)
            flush()
            out.texts.extend(document_texts(custom["document"], summary=summary))
        if reply.get("text"):
            pending.append(str(reply["text"]))
        buttons = reply.get("buttons") or reply.get("quick_replies")
        if buttons:
            flush(list(buttons))
        if reply.get("image"):
            pending.append(texts.IMAGE_LINK.format(caption=texts.IMAGE_DEFAULT_CAPTION, url=reply["image"]))
    flush()
    return out


_SENT_PREFIX, _, _SENT_SUFFIX = texts.EXPORT_SENT.partition("{summary}")


def _export_summary(pending: list[str]) -> str:
    """The action's "sent you a file (counts)" text, taken out of ``pending`` (on WeChat no
    file comes): its counts, for the text version's header."""
    for index, text in enumerate(pending):
        if text.startswith(_SENT_PREFIX) and _SENT_SUFFIX[:6] in text:
            del pending[index]
            return "（" + text[len(_SENT_PREFIX) : text.index(_SENT_SUFFIX[:6])].strip("（）") + "）"
    return ""


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return texts.WX_EXPORT_YES if value else texts.WX_EXPORT_NO
    shown = " ".join(str(value).split())
    return shown if len(shown) <= MAX_FIELD else shown[: MAX_FIELD - 1] + "…"


def _lines(value: Any, depth: int = 0) -> list[str]:
    """A labelled record as indented ``标签：值`` lines (lists as ``·`` items)."""
    pad = "  " * depth
    if isinstance(value, dict):
        lines: list[str] = []
        for key, item in value.items():
            if item in (None, "", [], {}) or key == texts.EXPORT_LABELS["sender_id"]:
                continue
            if isinstance(item, dict | list):
                lines.append(f"{pad}{key}：")
                lines.extend(_lines(item, depth + 1))
            elif key == texts.EXPORT_LABELS["status"] and isinstance(item, str):
                lines.append(f"{pad}{key}：{texts.WX_EXPORT_STATES.get(item, item)}")
            else:
                lines.append(f"{pad}{key}：{_scalar(item)}")
        return lines
    if isinstance(value, list):
        lines = []
        for item in value:
            sub = _lines(item, depth + 1)
            if sub:
                lines.append(f"{pad}· {sub[0].strip()}")
                lines.extend(sub[1:])
        return lines
    return [f"{pad}{_scalar(value)}"]


def document_texts(document: dict[str, Any], *, summary: str = "") -> list[str]:
    """导出我的数据's file as WeChat texts (see the module's docstring for why not a file)."""
    try:
        data = json.loads(str(document.get("content") or ""))
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return [texts.EXPORT_FAILED]
    label = texts.EXPORT_LABELS
    skip = {label["title"], label["about"], label["conversation_id"], label["exported_at"], label["conversation"]}
    exported = str(data.get(label["exported_at"]) or "")[:16].replace("T", " ")
    sections = [texts.WX_EXPORT_HEADER.format(exported_at=exported, summary=summary)]
    for title, value in data.items():
        if title in skip:
            continue
        lines = _lines(value) if value not in (None, "", [], {}) else []
        sections.append("\n".join([texts.WX_EXPORT_SECTION.format(title=title), *(lines or [texts.WX_EXPORT_NONE])]))
    conversation = data.get(label["conversation"])
    count = len(conversation) if isinstance(conversation, list) else 0
    sections.append(texts.WX_EXPORT_CONVERSATION.format(title=label["conversation"], count=count))
    whole = pack([*sections, texts.WX_EXPORT_FOOTER])
    if len(whole) <= MAX_DOCUMENT_PARTS:
        return whole
    kept = pack(sections)[: MAX_DOCUMENT_PARTS - 1]
    return [*kept, f"{texts.WX_EXPORT_CUT}\n{texts.WX_EXPORT_FOOTER}"]


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
