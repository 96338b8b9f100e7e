"""Fixtures for the knowledge tests.

Every test works on copies in ``tmp_path``: nothing here may write into the
real ``knowledge/`` directory or ``var/``. The date is never the machine's: tests
that depend on it pass a ``FixedClock``; everything else runs on ``TODAY``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from common.clock import FixedClock, parse_moment
from knowledge import KnowledgeBase, reset_default_kb
from knowledge.loader import copy_files
from tests.support import TODAY

REPO = Path(__file__).resolve().parents[2]
REAL_KNOWLEDGE = REPO / "knowledge"


def copy_knowledge(target: Path) -> Path:
    """Copy the real YAML files (only those) into ``target``."""
    return copy_files(REAL_KNOWLEDGE, target)


def write(directory: Path, name: str, text: str) -> Path:
    """Write a dedented YAML file into ``directory``."""
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point UH_DATA_DIR / UH_KNOWLEDGE_DIR at tmp_path and the settings' clock at
    TODAY for every test (monkeypatch restores all three afterwards)."""
    monkeypatch.setenv("UH_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("UH_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    monkeypatch.setenv("UH_TODAY", TODAY)
    reset_default_kb()
    yield
    reset_default_kb()


@pytest.fixture(scope="session")
def real_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """A knowledge base over a copy of the real files (built once per session), on TODAY."""
    base = tmp_path_factory.mktemp("real")
    kdir = copy_knowledge(base / "knowledge")
    return KnowledgeBase.open(
        kdir,
        base / "var" / "knowledge_index.db",
        registry_path=base / "var" / "registry.db",
        clock=FixedClock(parse_moment(TODAY)),
    )


@pytest.fixture
def kdir(tmp_path: Path) -> Path:
    """An empty knowledge directory in tmp_path (the env points at it)."""
    path = tmp_path / "knowledge"
    path.mkdir()
    return path


@pytest.fixture
def copy_real():
    """``copy_real(target)`` copies the real YAML files into ``target``."""
    return copy_knowledge


@pytest.fixture
def write_yaml():
    """``write_yaml(directory, name, text)`` writes a dedented YAML file."""
    return write


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "var"
    path.mkdir(exist_ok=True)
    return path
