"""Turning Rasa's text into Telegram messages: length limits, sentence splits, escaping.

Telegram counts message length in UTF-16 code units after entity parsing (4096 for a
text, 1024 for a caption). Rasa's texts are plain text with an occasional Markdown link
``[标题](https://…)``; a split never cuts through one. They are sent in HTML mode with
everything escaped, so nothing a worker typed is ever interpreted as markup (Telegram
turns a plain URL into a link by itself). Masking numbers is :mod:`common.privacy`'s job.
"""

from __future__ import annotations

import html
import re

MAX_TEXT = 4096
MAX_CAPTION = 1024
SENTENCE_ENDS = "。！？!?\n"
SOFT_BREAKS = "；;，,、 "

_LINK = re.compile(r"\[([^\[\]\n]+)\]\((https?://[^\s()]+)\)")
#: Never cut inside these either: an HTML link (WeChat's bizmsgmenu options, whose URL has
#: a "?", a sentence end) or a bare URL.
_UNCUTTABLE = (_LINK, re.compile(r"<a\b[^>]*>.*?</a>", re.S), re.compile(r"[a-z]+://[^\s<>\"]+"))


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _cut_index(text: str, limit: int) -> int:
    """Where to cut ``text`` so the first part fits ``limit`` UTF-16 units."""
    # The largest prefix (in characters) that fits.
    units = 0
    fit = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            break
        fit = index + 1
    window = text[:fit]
    protected = [m.span() for pattern in _UNCUTTABLE for m in pattern.finditer(text)]

    def inside_link(pos: int) -> bool:
        return any(start < pos < end for start, end in protected)

    for breaks, min_share in ((SENTENCE_ENDS, 0.3), (SOFT_BREAKS, 0.5)):
        for pos in range(len(window), 0, -1):
            if window[pos - 1] in breaks and pos >= fit * min_share and not inside_link(pos):
                return pos
    return fit or 1


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split on sentence ends (。！？!?, newline) so every part fits ``limit``.

    Falls back to a clause break (；，、space), and only then to a hard cut.
    """
    text = (text or "").strip()
    parts: list[str] = []
    while tg_len(text) > limit:
        cut = _cut_index(text, limit)
        head, text = text[:cut].rstrip(), text[cut:].lstrip()
        if head:
            parts.append(head)
    if text:
        parts.append(text)
    return parts


#: The most of one message that goes to Rasa. Its NLU slows down steeply with length (on a
#: small server ~0.3 s for 1,000 characters, ~5 s for Telegram's maximum of 4,096, ~20 s for
#: 10,000 – past RASA_TIMEOUT), and a question is in its first sentences. Operators in a
#: hand-off still get the whole text. Every front end cuts what it sends to Rasa with this.
MAX_RASA_TEXT = 1000


def for_rasa(text: str) -> str:
    """``text``, or its first sentences up to :data:`MAX_RASA_TEXT` if it is longer."""
    if tg_len(text) <= MAX_RASA_TEXT:
        return text
    parts = split_text(text, MAX_RASA_TEXT)
    return parts[0] if parts else text


def to_html(text: str) -> str:
    """Escape ``text`` for Telegram's HTML mode, rendering nothing.

    Replies echo values workers typed (names, employers); interpreting Markdown in them
    would turn a typed ``[工会](https://…)`` into a clickable link. Our own texts use no
    markup, and Telegram turns plain URLs into links by itself.
    """
    return html.escape(text, quote=False)


def shorten(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
