"""Where the knowledge files and the runtime data live, as the settings say.

Every path the package uses is asked for here (from :mod:`common.settings`, which reads
the environment on each call), so that tests — and staff trying an edit on a copy — can
point everything at another directory without touching the real files.
"""

from __future__ import annotations

from pathlib import Path

from common import settings


def knowledge_dir() -> Path:
    """The directory holding the staff-edited YAML files (``UH_KNOWLEDGE_DIR``)."""
    return settings.load().knowledge_dir


def index_path() -> Path:
    """The rebuildable search index (owned by this package)."""
    return settings.load().knowledge_index


def gaps_path() -> Path:
    """Questions the bot could not answer (owned by ``knowledge.gaps``)."""
    return settings.load().gaps_db


def registry_path() -> Path:
    """The registrations database (owned by ``registry``; asked which courses have sign-ups)."""
    return settings.load().registry_db
