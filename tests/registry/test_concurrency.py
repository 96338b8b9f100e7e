"""Many workers taking seats at the same moment, each with their own connection, on
SQLite and on PostgreSQL (one process per action server there: the processes here are
what two action servers on one database are).

The first test shows the mechanism deterministically: while one enrollment is between
checking the seats and taking one, another cannot get past the course's lock (SQLite's
write lock, PostgreSQL's row lock) — with no patience at all it fails at once. The others
race real threads and processes and check the outcome: never more seats than the capacity,
the waiting list in the order the places were given, nothing half-written.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from typing import Any

import psycopg2
import pytest
from sqlalchemy import event

from registry import (
    Database,
    cancel_enrollment,
    enroll,
    get_course_summary,
    open_registry,
    roster,
    waitlist,
)
from tests.registry.helpers import REPO, child_env, register

WORKERS = [f"tg-{1000 + i}" for i in range(50)]
CAPACITY = 10

LOCKED = (sqlite3.OperationalError, psycopg2.OperationalError)

# One enrolling process: opens its own connection, reports "ready", waits for the start
# signal on stdin, enrolls, prints the result as JSON. With crash=1 it dies right before
# the COMMIT, after every write of the transaction.
CHILD = r"""
import json, os, sys
from sqlalchemy import event
from registry import Database, enroll, open_registry

url, sender_id, course_id, capacity, crash = sys.argv[1:]
db = open_registry(url)
if crash == "1":
    event.listen(db.engine, "commit", lambda conn: os._exit(17))
print("ready", flush=True)
sys.stdin.readline()
result = enroll(db, sender_id, course_id, "并发课程", int(capacity))
print(json.dumps({"sender_id": sender_id, "status": result.status, "number": result.number,
                  "position": result.waitlist_position,
                  "queue_no": result.enrollment.queue_no}), flush=True)
"""


def _start_together(
    store_url: str, senders: list[str], course_id: str, capacity: int, crash: bool = False
) -> list[subprocess.CompletedProcess]:
    """Run one process per sender; release them all at once; return their outcomes."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                store_url,
                sender,
                course_id,
                str(capacity),
                "1" if crash else "0",
            ],
            cwd=REPO,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for sender in senders
    ]
    try:
        for proc in procs:
            line = proc.stdout.readline()
            assert line.strip() == "ready", proc.stderr.read()
        for proc in procs:  # the start signal, as close together as it gets
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outcomes = []
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            outcomes.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
        return outcomes
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def _results(outcomes: list[subprocess.CompletedProcess]) -> list[dict]:
    for outcome in outcomes:
        assert outcome.returncode == 0, outcome.stderr
    return [json.loads(outcome.stdout.strip().splitlines()[-1]) for outcome in outcomes]


def _assert_ten_seats_forty_waiting(db: Database, results: list[dict], course_id: str) -> None:
    statuses = Counter(r["status"] for r in results)
    assert statuses == {"enrolled": CAPACITY, "waitlisted": len(WORKERS) - CAPACITY}
    # no duplicates: one row per worker, distinct numbers, an unbroken arrival order
    assert len({r["number"] for r in results}) == len(WORKERS)
    assert len({r["sender_id"] for r in results}) == len(WORKERS)
    assert sorted(r["queue_no"] for r in results) == list(range(1, len(WORKERS) + 1))
    # the seats went to the first ten to arrive; the others wait in arrival order
    by_queue = sorted(results, key=lambda r: r["queue_no"])
    assert {r["status"] for r in by_queue[:CAPACITY]} == {"enrolled"}
    assert [r["position"] for r in by_queue[CAPACITY:]] == list(range(1, 41))
    summary = get_course_summary(db, course_id)
    assert (summary.enrolled, summary.waitlisted) == (CAPACITY, 40)
    assert [e.enrollment.enrollment_no for e in waitlist(db, course_id)] == [r["number"] for r in by_queue[CAPACITY:]]
    assert [e.enrollment.waitlist_position for e in waitlist(db, course_id)] == list(range(1, 41))
    assert db["enrollments"].count == len(WORKERS)


