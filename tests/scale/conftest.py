"""Scale-out fixtures: real PostgreSQL and Redis on 127.0.0.1, two Rasa replicas with
endpoints.production.yml sharing one action server.

The tests marked ``scale`` run only when asked for by marker (``pytest -m scale``, i.e.
``make test-scale``): they need Debian's postgresql and redis-server packages, which
``python -m scripts.scale_services install`` installs. Everywhere else (``make test``)
they are deselected, so the default test run needs nothing but Python; the few tests here
that need no server run everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.scale_services import ScaleServices, missing_packages
from scripts.stack import REPO, Stack
from tests.support import MODEL, copy_knowledge, free_port

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
    a: Stack  # replica A and the shared action server
    b: Stack  # replica B (no action server of its own)
    token: str

    @property
    def replicas(self) -> tuple[Stack, Stack]:
        return self.a, self.b


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    if missing_packages():
        pytest.fail(f"{missing_packages()} missing: run `python -m scripts.scale_services install`")
    root = tmp_path_factory.mktemp("scale")
    knowledge = copy_knowledge(root / "knowledge")
    services = ScaleServices().start()
    token = "scale-token"
    env = {**services.environment(), "UH_KNOWLEDGE_DIR": str(knowledge)}
    action_port = free_port()
    common = dict(
        model=MODEL, action_port=action_port, token=token, endpoints=REPO / "endpoints.production.yml", extra_env=env
    )
    a = Stack(data=root / "a", rasa_port=free_port(), **common)
    b = Stack(data=root / "b", rasa_port=free_port(), with_actions=False, **common)
    try:
        # Both replicas load the model at the same time, as a deployment would start them.
        for stack in (a, b):
            stack.data.mkdir(parents=True, exist_ok=True)
        a.start_actions()
        a.start_rasa()
        b.start_rasa()
        started = time.monotonic()
        a.wait_ready(timeout=420)
        b.wait_ready(timeout=max(30.0, 420 - (time.monotonic() - started)))
        yield Cluster(services, a, b, token)
    finally:
        b.stop()
        a.stop()
        services.stop()
