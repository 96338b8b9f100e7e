"""Where the knowledge files and the runtime data live.

Every path the package uses is decided here, from the environment, so that tests
(and staff trying an edit on a copy) can point everything at another directory
without touching the real files.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def knowledge_dir() -> Path:
    """The directory holding the staff-edited YAML files (``UH_KNOWLEDGE_DIR``)."""
    value = os.environ.get("UH_KNOWLEDGE_DIR")
    return Path(value).expanduser() if value else PACKAGE_DIR


def data_dir() -> Path:
    """The runtime data directory (``UH_DATA_DIR``, default ``<repo>/var``)."""
    value = os.environ.get("UH_DATA_DIR")
    return Path(value).expanduser() if value else REPO_ROOT / "var"


def index_path() -> Path:
    """The rebuildable search index (owned by this package)."""
    return data_dir() / "knowledge_index.db"


def gaps_path() -> Path:
    """Questions the bot could not answer (owned by ``knowledge.gaps``)."""
    return data_dir() / "gaps.db"


def registry_path() -> Path:
    """The registrations database (owned by ``actions.registry``; read-only here)."""
    return data_dir() / "registry.db"
