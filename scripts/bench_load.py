"""Load generators for the REST channel (asyncio + httpx), every loop bounded in count and time."""

from __future__ import annotations

import asyncio
import itertools
import re
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx

#: A worker starts a new conversation (sender) every this many turns, so the latency
#: measured is that of a normal short chat for both assistants, not of a growing history.
TURNS_PER_CONVERSATION = 10


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


@dataclass
class LoadResult:
    workers: int
    latencies: list[float] = field(default_factory=list)  # seconds, successful turns only
    errors: int = 0
    wall_s: float = 0.0
    first_error: str = ""

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.count / self.wall_s if self.wall_s else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 0.50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 0.95) * 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            "workers": self.workers,
            "count": self.count,
            "errors": self.errors,
            "wall_s": self.wall_s,
            "throughput": self.throughput,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
        }


def webhook(rasa_url: str) -> str:
    return f"{rasa_url}/webhooks/rest/webhook"


def new_sender(tag: str) -> str:
    return f"bench-{tag}-{uuid.uuid4().hex[:10]}"


async def turn(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> tuple[float, list[dict]]:
    t0 = time.perf_counter()
    async with session.post(url, json={"sender": sender, "message": text}) as response:
        response.raise_for_status()
        replies = await response.json()
    elapsed = time.perf_counter() - t0
    if not replies:
        raise RuntimeError(f"no reply to {text!r}")
    return elapsed, replies


def reply_text(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies if r.get("text"))


async def _worker(
    client: aiohttp.ClientSession,
    url: str,
    texts: list[str],
    tag: str,
    result: LoadResult,
    deadline: float,
    budget: list[int],
) -> None:
    cycle = itertools.cycle(texts)
    sender, turns = new_sender(tag), 0
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        if turns >= TURNS_PER_CONVERSATION:
            sender, turns = new_sender(tag), 0
        try:
            elapsed, _ = await turn(client, url, sender, next(cycle))
            result.latencies.append(elapsed)
        except Exception as exc:  # noqa: BLE001 - counted, reported
            result.errors += 1
            result.first_error = result.first_error or repr(exc)[:200]
            await asyncio.sleep(0.05)
        turns += 1


async def run_load(
    rasa_url: str,
    texts: list[str],
    workers: int,
    seconds: float,
    max_messages: int,
    tag: str = "load",
    timeout: float = 60.0,
) -> LoadResult:
    """``workers`` concurrent chats sending as fast as they get answers, for at most
    ``seconds`` and ``max_messages`` messages in all."""
    result = LoadResult(workers)
    # aiohttp, not httpx: the load shares this machine's two cores with the servers it
    # measures, and httpx cost ~4.8 ms of CPU per message (69 % of a core at 140 msg/s,
    # measured with /proc), aiohttp ~0.3 ms (~5 % at 170 msg/s). Stock's figure, bound by
    # its own server, moved by ~5 %; ours no longer pays for the client's overhead.
    connector = aiohttp.TCPConnector(limit=workers + 5)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as client:
        budget = [max_messages]
        t0 = time.perf_counter()
        deadline = time.monotonic() + seconds
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    _worker(client, webhook(rasa_url), texts, f"{tag}{w}", result, deadline, budget)
                    for w in range(workers)
                )
            ),
            seconds + timeout + 10,
        )
        result.wall_s = time.perf_counter() - t0
    return result


def first_answer(rasa_url: str, text: str, timeout: float = 120.0) -> tuple[float, str]:
    """Seconds until the first message gets a non-empty answer (the server may still be warming up)."""
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            response = httpx.post(
                webhook(rasa_url),
                json={"sender": new_sender("first"), "message": text},
                timeout=max(1.0, deadline - time.monotonic()),
            )
            if response.status_code == 200 and response.json():
                return time.perf_counter() - t0, reply_text(response.json())
            last = f"HTTP {response.status_code}: {response.text[:100]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise TimeoutError(f"no answer to the first message within {timeout:.0f}s ({last})")


def mean(xs: list[float]) -> float:
    return statistics.fmean(xs) if xs else float("nan")


# --- long conversations: what a worker who stays sends, turn after turn ---------------------------

#: Questions a worker asks, in the order a mixed long chat asks them (the answers come
#: from the knowledge base); ten, so every ten-turn window holds each once.
FAQ_MIX = (
    "劳模班学费谁出",
    "匠心工坊办了多少期",
    "读书节是什么活动",
    "职工书屋有多少家",
    "工惠有约是什么",
    "学历提升补贴怎么回事",
    "公益乐学有哪些课",
    "文体联赛有哪些项目",
    "你好",
    "谢谢",
)
#: What a worker inside a sign-up types instead of the answer: questions, thanks,
#: greetings, 我的报名, the weather (ten, as above).
OFF_TOPIC = (
    "读书节是什么活动",
    "谢谢",
    "你好",
    "劳模班学费谁出",
    "一个月读几本",
    "匠心工坊办了多少期",
    "今天天气怎么样",
    "你是机器人吗",
    "职工书屋有多少家",
    "我的报名",
)
#: The stock `rasa init` assistant's own small talk, as its mixed chat: only what its
#: rules answer anywhere in a chat (greet, goodbye, bot_challenge); its yes/no and moods
#: are answered only inside its stories.
STOCK_MIX = (
    "hello there",
    "are you a bot?",
    "goodbye",
    "hi",
    "am I talking to a bot?",
    "bye",
    "good morning",
    "are you a human?",
    "see you later",
    "hey",
)
_ENROLLMENT_NO = re.compile(r"BM\d{4}-\d{6}")


