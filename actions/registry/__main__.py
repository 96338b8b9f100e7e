"""``python -m actions.registry`` — the staff command line (see cli.py, README.md).

rasa-sdk imports every submodule of ``actions``, this one included: the guard below keeps
that import from running the command line.
"""
from __future__ import annotations

import sys

from actions.registry.cli import main

if __name__ == "__main__":
    sys.exit(main())
