"""A real PostgreSQL for the store tests (importable as ``tests.scale.postgres``).

The registry, hand-off and front-end store tests run once on SQLite and once on
PostgreSQL: their ``store_url`` fixture has a ``postgresql`` parameter marked ``scale``
(``make test-scale`` selects it; ``make test-unit`` leaves it out). One throw-away server
per test session (Debian's package, a temporary directory, a free port), one fresh
database per test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from common.database import dispose_engines
from scripts.scale_services import ScaleServices, missing_packages

#: The parameters of a ``store_url`` fixture: SQLite always, PostgreSQL with -m scale.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.scale)]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ScaleServices]:
    if "postgresql" in missing_packages():
        pytest.skip("PostgreSQL is not installed (python -m scripts.scale_services install)")
    services = ScaleServices(with_redis=False).start()
    try:
        yield services
    finally:
        dispose_engines()
        services.stop()


@pytest.fixture
def postgres_url(postgres_server: ScaleServices) -> Iterator[str]:
    """A fresh, empty database on the session's server."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        dispose_engines(url)
        postgres_server.drop_database(name)


def store_url_for(request: pytest.FixtureRequest, sqlite_file: str) -> str:
    """The URL a ``store_url`` fixture hands out for its parameter."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    tmp_path = request.getfixturevalue("tmp_path")
    return f"sqlite:///{tmp_path / sqlite_file}"


def settings_for(request: pytest.FixtureRequest, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The settings of a ``settings`` fixture over BACKENDS: every store in ``data_dir``, or
    (the ``postgresql`` parameter) every store in a fresh PostgreSQL database."""
    from common import settings as config

    monkeypatch.setenv("UH_DATA_DIR", str(data_dir))
    if request.param == "postgresql":
        monkeypatch.setenv("UH_DATABASE_URL", request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv("UH_DATABASE_URL", raising=False)
    return config.load()
