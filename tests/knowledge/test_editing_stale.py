"""A save removes what an interrupted save (a SIGKILLed console, ``make chaos``) left beside
the file, but never a temporary file another writer may be using right now."""

from __future__ import annotations

import os
import time
from pathlib import Path

from knowledge.editing import STALE_TEMPORARY_SECONDS, digest, save


def test_a_save_removes_stale_temporaries_only(tmp_path: Path) -> None:
    faq = tmp_path / "faq.yml"
    faq.write_text("[]\n", encoding="utf-8")
    stale = tmp_path / ".faq.yml.dead1234.tmp"
    stale.write_text("half", encoding="utf-8")
    old = time.time() - STALE_TEMPORARY_SECONDS - 60
    os.utime(stale, (old, old))
    fresh = tmp_path / ".faq.yml.live5678.tmp"
    fresh.write_text("being written", encoding="utf-8")
    other = tmp_path / ".courses.yml.dead9999.tmp"
    other.write_text("another file's", encoding="utf-8")
    os.utime(other, (old, old))
    save(faq, "[]\n# saved\n", digest("[]\n"), lock_path=tmp_path / ".lock")
    assert faq.read_text(encoding="utf-8") == "[]\n# saved\n"
    assert not stale.exists() and fresh.exists() and other.exists()
