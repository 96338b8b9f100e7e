"""Several questions in one message ("我是劳模，读本科学费全免吗？还有读书团队怎么加").

Split where a worker starts another question ("？", "；", "还有", "另外", "顺便问一下" …),
never at a comma (a comma joins a premise to its question: "我是劳模，读本科学费全免吗"),
and answer each part in turn, each resolved with the context the part before it left
("PLC在哪上？什么时候开始？": the second part is about PLC too).
"""

from __future__ import annotations

import re

from knowledge.text import normalize

#: Where another question starts. "还有" only counts after a question mark or a space,
#: or followed by a topic ("还有别的吗" on its own is one question about siblings).
_SPLIT = re.compile(
    r"[？?；;！!。]+\s*(?:还有|另外|此外|以及|顺便问一下|顺便问下|再问一下|再问下|再问)?"
    r"|\s+(?:还有|另外|此外|顺便问一下|顺便问下|再问一下|再问下)"
    r"|(?<=[吗呢])\s*(?:还有|另外|此外|顺便问一下|顺便问下|再问一下|再问下)"
)
#: At most this many questions of one message are answered (a phone screen).
MAX_QUESTIONS = 3
#: A part shorter than this (normalised) is not a question of its own ("好的？").
MIN_PART = 2


def split_questions(text: str) -> list[str]:
    """The questions of ``text`` in order; one item when it asks one thing."""
    parts = [p.strip(" ，,、") for p in _SPLIT.split(text or "")]
    parts = [p for p in parts if len(normalize(p)) >= MIN_PART]
    return parts[:MAX_QUESTIONS] if len(parts) > 1 else [text.strip()]
