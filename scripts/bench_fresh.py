"""Fresh clone → first answer, phase by phase (issue #18): what a new user's ``make run``
costs on this machine, measured on a real clone of the current commit.

The phases are the ones ``make run`` goes through: ``git clone``; ``make setup`` (a new
venv and ``pip install -r requirements.txt -c constraints.txt``, with pip's download
cache **off** by default, so every package comes from the registry as on a new machine);
``make train`` (a clean Rasa training cache: the clone has none); the servers' start
(``scripts.stack serve``, as ``make run`` starts them) until the first worker message is
answered over the REST channel. Only committed files are measured: a clone has nothing
else.

Run alone: ``.venv/bin/python -m scripts.bench_fresh`` (``--pip-cache`` to let pip use its
cache, ``--keep`` to keep the clone); ``make bench`` runs it unless ``--no-fresh-clone``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts import bench_infra as infra
from scripts import bench_load as load

REPO = Path(__file__).resolve().parents[1]
#: A question whose answer ``make run``'s first reply must contain (as in ``make bench``).
FIRST_QUESTION, FIRST_FACT = "劳模班学费谁出", "全额"
PHASES = ("clone", "setup", "train", "start → first answer")
#: The last measured phases (``make bench --fresh-clone reuse`` reads them).
RESULT = REPO / "var" / "bench" / "fresh.json"


def _timed(argv: list[str], cwd: Path, env: dict[str, str], log_path: Path, timeout: float) -> float:
    t0 = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as out:
        done = subprocess.run(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    if done.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-1500:]
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}); log {log_path}:\n{tail}")
    return time.perf_counter() - t0


def measure(log: Callable[[str], None], pip_cache: bool = False, keep: bool = False) -> dict[str, Any]:
    """The seconds of each phase (and their sum) for a clone of HEAD; raises on a failed phase."""
    work = Path(tempfile.mkdtemp(prefix="uh-fresh-"))
    clone, logs = work / "union-helper", work / "logs"
    logs.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env.pop("PIP_NO_CACHE_DIR", None)
    if not pip_cache:
        env["PIP_NO_CACHE_DIR"] = "1"
    seconds: dict[str, float] = {}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        log(f"fresh clone of {commit} in {clone} (pip cache {'on' if pip_cache else 'off'})")
        seconds["clone"] = _timed(
            ["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)], work, env, logs / "clone.log", 300
        )
        seconds["setup"] = _timed(["make", "setup"], clone, env, logs / "setup.log", 3600)
        log(f"fresh clone: setup {seconds['setup']:.0f}s")
        seconds["train"] = _timed(["make", "train"], clone, env, logs / "train.log", 3600)
        log(f"fresh clone: train {seconds['train']:.0f}s")
        rasa_port, action_port = infra.free_port(), infra.free_port()
        serve_env = {
            **env,
            "RASA_PORT": str(rasa_port),
            "ACTION_PORT": str(action_port),
            "UH_DATA_DIR": str(work / "data"),
        }
        t0 = time.perf_counter()
        with (logs / "serve.log").open("w", encoding="utf-8") as out:
            proc = subprocess.Popen(
                [str(clone / ".venv/bin/python"), "-m", "scripts.stack", "serve", "--no-console"],
                cwd=clone,
                env=serve_env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                # polled from the moment the servers are launched until one answers
                _, text = load.first_answer(f"http://127.0.0.1:{rasa_port}", FIRST_QUESTION, timeout=600)
                seconds["start → first answer"] = time.perf_counter() - t0
                if FIRST_FACT not in text:
                    raise RuntimeError(f"the first answer lacks {FIRST_FACT!r}: {text[:200]!r}")
            finally:
                os.killpg(proc.pid, signal.SIGTERM)  # the stack stops its servers on SIGTERM
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        total = sum(seconds.values())
        log("fresh clone → first answer: " + ", ".join(f"{k} {v:.0f}s" for k, v in seconds.items()) + f"; {total:.0f}s")
        return {"commit": commit, "pip_cache": pip_cache, "seconds": seconds, "total": total}
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def measure_and_keep(log: Callable[[str], None], pip_cache: bool = False, keep: bool = False) -> dict[str, Any]:
    """:func:`measure`, and its result kept in :data:`RESULT`."""
    result = measure(log, pip_cache=pip_cache, keep=keep)
    result["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def last_result() -> dict[str, Any] | None:
    try:
        found = json.loads(RESULT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and "seconds" in found else None


def table(result: dict[str, Any]) -> list[str]:
    """The phases as Markdown lines for docs/benchmarks.md."""
    seconds = result["seconds"]
    cache = "pip's download cache on" if result["pip_cache"] else "pip's download cache off: every package downloaded"
    rows = [
        f"Fresh clone → first answer (commit {result['commit']}, {result.get('date', 'this run')}, {cache}; "
        "target ≤ 5 min):",
        "",
        "| phase | seconds |",
        "|---|---|",
        *(f"| {name} | {seconds[name]:.0f} |" for name in PHASES if name in seconds),
        f"| **total** | **{result['total']:.0f}** ({result['total'] / 60:.1f} min) |",
    ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_fresh", description=__doc__.splitlines()[0])
    parser.add_argument("--pip-cache", action="store_true", help="let pip use its download cache")
    parser.add_argument("--keep", action="store_true", help="keep the clone (its logs are in logs/)")
    args = parser.parse_args(argv)
    log = lambda line: print(f"[fresh] {line}", flush=True)  # noqa: E731
    result = measure_and_keep(log, pip_cache=args.pip_cache, keep=args.keep)
    print("\n".join(table(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
