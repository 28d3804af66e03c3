"""Train a policy on a task: ``rsl-sim train`` as a script (all its options; see ``rsl-sim train --help``).

Example:
    python scripts/train.py --task RslSim/Go2-Flat-v0
    python scripts/train.py --task Pendulum-v1 --max_iterations 150 agent.algorithm.learning_rate=3e-4
    python scripts/train.py --task Pendulum-v1 --resume --load_run 2026-01-01_12-00-00 --checkpoint model_100.pt
    torchrun --nproc_per_node 2 scripts/train.py --task Pendulum-v1 --device cpu --distributed
"""

from __future__ import annotations

import sys

from rsl_sim.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Run ``rsl-sim train`` with ``argv`` (default: the command line); returns the exit code."""
    return cli_main(["train", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
