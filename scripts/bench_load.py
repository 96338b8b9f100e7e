"""Load generators for the REST channel (asyncio + httpx), every loop bounded in count and time."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

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


async def turn(client: httpx.AsyncClient, url: str, sender: str, text: str) -> tuple[float, list[dict]]:
    t0 = time.perf_counter()
    response = await client.post(url, json={"sender": sender, "message": text})
    elapsed = time.perf_counter() - t0
    response.raise_for_status()
    replies = response.json()
    if not replies:
        raise RuntimeError(f"no reply to {text!r}")
    return elapsed, replies


def reply_text(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies if r.get("text"))


async def _worker(
    client: httpx.AsyncClient,
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
    limits = httpx.Limits(max_connections=workers + 5, max_keepalive_connections=workers + 5)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
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
