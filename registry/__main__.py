"""``python -m registry`` — the staff command line (see cli.py, README.md)."""

from __future__ import annotations

import sys

from registry.cli import main

sys.exit(main())