def _cancel_one_promotes_exactly_one(db: Database, course_id: str) -> None:
    holder = roster(db, course_id)[3].enrollment
    first_waiting = waitlist(db, course_id)[0].enrollment
    result = cancel_enrollment(db, holder.sender_id, holder.enrollment_no)
    assert result.status == "cancelled"
    assert [(p.sender_id, p.enrollment_no) for p in result.promoted] == [
        (first_waiting.sender_id, first_waiting.enrollment_no)
    ]
    summary = get_course_summary(db, course_id)
    assert (summary.enrolled, summary.waitlisted) == (CAPACITY, 39)
    assert [e.enrollment.waitlist_position for e in waitlist(db, course_id)] == list(range(1, 40))


def test_an_enrollment_holds_the_course_until_it_commits(db: Database, store_url: str) -> None:
    register(db, *WORKERS[:2])
    inside, release = threading.Event(), threading.Event()
    first = open_registry(store_url)

    def hold_before_numbering(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        # the seats are counted, the number not yet taken: hold this enrollment here
        if "INSERT INTO sequences" in statement and threading.get_ident() == first_thread[0]:
            inside.set()
            release.wait(60)

    first_thread: list[int] = []
    event.listen(first.engine, "before_cursor_execute", hold_before_numbering)
    other = open_registry(store_url)
    other.busy_timeout = 0  # fail at once instead of waiting
    results: list[str] = []

    def enroll_first() -> None:
        first_thread.append(threading.get_ident())
        results.append(enroll(first, WORKERS[0], "c-lock", "并发课程", 1).status)

    thread = threading.Thread(target=enroll_first)
    try:
        thread.start()
        assert inside.wait(60)
        # Without the course's lock this would take the same last seat.
        with pytest.raises(LOCKED, match="locked|lock timeout"):
            enroll(other, WORKERS[1], "c-lock", "并发课程", 1)
    finally:
        release.set()
        thread.join(60)
        event.remove(first.engine, "before_cursor_execute", hold_before_numbering)
        first.close()
    assert results == ["enrolled"]
    other.busy_timeout = 30
    assert enroll(other, WORKERS[1], "c-lock", "并发课程", 1).status == "waitlisted"
    other.close()


def test_fifty_threads_for_ten_seats(db: Database, store_url: str) -> None:
    register(db, *WORKERS)
    barrier = threading.Barrier(len(WORKERS))
    results: list[dict] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(sender_id: str) -> None:
        try:
            own = open_registry(store_url)  # each thread its own connection
            try:
                barrier.wait(timeout=60)
                r = enroll(own, sender_id, "c-threads", "并发课程", CAPACITY)
            finally:
                own.close()
            with lock:
                results.append(
                    {
                        "sender_id": sender_id,
                        "status": r.status,
                        "number": r.number,
                        "position": r.waitlist_position,
                        "queue_no": r.enrollment.queue_no,
                    }
                )
        except BaseException as error:  # noqa: BLE001 - reported below, not swallowed
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=worker, args=(s,)) for s in WORKERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    _assert_ten_seats_forty_waiting(db, results, "c-threads")
    _cancel_one_promotes_exactly_one(db, "c-threads")


def test_fifty_processes_for_ten_seats(db: Database, store_url: str) -> None:
    register(db, *WORKERS)
    results = _results(_start_together(store_url, WORKERS, "c-procs", CAPACITY))
    _assert_ten_seats_forty_waiting(db, results, "c-procs")
    _cancel_one_promotes_exactly_one(db, "c-procs")


