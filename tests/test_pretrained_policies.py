"""Shipped policies: the registered folder, its checkpoint, and ``--use_pretrained_checkpoint`` of play/evaluate/export.

The behavioural check evaluates the shipped Go2 flat policy with a small protocol (16 robots, one seed, 4 s episodes)
through ``rsl-sim evaluate``: it must track forward commands, which a standing or untrained policy cannot.
"""

from __future__ import annotations

import os
import shutil

import gymnasium
import pytest
import torch
from shipped_policies import SMALL_PROTOCOL, evaluate_shipped_walks, shipped_checkpoint, shipped_folder

import rsl_sim.tasks  # noqa: F401  (registers the ids)
from rsl_sim.cli import run_command
from rsl_sim.cli.errors import CliError
from rsl_sim.cli.pretrained import pretrained_output_dir, resolve_package_folder, tasks_with_pretrained
from rsl_sim.cli.tasks import PRETRAINED_CHECKPOINT
from rsl_sim.utils.checkpoint import load_checkpoint

TASK = "RslSim/Go2-Flat-v0"
ISAACLAB_TASK = "RslSim-Isaac-Velocity-Flat-Go2-v0"


def _snapshot(folder: str) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            stat = os.stat(os.path.join(root, name))
            files[os.path.relpath(os.path.join(root, name), folder)] = (stat.st_size, stat.st_mtime_ns)
    return files


def test_registered_folder_holds_one_weights_only_checkpoint_and_the_run_params():
    folder, data = shipped_checkpoint(TASK, "go2", "flat", "model_624.pt")
    assert (
        gymnasium.spec(TASK).kwargs[PRETRAINED_CHECKPOINT]
        == "rsl_sim.tasks.locomotion.velocity.config.go2:policies/flat"
    )
    assert shipped_folder(ISAACLAB_TASK) == folder  # the same policy for the Isaac Lab flat task
    assert set(data) == {"actor_state_dict", "critic_state_dict", "optimizer_state_dict", "iter", "infos"}
    assert data["iter"] == 624
    assert data["actor_state_dict"]["mlp.0.weight"].shape == (128, 48)  # policy group [48]
    assert data["critic_state_dict"]["mlp.0.weight"].shape == (128, 62)  # critic group [62]
    assert all(torch.isfinite(value).all() for value in data["actor_state_dict"].values())
    for name in ("agent.yaml", "env.yaml", "cli.yaml"):
        assert os.path.isfile(os.path.join(folder, "params", name))
    assert os.path.isfile(os.path.join(folder, "README.md"))
    assert TASK in tasks_with_pretrained() and "RslSim/G1-Rough-v0" not in tasks_with_pretrained()


def test_evaluate_shows_the_shipped_policy_walks_and_writes_outside_the_package(tmp_path):
    folder = shipped_folder(TASK)
    before = _snapshot(folder)
    # It walks: forward commands tracked well within their speed, no falls (evaluate_shipped_walks)
    results = evaluate_shipped_walks(TASK, str(tmp_path), max_overall_error=0.25)
    assert results["checkpoint"] == os.path.join(folder, "model_624.pt")

    # Written to <log_root>/pretrained/<task>/evaluation.json; the package folder is untouched
    out = os.path.join(pretrained_output_dir(str(tmp_path), TASK), "evaluation.json")
    assert out == str(tmp_path / "pretrained" / "RslSim_Go2-Flat-v0" / "evaluation.json")
    assert os.path.isfile(out)
    assert _snapshot(folder) == before


def test_the_walking_check_fails_for_a_standing_policy(tmp_path):
    # The shipped run folder with the actor's output layer zeroed: actions 0, the robot stands in its default pose
    standing = tmp_path / "standing"
    shutil.copytree(shipped_folder(TASK), standing)
    data = load_checkpoint(standing / "model_624.pt")
    for name in ("mlp.6.weight", "mlp.6.bias"):
        data["actor_state_dict"][name].zero_()
    torch.save(data, standing / "model_624.pt")
    results = run_command(["evaluate", str(standing), *SMALL_PROTOCOL])
    by_command = {tuple(row["command"]): row for row in results["commands"]}
    for speed in (0.5, 1.0):
        assert by_command[(speed, 0.0, 0.0)]["lin_vel_error"] > 0.8 * speed  # about the commanded speed


