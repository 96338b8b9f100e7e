"""The staff console in the fault matrix (``make chaos``): SIGKILL in the middle of its
requests — logins and knowledge edits — then started again; nothing may be half-written.

:class:`ConsoleProcess` runs ``python -m console serve`` (waitress) the way ``make console``
does, on the deployment's PostgreSQL (``UH_CONSOLE_DATABASE_URL``) and on the knowledge files
the action servers answer from. :class:`ConsoleDrill` keeps two staff members busy (one logs
in again and again, one edits an FAQ answer again and again, through the real forms with
their CSRF tokens), kills the console while requests are in flight, starts it again, and
checks afterwards:

* every knowledge file is whole and valid (the loader finds no error); a temporary file an
  interrupted save left beside them is reported (the next save removes it once stale);
* the edited answer is one that was sent in full (the old one or a new one, never a mix);
* every save the console confirmed (a redirect after the POST) is in the file's history: the
  latest confirmed answer is in the file unless a later, unconfirmed save replaced it;
* after the restart a login and an edit work again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import yaml

from scripts.replicas import http_ok, stop_process, wait_until
from scripts.scale_services import free_port
from scripts.stack import REPO

USERNAME = "chaos_admin"
PASSWORD = "Chaos-Drill-2026-pw"
FAQ_KEY = "faq_what_can_bot_do"
MARK = "（演练第{n}次修改）"


class _Form(HTMLParser):
    """The fields of the first form with ``form_id`` (or the first form): name -> value."""

    def __init__(self, form_id: str | None = None) -> None:
        super().__init__()
        self.form_id = form_id
        self.fields: dict[str, str] = {}
        self._in = False
        self._done = False
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done and (self.form_id is None or a.get("id") == self.form_id):
            self._in = True
        if not self._in:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button"):
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.fields[self._textarea] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and ("selected" in a or self._select not in self.fields):
            self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in:
            self._in, self._done = False, True
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html: str, form_id: str | None = None) -> dict[str, str]:
    parser = _Form(form_id)
    parser.feed(html)
    return parser.fields


@dataclass
class ConsoleProcess:
    """``python -m console serve`` on a free loopback port; SIGKILL and start again."""

    data_dir: Path
    knowledge_dir: Path
    database_url: str | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "UH_DATA_DIR": str(self.data_dir),
            "UH_KNOWLEDGE_DIR": str(self.knowledge_dir),
            "UH_CONSOLE_PORT": str(self.port),
            "UH_CONSOLE_LOGIN_ATTEMPTS": "1000",  # the drill logs in hundreds of times
            "PYTHONPATH": str(REPO),
        }
        env.pop("UH_DATABASE_URL", None)
        if self.database_url:
            env["UH_CONSOLE_DATABASE_URL"] = self.database_url
        return env

    def create_admin(self) -> None:
        """The drill's account (``migrate`` first, as ``make console-admin`` does)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        run = {"cwd": REPO, "env": self.env(), "capture_output": True, "text": True, "timeout": 300}
        subprocess.run([sys.executable, "-m", "console", "migrate", "--verbosity", "0"], check=True, **run)  # type: ignore[call-overload]
        subprocess.run(  # type: ignore[call-overload]
            [sys.executable, "-m", "console", "createadmin", "--username", USERNAME, "--password-stdin"],
            input=PASSWORD + "\n",
            check=True,
            **run,
        )

    def start(self) -> None:
        log = open(self.data_dir / "console.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "console", "serve", "--port", str(self.port)],
            cwd=REPO,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_until(lambda: http_ok(f"{self.url}/healthz"), 120, "console")

    def kill(self) -> None:
        """SIGKILL: no goodbye, nothing flushed."""
        stop_process(self.proc, signal.SIGKILL)

    def stop(self) -> None:
        stop_process(self.proc)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class StaffSession:
    """One staff member in a browser: logs in, opens the FAQ entry, saves a new answer."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def login(self) -> bool:
        self.http.cookies.clear()
        page = self.http.get("/login/")
        fields = form_fields(page.text)
        fields.update({"username": USERNAME, "password": PASSWORD})
        answer = self.http.post("/login/", data=fields, headers={"Referer": f"{self.http.base_url}/login/"})
        return answer.status_code == 302 and "/login/" not in answer.headers.get("location", "")

    def edit(self, answer: str) -> bool:
        """Save ``answer`` as the FAQ's answer; True when the console confirmed (redirect)."""
        path = f"/knowledge/faq/{FAQ_KEY}/"
        page = self.http.get(path)
        if page.status_code != 200:
            return False
        fields = form_fields(page.text, "entry-form")
        fields.update({"answer": answer, "action": "save"})
        saved = self.http.post(path, data=fields, headers={"Referer": f"{self.http.base_url}{path}"})
        return saved.status_code == 302


def faq_answer(knowledge_dir: Path) -> str | None:
    entries = yaml.safe_load((knowledge_dir / "faq.yml").read_text(encoding="utf-8")) or []
    return next((str(e.get("answer") or "").strip() for e in entries if e.get("id") == FAQ_KEY), None)


@dataclass
class DrillResult:
    logins: dict[str, int] = field(default_factory=lambda: {"ok": 0, "failed": 0})
    edits: dict[str, int] = field(default_factory=lambda: {"confirmed": 0, "failed": 0})
    in_flight_at_kill: int = 0
    leftovers: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "logins": self.logins,
            "edits": self.edits,
            "requests_in_flight_at_the_kill": self.in_flight_at_kill,
            "temporary_files_of_interrupted_saves": self.leftovers,
            "problems": self.checks or "ok",
        }


