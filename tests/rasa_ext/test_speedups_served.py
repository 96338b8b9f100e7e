"""The speed-ups in the Rasa server as it serves a worker: the trained model in Rasa's
Agent, loaded from the project's endpoints.yml (our tracker store), the real action server
running the real custom actions, and our REST channel registered as ``rasa run`` registers
it (which installs the speed-ups). Each speed-up is shown in effect — the reply schema is
checked once, not once per turn; an event class is looked up once, not once per stored
event — and with the patches removed the same conversation gets the same answers and
leaves the same events. Needs the trained model (``make train``)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rasa.core.agent import Agent, load_agent
from rasa.core.utils import AvailableEndpoints

from rasa_ext import patches
from rasa_ext.tracker_store import BoundedSQLTrackerStore
from scripts.stack import REPO, Stack
from tests.rasa_ext.harness import EVERY_PATCH, RasaWork, served_channel
from tests.support import MODEL, stack_on_free_ports

pytestmark = pytest.mark.slow

QUESTIONS = ["劳模先进班的学费谁出", "读书团队是干嘛的", "职工书屋示范点有几家", "劳模班读书要自己掏钱吗"]
FACTS = {"劳模先进班的学费谁出": "全额", "职工书屋示范点有几家": "78"}


@pytest.fixture
def action_server(tmp_path: Path) -> Iterator[Stack]:
    stack = stack_on_free_ports(tmp_path, "speedups-token")
    stack.data.mkdir(parents=True, exist_ok=True)
    stack.start_actions()
    try:
        stack.wait_ready(timeout=300)
        yield stack
    finally:
        stack.stop()


async def agent_for(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Agent:
    """Rasa's agent as ``rasa run`` builds it from endpoints.yml (the variables that
    scripts/stack.py would set)."""
    monkeypatch.setenv("ACTION_ENDPOINT_URL", f"{stack.action_url}/webhook")
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    agent = await load_agent(str(MODEL), endpoints=AvailableEndpoints.read_endpoints(str(REPO / "endpoints.yml")))
    assert agent.is_ready()
    with sqlite3.connect(tmp_path / "tracker.db") as db:  # our tracker store made its indexes there
        assert "ix_events_sender_ts" in {row[1] for row in db.execute("PRAGMA index_list(events)")}
    return agent


def our_store(agent: Agent) -> BoundedSQLTrackerStore:
    """Our store inside the wrappers Rasa puts around it (Awaitable..., FailSafe...)."""
    store = agent.tracker_store
    while not isinstance(store, BoundedSQLTrackerStore):
        store = store._tracker_store
    return store


async def conversation(agent: Agent, sender: str, work: RasaWork) -> dict[str, Any]:
    """The questions through the served channel: the replies, the stored events and the work."""
    replies = []
    async with served_channel(agent) as url, httpx.AsyncClient(timeout=120) as client:
        active = patches.installed()
        work.reset()  # from the first turn on (installing fastval checked the schema once)
        for question in QUESTIONS:
            response = await client.post(f"{url}/webhook", json={"sender": sender, "message": question})
            response.raise_for_status()
            replies.append([{k: v for k, v in r.items() if k != "recipient_id"} for r in response.json()])
    counted = (work.schema_checks, work.event_class_walks, work.sessions_opened)
    kept_open = [session for session in patches.kept_sessions() if not session.closed]
    tracker = await agent.tracker_store.retrieve_full_tracker(sender)
    events = [(e.type_name, getattr(e, "action_name", None) or getattr(e, "text", None)) for e in tracker.events]
    return {"active": active, "replies": replies, "events": events, "work": counted, "kept_open": kept_open}


async def test_each_speedup_is_in_effect_in_a_served_turn_and_changes_no_answer(
    action_server: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rasa_work: RasaWork
) -> None:
    monkeypatch.setenv("UH_RASA_SPEEDUPS", "all")
    agent = await agent_for(action_server, tmp_path, monkeypatch)
    fast_sender = f"fast-{uuid.uuid4().hex[:8]}"
    fast = await conversation(agent, fast_sender, rasa_work)
    # trackercache: the conversation stayed in the server's memory between its turns
    assert our_store(agent).cache.get(fast_sender) is not None
    patches.remove()
    monkeypatch.setenv("UH_RASA_SPEEDUPS", "none")
    agent = await agent_for(action_server, tmp_path, monkeypatch)  # the store reads the setting when made
    plain_sender = f"plain-{uuid.uuid4().hex[:8]}"
    plain = await conversation(agent, plain_sender, rasa_work)
    assert our_store(agent).cache.size == 0 and our_store(agent).cache.get(plain_sender) is None

    assert fast["active"] == EVERY_PATCH and plain["active"] == []
    custom_actions = sum(1 for kind, name in plain["events"] if kind == "action" and name == "action_answer_question")
    assert custom_actions == len(QUESTIONS)
    # fastval: no schema check per reply; Rasa as shipped checks it for every custom action
    schema_checks, walks, sessions = fast["work"]
    plain_checks, plain_walks, plain_sessions = plain["work"]
    assert schema_checks == 0
    assert plain_checks >= custom_actions
    # evcache: one class-tree walk per event type; Rasa as shipped walks it for every
    # event each turn loads from the tracker store
    assert walks <= len({kind for kind, _ in fast["events"]})
    assert plain_walks >= len(plain["events"]) > walks
    # keepalive: one client session (one connection pool) for every call to the action
    # server, closed when the server stopped; Rasa as shipped opens one per custom action
    assert sessions == 1 and fast["kept_open"] == []
    assert plain_sessions >= custom_actions
    # the same answers (the custom action's, with the facts) and the same stored turns
    assert fast["replies"] == plain["replies"]
    for question, replies in zip(QUESTIONS, fast["replies"], strict=True):
        text = "\n".join(r.get("text") or "" for r in replies)
        assert FACTS.get(question, "") in text and text, (question, replies)
    assert fast["events"] == plain["events"]