def test_export_and_play_write_outside_the_package(tmp_path):
    pytest.importorskip("onnx")
    folder = shipped_folder(TASK)
    before = _snapshot(folder)
    out_dir = pretrained_output_dir(str(tmp_path), TASK)
    exported = run_command(["export", "--task", TASK, "--use_pretrained_checkpoint", "--log_root", str(tmp_path)])
    assert exported["jit"] == os.path.join(out_dir, "exported", "policy.pt") and os.path.isfile(exported["jit"])
    assert exported["max_abs_diff"] < 1e-4  # checked with onnxruntime and torch.jit
    stats = run_command(
        ["play", "--task", TASK, "--use_pretrained_checkpoint", "--log_root", str(tmp_path)]
        + ["--num_envs", "2", "--num_steps", "20", "--video", "--video_length", "10"]
    )
    assert stats["video"] == os.path.join(out_dir, "videos", "play", "model_624.mp4") and os.path.isfile(stats["video"])
    assert stats["exported"]["onnx"] == os.path.join(out_dir, "exported", "policy.onnx")
    assert _snapshot(folder) == before


def test_list_marks_the_tasks_with_a_shipped_policy():
    rows = {row["task"]: row for row in run_command(["list", "RslSim/"])}
    assert rows[TASK]["pretrained"] == "rsl_sim.tasks.locomotion.velocity.config.go2:policies/flat"
    assert rows["RslSim/Go2-Rough-v0"]["pretrained"] == "rsl_sim.tasks.locomotion.velocity.config.go2:policies/rough"
    assert rows["RslSim/G1-Flat-v0"]["pretrained"] == "rsl_sim.tasks.locomotion.velocity.config.g1:policies/flat"
    assert rows["RslSim/G1-Rough-v0"]["pretrained"] is None


@pytest.mark.parametrize("command", ["evaluate", "play", "export"])
def test_task_without_a_shipped_policy_is_refused_naming_the_ones_that_have_one(command, tmp_path):
    with pytest.raises(CliError) as info:
        run_command(
            [command, "--task", "RslSim/G1-Rough-v0", "--use_pretrained_checkpoint", "--log_root", str(tmp_path)]
        )
    message = str(info.value)
    assert "RslSim/G1-Rough-v0" in message and PRETRAINED_CHECKPOINT in message and TASK in message


@pytest.mark.parametrize(
    "extra",
    [["some/run"], ["--load_run", "2026-01-01_00-00-00"], ["--checkpoint", "model_10.pt"]],
    ids=["RUN", "load_run", "checkpoint"],
)
def test_a_run_together_with_the_shipped_policy_is_refused(extra, tmp_path):
    with pytest.raises(CliError, match="--use_pretrained_checkpoint .* cannot be combined with"):
        run_command(["evaluate", "--task", TASK, "--use_pretrained_checkpoint", "--log_root", str(tmp_path), *extra])


def test_the_shipped_policy_needs_a_task(tmp_path):
    with pytest.raises(CliError, match=f"needs --task.*{TASK}"):
        run_command(["play", "--use_pretrained_checkpoint", "--log_root", str(tmp_path)])


def test_malformed_or_missing_folders_are_clear_errors():
    with pytest.raises(CliError, match="expected 'package.module:relative/folder'"):
        resolve_package_folder("rsl_sim.tasks", source="test")
    with pytest.raises(CliError, match="cannot find the package 'rsl_sim.no_such_package'"):
        resolve_package_folder("rsl_sim.no_such_package:policies/flat", source="test")
    with pytest.raises(CliError, match="does not exist in the installed package"):
        resolve_package_folder("rsl_sim.tasks.locomotion.velocity.config.go2:policies/no_such_policy", source="test")


def test_the_cpu_env_keeps_the_registration_kwarg_and_still_refuses_unknown_keywords():
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

    env = gymnasium.make_vec(TASK, num_envs=1)
    try:
        assert env.unwrapped.entry_points[PRETRAINED_CHECKPOINT] == gymnasium.spec(TASK).kwargs[PRETRAINED_CHECKPOINT]
    finally:
        env.close()
    with pytest.raises(ValueError, match=r"unknown keyword arguments \['sed'\]"):
        VelocityEnv(num_envs=1, cfg_entry_point=gymnasium.spec(TASK).kwargs["cfg_entry_point"], sed=1)


ROUGH_TASK = "RslSim/Go2-Rough-v0"


def test_rough_teacher_folder_holds_a_weights_only_checkpoint_of_the_rough_inputs():
    folder, data = shipped_checkpoint(ROUGH_TASK, "go2", "rough", "model_549.pt")
    assert set(data) == {"actor_state_dict", "critic_state_dict", "optimizer_state_dict", "iter", "infos"}
    assert data["actor_state_dict"]["mlp.0.weight"].shape == (128, 235)  # policy group: 48 + 187 height scan
    assert data["critic_state_dict"]["mlp.0.weight"].shape == (128, 249)
    for name in ("agent.yaml", "env.yaml", "cli.yaml", os.path.join("..", "README.md")):
        assert os.path.isfile(os.path.join(folder, "params", name))


