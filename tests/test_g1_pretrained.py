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
from shipped_policies import evaluate_shipped_walks, shipped_checkpoint, shipped_folder

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.cli.pretrained import pretrained_output_dir, tasks_with_pretrained
from rsl_sim.cli.tasks import PRETRAINED_CHECKPOINT

TASK = "RslSim/G1-Flat-v0"
CHECKPOINT = "model_1099.pt"

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_registered_folder_holds_one_weights_only_checkpoint_of_the_g1_inputs():
    folder, data = shipped_checkpoint(TASK, "g1", "flat", CHECKPOINT)
    assert (
        gymnasium.spec(TASK).kwargs[PRETRAINED_CHECKPOINT]
        == "rsl_sim.tasks.locomotion.velocity.config.g1:policies/flat"
    )
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
    results = evaluate_shipped_walks(TASK, str(tmp_path), max_overall_error=0.3)
    assert results["checkpoint"] == os.path.join(shipped_folder(TASK), CHECKPOINT)
    assert os.path.isfile(os.path.join(pretrained_output_dir(str(tmp_path), TASK), "evaluation.json"))
