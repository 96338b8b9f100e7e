"""Run ``make`` targets one after the other and print how long each took.

``make test`` is a chain of phases (setup, lint, training, the suites); when it is slow, the
first question is which phase. This prints the table at the end, also when a phase fails
(the failing phase is the last row), and stops at the first failure with make's exit code.

Standard library only: it runs before the virtualenv exists (the first phase creates it).

    python3 -m scripts.phases setup lint test-unit
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Sequence


def run_phases(
    targets: Sequence[str],
    run: Callable[[str], int] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[int, list[tuple[str, float, int]]]:
    """Each target in order until one fails: (exit code, [(target, seconds, code)…])."""
    run = run or _make
    rows: list[tuple[str, float, int]] = []
    for target in targets:
        start = clock()
        code = run(target)
        rows.append((target, clock() - start, code))
        if code != 0:
            return code, rows
    return 0, rows


def table(rows: Sequence[tuple[str, float, int]]) -> str:
    width = max([len(name) for name, _, _ in rows] + [5])
    lines = [f"{'phase':<{width}}  seconds"]
    for name, seconds, code in rows:
        lines.append(f"{name:<{width}}  {seconds:7.0f}" + ("" if code == 0 else f"  FAILED ({code})"))
    lines.append(f"{'total':<{width}}  {sum(s for _, s, _ in rows):7.0f}")
    return "\n".join(lines)


def _make(target: str) -> int:
    print(f"=== {target}", flush=True)
    return subprocess.call(["make", "--no-print-directory", target])


def main(argv: list[str] | None = None) -> int:
    targets = sys.argv[1:] if argv is None else argv
    code, rows = run_phases(targets)
    print(table(rows), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
