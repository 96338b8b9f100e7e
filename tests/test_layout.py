"""The arrows between the parts run one way (docs/architecture.md, "Who may import whom").

Read from the source with ``ast``, so a forbidden import fails here even when nothing
exercises it: the layout a newcomer reads in the docs is the layout the code has.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OURS = (
    "common",
    "registry",
    "handoff",
    "knowledge",
    "answering",
    "actions",
    "bot",
    "rasa_ext",
    "scripts",
    "console",
    "wechat",
)

#: package -> the packages of ours it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "common": set(),
    "registry": {"common"},
    "handoff": {"common"},
    "knowledge": {"common", "registry"},
    "answering": {"common", "knowledge"},
    # 导出我的数据 in the chat: the worker's hand-off tickets through handoff's export function
    "actions": {"common", "registry", "handoff", "knowledge", "answering"},
    "bot": {"common", "registry", "handoff", "knowledge"},
    # the purge on 删除我的数据 forgets the worker's hand-offs through handoff's function, and
    # the front ends' rows about them through their owners' (wechat.store, bot.tickets:
    # neither imports a channel library)
    "rasa_ext": {"common", "handoff", "wechat", "bot"},
    # The staff console (issue #14): the knowledge and the registry through their functions;
    # issue #15: the operators' inbox through handoff's, the dashboard's and data rights'
    # read-only look at the conversations through rasa_ext.activity (no Rasa import).
    "console": {"common", "registry", "handoff", "knowledge", "answering", "rasa_ext"},
    # The WeChat front end (issue #16): the shared hand-off store and the registry's outbox
    # through their functions; from bot/ only its channel-neutral helpers (the Rasa
    # client, staffed hours, sentence splitting), never the Telegram parts.
    "wechat": {"common", "registry", "handoff", "bot"},
    "scripts": set(OURS) - {"scripts"},
}


def imported_packages(package: str) -> dict[str, set[str]]:
    """``{file: our top-level packages it imports}`` for every module of ``package``."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO))] = {name for name in names if name in OURS} - {package}
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_part_imports_only_what_it_builds_on(package: str) -> None:
    wrong = {
        file: sorted(names - ALLOWED[package])
        for file, names in imported_packages(package).items()
        if names - ALLOWED[package]
    }
    assert not wrong, f"{package} must not import these: {wrong}"


def test_no_module_uses_relative_imports() -> None:
    relative = []
    for package in OURS:
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree)):
                relative.append(str(path.relative_to(REPO)))
    assert not relative


def test_only_the_registry_opens_its_file() -> None:
    """Anyone else reaches the sign-ups through the registry's functions."""
    outsiders = []
    for package in OURS:
        if package in ("registry", "scripts"):
            continue
        for path in (REPO / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "sqlite3.connect" in text and "registry" in text.lower() and "registry.db" in text:
                outsiders.append(str(path.relative_to(REPO)))
    assert not outsiders
