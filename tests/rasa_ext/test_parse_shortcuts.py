"""The two parse shortcuts of rasa_ext/patches.py (``payload``, ``parsecache``).

The cache's own rules run without Rasa: bounded, least recently used out, a copy out and a
copy in, no long or number-bearing text kept. The rest runs the trained model in Rasa's
own ``MessageProcessor`` (slow: needs ``make train``): with the shortcuts a button payload
and a repeated question get exactly the parse Rasa's full NLU graph gives them (the
payload's token spans aside, which nothing reads), an unknown or malformed payload still
goes through the graph, and a parse edited by its caller does not change the next one."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

from rasa_ext import patches
from rasa_ext.patches import ParseCache
from tests.support import MODEL

PAYLOADS = [
    "/affirm",
    '/enroll_course{"course":"jxgf_plc"}',
    '/ask_general{"kb_id":"jxgf","attribute":"participants"}',
    '/cancel_record{"record":"BM2026-000123"}',
    '/affirm{"course": ',  # a broken argument: Rasa's handler keeps the intent, drops it
]
#: Not payloads the domain knows: Rasa's graph must still parse them (as before).
NOT_PAYLOADS = ["/no_such_intent", "/", "//affirm"]
QUESTIONS = ["劳模班学费谁出", "匠心工坊办了多少期", "你好", "我的手机是13812345678"]


def key(cache: ParseCache, text: str) -> tuple[str, str, bool]:
    found = cache.key("model-a", text, True)
    assert found is not None, text
    return found


def test_the_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    cache = ParseCache(size=3)
    for text in ("一", "二", "三"):
        cache.put(key(cache, text), {"text": text})
    assert cache.get(key(cache, "一")) == {"text": "一"}  # now the most recent
    cache.put(key(cache, "四"), {"text": "四"})
    assert len(cache) == 3
    assert cache.get(key(cache, "二")) is None  # the least recently used went
    assert [cache.get(key(cache, t)) for t in ("一", "三", "四")] == [{"text": t} for t in ("一", "三", "四")]
    assert (cache.hits, cache.misses) == (4, 1)


def test_the_cache_hands_out_copies_so_a_caller_cannot_change_it() -> None:
    cache = ParseCache()
    parse = {"text": "你好", "intent": {"name": "greet", "confidence": 0.9}, "entities": []}
    cache.put(key(cache, "你好"), parse)
    parse["intent"]["name"] = "changed after put"
    first = cache.get(key(cache, "你好"))
    assert first is not None and first["intent"]["name"] == "greet"
    first["entities"].append({"entity": "course"})
    again = cache.get(key(cache, "你好"))
    assert again is not None and again["entities"] == []


def test_the_cache_keeps_no_personal_numbers_no_long_text_and_one_entry_per_model() -> None:
    cache = ParseCache(max_text=50)
    assert cache.key("m", "我的手机是13812345678", True) is None
    assert cache.key("m", "身份证330200199001011234", True) is None
    assert cache.key("m", "报名" * 26, True) is None
    assert cache.key("m", "", True) is None
    assert cache.key("m", "2024年的课", True) is not None  # a year is not personal
    assert cache.key("model-a", "你好", True) != cache.key("model-b", "你好", True)
    assert cache.key("m", "你好", True) != cache.key("m", "你好", False)


# ---------------------------------------------------------------- with the trained model


@pytest.fixture(scope="module")
def agent() -> Agent:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    return Agent.load(str(MODEL))


def parse(agent: Agent, text: str) -> dict[str, Any]:
    processor = agent.processor
    assert processor is not None
    return processor._parse_message_with_graph(UserMessage(text, sender_id="t"), tracker=None)  # type: ignore[arg-type]


def without_tokens(parse_data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parse_data.items() if k != "text_tokens"}


@pytest.mark.slow
def test_a_payload_gets_the_graphs_parse_without_running_the_graph(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = {text: parse(agent, text) for text in PAYLOADS + NOT_PAYLOADS}
    graph_runs: list[str] = []
    run = agent.processor.graph_runner.run  # type: ignore[union-attr]

    def counted(*args: Any, **kwargs: Any) -> Any:
        graph_runs.append("run")
        return run(*args, **kwargs)

    monkeypatch.setattr(agent.processor.graph_runner, "run", counted)  # type: ignore[union-attr]
    with patches.applied(["payload"]) as active:
        assert active == ["payload"]
        for text in PAYLOADS:
            fast = parse(agent, text)
            assert without_tokens(fast) == without_tokens(plain[text]), text
            assert fast["intent"]["confidence"] == 1.0
        assert graph_runs == []
        for text in NOT_PAYLOADS:
            assert parse(agent, text) == plain[text], text
        assert len(graph_runs) == len(NOT_PAYLOADS)
    entities = {e["entity"]: e["value"] for e in plain['/enroll_course{"course":"jxgf_plc"}']["entities"]}
    assert entities == {"course": "jxgf_plc"}


@pytest.mark.slow
def test_a_repeated_text_is_parsed_once_and_parsed_the_same(agent: Agent) -> None:
    plain = {text: parse(agent, text) for text in QUESTIONS}
    with patches.applied(["parsecache"]):
        cache = patches.parse_cache
        assert cache is not None
        first = {text: parse(agent, text) for text in QUESTIONS}
        first["你好"]["intent"]["name"] = "edited by a caller"  # Rasa edits parses in place
        second = {text: parse(agent, text) for text in QUESTIONS}
        # three questions kept, the one with a phone number parsed every time, never kept
        assert (cache.hits, cache.misses, len(cache)) == (3, 3, 3)
    assert patches.parse_cache is None
    assert second == plain
    assert {t: p for t, p in first.items() if t != "你好"} == {t: p for t, p in plain.items() if t != "你好"}


@pytest.mark.slow
def test_both_shortcuts_install_and_come_off_in_any_order(agent: Agent) -> None:
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.__dict__["_parse_message_with_graph"]
    plain = copy.deepcopy(parse(agent, "/affirm"))
    patches.install(["payload", "parsecache"])
    patches.remove(["payload"])
    assert MessageProcessor.__dict__["_parse_message_with_graph"] is not original
    assert parse(agent, "/affirm") == plain  # the cache alone: the graph's parse, kept
    patches.install(["payload"])
    patches.remove(["parsecache"])
    assert patches.parse_cache is None
    assert without_tokens(parse(agent, "/affirm")) == without_tokens(plain)
    patches.remove(["payload"])
    assert MessageProcessor.__dict__["_parse_message_with_graph"] is original
