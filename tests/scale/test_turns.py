"""The checker the scale tests trust to see interleaved turns: it must see them, and must
not mistake a rollover's new session for one."""

from __future__ import annotations

from tests.scale.turns import turn_problems


def _action(name: str) -> dict:
    return {"event": "action", "name": name}


def _turn(text: str, action: str = "action_answer_question") -> list[dict]:
    return [{"event": "user", "text": text}, _action(action), {"event": "bot", "text": "答"}, _action("action_listen")]


def _rollover(last: str | None, form: str | None = None) -> list[dict]:
    events = [_action("action_session_start"), {"event": "session_started"}, {"event": "slot", "name": "x"}]
    if form:
        events.append({"event": "active_loop", "name": form})
    if last:
        events.append(_action(last))
    return events + [_action("action_listen")]


def test_whole_turns_and_a_rollover_are_accepted() -> None:
    events = _turn("一") + _rollover("action_answer_question", form="enroll_form") + _turn("二")
    assert turn_problems(events) == []


def test_interleaved_turns_are_seen() -> None:
    first, second = _turn("一"), _turn("二")
    events = first[:2] + second + first[2:]
    assert turn_problems(events) != []


def test_an_action_after_the_listen_is_seen() -> None:
    events = _turn("一") + [_action("action_answer_question")] + _turn("二")
    assert turn_problems(events) == ["#4: action action_answer_question outside any turn"]


def test_a_session_start_repeats_at_most_one_action() -> None:
    events = _turn("一") + _rollover("action_answer_question")
    events.insert(-1, _action("action_answer_question"))
    assert len(turn_problems(events)) == 1


def test_a_form_opened_outside_a_session_start_is_seen() -> None:
    events = _turn("一") + [{"event": "active_loop", "name": "enroll_form"}] + _turn("二")
    assert turn_problems(events) == ["#4: active_loop:enroll_form outside any turn"]