def _literal(text: str) -> str:
    """A message as a cycle template (``str.format_map`` fills ``{enrollment}``)."""
    return text.replace("{", "{{").replace("}", "}}")


class _Missing(dict):
    """A record number not seen yet (the enrollment failed): an unknown one."""

    def __missing__(self, key: str) -> str:
        return "BM0000-000000"


@dataclass
class Chat:
    """One conversation following a :class:`Pattern`; ``turn`` counts from 1."""

    sender: str
    turn: int = 0
    last: str = ""
    state: dict[str, str] = field(default_factory=dict)
    surprises: int = 0  # replies that did not say what the pattern expects
    first_surprise: str = ""


@dataclass(frozen=True)
class Pattern:
    """A long conversation: ``prefix`` opening turns, then a cycle of ten turns.

    ``prefix`` turns are not compared (the start of a form costs more than what follows);
    the window of a fresh chat measured against turns 191–200 of a long one is the ten
    turns after the prefix, so both windows hold every turn of the cycle once.
    ``expect`` says, for each turn of the cycle, a piece of text the reply must contain
    (a sanity check that the conversation goes where the pattern says; not a test).
    """

    key: str
    label: str
    prefix: tuple[str, ...]
    cycle: tuple[str, ...]
    expect: tuple[str, ...] = ()
    registered: bool = False  # the worker is in the registry before the chat starts
    forms: bool = True  # needs sign-up forms (the stock assistant has none)

    def message(self, chat: Chat) -> str:
        i = chat.turn - 1
        if i < len(self.prefix):
            return self.prefix[i]
        return self.cycle[(i - len(self.prefix)) % len(self.cycle)].format_map(_Missing(chat.state))

    def check(self, chat: Chat, reply: str) -> None:
        i = chat.turn - 1 - len(self.prefix)
        number = _ENROLLMENT_NO.search(reply)
        if number and "报名成功" in reply:
            chat.state["enrollment"] = number.group(0)
        if i < 0 or not self.expect:
            return
        wanted = self.expect[i % len(self.expect)]
        if wanted and wanted not in reply:
            chat.surprises += 1
            chat.first_surprise = chat.first_surprise or f"turn {chat.turn}: {reply[:80]!r} lacks {wanted!r}"


#: The three long conversations of issue #13 (item 6), ours; the stock assistant runs
#: its own mixed chat beside them.
PATTERNS: tuple[Pattern, ...] = (
    Pattern("faq", "a mix of questions", (), tuple(_literal(t) for t in FAQ_MIX), forms=False),
    Pattern(
        "form_offtopic",
        "a form that gets off-topic messages",
        ("帮我报名PLC编程",),
        tuple(_literal(t) for t in OFF_TOPIC),
        expect=("姓名",) * len(OFF_TOPIC),  # the form asks its question again every time
    ),
    Pattern(
        "alternating",
        "a form and questions alternating",
        (),
        (
            '/enroll_course{{"course":"jxgf_plc"}}',
            _literal(FAQ_MIX[0]),
            "/affirm",
            _literal(FAQ_MIX[1]),
            "/affirm",
            _literal(FAQ_MIX[2]),
            '/cancel_record{{"record":"{enrollment}"}}',
            _literal(FAQ_MIX[3]),
            "/affirm",
            _literal(FAQ_MIX[4]),
        ),
        # the profile question (您是…吗), asked again after the question, the same for the
        # confirmation, then saved; the cancel form likewise; questions outside say anything
        expect=("您是", "您是", "确认报名", "确认报名", "报名成功", "", "确认取消", "确认取消", "已取消", ""),
        registered=True,
    ),
)
STOCK_PATTERN = Pattern("faq", "a mix of questions", (), tuple(_literal(t) for t in STOCK_MIX), forms=False)


async def chat_turn(client: httpx.AsyncClient, rasa_url: str, pattern: Pattern, chat: Chat) -> float:
    """The next turn of ``chat``; its latency in seconds. A turn without a reply is timed
    and counted as a surprise (the conversation goes on, as a worker's would)."""
    chat.turn += 1
    text = pattern.message(chat)
    t0 = time.perf_counter()
    response = await client.post(webhook(rasa_url), json={"sender": chat.sender, "message": text})
    elapsed = time.perf_counter() - t0
    response.raise_for_status()
    chat.last = reply_text(response.json())
    if not chat.last:
        chat.surprises += 1
        chat.first_surprise = chat.first_surprise or f"turn {chat.turn}: no reply to {text!r}"
    pattern.check(chat, chat.last)
    return elapsed
