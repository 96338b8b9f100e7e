"""make test's phase timer: every phase timed, the first failure stops the chain and is
the last row, its exit code is make test's."""

from __future__ import annotations

from scripts.phases import run_phases, table


def _fake(codes: dict[str, int], seconds: dict[str, float]):
    now = [0.0]
    ran: list[str] = []

    def clock() -> float:
        return now[0]

    def run(target: str) -> int:
        ran.append(target)
        now[0] += seconds[target]
        return codes.get(target, 0)

    return run, clock, ran


def test_every_phase_is_timed() -> None:
    run, clock, ran = _fake({}, {"lint": 30, "train": 120})
    code, rows = run_phases(["lint", "train"], run, clock)
    assert code == 0 and ran == ["lint", "train"]
    assert rows == [("lint", 30, 0), ("train", 120, 0)]
    assert table(rows).splitlines()[-1].split() == ["total", "150"]


def test_the_first_failure_stops_the_chain_with_its_code() -> None:
    run, clock, ran = _fake({"test-unit": 2}, {"lint": 30, "test-unit": 90, "train": 120})
    code, rows = run_phases(["lint", "test-unit", "train"], run, clock)
    assert code == 2 and ran == ["lint", "test-unit"]
    assert "FAILED (2)" in table(rows).splitlines()[2]
