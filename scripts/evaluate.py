"""Evaluate a trained velocity-tracking policy: ``rsl-sim evaluate`` as a script (see ``rsl-sim evaluate --help``).

Example:
    python scripts/evaluate.py --task RslSim/Go2-Flat-v0            # newest run of the task: <run>/evaluation.json
    python scripts/evaluate.py logs/unitree_go2_flat/2026-01-01_12-00-00 --seeds 0 1 2
"""

from __future__ import annotations

import sys

from rsl_sim.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Run ``rsl-sim evaluate`` with ``argv`` (default: the command line); returns the exit code."""
    return cli_main(["evaluate", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
