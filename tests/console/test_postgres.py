"""The console's own store on PostgreSQL (``UH_CONSOLE_DATABASE_URL``), as a deployment
with several machines runs it: migrations, the append-only audit log's trigger, an admin
created from the command line, a login through the served console.

Marked ``scale``: it needs Debian's postgresql (``make test-scale`` installs it and runs
this file with the other scale-out tests).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.scale_services import DB_NAME, DB_USER, ScaleServices, missing_packages
from scripts.stack import REPO, Stack
from tests.support import free_port

pytestmark = pytest.mark.scale
PASSWORD = "Postgres-Console-2026"


@pytest.fixture(scope="module")
def postgres() -> Iterator[ScaleServices]:
    if missing_packages():
        pytest.fail(f"{missing_packages()} missing: run `python -m scripts.scale_services install`")
    services = ScaleServices().start()
    try:
        yield services
    finally:
        services.stop()


def test_the_console_runs_on_postgresql(postgres: ScaleServices, tmp_path: Path) -> None:
    url = f"postgresql://{DB_USER}:{postgres.password}@127.0.0.1:{postgres.pg_port}/{DB_NAME}"
    stack = Stack(data=tmp_path / "var", console_port=free_port(), extra_env={"UH_CONSOLE_DATABASE_URL": url})
    env = stack.environment()
    run = dict(cwd=REPO, env=env, text=True, capture_output=True, check=True)
    subprocess.run([sys.executable, "-m", "console", "migrate", "--verbosity", "0"], **run)
    subprocess.run(
        [sys.executable, "-m", "console", "createadmin", "--username", "pgadmin", "--password-stdin"],
        input=PASSWORD + "\n",
        **run,
    )
    assert not (tmp_path / "var" / "console.db").exists()  # nothing went to SQLite
    with postgres.connect() as con, con.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM console_auditentry WHERE action = 'account_create'")
        assert cur.fetchone()[0] == 1
        with pytest.raises(Exception, match="append-only"):
            cur.execute("UPDATE console_auditentry SET summary = 'x'")
    stack.start_console()
    try:
        deadline = time.monotonic() + 120
        while not stack.console_ready():
            assert stack.console_proc is not None and stack.console_proc.poll() is None, "console exited"
            assert time.monotonic() < deadline, "console not ready"
            time.sleep(0.2)
        with httpx.Client(base_url=stack.console_url, follow_redirects=False) as client:
            page = client.get("/login/")
            token = page.cookies["uh_console_csrf"]
            login = client.post(
                "/login/", data={"username": "pgadmin", "password": PASSWORD, "csrfmiddlewaretoken": token}
            )
            assert login.status_code == 302
            assert "操作记录" in client.get("/audit/").text and "登录成功" in client.get("/audit/").text
    finally:
        stack.stop()