class ConsoleDrill:
    """Staff traffic on the console, a SIGKILL while it is busy, a restart, the checks."""

    def __init__(self, console: ConsoleProcess) -> None:
        self.console = console
        self.result = DrillResult()
        self.original = faq_answer(console.knowledge_dir) or ""
        self.sent: list[str] = []
        self.confirmed: list[str] = []
        self._stop = threading.Event()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _busy(self, delta: int) -> None:
        with self._lock:
            self._in_flight += delta

    def _logins(self) -> None:
        while not self._stop.is_set():
            staff = StaffSession(self.console.url)
            self._busy(1)
            try:
                ok = staff.login()
            except httpx.HTTPError:
                ok = False
            finally:
                self._busy(-1)
                staff.close()
            self.result.logins["ok" if ok else "failed"] += 1
            if not ok:
                time.sleep(0.3)

    def _edits(self) -> None:
        staff = StaffSession(self.console.url)
        n = 0
        while not self._stop.is_set():
            self._busy(1)
            try:
                if not staff.login():
                    raise httpx.HTTPError("login refused")
                while not self._stop.is_set():
                    n += 1
                    answer = f"{self.original}{MARK.format(n=n)}"
                    with self._lock:
                        self.sent.append(answer)
                    if staff.edit(answer):
                        self.result.edits["confirmed"] += 1
                        with self._lock:
                            self.confirmed.append(answer)
                    else:
                        self.result.edits["failed"] += 1
            except httpx.HTTPError:
                self.result.edits["failed"] += 1
                time.sleep(0.3)
            finally:
                self._busy(-1)
        staff.close()

    def start_traffic(self) -> None:
        self._threads = [threading.Thread(target=t, daemon=True) for t in (self._logins, self._edits)]
        for thread in self._threads:
            thread.start()

    def kill_and_restart(self, busy_for: float = 5.0) -> None:
        """Let the staff work ``busy_for`` s, SIGKILL while a request is in flight, start again."""
        time.sleep(busy_for)
        wait_until(lambda: self._in_flight > 0, 30, "a console request in flight")
        self.result.in_flight_at_kill = self._in_flight
        self.console.kill()
        time.sleep(1.0)  # the staff's requests fail against the dead console meanwhile
        self.console.start()
        time.sleep(busy_for)  # and go on against the restarted one

    def finish(self) -> DrillResult:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)
        self.check()
        return self.result

    def check(self) -> None:
        from knowledge.loader import load

        problems = self.result.checks
        knowledge_dir = self.console.knowledge_dir
        loaded = load(knowledge_dir)
        if not loaded.ok:
            problems.append(f"knowledge files invalid after the kill: {[str(p) for p in loaded.errors][:3]}")
        # A save killed between writing its temporary file and moving it into place leaves
        # that file (never read: the loader reads *.yml); the next save removes it once it
        # is stale (knowledge.editing). Reported, not a failure: the knowledge is whole.
        self.result.leftovers = sorted(p.name for p in knowledge_dir.glob(".*.tmp"))
        now = faq_answer(knowledge_dir)
        if now is None:
            problems.append(f"{FAQ_KEY} missing from faq.yml")
        elif now != self.original and now not in self.sent:
            problems.append(f"{FAQ_KEY}'s answer is not one that was sent: {now[-40:]!r}")
        elif self.confirmed and now not in self.sent[self.sent.index(self.confirmed[-1]) :]:
            problems.append("the last confirmed save is not in the file, nor a later one")
        staff = StaffSession(self.console.url)
        try:
            if not staff.login():
                problems.append("no login after the restart")
            elif not staff.edit(f"{self.original}（演练后的修改）"):
                problems.append("no edit after the restart")
            elif faq_answer(knowledge_dir) != f"{self.original}（演练后的修改）":
                problems.append("the edit after the restart is not in the file")
        except httpx.HTTPError as exc:
            problems.append(f"the console does not answer after the restart: {exc!r}")
        finally:
            staff.close()
