"""Faults: the action server dies mid-conversation; the registrations database is locked
or its disk is full. Real servers (a private stack, so the shared one is not disturbed)
or the real registry on a real (tiny, full) file system."""

from __future__ import annotations

import asyncio
import logging
import os
import select
import socket
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.rasa_client import RasaClient
from common import texts
from knowledge import KnowledgeBase
from registry import database as registry_database
from registry import enroll, get_worker, open_registry, save_worker
from scripts.stack import REPO, Stack
from tests.robustness.conftest import ensure_actions_running
from tests.robustness.telegram import keyboard, telegram_front_end
from tests.support import RestChat, buttons

QUESTION = "劳模先进班的学费谁出"
OTHER_QUESTION = "拿到毕业证以后工会有补贴吗"
#: Seconds Rasa's action client (aiohttp) keeps an idle connection for reuse.
AIOHTTP_KEEP_ALIVE = 15


def kill_actions(stack: Stack) -> None:
    """SIGKILL the action server: no goodbye, as a crash or an OOM kill would do it."""
    proc = stack.action_proc
    assert proc is not None and proc.poll() is None
    os.killpg(proc.pid, 9)
    proc.wait(60)
    deadline = time.monotonic() + 60
    while stack.actions_ready():
        assert time.monotonic() < deadline, "the killed action server still answers"
        time.sleep(0.1)


