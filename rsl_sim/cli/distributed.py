"""``rsl-sim train --distributed``: one process per GPU (or CPU worker) under ``torchrun``.

Each process trains on ``cuda:<LOCAL_RANK>`` (``cuda:0`` when the launcher shows each process only its own GPU; an
Isaac Lab task simulates on the same device; a ``cpu`` learner stays on the CPU and talks gloo) with the seed
``seed + RANK`` (Isaac Lab's rules); the runner starts the process group and only rank 0 writes files. See
``docs/distributed.md`` and :mod:`rsl_sim.utils.distributed`.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import torch

from rsl_sim.utils.distributed import DistributedSettings, rank_device, rank_seed, read_launcher_env

from .errors import CliError


def add_distributed_arg(parser: argparse.ArgumentParser) -> None:
    """``--distributed``: multi-process training under torchrun."""
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="Multi-process training under torchrun: one process per GPU (cuda:<LOCAL_RANK>) or CPU worker, seed"
        " + RANK per process; only rank 0 writes files.",
    )


def apply_distributed_settings(agent_cfg: dict[str, Any], distributed: bool) -> DistributedSettings:
    """Set the device and seed of this process in ``agent_cfg`` for a ``--distributed`` run.

    Args:
        agent_cfg: The prepared agent config (``device`` and ``seed`` resolved); changed in place.
        distributed: Whether ``--distributed`` was given.

    Returns:
        This process' ranks (world size 1 without ``--distributed``).

    Raises:
        CliError: For ``--distributed`` outside torchrun, a torchrun job without ``--distributed``, or launcher
            variables (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``) that do not fit together.
    """
    try:
        settings = read_launcher_env()
    except ValueError as error:
        raise CliError(str(error)) from error
    if not distributed:
        if settings.is_distributed:
            raise CliError(
                f"this process is one of WORLD_SIZE={settings.world_size} started by torchrun: add --distributed."
            )
        return settings
    if "WORLD_SIZE" not in os.environ:
        raise CliError(
            "--distributed needs torchrun: torchrun --nproc_per_node <processes> scripts/train.py ... --distributed"
            " (or: torchrun --nproc_per_node <processes> -m rsl_sim.cli train ... --distributed)."
        )

    # One GPU per process (the Isaac Lab simulation follows: see rsl_sim.cli.isaaclab_env), a seed per process
    if str(agent_cfg["device"]).startswith("cuda"):
        try:
            agent_cfg["device"] = rank_device(settings.local_rank, torch.cuda.device_count())
        except ValueError as error:
            raise CliError(str(error)) from error
    agent_cfg["seed"] = rank_seed(agent_cfg["seed"], settings.global_rank)
    print(
        f"[rsl_sim] Process {settings.global_rank} of {settings.world_size} (local rank {settings.local_rank}):"
        f" device {agent_cfg['device']}, seed {agent_cfg['seed']}",
        flush=True,
    )
    return settings
