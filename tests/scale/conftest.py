"""Scale-out fixtures: real PostgreSQL and Redis on 127.0.0.1, and replicas of every
process: two Rasa replicas with endpoints.production.yml, two action servers behind a load
balancer (``scripts.balancer``), every store in the one PostgreSQL (``UH_DATABASE_URL``).

The tests marked ``scale`` run only when asked for by marker (``pytest -m scale``, i.e.
``make test-scale``): they need Debian's postgresql and redis-server packages, which
``python -m scripts.scale_services install`` installs. Everywhere else (``make test``)
they are deselected, so the default test run needs nothing but Python; the few tests here
that need no server run everywhere.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.replicas import start_balancer, wait_until
from scripts.scale_services import ScaleServices, missing_packages
from scripts.stack import REPO, Stack
from tests.support import MODEL, TODAY, copy_knowledge, free_port

#: A course the scale tests race for: 10 seats (added to the cluster's knowledge copy).
RACE_COURSE = "scale_race"
RACE_CAPACITY = 10
RACE_COURSE_YAML = f"""
- id: {RACE_COURSE}
  name: 扩容测试课
  aliases: [扩容测试课程]
  category: 技能培训
  provider: 宁波市总工会
  region: 全市
  description: 扩容测试用的课程，十个名额。
  schedule: 示例：每周六上午
  capacity: {RACE_CAPACITY}
  location: 示例：宁波市职工服务中心
  contact: 示例：0574-0000 0000
  sample_fields: [schedule, location, contact]
  questions:
    - 扩容测试课怎么报名
  source: 测试数据
"""

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scale: needs PostgreSQL and Redis (make test-scale)")


def _scale_requested(config: pytest.Config) -> bool:
    expr = config.getoption("markexpr", "") or ""
    return "scale" in expr and "not scale" not in expr


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A hook in a sub-directory conftest sees every item of the session: touch only ours,
    # and only those that need the servers (marked scale); the others run everywhere.
    if _scale_requested(config):
        return
    ours = [
        item
        for item in items
        if HERE in Path(str(item.fspath)).resolve().parents and item.get_closest_marker("scale") is not None
    ]
    if ours:
        config.hook.pytest_deselected(items=ours)
        items[:] = [item for item in items if item not in ours]


@dataclass
class Cluster:
    services: ScaleServices
    a: Stack  # Rasa replica A and action server A
    b: Stack  # Rasa replica B and action server B
    token: str
    balancer: subprocess.Popen
    balancer_url: str  # the action servers behind it (what both replicas call)
    knowledge: Path

    @property
    def replicas(self) -> tuple[Stack, Stack]:
        return self.a, self.b

    @property
    def database_url(self) -> str:
        return self.services.database_url()

    def kill(self, proc: subprocess.Popen | None) -> None:
        """SIGKILL a server of the cluster (no clean-up, no goodbye)."""
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)

    def restart_actions(self, stack: Stack) -> None:
        self.kill(stack.action_proc)
        stack.start_actions()
        wait_until(stack.actions_ready, 120, "action server")

    def restart_rasa(self, stack: Stack) -> None:
        self.kill(stack.rasa_proc)
        stack.start_rasa()
        stack.wait_ready(timeout=420)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    if missing_packages():
        pytest.fail(f"{missing_packages()} missing: run `python -m scripts.scale_services install`")
    root = tmp_path_factory.mktemp("scale")
    knowledge = copy_knowledge(root / "knowledge")
    with (knowledge / "courses.yml").open("a", encoding="utf-8") as handle:
        handle.write(RACE_COURSE_YAML)
    services = ScaleServices().start()
    token = "scale-token"
    balancer_port = free_port()
    balancer_url = f"http://127.0.0.1:{balancer_port}"
    env = {
        **services.environment(),
        "UH_KNOWLEDGE_DIR": str(knowledge),
        "UH_TODAY": TODAY,
        "ACTION_ENDPOINT_URL": f"{balancer_url}/webhook",
        # A replica killed in the middle of a turn leaves that conversation's lock in Redis
        # until it expires: 30 s instead of Rasa's 60 (longer than any turn here).
        "TICKET_LOCK_LIFETIME": "30",
    }
    common = dict(model=MODEL, token=token, endpoints=REPO / "endpoints.production.yml", extra_env=env)
    a = Stack(data=root / "a", rasa_port=free_port(), action_port=free_port(), **common)
    b = Stack(data=root / "b", rasa_port=free_port(), action_port=free_port(), **common)
    balancer = None
    try:
        for stack in (a, b):
            stack.data.mkdir(parents=True, exist_ok=True)
        a.start_actions()
        b.start_actions()
        balancer = start_balancer(root, balancer_port, [a.action_url, b.action_url])
        # Both replicas load the model at the same time, as a deployment would start them.
        a.start_rasa()
        b.start_rasa()
        started = time.monotonic()
        a.wait_ready(timeout=420)
        b.wait_ready(timeout=max(30.0, 420 - (time.monotonic() - started)))
        yield Cluster(services, a, b, token, balancer, balancer_url, knowledge)
    finally:
        b.stop()
        a.stop()
        if balancer is not None and balancer.poll() is None:
            os.killpg(balancer.pid, signal.SIGTERM)
            balancer.wait(30)
        services.stop()