def text_of(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


# ------------------------------------------------------------------ the action server dies


@pytest.mark.slow
def test_action_server_dies_mid_conversation_rest(private_stack: Stack) -> None:
    ensure_actions_running(private_stack)
    chat = RestChat(private_stack.rasa_url, f"fault-{uuid.uuid4().hex[:8]}")
    assert "依据" in chat.say(QUESTION)

    kill_actions(private_stack)
    try:
        replies = chat.send(OTHER_QUESTION)
        # not Rasa's silent `200 []`: an apology and the offer of a person
        assert "抱歉" in text_of(replies), replies
        assert [b["payload"] for b in buttons(replies)] == ["/request_human"]
        # pressing it hands over even though the hand-off action cannot run
        replies = chat.send("/request_human")
        assert {"handoff": {"reason": "request_human"}} in [r.get("custom") for r in replies], replies
        assert "工作人员" in text_of(replies)
        # the Rasa server's log says what went wrong (in English, for the maintainer)
        rasa_log = (private_stack.log_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")
        assert (
            "action server down" in rasa_log
            or "Couldn't connect to the server" in rasa_log
            or "Failed to execute custom action" in rasa_log
        )
    finally:
        ensure_actions_running(private_stack)
    # the REST channel opened a ticket (issue #15): the worker ends it, and the next turn
    # after the restart works, in the same conversation
    assert "回到了小助手" in chat.say("结束人工")
    assert "依据" in chat.say(QUESTION)


@pytest.mark.slow
async def test_action_server_dies_mid_conversation_telegram(private_stack: Stack, tmp_path: Path) -> None:
    await asyncio.to_thread(ensure_actions_running, private_stack)
    # the Rasa client the front end uses never hands an empty reply on
    client = RasaClient(base_url=private_stack.rasa_url, token=private_stack.token, timeout=120)
    async with telegram_front_end(private_stack, tmp_path / "bot") as front:
        worker = front.tg.make_user(5101, "王", "五")
        other = front.tg.make_user(5102, "赵", "六")
        answer = await front.ask(worker, QUESTION)
        assert any("全额" in (m.get("text") or "") for m in answer), answer

        await asyncio.to_thread(kill_actions, private_stack)
        try:
            replies = await client.send("tg-client-check", OTHER_QUESTION)
            assert "抱歉" in text_of(replies) and buttons(replies)
            sorry = await front.ask(worker, OTHER_QUESTION)
            assert any("抱歉" in (m.get("text") or "") for m in sorry), sorry
            offered = [b for m in sorry for b in keyboard(m)]
            assert [b["text"] for b in offered] == ["转人工"], offered
            # the worker presses 转人工: a ticket opens with the operators, no action server needed
            front.tg.press(worker, [m for m in sorry if keyboard(m)][-1], offered[0]["callback_data"])
            await front.tg.wait_for(lambda: front.tg.calls_of("createForumTopic"), timeout=90)
        finally:
            # in a thread: the fake Bot API shares this event loop and must keep serving
            await asyncio.to_thread(ensure_actions_running, private_stack)
        after = await front.ask(other, QUESTION)
        assert any("全额" in (m.get("text") or "") for m in after), after
    await client.close()


def _get_health(sock) -> bytes:
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data  # the server closed the connection
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next((line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), b"0")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


@pytest.mark.slow
def test_the_action_server_outlives_rasas_idle_connections(private_stack: Stack) -> None:
    """Rasa's action client (aiohttp) reuses a connection idle for up to 15 s. Sanic's
    default keep-alive of 5 s closed it first, and under load Rasa wrote to the closing
    connection: "Failed to execute custom action … Cannot write to closing transport",
    and the worker got an apology. The action server must keep it open longer."""
    ensure_actions_running(private_stack)
    with socket.create_connection(("127.0.0.1", private_stack.action_port), timeout=10) as sock:
        assert _get_health(sock).startswith(b"HTTP/1.1 200")
        # Idle for longer than aiohttp's 15 s keep-alive, watching the connection: a server
        # that closes it makes the socket readable (end of file) at once.
        readable, _, _ = select.select([sock], [], [], AIOHTTP_KEEP_ALIVE + 1)
        assert not readable, "the action server closed an idle connection"
        assert _get_health(sock).startswith(b"HTTP/1.1 200"), "the action server closed an idle connection"


# ------------------------------------------------------------------ the database is locked


def profile(**changes: object) -> dict[str, object]:
    return {
        "name": "张三",
        "phone": "13812345678",
        "employer": "宁波永发机械有限公司",
        "district": "海曙区",
        "union_member": True,
        **changes,
    }


def table_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as con:
        return {
            t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("workers", "enrollments", "courses", "sequences", "stats")
        }


class ExclusiveLock:
    """Another connection holding ``BEGIN EXCLUSIVE`` on a database (a long staff export,
    a backup tool, a stuck process)."""

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def __enter__(self) -> ExclusiveLock:
        self.con.execute("BEGIN EXCLUSIVE")
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.execute("ROLLBACK")
        self.con.close()


def test_locked_registry_fails_cleanly_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "registry.db"
    with open_registry(path) as db:
        save_worker(db, "tg-1", **profile())
    before = table_counts(path)
    monkeypatch.setattr(registry_database, "BUSY_TIMEOUT_SECONDS", 0.3)
    with ExclusiveLock(path):
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            db = open_registry(path)
            try:
                enroll(db, "tg-1", "jxgf_plc", "PLC编程入门", capacity=30)
            finally:
                db.close()
    assert table_counts(path) == before  # nothing half-written
    with open_registry(path) as db:  # and it works again once the lock is gone
        assert enroll(db, "tg-1", "jxgf_plc", "PLC编程入门", capacity=30).status == "enrolled"


def test_a_short_lock_is_waited_out(tmp_path: Path) -> None:
    """The busy timeout turns a brief lock (a staff CLI command) into a short wait."""
    path = tmp_path / "registry.db"
    with open_registry(path) as db:
        save_worker(db, "tg-1", **profile())
    lock = ExclusiveLock(path).__enter__()
    threading.Timer(0.5, lock.__exit__, args=(None, None, None)).start()
    with open_registry(path) as db:
        assert enroll(db, "tg-1", "jxgf_plc", "PLC编程入门", capacity=30).status == "enrolled"


def _enrollment_slots() -> dict[str, object]:
    return {
        "worker_name": "张三",
        "worker_phone": "13812345678",
        "worker_employer": "宁波永发机械有限公司",
        "worker_district": "海曙区",
        "worker_union_member": True,
        "course_id": "jxgf_plc",
        "enroll_confirmed": True,
        "requested_slot": None,
    }


def _kb_off(directory: Path) -> KnowledgeBase:
    """A knowledge base whose (rebuildable) index is not on the faulty disk."""
    index_dir = directory.parent / "index"
    index_dir.mkdir(exist_ok=True)
    return KnowledgeBase.open(
        REPO / "knowledge", index_dir / "knowledge_index.db", registry_path=index_dir / "registry.db"
    )


async def test_enrollment_action_with_a_locked_database_tells_the_worker(tmp_path: Path, monkeypatch, caplog) -> None:
    from actions import stores
    from actions.signup import enrollment

    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(registry_database, "BUSY_TIMEOUT_SECONDS", 0.3)
    path = tmp_path / "registry.db"
    with open_registry(path):
        pass
    before = table_counts(path)
    kb = _kb_off(tmp_path)
    monkeypatch.setattr(stores, "default_kb", lambda: kb)
    tracker = Tracker(
        "tg-locked",
        _enrollment_slots(),
        {"text": "是", "intent": {"name": "affirm"}, "entities": []},
        [],
        False,
        None,
        {},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()
    with caplog.at_level(logging.ERROR), ExclusiveLock(path):
        await enrollment.ActionSubmitEnrollment().run(dispatcher, tracker, {})
    said = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    assert said == texts.TECHNICAL_PROBLEM or "出了点问题" in said, dispatcher.messages
    assert any(b.get("payload") == "/request_human" for m in dispatcher.messages for b in m.get("buttons") or [])
    assert "locked" in caplog.text  # the log names the cause
    assert "13812345678" not in caplog.text
    assert table_counts(path) == before  # no worker, no enrollment, no number used up


# ------------------------------------------------------------------ the disk is full


@pytest.fixture
def full_disk(tmp_path: Path):
    """A 1 MiB tmpfs holding a migrated registry.db, then filled to the last byte."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root")
    mount = tmp_path / "tiny"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0777", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        with open_registry(mount / "registry.db") as db:
            save_worker(db, "tg-1", **profile())
        with open(mount / "filler", "wb", buffering=0) as out:
            for chunk in (4096, 1):  # to the last byte
                try:
                    while True:
                        out.write(b"\0" * chunk)
                except OSError:
                    pass
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_full_disk_fails_cleanly_and_recovers(full_disk: Path) -> None:
    path = full_disk / "registry.db"
    failures = 0
    for i in range(30):  # enough writes to need new pages on a full disk
        try:
            with open_registry(path) as db:
                save_worker(db, f"tg-full-{i}", **profile(name="李四" + "明" * (i % 5)))
                enroll(db, f"tg-full-{i}", "jxgf_plc", "PLC编程入门", capacity=30)
        except sqlite3.OperationalError as exc:
            # "database or disk is full", or "disk I/O error" when even the WAL index
            # (registry.db-shm) cannot be created: reads fail too on a full disk
            assert "full" in str(exc) or "disk I/O" in str(exc), exc
            failures += 1
    assert failures == 30, "a write went through on a full disk"
    (full_disk / "filler").unlink()
    with open_registry(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every worker that exists has the enrollment that was written with it, or none
        # was half-written: enrollments only for workers, at most one each
        rows = db.execute("SELECT sender_id, COUNT(*) FROM enrollments GROUP BY sender_id").fetchall()
        assert all(count == 1 and get_worker(db, sender) is not None for sender, count in rows)
        assert enroll(db, "tg-1", "jxgf_plc", "PLC编程入门", capacity=30).status == "enrolled"
    counts = table_counts(path)
    assert (counts["workers"], counts["enrollments"]) == (1, 1)  # only what was written after


async def test_enrollment_action_on_a_full_disk_tells_the_worker(full_disk: Path, monkeypatch, caplog) -> None:
    from actions import stores
    from actions.signup import enrollment

    monkeypatch.setenv("UH_DATA_DIR", str(full_disk))
    kb = _kb_off(full_disk)
    monkeypatch.setattr(stores, "default_kb", lambda: kb)
    tracker = Tracker(
        "tg-full",
        _enrollment_slots(),
        {"text": "是", "intent": {"name": "affirm"}, "entities": []},
        [],
        False,
        None,
        {},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()
    with caplog.at_level(logging.ERROR):
        await enrollment.ActionSubmitEnrollment().run(dispatcher, tracker, {})
    said = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    assert "出了点问题" in said and "报名成功" not in said, dispatcher.messages
    assert "full" in caplog.text or "disk I/O" in caplog.text
    (full_disk / "filler").unlink()
    counts = table_counts(full_disk / "registry.db")
    assert (counts["workers"], counts["enrollments"]) == (1, 0)  # only tg-1 from before


async def test_full_disk_while_recording_a_gap_still_answers(full_disk: Path, monkeypatch, caplog) -> None:
    """An unanswerable question on a full disk: the gap is not recorded (and the log says
    so), the worker still gets the topics and the offer of a person."""
    from knowledge import reset_default_kb
    from knowledge.gaps import record_gap
    from tests.support import copy_knowledge

    knowledge_dir = copy_knowledge(full_disk.parent / "knowledge")
    # the index lives elsewhere (it is rebuildable); only gaps.db is on the full disk
    monkeypatch.setenv("UH_KNOWLEDGE_DIR", str(knowledge_dir))
    monkeypatch.setenv("UH_DATA_DIR", str(full_disk.parent / "data"))
    reset_default_kb()
    from actions.answers import ActionAnswerQuestion
    from knowledge import default_kb

    default_kb()  # build the index off the full disk
    from knowledge import paths

    monkeypatch.setattr(paths, "gaps_path", lambda: full_disk / "gaps.db")
    with caplog.at_level(logging.ERROR):
        assert record_gap("食堂的红烧肉为什么这么咸 13812345678", "tg-1", "not_found") is False
    assert "could not record" in caplog.text and "13812345678" not in caplog.text

    text = "宿舍空调坏了找谁修"
    tracker = Tracker(
        "tg-full",
        {"unanswered_streak": 0},
        {"text": text, "intent": {"name": "ask_general", "confidence": 0.9}, "entities": []},
        [],
        False,
        None,
        {},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    assert dispatcher.messages, "no answer on a full disk"
    assert any(b.get("payload") == "/request_human" for m in dispatcher.messages for b in m.get("buttons") or [])
    assert {"event": "slot", "timestamp": None, "name": "unanswered_streak", "value": 1} in events
    reset_default_kb()
