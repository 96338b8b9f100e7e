"""``python -m knowledge ...`` - see :mod:`knowledge.cli`."""

import sys

from knowledge.cli import main

sys.exit(main())
