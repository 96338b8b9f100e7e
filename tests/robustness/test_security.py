"""Security: what listens where, the HTTP API's token, secrets and databases in the
repository, and phone/certificate numbers in every log line.

Operators'/staff commands are refused to everyone else: covered by the front end's tests
(tests/bot/test_handoff.py::test_only_operators_answer_and_close and
tests/bot/test_conversation.py::test_a_stale_or_forged_button_is_refused).
"""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from scripts.stack import REPO, Stack
from tests.robustness.telegram import telegram_front_end
from tests.support import RestChat

# ------------------------------------------------------------------ listening sockets

LISTEN = "0A"
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1 (/proc byte order)


def listening_addresses(port: int) -> list[str]:
    """Local addresses (as /proc/net/tcp{,6} writes them) of sockets listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == LISTEN and int(hex_port, 16) == port:
                found.append(address)
    return found


@pytest.mark.slow
def test_rasa_and_the_action_server_listen_on_loopback_only(private_stack: Stack) -> None:
    for name, port in (
        ("Rasa (REST channel + HTTP API)", private_stack.rasa_port),
        ("action server", private_stack.action_port),
    ):
        addresses = listening_addresses(port)
        assert addresses, f"nothing listens on the {name} port {port}"
        assert set(addresses) <= LOOPBACK, f"the {name} listens on {addresses}, not only 127.0.0.1"


def test_the_proc_parser_reads_a_known_socket() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert listening_addresses(sock.getsockname()[1]) == ["0100007F"]


# ------------------------------------------------------------------ the HTTP API's token

PROTECTED = [
    ("GET", "/status", None),
    ("GET", "/domain", None),
    ("GET", "/conversations/{sender}/tracker", None),
    ("POST", "/conversations/{sender}/tracker/events", [{"event": "pause"}]),
    ("PUT", "/conversations/{sender}/tracker/events", [{"event": "pause"}]),
    ("GET", "/conversations/{sender}/story", None),
    ("POST", "/conversations/{sender}/execute", {"name": "action_handoff"}),
    ("POST", "/conversations/{sender}/trigger_intent", {"name": "request_human"}),
    ("POST", "/conversations/{sender}/messages", {"text": "hi", "sender": "user"}),
    ("POST", "/conversations/{sender}/predict", None),
    ("POST", "/model/parse", {"text": "你好"}),
    ("PUT", "/model", {"model_file": "/etc/passwd"}),
    ("DELETE", "/model", None),
]


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path", "body"), PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
def test_the_http_api_refuses_requests_without_the_token(private_stack: Stack, method: str, path: str, body) -> None:
    sender = f"sec-{uuid.uuid4().hex[:8]}"
    url = private_stack.rasa_url + path.format(sender=sender)
    for params in ({}, {"token": "wrong-token"}, {"token": ""}):
        response = httpx.request(method, url, params=params, json=body, timeout=30)
        assert response.status_code in (401, 403), (method, path, params, response.status_code, response.text[:200])
    # the worker's conversation was not touched by any of it
    tracker = httpx.get(
        f"{private_stack.rasa_url}/conversations/{sender}/tracker", params={"token": private_stack.token}, timeout=30
    ).json()
    assert not tracker.get("paused") and not [e for e in tracker["events"] if e["event"] in ("pause", "user")]


@pytest.mark.slow
def test_the_token_opens_the_api(private_stack: Stack) -> None:
    response = httpx.get(f"{private_stack.rasa_url}/status", params={"token": private_stack.token}, timeout=30)
    assert response.status_code == 200 and response.json().get("model_id")


# ------------------------------------------------------------------ the repository

TELEGRAM_TOKEN = re.compile(r"\b\d{8,10}:[A-Za-z0-9_-]{35}\b")
PRIVATE_KEY = re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")
ASSIGNED_SECRET = re.compile(
    r"^[ \t]*(?:export[ \t]+)?(TELEGRAM_TOKEN|RASA_TOKEN|TELEGRAM_WEBHOOK_SECRET|TRACKER_PASSWORD)"
    r"[ \t]*[=:][ \t]*([^\s#]+)",
    re.MULTILINE,
)


def files_git_would_commit() -> list[Path]:
    """Tracked files plus untracked files that .gitignore does not exclude."""
    result = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return [REPO / name for name in result.stdout.decode().split("\0") if name and (REPO / name).is_file()]


def test_no_secret_in_the_repository() -> None:
    problems = []
    for path in files_git_would_commit():
        data = path.read_bytes()[:2_000_000]
        text = data.decode("utf-8", errors="replace")
        rel = path.relative_to(REPO)
        if TELEGRAM_TOKEN.search(text):
            problems.append(f"{rel}: a Telegram bot token")
        if PRIVATE_KEY.search(text):
            problems.append(f"{rel}: a private key")
        if path.name in (".env", "credentials.local.yml"):
            problems.append(f"{rel}: a local secrets file")
        # configuration files (code and tests set fake values on purpose)
        assignments = [] if path.suffix == ".py" else ASSIGNED_SECRET.findall(text)
        for name, value in assignments:
            if not value.startswith(("$", "<", '""', "''")) and value not in ("...", "xxx"):
                problems.append(f"{rel}: {name} has a value")
    assert not problems, problems


def test_the_secret_scan_finds_a_token() -> None:
    fake = "TELEGRAM_TOKEN=" + "1234567890:" + "A" * 35
    assert TELEGRAM_TOKEN.search(fake) and ASSIGNED_SECRET.search(fake)


def test_no_database_would_be_committed() -> None:
    """Databases hold workers' personal data: none may end up in a commit (e.g. a stray
    SQLite file a misconfigured run created under an odd name)."""
    databases = [
        str(p.relative_to(REPO)) for p in files_git_would_commit() if p.read_bytes()[:16] == b"SQLite format 3\x00"
    ]
    assert not databases, databases


# ------------------------------------------------------------------ personal numbers in logs

PHONE = "13812345678"
CERTIFICATE = "106471202405001234"
SPACED_PHONE = "138 1234 5678"
NEEDLES = (PHONE, CERTIFICATE, SPACED_PHONE, "138-1234-5678")
MESSAGES = [
    f"我的手机号是{PHONE}",
    f"电话 {SPACED_PHONE}，证书编号{CERTIFICATE}",
    f"我叫张三，手机138-1234-5678，毕业证书编号{CERTIFICATE}，想申请学历补贴",
    f'/inform{{"phone":"{PHONE}","certificate_no":"{CERTIFICATE}"}}',
    f"食堂饭卡丢了怎么补 {PHONE}",  # an unanswerable question: the gaps path
    f"夜班津贴怎么算 {CERTIFICATE}",  # the second: the hand-off path
    ("补贴" * 600) + PHONE,  # cut before the NLU: the number sits past the cut
]


def scan(paths: list[Path]) -> list[str]:
    hits = []
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in NEEDLES:
            if needle in text:
                line = next(line for line in text.splitlines() if needle in line)
                hits.append(f"{path}: {needle} in {line[:300]!r}")
    return hits


@pytest.mark.slow
async def test_phone_and_certificate_numbers_never_reach_a_log(private_stack: Stack, tmp_path: Path) -> None:
    def converse(stack: Stack) -> None:
        chat = RestChat(stack.rasa_url, f"pii-{uuid.uuid4().hex[:8]}")
        for message in MESSAGES:
            chat.send(message, timeout=120)

    # the REST channel; the private stack logs at DEBUG (every message, slot and event)
    await asyncio.to_thread(converse, private_stack)
    # the Telegram front end with its own logging (python -m bot); one worker per message,
    # so no hand-off takes the later ones to the operators
    async with telegram_front_end(private_stack, tmp_path / "bot") as front:
        for index, message in enumerate(MESSAGES[:3]):
            await front.ask(front.tg.make_user(5201 + index, "孙", "七"), message)
        bot_log = front.log

    logs = [p for p in private_stack.log_dir.rglob("*") if p.is_file()]
    logs.append(bot_log)
    assert scan(logs) == []
    # the DEBUG log did see the conversation, masked
    debug_log = (private_stack.log_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert "138****5678" in debug_log
