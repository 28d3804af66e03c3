"""The shipped G1 flat policy: its registered folder, a weights-only checkpoint of the G1's inputs, and a walk.

The behavioural check runs ``rsl-sim evaluate --use_pretrained_checkpoint`` with a small protocol (16 robots, one seed,
4 s episodes): the G1 must track forward commands without falling, which a standing or sitting policy cannot (a
sitting G1 ends its episode: ``test_g1_terminations.py``).
"""

from __future__ import annotations

import os

import gymnasium
import pytest
import torch

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.cli import run_command
from rsl_sim.cli.pretrained import pretrained_output_dir, resolve_package_folder, tasks_with_pretrained
from rsl_sim.cli.tasks import PRETRAINED_CHECKPOINT
from rsl_sim.utils.checkpoint import load_checkpoint

TASK = "RslSim/G1-Flat-v0"
CHECKPOINT = "model_1099.pt"
SMALL_PROTOCOL = ["--num_envs", "16", "--seeds", "0", "--episode_length_s", "4"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _folder() -> str:
    return resolve_package_folder(gymnasium.spec(TASK).kwargs[PRETRAINED_CHECKPOINT], source=TASK)


def test_registered_folder_holds_one_weights_only_checkpoint_of_the_g1_inputs():
    folder = _folder()
    assert (
        gymnasium.spec(TASK).kwargs[PRETRAINED_CHECKPOINT]
        == "rsl_sim.tasks.locomotion.velocity.config.g1:policies/flat"
    )
    assert folder.endswith(os.path.join("g1", "policies", "flat"))
    assert [file for file in os.listdir(folder) if file.endswith(".pt")] == [CHECKPOINT]
    path = os.path.join(folder, CHECKPOINT)
    assert os.path.getsize(path) < 2 * 1024 * 1024
    data = load_checkpoint(path)  # weights_only=True
    assert set(data) == {"actor_state_dict", "critic_state_dict", "optimizer_state_dict", "iter", "infos"}
    assert data["actor_state_dict"]["mlp.0.weight"].shape == (256, 99)  # policy group [99]
    assert data["actor_state_dict"]["mlp.6.weight"].shape == (29, 128)  # 29 joint targets
    assert data["critic_state_dict"]["mlp.0.weight"].shape == (256, 107)  # critic group [107]
    assert all(torch.isfinite(value).all() for value in data["actor_state_dict"].values())
    for name in ("agent.yaml", "env.yaml", "cli.yaml"):
        assert os.path.isfile(os.path.join(folder, "params", name))
    assert os.path.isfile(os.path.join(folder, "README.md"))
    assert TASK in tasks_with_pretrained() and "RslSim/G1-Rough-v0" not in tasks_with_pretrained()


def test_evaluate_shows_the_shipped_g1_walks(tmp_path):
    argv = ["evaluate", "--task", TASK, "--use_pretrained_checkpoint", "--log_root", str(tmp_path), *SMALL_PROTOCOL]
    results = run_command(argv)
    by_command = {tuple(row["command"]): row for row in results["commands"]}
    # forward at 0.5 and 1 m/s: a standing robot's error is the commanded speed
    for speed in (0.5, 1.0):
        row = by_command[(speed, 0.0, 0.0)]
        assert row["lin_vel_error"] < 0.3, row
        assert row["no_fall_rate"] == 1.0, row
    assert results["overall"]["lin_vel_error"] < 0.3
    assert results["overall"]["no_fall_rate"] >= 0.9
    assert results["checkpoint"] == os.path.join(_folder(), CHECKPOINT)
    assert os.path.isfile(os.path.join(pretrained_output_dir(str(tmp_path), TASK), "evaluation.json"))
