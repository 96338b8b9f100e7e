"""The transcript the operators read (WeChat and REST tickets): the last messages, masked."""

from __future__ import annotations

from common import texts
from handoff import transcript_of


def test_the_last_messages_masked_and_cut() -> None:
    events = [{"event": "user", "text": f"第{n}条"} for n in range(12)]
    events += [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "我的手机 13812345678"},
        {"event": "bot", "text": "好" * 400},
        {"event": "bot", "text": "   "},
        "not an event",
    ]
    lines = transcript_of(events).splitlines()  # type: ignore[arg-type]
    assert len(lines) == 10 and lines[0] == "👤 第4条"
    assert "13812345678" not in lines[-2] and lines[-2].startswith("👤 我的手机")
    assert lines[-1] == "🤖 " + "好" * 300


def test_nothing_said_yet() -> None:
    assert transcript_of([{"event": "action", "name": "action_listen"}]) == texts.TRANSCRIPT_EMPTY