def test_the_rough_teacher_climbs_stairs_that_the_flat_policy_cannot():
    from rsl_sim.models import MLPModel
    from rsl_sim.tasks.locomotion.velocity.rough_evaluation import evaluate_rough_policy, make_rough_evaluation_env
    from rsl_sim.tasks.locomotion.velocity.warm_start import widen_checkpoint
    from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

    # 8 robots on each of stairs-up levels 3 and 4 (steps of about 11 and 13 cm), 10 s, forward 0.5 m/s
    env = make_rough_evaluation_env(ROUGH_TASK, num_envs=16, episode_length_s=10.0)
    wrapped = GymnasiumVecEnvWrapper(env, device="cpu")

    def stairs_up(actor_state: dict) -> list[dict]:
        model = MLPModel(
            wrapped.get_observations(),
            {"actor": ["policy"]},
            "actor",
            12,
            hidden_dims=[128, 128, 128],
            activation="elu",
            distribution_cfg={"class_name": "GaussianDistribution", "init_std": 1.0, "std_type": "scalar"},
        )
        model.load_state_dict(actor_state)
        model.eval()
        results = evaluate_rough_policy(
            env,
            model,
            seeds=[0],
            levels=[3, 4],
            terrain_types={"stairs_up": ["pyramid_stairs_inv"]},
            episode_length_s=10.0,
        )
        return results["terrain_types"][0]["levels"]

    try:
        teacher = load_checkpoint(os.path.join(shipped_folder(ROUGH_TASK), "model_549.pt"))["actor_state_dict"]
        flat_env = gymnasium.make_vec(TASK, num_envs=1)
        try:
            flat = load_checkpoint(os.path.join(shipped_folder(TASK), "model_624.pt"))
            widened = widen_checkpoint(flat, flat_env, wrapped, {"actor": ["policy"], "critic": ["critic"]})
        finally:
            flat_env.close()
        # Measured: the teacher 0.12 m/s with no fall and 88-100 % across; the flat policy (blind to the height scan)
        # falls on 88 % / 50 % and crosses none
        for row in stairs_up(teacher):
            assert row["passed"] and row["crossed_rate"] >= 0.5, row
        for row in stairs_up(widened["actor_state_dict"]):
            assert not row["passed"] and row["crossed_rate"] < 0.5, row
    finally:
        env.close()


def test_named_shipped_policies_are_found_by_suffix_and_unknown_names_are_refused(tmp_path):
    from rsl_sim.cli.pretrained import DEFAULT_NAME, pretrained_entries

    kwargs = {
        PRETRAINED_CHECKPOINT: "a:p/x",
        f"{PRETRAINED_CHECKPOINT}_rnn": "a:p/r",
        f"{PRETRAINED_CHECKPOINT}_cnn": "a:p/c",
    }
    assert list(pretrained_entries(kwargs).items()) == [(DEFAULT_NAME, "a:p/x"), ("cnn", "a:p/c"), ("rnn", "a:p/r")]
    assert pretrained_entries({f"{PRETRAINED_CHECKPOINT}_cnn": "a:p/c"}) == {"cnn": "a:p/c"}
    assert pretrained_output_dir("logs", TASK, "cnn").endswith(os.path.join("pretrained", "RslSim_Go2-Flat-v0_cnn"))
    with pytest.raises(CliError, match="ships no policy of that name; it ships: default"):
        run_command(["evaluate", "--task", TASK, "--use_pretrained_checkpoint", "cnn", "--log_root", str(tmp_path)])


def test_a_policy_stripped_to_its_models_evaluates_like_the_whole_checkpoint(tmp_path):
    # Shipped students keep their models only (no optimizer state): play, evaluate and export load them all the same
    stripped = tmp_path / "stripped"
    shutil.copytree(shipped_folder(TASK), stripped)
    data = load_checkpoint(str(stripped / "model_624.pt"))
    del data["optimizer_state_dict"]
    torch.save(data, stripped / "model_624.pt")
    argv = ["evaluate", "--log_root", str(tmp_path), *SMALL_PROTOCOL]
    whole = run_command([*argv, "--task", TASK, "--use_pretrained_checkpoint"])
    models_only = run_command([*argv, str(stripped), "--out", str(tmp_path / "stripped.json")])
    assert models_only["overall"] == whole["overall"]
