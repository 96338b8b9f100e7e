"""Checks on a conversation's stored events: are its turns whole and in order?"""

from __future__ import annotations

import json
from collections.abc import Iterable

LISTEN = "action_listen"
# What BoundedSQLTrackerStore (and Rasa's session start) may append after a turn's listen.
BETWEEN_TURNS = {"action_session_start", LISTEN}
BETWEEN_TURN_TYPES = {"session_started", "slot", "pause", "resume"}
# What only a rollover's new session may hold before its listen: the form re-opened and the
# turn's last action repeated (BoundedSQLTrackerStore.rollover_events).
ROLLOVER_TYPES = {"active_loop", "action_execution_rejected"}


def describe(event: dict) -> str:
    return f"{event.get('event')}:{event.get('name') or event.get('text') or ''}"


def turn_problems(events: Iterable[dict]) -> list[str]:
    """Where the events are not ``user, its actions…, action_listen`` turn after turn.

    ``events`` are Rasa event dicts in stored order. Interleaved turns of two replicas
    show up as two user events without a listen between them, or as a turn's actions
    after its listen.
    """
    problems: list[str] = []
    in_turn = False  # after a user event, before the action_listen that ends the turn
    acted = False
    starting = False  # after session_started, before the listen that ends the session start
    repeated = 0  # actions repeated by the current session start
    user_text = ""
    for index, event in enumerate(events):
        kind = event.get("event")
        name = event.get("name")
        if kind == "session_started":
            starting, repeated = True, 0
        if kind == "user":
            if in_turn:
                problems.append(f"#{index}: user {event.get('text')!r} before {user_text!r} was answered")
            in_turn, acted, starting, user_text = True, False, False, str(event.get("text"))
        elif kind == "action":
            if in_turn:
                if name == LISTEN:
                    if not acted:
                        problems.append(f"#{index}: {user_text!r} got no action before the listen")
                    in_turn = False
                else:
                    acted = True
            elif name == LISTEN:
                starting = False
            elif name in BETWEEN_TURNS:
                pass
            elif starting and repeated == 0:
                repeated = 1
            else:
                problems.append(f"#{index}: action {name} outside any turn")
        elif not in_turn and kind == "bot":
            problems.append(f"#{index}: a bot message outside any turn: {describe(event)}")
        elif not in_turn and starting and kind in ROLLOVER_TYPES:
            pass
        elif not in_turn and kind not in BETWEEN_TURN_TYPES:
            problems.append(f"#{index}: {describe(event)} outside any turn")
    if in_turn:
        problems.append(f"the last turn {user_text!r} has no closing listen")
    return problems


def stored_events(connection, sender_id: str) -> list[dict]:
    """The conversation's events as stored by SQLTrackerStore (PostgreSQL or SQLite)."""
    cursor = connection.cursor()
    marker = "%s" if cursor.__class__.__module__.startswith("psycopg2") else "?"
    cursor.execute(f"SELECT data FROM events WHERE sender_id = {marker} ORDER BY id", (sender_id,))
    return [json.loads(row[0]) for row in cursor.fetchall()]
