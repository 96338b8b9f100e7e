"""The patches of rasa_ext/patches.py on Rasa's own call path: a custom-action turn as
Rasa runs it (``RemoteAction`` calling an action server on 127.0.0.1, the project's
domain, the tracker store of endpoints.yml) checks the reply schema once and looks each
event class up once with the speed-ups, and does the same work on every turn without
them, with the same replies and the same stored events. Plus the fences: pinned versions,
refusal on any other version, and removal."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction, action_for_name_or_text
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.utils.endpoints import EndpointConfig

from rasa_ext import patches, speedups
from rasa_ext.tracker_store import BoundedSQLTrackerStore
from tests.rasa_ext.harness import EVERY_PATCH, EVERY_SPEEDUP, RasaWork, serve_on_loopback

REPO = Path(__file__).resolve().parents[2]
ACTION = "action_answer_question"
REPLY = {
    "events": [{"event": "slot", "name": "unanswered_streak", "value": 0, "timestamp": None}],
    "responses": [{"text": "（测试）动作服务器的回答", "buttons": [{"title": "转人工", "payload": "/request_human"}]}],
}
QUESTIONS = ["劳模先进班的学费谁出", "读书团队是干嘛的", "职工书屋示范点有几家", "学历提升有补贴吗"]


class ActionServer:
    """A stand-in for the action server on 127.0.0.1: answers every action call with
    ``reply`` (a valid reply unless a test says otherwise) and counts the calls."""

    def __init__(self) -> None:
        self.reply: dict[str, Any] = REPLY
        self.calls: list[str] = []
        self.peers: list[object] = []  # the client end of the TCP connection of each call
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(body["next_action"])
        assert request.transport is not None
        self.peers.append(request.transport.get_extra_info("peername"))
        return web.json_response(self.reply)

    async def start(self) -> ActionServer:
        app = web.Application()
        app.router.add_post("/webhook", self._webhook)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def endpoint(self) -> EndpointConfig:
        return EndpointConfig(url=f"http://127.0.0.1:{self.port}/webhook")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain"))


@pytest.fixture
async def action_server() -> AsyncIterator[ActionServer]:
    server = await ActionServer().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def store(domain: Domain, tmp_path: Path) -> BoundedSQLTrackerStore:
    # as endpoints.yml configures it, but without the tracker cache (its own tests are in
    # test_tracker_cache.py): here every turn loads and saves as Rasa does
    return BoundedSQLTrackerStore(
        domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"), max_session_events=60, tracker_cache_size=0
    )


async def custom_action_turn(
    store: BoundedSQLTrackerStore, domain: Domain, endpoint: EndpointConfig, sender: str, text: str
) -> tuple[list[str], int]:
    """One turn with a custom action, through the parts of Rasa a served turn uses: the
    conversation loaded from the tracker store, the action Rasa resolves for the name,
    its HTTP call and reply validation, the events it returns, the save. Returns the bot
    texts and how many stored events the turn loaded."""
    tracker = await store.get_or_create_tracker(sender)
    loaded = len(tracker.events)
    tracker.update(UserUttered(text, {"name": "ask_general", "confidence": 1.0}))
    action = action_for_name_or_text(ACTION, domain, endpoint)
    assert isinstance(action, RemoteAction)
    events = await action.run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain
    )
    tracker.update(ActionExecuted(ACTION))
    tracker.update_with_events(events, domain)
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    await store.save(tracker)
    return [event.text or "" for event in events if isinstance(event, BotUttered)], loaded


def stored(events: list[Event]) -> list[tuple[str, str | None]]:
    return [(event.type_name, getattr(event, "action_name", None) or getattr(event, "text", None)) for event in events]


async def conversation(
    store: BoundedSQLTrackerStore, domain: Domain, server: ActionServer, sender: str, work: RasaWork
) -> dict[str, Any]:
    """The questions as one conversation: what Rasa answered and stored, how many stored
    events the turns loaded, and the work counted."""
    work.reset()
    server.peers.clear()
    replies, loaded = [], 0
    for question in QUESTIONS:
        texts, events = await custom_action_turn(store, domain, server.endpoint, sender, question)
        replies.append(texts)
        loaded += events
    tracker = await store.retrieve(sender)
    assert tracker is not None
    return {
        "replies": replies,
        "events": stored(list(tracker.events)),
        "loaded": loaded,
        "schema_checks": work.schema_checks,
        "event_class_walks": work.event_class_walks,
        "connections": len(set(server.peers)),
    }


async def test_a_custom_action_turn_does_the_saved_work_once_and_answers_the_same(
    store: BoundedSQLTrackerStore, domain: Domain, action_server: ActionServer, rasa_work: RasaWork
) -> None:
    with patches.applied() as active:
        assert active == EVERY_PATCH
        fast = await conversation(store, domain, action_server, "w-fast", rasa_work)
    assert await patches.close_kept_sessions() == 1
    assert patches.installed() == []
    plain = await conversation(store, domain, action_server, "w-plain", rasa_work)

    turns = len(QUESTIONS)
    assert action_server.calls == [ACTION] * (2 * turns)
    # fastval: the schema was checked when the patch went in, never per reply; Rasa as
    # shipped checks it on every custom action's reply
    assert fast["schema_checks"] == 0
    assert plain["schema_checks"] == turns
    # evcache: the class tree is walked once per event type; Rasa as shipped walks it for
    # each event it loads and each event an action returns
    assert fast["event_class_walks"] == len({type_name for type_name, _ in fast["events"]}) == 4
    assert plain["event_class_walks"] >= plain["loaded"] + turns > 4 * turns
    # keepalive: every call on one TCP connection; Rasa as shipped opens one per call
    assert fast["connections"] == 1
    assert plain["connections"] == turns
    # and Rasa answered and stored exactly the same
    assert fast["replies"] == plain["replies"] == [["（测试）动作服务器的回答"]] * turns
    assert fast["events"] == plain["events"]
    assert fast["loaded"] == plain["loaded"]


@pytest.mark.parametrize("with_patches", [True, False], ids=["patched", "as-shipped"])
async def test_a_bad_action_reply_is_refused_with_rasas_error(
    store: BoundedSQLTrackerStore, domain: Domain, action_server: ActionServer, with_patches: bool
) -> None:
    action_server.reply = {"events": "not a list", "responses": []}
    with patches.applied(["fastval"] if with_patches else []):
        for _ in range(2):  # the second time through the kept validator
            with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
                await custom_action_turn(store, domain, action_server.endpoint, "w-bad", "你好")


def test_event_classes_resolve_as_before() -> None:
    with patches.applied(["evcache"]):
        for name in ("user", "bot", "action", "slot", "session_started", "active_loop", "followup"):
            cls = Event.resolve_by_type(name)
            assert cls is not None and cls.type_name == name
            assert Event.resolve_by_type(name) is cls
        assert Event.resolve_by_type("no such event", default=BotUttered) is BotUttered
        assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
        with pytest.raises(ValueError):
            Event.resolve_by_type("no such event")


# ------------------------------------------------------------------ the fences


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s;#]+)", line.strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_the_patches_are_written_for_the_pinned_versions() -> None:
    pinned = {**pins(REPO / "constraints.txt"), **pins(REPO / "requirements.txt")}
    assert {name: pinned[name] for name in patches.PINNED} == patches.PINNED
    assert patches.version_problem(patches.PINNED) is None, "the installed versions are the pinned ones"


@pytest.mark.parametrize(
    ("name", "versions", "named"),
    [
        ("fastval", {"rasa": "3.7.0", "jsonschema": "4.17.3"}, "rasa 3.7.0 (written for 3.6.21)"),
        ("fastval", {"rasa": "3.6.21", "jsonschema": "4.23.0"}, "jsonschema 4.23.0 (written for 4.17.3)"),
        ("evcache", {"rasa": None}, "rasa missing (written for 3.6.21)"),
    ],
)
def test_on_another_version_a_patch_refuses_with_one_log_line(
    name: str, versions: dict[str, str | None], named: str, caplog: pytest.LogCaptureFixture
) -> None:
    originals = (RemoteAction.__dict__["_validate_action_result"], Event.__dict__["resolve_by_type"])
    with caplog.at_level(logging.DEBUG, logger="rasa_ext.patches"):
        assert patches.install([name], versions=versions) == []
    assert patches.installed() == []
    assert (RemoteAction.__dict__["_validate_action_result"], Event.__dict__["resolve_by_type"]) == originals
    (record,) = [r for r in caplog.records if r.name == "rasa_ext.patches"]
    assert record.levelno == logging.WARNING
    assert name in record.getMessage() and named in record.getMessage() and "not installed" in record.getMessage()


def test_removing_puts_rasas_originals_back() -> None:
    originals = (RemoteAction.__dict__["_validate_action_result"], Event.__dict__["resolve_by_type"])
    assert patches.install(["fastval", "evcache"]) == ["fastval", "evcache"]
    replaced = (RemoteAction.__dict__["_validate_action_result"], Event.__dict__["resolve_by_type"])
    assert replaced[0] is not originals[0] and replaced[1] is not originals[1]
    assert patches.install(["fastval"]) == ["fastval"]  # idempotent: not wrapped twice
    assert RemoteAction.__dict__["_validate_action_result"] is replaced[0]
    patches.remove()
    assert (RemoteAction.__dict__["_validate_action_result"], Event.__dict__["resolve_by_type"]) == originals
    assert patches.installed() == []


def test_applied_leaves_patches_installed_before_it_alone() -> None:
    patches.install(["evcache"])
    with patches.applied(["fastval", "evcache"]):
        assert patches.installed() == ["fastval", "evcache"]
    assert patches.installed() == ["evcache"]


# ------------------------------------------------------------------ UH_RASA_SPEEDUPS


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (
            None,
            EVERY_SPEEDUP,
        ),
        (
            "all",
            EVERY_SPEEDUP,
        ),
        ("none", []),
        ("off", []),
        ("fastval", ["fastval"]),
        (" evcache , fastval ", ["evcache", "fastval"]),
    ],
)
def test_selection_of_the_speedups(setting: str | None, expected: list[str]) -> None:
    assert speedups.selected(setting) == expected


def test_a_misspelt_setting_is_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="fastval"):
        speedups.selected("fastvall")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            None,
            EVERY_SPEEDUP,
        ),
        ("evcache", ["evcache"]),
        ("evcache,trackercache", ["evcache", "trackercache"]),
        ("none", []),
    ],
)
def test_the_speedups_follow_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: list[str]
) -> None:
    if value is None:
        monkeypatch.delenv("UH_RASA_SPEEDUPS", raising=False)
    else:
        monkeypatch.setenv("UH_RASA_SPEEDUPS", value)
    assert speedups.install() == expected
    assert patches.installed() == [name for name in expected if name != "trackercache"]
    assert speedups.enabled("trackercache") == ("trackercache" in expected)