def test_two_processes_racing_for_the_last_seat(db: Database, store_url: str) -> None:
    register(db, *WORKERS)
    for round_no in range(5):
        course_id = f"last-seat-{round_no}"
        for sender in WORKERS[2:11]:  # 9 of 10 seats already taken
            assert enroll(db, sender, course_id, "并发课程", CAPACITY).status == "enrolled"
        results = _results(_start_together(store_url, WORKERS[:2], course_id, CAPACITY))
        assert sorted(r["status"] for r in results) == ["enrolled", "waitlisted"], results
        summary = get_course_summary(db, course_id)
        assert (summary.enrolled, summary.waitlisted) == (CAPACITY, 1)


def test_threads_cancelling_and_enrolling_at_once_never_overbook(db: Database, store_url: str) -> None:
    """Cancellations (each promoting) racing with new enrollments: the course stays exactly
    full, and every freed seat goes to exactly one waiting worker."""
    register(db, *WORKERS)
    numbers = {s: enroll(db, s, "c-mixed", "并发课程", CAPACITY).number for s in WORKERS[:30]}
    # 5 seat holders, and the last 5 on the waiting list (whom no promotion can reach)
    cancelling = WORKERS[:5] + WORKERS[25:30]
    newcomers = WORKERS[30:]
    barrier = threading.Barrier(len(cancelling) + len(newcomers))
    promoted: list[str] = []
    errors: list[BaseException] = []

    def act(sender_id: str) -> None:
        try:
            own = open_registry(store_url)
            try:
                barrier.wait(timeout=60)
                if sender_id in numbers:
                    result = cancel_enrollment(own, sender_id, numbers[sender_id])
                    promoted.extend(p.sender_id for p in result.promoted)
                else:
                    enroll(own, sender_id, "c-mixed", "并发课程", CAPACITY)
            finally:
                own.close()
        except BaseException as error:  # noqa: BLE001 - reported below, not swallowed
            errors.append(error)

    threads = [threading.Thread(target=act, args=(s,)) for s in cancelling + newcomers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(promoted) == len(set(promoted)) == 5
    # the five freed seats went to the five earliest waiting
    assert sorted(promoted) == sorted(WORKERS[10:15])
    summary = get_course_summary(db, "c-mixed")
    assert summary.enrolled == CAPACITY
    # 20 were waiting; 5 got seats, 5 withdrew, every newcomer joined the end
    assert summary.waitlisted == (30 - CAPACITY) - 5 - 5 + len(newcomers)
    positions = [e.enrollment.waitlist_position for e in waitlist(db, "c-mixed")]
    assert positions == list(range(1, summary.waitlisted + 1))


def test_a_process_killed_mid_enrollment_leaves_nothing_half_written(db: Database, store_url: str) -> None:
    register(db, *WORKERS[:3])
    enroll(db, WORKERS[0], "c-crash", "并发课程", 1)
    tables = ("enrollments", "stats", "sequences", "notifications")
    before = [db.query(f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables]
    (outcome,) = _start_together(store_url, [WORKERS[1]], "c-crash", 1, crash=True)
    assert outcome.returncode == 17  # died inside the transaction, before COMMIT
    after = [db.query(f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables]
    assert after == before
    # the lock died with the process (SQLite: at once, the next worker need not wait at
    # all; PostgreSQL: when the server sees the connection close)
    if db.is_sqlite:
        db.busy_timeout = 0
    assert enroll(db, WORKERS[2], "c-crash", "并发课程", 1).status == "waitlisted"


@pytest.mark.parametrize("run", range(3))
def test_thread_race_is_repeatable(db: Database, store_url: str, run: int) -> None:
    """Smaller races repeated, to catch a lucky pass: 12 threads, 3 seats."""
    senders = WORKERS[:12]
    register(db, *senders)
    barrier = threading.Barrier(len(senders))
    statuses: list[str] = []

    def worker(sender_id: str) -> None:
        own = open_registry(store_url)
        try:
            barrier.wait(timeout=60)
            statuses.append(enroll(own, sender_id, "c-small", "并发课程", 3).status)
        finally:
            own.close()

    threads = [threading.Thread(target=worker, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert Counter(statuses) == {"enrolled": 3, "waitlisted": 9}
