"""Shared checks of the policies the tasks ship (``rsl_sim_pretrained_checkpoint``): their folders, their weights-only
checkpoints, and a small ``rsl-sim evaluate`` that a walking policy passes and a standing or sitting one cannot."""

from __future__ import annotations

import os
from typing import Any

import gymnasium

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.cli import run_command
from rsl_sim.cli.pretrained import resolve_package_folder
from rsl_sim.cli.tasks import PRETRAINED_CHECKPOINT
from rsl_sim.utils.checkpoint import load_checkpoint

SMALL_PROTOCOL = ["--num_envs", "16", "--seeds", "0", "--episode_length_s", "4"]
"""16 robots (2 per command), one seed, 4 s episodes (3 s measured): a few seconds of CPU."""


def shipped_folder(task: str) -> str:
    """The run folder a task registers as its shipped policy."""
    return resolve_package_folder(gymnasium.spec(task).kwargs[PRETRAINED_CHECKPOINT], source=task)


def shipped_checkpoint(task: str, robot: str, name: str, checkpoint: str) -> tuple[str, dict]:
    """The task's shipped folder ``<robot>/policies/<name>`` and its one checkpoint (< 2 MB), loaded weights-only."""
    folder = shipped_folder(task)
    assert folder.endswith(os.path.join(robot, "policies", name))
    assert [file for file in os.listdir(folder) if file.endswith(".pt")] == [checkpoint]
    path = os.path.join(folder, checkpoint)
    assert os.path.getsize(path) < 2 * 1024 * 1024
    return folder, load_checkpoint(path)  # weights_only=True


def evaluate_shipped_walks(task: str, log_root: str, max_overall_error: float) -> dict[str, Any]:
    """``rsl-sim evaluate --use_pretrained_checkpoint`` with :data:`SMALL_PROTOCOL`; asserts the policy walks.

    Walking: forward commands of 0.5 and 1 m/s tracked within 0.3 m/s (a standing robot's error is the commanded
    speed) without a fall, an overall error below ``max_overall_error`` [m/s] and at least 90 % without a fall.
    """
    argv = ["evaluate", "--task", task, "--use_pretrained_checkpoint", "--log_root", log_root, *SMALL_PROTOCOL]
    results = run_command(argv)
    by_command = {tuple(row["command"]): row for row in results["commands"]}
    for speed in (0.5, 1.0):
        row = by_command[(speed, 0.0, 0.0)]
        assert row["lin_vel_error"] < 0.3, row
        assert row["no_fall_rate"] == 1.0, row
    assert results["overall"]["lin_vel_error"] < max_overall_error
    assert results["overall"]["no_fall_rate"] >= 0.9
    return results
