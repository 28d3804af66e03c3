"""``rsl-sim evaluate`` on Isaac Lab velocity tasks: the MuJoCo evaluation's fixed commands and metrics.

First the metric itself on a policy whose answer is known: zero actions hold the Go2's default standing pose, so the
robot does not move and each command's ``lin_vel_error`` is the command's own speed (0 for standing, 1.0 m/s for
1 m/s forward, ...) up to the robot's residual motion. Then the CLI: a run trained for one iteration on
``RslSim-Isaac-Velocity-Flat-Go2-v0`` is evaluated from its folder, which writes ``evaluation.json`` with every command.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import torch

from rsl_sim.tasks.locomotion.velocity.evaluation import DEFAULT_COMMANDS
from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper

TASK = "RslSim-Isaac-Velocity-Flat-Go2-v0"
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_zero_action_errors_equal_the_commanded_speeds(make_go2_task_env):
    from rsl_sim.tasks.locomotion.velocity.isaaclab_evaluation import evaluate_isaaclab_velocity_policy

    def short_episodes(env_cfg) -> None:
        env_cfg.episode_length_s = 2.0

    with make_go2_task_env(TASK, num_envs=len(DEFAULT_COMMANDS), edit_cfg=short_episodes) as env:
        wrapped = IsaacLabVecEnvWrapper(env)

        def stand(obs):
            return torch.zeros(wrapped.num_envs, wrapped.num_actions)

        results = evaluate_isaaclab_velocity_policy(wrapped, stand, seeds=[0], episode_length_s=2.0, warmup_s=1.0)
    assert results["task"] == TASK and results["num_envs"] == len(DEFAULT_COMMANDS)
    assert [row["command"] for row in results["commands"]] == [list(command) for command in DEFAULT_COMMANDS]
    for row in results["commands"]:
        v_x, v_y, omega_z = row["command"]
        assert row["samples"] > 0 and row["no_fall_rate"] == 1.0
        assert math.isclose(row["lin_vel_error"], math.hypot(v_x, v_y), abs_tol=0.1), row
        assert math.isclose(row["yaw_rate_error"], abs(omega_z), abs_tol=0.15), row


def test_cli_evaluates_an_isaaclab_run(tmp_path):
    env = {**os.environ, "ISAACSIM_ASSET_ROOT": os.environ["ISAACSIM_ASSET_ROOT"]}

    def rsl_sim(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "rsl_sim.cli", *args]
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)

    train = rsl_sim(
        "train", "--task", TASK, "--num_envs", "8", "--max_iterations", "1", "--device", "cpu", "--headless",
        "agent.num_steps_per_env=8",
    )  # fmt: skip
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    (run,) = list((tmp_path / "logs").glob("*/*"))
    evaluate = rsl_sim(
        "evaluate", str(run), "--num_envs", "8", "--seeds", "0", "--episode_length_s", "1.5", "--warmup_s", "0.5"
    )
    assert evaluate.returncode == 0, evaluate.stdout[-3000:] + evaluate.stderr[-3000:]
    results = json.loads((run / "evaluation.json").read_text())
    assert results["task"] == TASK and results["seeds"] == [0] and results["episode_length_s"] == 1.5
    assert len(results["commands"]) == len(DEFAULT_COMMANDS)
    assert all(row["episodes"] == 1 for row in results["commands"])
    assert 0.0 <= results["overall"]["no_fall_rate"] <= 1.0
    assert results["checkpoint"].endswith("model_0.pt")
