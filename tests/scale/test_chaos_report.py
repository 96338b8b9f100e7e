"""The fault matrix's verdict (scripts/chaos.py ``report``): a conversation whose last
question got an apology or nothing did not continue; one answered with other words did
continue, and the expected-answer count says how many got the knowledge base's answer."""

from __future__ import annotations

from types import SimpleNamespace

from scripts.chaos import Fault, Seen, report


def test_the_verdict_separates_silence_and_apologies_from_other_answers() -> None:
    faults = [Fault("rasa replica", 15, started=100.0, ended=110.0), Fault("Redis", 30, started=130.0, ended=131.0)]
    seen = Seen(
        [(90.0, "w1", "answered"), (105.0, "w1", "answered"), (105.0, "w2", "timeout"), (140.0, "w2", "answered")]
    )
    continues = {
        "w1": "劳模先进班由市县两级工会提供全额学费补贴。",
        "w2": "报道里没有写技术帮扶的费用",  # answered, but not the expected answer
        "w3": "抱歉，系统暂时出了点问题",
        "w4": "",
    }
    run = SimpleNamespace(stats=SimpleNamespace(confirmed={"BM1": "x"}, cancelled=set()))
    summary = report(faults, seen, continues, [], run, 60.0, 85.0, {"rasa0": True})  # type: ignore[arg-type]
    assert summary["conversations_that_did_not_continue"] == ["w3", "w4"]
    assert summary["last_answers_with_the_expected_content"] == "1 of 4"
    assert summary["what_workers_saw"]["rasa replica"] == {
        "turns": {"answered": 1, "timeout": 1},
        "workers_with_a_failed_turn": 1,
    }
    assert summary["sign_ups_confirmed"] == 1 and summary["ok"] is False
    continues.pop("w3"), continues.pop("w4")
    assert report(faults, seen, continues, [], run, 60.0, 85.0, {"rasa0": True})["ok"] is True  # type: ignore[arg-type]
