"""The benchmark charts (PNG, docs/): latency against turn number, throughput against workers."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def _rolling(xs: list[float], k: int = 5) -> list[float]:
    out, acc = [], 0.0
    for i, x in enumerate(xs):
        acc += x
        if i >= k:
            acc -= xs[i - k]
        out.append(acc / min(i + 1, k))
    return out


def draw(path: Path, turns: dict[str, list[float]], load: dict[str, dict[int, float]], note: str) -> Path:
    """``turns``: label -> per-turn latency (s); ``load``: label -> {workers: messages/s}."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    styles = ["-", "--", "-.", ":"]
    for i, (label, lat) in enumerate(turns.items()):
        ms = [x * 1000 for x in lat]
        left.plot(range(1, len(ms) + 1), ms, styles[i % 4], alpha=0.25, linewidth=0.8, color=f"C{i}")
        left.plot(range(1, len(ms) + 1), _rolling(ms), styles[i % 4], color=f"C{i}", label=f"{label} (5-turn mean)")
    left.set_xlabel("turn number in one conversation")
    left.set_ylabel("latency of the turn (ms)")
    left.set_title("Latency vs. turn number")
    left.set_ylim(bottom=0)
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    for i, (label, series) in enumerate(load.items()):
        xs = sorted(series)
        right.plot(xs, [series[x] for x in xs], styles[i % 4], marker="o", color=f"C{i}", label=label)
    right.set_xlabel("concurrent workers (chats)")
    right.set_ylabel("throughput (messages/s)")
    right.set_title("Throughput vs. concurrent workers")
    right.set_ylim(bottom=0)
    right.grid(alpha=0.3)
    right.legend(fontsize=8)
    fig.suptitle(note, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
