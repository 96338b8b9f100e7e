"""Replicas of every process on one PostgreSQL (issue #17, items 2 and 3): two action servers
racing for the same seats, and a process of each kind killed in the middle of a turn, or
the database restarted — nothing lost, nothing twice, every conversation continues.
Run with ``make test-scale``."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from registry import consistency_problems, get_course_summary, get_enrollment, open_registry, waitlist
from tests.scale.conftest import RACE_CAPACITY, RACE_COURSE, Cluster
from tests.scale.turns import stored_events, turn_problems
from tests.support import RestChat, buttons

pytestmark = pytest.mark.scale

WORKERS = 50
NUMBER = re.compile(r"BM\d{4}-\d{6}")
POSITION = re.compile(r"目前排第(\d+)位")


def _text(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def _domain(cluster: Cluster) -> dict[str, Any]:
    return httpx.get(
        f"{cluster.a.rasa_url}/domain",
        params={"token": cluster.token},
        headers={"Accept": "application/json"},
        timeout=60,
    ).json()


def _submit_call(sender: str, index: int, domain: dict[str, Any]) -> dict[str, Any]:
    """What Rasa sends an action server when a worker confirms an enrollment."""
    slots = {name: None for name in domain["slots"]}
    slots.update(
        {
            "worker_name": "并发职工",
            "worker_phone": f"139{index:08d}",
            "worker_employer": "宁波并发测试有限公司",
            "worker_district": "海曙区",
            "worker_union_member": True,
            "profile_confirmed": "yes",
            "course_id": RACE_COURSE,
            "enroll_confirmed": True,
        }
    )
    return {
        "next_action": "action_submit_enrollment",
        "sender_id": sender,
        "version": "3.6.2",
        "domain": domain,
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {"text": "确认报名", "intent": {"name": "affirm", "confidence": 1.0}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def test_two_action_servers_never_double_book(cluster: Cluster) -> None:
    """50 workers confirm at the same moment, 25 on each action server: exactly 10 seats,
    40 waiting, each told the place they really have, in the order the places were given."""
    domain = _domain(cluster)
    tag = uuid.uuid4().hex[:6]
    senders = [f"race-{tag}-{i:02d}" for i in range(WORKERS)]
    start = threading.Barrier(WORKERS)

    def confirm(index: int) -> tuple[str, str, str]:
        server = (cluster.a, cluster.b)[index % 2]
        start.wait(timeout=60)
        response = httpx.post(
            f"{server.action_url}/webhook", json=_submit_call(senders[index], index, domain), timeout=120
        )
        response.raise_for_status()
        said = "\n".join(r.get("text") or "" for r in response.json()["responses"])
        return senders[index], server.action_url, said

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(confirm, range(WORKERS)))
    assert Counter(server for _, server, _ in results) == {cluster.a.action_url: 25, cluster.b.action_url: 25}
    told = {sender: said for sender, _, said in results}
    seated = [s for s, said in told.items() if "报名成功" in said]
    waiting = {s: int(POSITION.search(said).group(1)) for s, said in told.items() if POSITION.search(said)}
    assert len(seated) == RACE_CAPACITY and len(waiting) == WORKERS - RACE_CAPACITY, told
    assert sorted(waiting.values()) == list(range(1, WORKERS - RACE_CAPACITY + 1))  # each place once

    with open_registry(cluster.database_url) as db:
        summary = get_course_summary(db, RACE_COURSE)
        assert (summary.enrolled, summary.waitlisted) == (RACE_CAPACITY, WORKERS - RACE_CAPACITY)
        queue = waitlist(db, RACE_COURSE)
        # the stored waiting list is the order the workers were told, place by place
        assert [e.enrollment.sender_id for e in queue] == sorted(waiting, key=waiting.get)
        assert [e.enrollment.waitlist_position for e in queue] == list(range(1, WORKERS - RACE_CAPACITY + 1))
        numbers = [NUMBER.search(told[e.enrollment.sender_id]).group() for e in queue]
        assert numbers == [e.enrollment.enrollment_no for e in queue] == sorted(numbers)  # numbered in arrival order
        for sender in seated:
            stored = get_enrollment(db, NUMBER.search(told[sender]).group())
            assert (stored.sender_id, stored.status) == (sender, "enrolled")
        assert consistency_problems(db) == []


def _balancer(cluster: Cluster) -> list[dict]:
    return httpx.get(f"{cluster.balancer_url}/_balancer", timeout=10).json()


def _wait_for(predicate, timeout: float = 120.0, what: str = "condition") -> Any:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not after {timeout:.0f} s"
        time.sleep(0.05)


def _turn(stack, sender: str, text: str, timeout: float = 180) -> list[dict]:  # type: ignore[no-untyped-def]
    return RestChat(stack.rasa_url, sender).send(text, timeout=timeout)


def test_an_action_server_killed_mid_turn_the_other_finishes_it(cluster: Cluster) -> None:
    """Action server A frozen with turns inside it, then SIGKILLed: the balancer sends those
    turns to B, every worker gets a real answer, and A comes back."""
    senders = [f"act-kill-{uuid.uuid4().hex[:6]}-{i}" for i in range(4)]
    os.killpg(cluster.a.action_proc.pid, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(4) as pool:
            turns = [
                pool.submit(_turn, cluster.replicas[i % 2], s, "劳模先进班的学费谁出") for i, s in enumerate(senders)
            ]
            _wait_for(lambda: _balancer(cluster)[0]["in_flight"] > 0, what="a turn inside action server A")
            cluster.kill(cluster.a.action_proc)  # SIGKILL while it holds them
            answers = [_text(t.result(timeout=180)) for t in turns]
    finally:
        if cluster.a.action_proc.poll() is None:
            os.killpg(cluster.a.action_proc.pid, signal.SIGCONT)
    assert all("全额" in a for a in answers), answers
    assert _balancer(cluster)[0]["failed"] >= 1
    cluster.restart_actions(cluster.a)
    # the conversations go on, on either replica and either action server
    for sender in senders:
        assert "全额" in _text(_turn(cluster.b, sender, "劳模先进班的学费谁出"))


def test_a_rasa_replica_killed_mid_turn_the_conversation_goes_on(cluster: Cluster) -> None:
    """Replica A is in the middle of a turn (waiting for the frozen action servers, holding
    the conversation's lock in Redis) when it is SIGKILLed. The worker's request fails; the
    same message sent again reaches B, which waits for the dead replica's lock to expire
    (TICKET_LOCK_LIFETIME) and answers. Nothing of the conversation is lost or doubled."""
    sender = f"rasa-kill-{uuid.uuid4().hex[:6]}"
    assert "全额" in _text(_turn(cluster.a, sender, "劳模先进班的学费谁出"))
    frozen = [cluster.a.action_proc, cluster.b.action_proc]
    for proc in frozen:
        os.killpg(proc.pid, signal.SIGSTOP)
    failed: list[BaseException] = []
    try:
        with ThreadPoolExecutor(1) as pool:
            turn = pool.submit(_turn, cluster.a, sender, "职工书屋示范点有几家")
            _wait_for(lambda: sum(b["in_flight"] for b in _balancer(cluster)) > 0, what="replica A inside a turn")
            cluster.kill(cluster.a.rasa_proc)
            try:
                turn.result(timeout=60)
            except httpx.HTTPError as error:  # what the worker's front end sees: no answer
                failed.append(error)
    finally:
        for proc in frozen:
            os.killpg(proc.pid, signal.SIGCONT)
    assert failed, "the turn on the killed replica should have failed"
    started = time.monotonic()
    again = _text(_turn(cluster.b, sender, "职工书屋示范点有几家", timeout=120))
    assert "书屋" in again, again
    assert time.monotonic() - started < 60  # at most the lock's lifetime (30 s) and the turn
    with cluster.services.connect() as connection:
        events = stored_events(connection, sender)
    assert [e["text"] for e in events if e["event"] == "user"] == ["劳模先进班的学费谁出", "职工书屋示范点有几家"]
    assert turn_problems(events) == []
    cluster.restart_rasa(cluster.a)
    assert "全额" in _text(_turn(cluster.a, sender, "劳模先进班的学费谁出"))


def test_a_postgres_restart_loses_no_sign_up(cluster: Cluster) -> None:
    """A sign-up form half done, PostgreSQL restarted (every connection cut), then the
    worker finishes the form: the sign-up is saved once, the conversation is whole."""
    sender = f"pg-restart-{uuid.uuid4().hex[:6]}"
    chat_a, chat_b = RestChat(cluster.a.rasa_url, sender), RestChat(cluster.b.rasa_url, sender)
    assert "姓名" in _text(chat_a.send("我想报名扩容测试课", timeout=60))
    assert "手机号" in _text(chat_b.send("孙九", timeout=60))
    cluster.services.restart_postgres()
    seen = []
    replies = chat_a.send("13912340077", timeout=120)  # the first turn after the restart
    seen.append(_text(replies))
    replies = chat_b.send("宁波重启测试有限公司", timeout=120)
    seen.append(_text(replies))
    # The last step is 确认报名, or 排候补 once the module's other tests have filled the course.
    for titles in (("北仑区",), ("是",), ("确认报名", "排候补")):
        choice = next((b for b in buttons(replies) if any(t in b["title"] for t in titles)), None)
        assert choice is not None, (titles, seen)
        replies = (chat_a if len(seen) % 2 else chat_b).send(choice["payload"], timeout=120)
        seen.append(_text(replies))
    number = NUMBER.search(seen[-1])
    assert number and ("报名成功" in seen[-1] or "候补" in seen[-1]), json.dumps(seen, ensure_ascii=False)
    with open_registry(cluster.database_url) as db:
        stored = get_enrollment(db, number.group())
        assert stored is not None and stored.sender_id == sender
        assert db.scalar("SELECT COUNT(*) FROM enrollments WHERE sender_id = :s", {"s": sender}) == 1
        assert consistency_problems(db) == []
    with cluster.services.connect() as connection:
        assert turn_problems(stored_events(connection, sender)) == []
