"""Run a trained policy, export it, record a video: ``rsl-sim play`` as a script (see ``rsl-sim play --help``).

Example:
    python scripts/play.py --task RslSim/Go2-Flat-v0                # newest checkpoint of the newest run
    python scripts/play.py --task Pendulum-v1 --load_run 2026-01-01_12-00-00 --checkpoint model_100.pt
    MUJOCO_GL=egl python scripts/play.py --task RslSim/Go2-Flat-v0 --video   # <run>/videos/play/<checkpoint>.mp4
    python scripts/play.py --task RslSim/Go2-Flat-v0 --evaluate     # then the evaluation table, <run>/evaluation.json
"""

from __future__ import annotations

import sys

from rsl_sim.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Run ``rsl-sim play`` with ``argv`` (default: the command line); returns the exit code."""
    return cli_main(["play", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
