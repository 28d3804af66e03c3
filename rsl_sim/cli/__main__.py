"""``python -m rsl_sim.cli``: the ``rsl-sim`` command line."""

from __future__ import annotations

import sys

from rsl_sim.cli.main import main

sys.exit(main())
