"""G1 training: the registered agent configs (Isaac Lab's values), a short PPO + symmetry run on the real env (finite
losses, parameters that move, a checkpoint that reloads into the same policy), and the CLI's train -> play --video ->
evaluate on a G1 run through the functions the task registers."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium
import pytest
import torch

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.cli import run_command
from rsl_sim.cli.agent_config import set_seed
from rsl_sim.cli.tasks import EVALUATION_ENTRY_POINT, VIDEO_ENTRY_POINT, task_function
from rsl_sim.runners import OnPolicyRunner, resolve_runner_config
from rsl_sim.tasks.locomotion.velocity.config.g1 import evaluation as g1_evaluation
from rsl_sim.tasks.locomotion.velocity.config.g1.agents import (
    unitree_g1_flat_ppo_cfg,
    unitree_g1_flat_ppo_with_symmetry_cfg,
    unitree_g1_rough_ppo_cfg,
)
from rsl_sim.tasks.locomotion.velocity.video import record_velocity_video
from rsl_sim.utils.callables import resolve_callable
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

TASKS = ("RslSim/G1-Flat-v0", "RslSim/G1-Rough-v0")

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*torch.jit.load.*deprecated:DeprecationWarning"),
    pytest.mark.usefixtures("one_torch_thread"),
]


def test_registrations_name_agents_evaluation_and_video():
    for task in TASKS:
        kwargs = gymnasium.spec(task).kwargs
        for key in ("rsl_sim_agent_cfg_entry_point", "rsl_sim_with_symmetry_cfg_entry_point"):
            resolved = resolve_runner_config(resolve_callable(kwargs[key])())
            assert resolved["algorithm"]["class_name"] == "PPO"
        assert task_function(task, EVALUATION_ENTRY_POINT, "evaluate") is g1_evaluation.evaluate_task
        assert task_function(task, VIDEO_ENTRY_POINT, "--video_command") is record_velocity_video
        assert kwargs["rsl_sim_mirror_entry_point"] == "rsl_sim.tasks.locomotion.velocity.config.g1.mirror:g1_mirror"
    # the evaluation commands lie inside both tasks' command ranges
    for task in TASKS:
        ranges = resolve_callable(gymnasium.spec(task).kwargs["cfg_entry_point"])().commands["base_velocity"].ranges
        for v_x, v_y, w_z in g1_evaluation.DEFAULT_COMMANDS:
            assert ranges.lin_vel_x[0] <= v_x <= ranges.lin_vel_x[1]
            assert ranges.lin_vel_y[0] <= v_y <= ranges.lin_vel_y[1]
            assert ranges.ang_vel_z[0] <= w_z <= ranges.ang_vel_z[1]


def test_ppo_values_are_isaac_labs():
    rough, flat = unitree_g1_rough_ppo_cfg(), unitree_g1_flat_ppo_cfg()
    assert (rough["experiment_name"], flat["experiment_name"]) == ("g1_rough", "g1_flat")
    assert (rough["max_iterations"], flat["max_iterations"]) == (5000, 1500)
    assert rough["actor"]["hidden_dims"] == rough["critic"]["hidden_dims"] == [512, 256, 128]
    assert flat["actor"]["hidden_dims"] == flat["critic"]["hidden_dims"] == [256, 128, 128]
    assert rough["algorithm"]["entropy_coef"] == 0.008 and rough["num_steps_per_env"] == 24
    assert rough["algorithm"]["learning_rate"] == 1.0e-3 and rough["algorithm"]["desired_kl"] == 0.01
    symmetric = unitree_g1_flat_ppo_with_symmetry_cfg()["algorithm"]["symmetry_cfg"]
    assert symmetric["use_data_augmentation"] and symmetric["data_augmentation_func"].endswith("g1.mirror:g1_mirror")


def test_short_symmetry_run_has_finite_losses_and_its_checkpoint_reloads(tmp_path):
    set_seed(0)
    cfg = unitree_g1_flat_ppo_with_symmetry_cfg()
    cfg["num_steps_per_env"] = 12
    env = GymnasiumVecEnvWrapper.from_id("RslSim/G1-Flat-v0", num_envs=16, seed=0, clip_actions=cfg["clip_actions"])
    runner = OnPolicyRunner(env, cfg, log_dir=str(tmp_path), device="cpu")
    before = [p.detach().clone() for p in runner.alg.actor.parameters()]

    # record the losses of every update
    losses: list[dict[str, float]] = []
    update = runner.alg.update

    def recording_update():
        result = update()
        losses.append(result)
        return result

    runner.alg.update = recording_update
    runner.learn(3)
    assert len(losses) == 3
    for loss in losses:
        # the symmetry extension ran (its loss is logged with the PPO losses)
        assert {"value", "surrogate", "entropy", "symmetry"} <= set(loss)
        assert all(torch.isfinite(torch.tensor(value)) for value in loss.values())
    # the update changed the policy
    after = list(runner.alg.actor.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after))

    # the last checkpoint reloads into a new runner that acts the same
    checkpoint = tmp_path / "model_2.pt"
    assert checkpoint.is_file()
    obs = env.get_observations()
    actions = runner.get_inference_policy()(obs)
    fresh = OnPolicyRunner(env, unitree_g1_flat_ppo_with_symmetry_cfg(), log_dir=None, device="cpu")
    fresh.load(str(checkpoint))
    torch.testing.assert_close(fresh.get_inference_policy()(obs), actions, rtol=0.0, atol=0.0)
    env.close()


def test_cli_train_play_video_and_evaluate(tmp_path):
    run = Path(
        run_command(
            ["train", "--task", "RslSim/G1-Flat-v0", "--num_envs", "4", "--max_iterations", "1"]
            + ["--log_root", str(tmp_path), "agent.num_steps_per_env=8"]
        )
    )
    assert (run / "model_0.pt").is_file()
    imageio = pytest.importorskip("imageio.v2")
    # a pinned-command video through the task's registered video function
    stats = run_command(
        ["play", str(run), "--num_steps", "3", "--video_length", "3", "--video_command", "0.5", "0", "0"]
    )
    assert imageio.get_reader(stats["video"]).count_frames() == 4
    # the G1's evaluation: its own commands, one seed, short episodes
    results = run_command(["evaluate", str(run), "--num_envs", "8", "--seeds", "0", "--episode_length_s", "1.5"])
    saved = json.loads((run / "evaluation.json").read_text())
    assert [tuple(row["command"]) for row in saved["commands"]] == list(g1_evaluation.DEFAULT_COMMANDS)
    assert 0.0 <= results["overall"]["no_fall_rate"] <= 1.0 and results["overall"]["lin_vel_error"] >= 0.0
