"""The per-event-type check of an action reply decides exactly as Rasa's whole schema does.

Each reply below is judged twice, by :class:`ReplyValidator` and by jsonschema with
Rasa's schema as written: a set of events of every type Rasa knows, then every one of
them with each field removed or replaced by a value of another kind, and replies that are
not the right shape at all.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AgentUttered,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    EntitiesAdded,
    FollowupAction,
    LoopInterrupted,
    ReminderCancelled,
    Restarted,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserUtteranceReverted,
    UserUttered,
)

from rasa_ext.reply_validation import ReplyValidator

SCHEMA = RemoteAction.action_response_format_spec()
ENTITY = {"entity": "course", "value": "PLC编程", "start": 0, "end": 5, "confidence": 0.9, "extractor": "CRF"}
ODD_VALUES: tuple[Any, ...] = (None, 1, 1.5, True, "x", [], {}, [1], {"a": 1}, [{"entity": 1}])


def sample_events() -> list[dict[str, Any]]:
    events = [
        UserUttered(
            "劳模班学费谁出",
            {"name": "ask_subsidy", "confidence": 0.93},
            entities=[ENTITY],
            parse_data={
                "intent_ranking": [{"name": "ask_subsidy", "confidence": 0.93}],
                "response_selector": {"all_retrieval_intents": []},
            },
        ),
        ActionExecuted("action_answer_question", policy="RulePolicy", confidence=1.0),
        SlotSet("topic", "劳模"),
        SlotSet("seats", 3),
        EntitiesAdded([ENTITY]),
        ReminderCancelled(name="r"),
        ActionExecutionRejected("enroll_form"),
        LoopInterrupted(True),
        ActiveLoop("enroll_form"),
        AllSlotsReset(),
        ConversationResumed(),
        ConversationPaused(),
        FollowupAction("action_listen"),
        StoryExported(),
        Restarted(),
        ActionReverted(),
        UserUtteranceReverted(),
        BotUttered("您好", {"buttons": []}),
        SessionStarted(),
        AgentUttered("hi"),
    ]
    dicts = [event.as_dict() for event in events]
    dicts += [{"event": "user_featurization", "use_text_for_featurization": False}, {"event": "form", "name": None}]
    dicts += [{"event": "form_validation", "validate": True}]
    return dicts


def odd_versions(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in event:
        removed = dict(event)
        del removed[key]
        yield removed
        for value in ODD_VALUES:
            yield {**event, key: value}
    for value in ODD_VALUES:
        yield {**event, "extra": value}
    for name in ("user", "slot", "bot", "no such type", "", "USER"):
        yield {**event, "event": name}
    if "parse_data" in event:
        for key in ("intent", "entities", "intent_ranking", "response_selector", "text"):
            for value in ODD_VALUES:
                yield {**event, "parse_data": {**event["parse_data"], key: value}}
    if "entities" in event:
        for value in ODD_VALUES:
            yield {**event, "entities": [{**ENTITY, "start": value}]}


def replies() -> Iterator[Any]:
    events = sample_events()
    yield {"events": events, "responses": [{"text": "您好"}]}
    yield {"events": [], "responses": []}
    yield {}
    for event in events:
        for odd in odd_versions(event):
            yield {"events": [events[0], odd], "responses": []}
    for value in ODD_VALUES:
        yield value
        yield {"events": value, "responses": []}
        yield {"events": [], "responses": value}
        yield {"events": [value]}


def test_it_decides_every_reply_as_the_whole_schema() -> None:
    ours = ReplyValidator(SCHEMA)
    assert ours.shortcut, "Rasa's schema has the shape the shortcut was worked out for"
    theirs = validators.validator_for(SCHEMA)(SCHEMA)
    judged = accepted = 0
    for reply in replies():
        before = copy.deepcopy(reply)
        assert ours.is_valid(reply) == theirs.is_valid(reply), reply
        assert reply == before  # nothing is changed in the reply
        judged += 1
        accepted += theirs.is_valid(reply)
    assert judged > 1000 and 200 < accepted < judged - 200  # both kinds, many of each


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object"},
        {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object"}}}},
        {**SCHEMA, "properties": {**SCHEMA["properties"], "events": {"type": "array", "minItems": 1, "items": {}}}},
    ],
    ids=["no events", "events without oneOf", "other array rules"],
)
def test_another_schema_is_checked_whole(schema: dict[str, Any]) -> None:
    ours = ReplyValidator(schema)
    assert not ours.shortcut
    theirs = validators.validator_for(schema)(schema)
    for reply in ({"events": []}, {"events": [{"event": "x"}]}, {"events": "no"}, []):
        assert ours.is_valid(reply) == theirs.is_valid(reply)
