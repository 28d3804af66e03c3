"""rsl-sim train / export / play / evaluate / distill end to end on small runs (Pendulum, Go2 on CPU MuJoCo)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from helpers import PENDULUM_CLI

from rsl_sim.cli import run_command
from rsl_sim.cli.errors import CliError

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*torch.jit.load.*deprecated:DeprecationWarning"),
    pytest.mark.usefixtures("one_torch_thread"),
]


@pytest.fixture(scope="module")
def pendulum_run(tmp_path_factory) -> Path:
    """A 3-iteration Pendulum run trained through the CLI (episodes of 200 steps end in iteration 1)."""
    root = tmp_path_factory.mktemp("logs")
    run = run_command(
        ["train", *PENDULUM_CLI, "--max_iterations", "3", "--log_root", str(root), "--run_name", "cli"]
        + ["agent.num_steps_per_env=100", "agent.algorithm.learning_rate=3e-4"]
    )
    return Path(run)


def test_train_writes_the_run_folder_with_the_overrides(pendulum_run):
    assert pendulum_run.parent.name == "Pendulum-v1" and pendulum_run.name.endswith("_cli")
    assert {"model_0.pt", "model_2.pt"} <= {path.name for path in pendulum_run.iterdir()}
    agent = yaml.safe_load((pendulum_run / "params" / "agent.yaml").read_text())
    assert agent["num_steps_per_env"] == 100 and agent["seed"] == 42
    info = yaml.safe_load((pendulum_run / "params" / "cli.yaml").read_text())
    assert info["task"] == "Pendulum-v1" and "agent.num_steps_per_env=100" in info["overrides"]
    assert torch.load(pendulum_run / "model_2.pt", weights_only=True)["iter"] == 2


def test_export_writes_files_that_onnxruntime_runs(pendulum_run, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    result = run_command(["export", str(pendulum_run), "--out", str(tmp_path)])
    assert result["max_abs_diff"] < 1e-4 and result["checkpoint"].endswith("model_2.pt")
    assert Path(result["onnx"]).parent == tmp_path and Path(result["jit"]).is_file()

    # Any batch size, and the TorchScript file computes the same actions
    session = ort.InferenceSession(result["onnx"], providers=["CPUExecutionProvider"])
    obs = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    actions = session.run(None, {"obs": obs})[0]
    assert actions.shape == (5, 1) and np.isfinite(actions).all()
    scripted = torch.jit.load(result["jit"])
    np.testing.assert_allclose(scripted(torch.from_numpy(obs)).detach().numpy(), actions, rtol=1e-5, atol=1e-5)


def test_play_from_the_run_folder_alone_and_resume(pendulum_run):
    # No --task: the run records it
    stats = run_command(["play", str(pendulum_run), "--num_steps", "201", "--num_envs", "2", "--no_export"])
    # Pendulum rewards lie in [-(pi^2 + 0.1 * 8^2 + 0.001 * 2^2), 0] per step, 200 steps per episode
    assert stats["episodes"] == 2 and -3255.0 <= stats["mean_return"] <= 0.0

    # Resume a named run: iterations continue, the new run keeps the trained config
    root = str(pendulum_run.parents[1])
    resumed = Path(
        run_command(
            ["train", *PENDULUM_CLI, "--resume", "--load_run", pendulum_run.name, "--max_iterations", "1"]
            + ["--log_root", root, "agent.num_steps_per_env=100"]
        )
    )
    assert resumed != pendulum_run and torch.load(resumed / "model_3.pt", weights_only=True)["iter"] == 3

    # A checkpoint that does not exist is a clear error
    with pytest.raises(CliError, match="no checkpoint in .* matches 'model_99.pt'"):
        run_command(["export", str(pendulum_run), "--checkpoint", "model_99.pt"])
    with pytest.raises(CliError, match="evaluate is not available for task 'Pendulum-v1'"):
        run_command(["evaluate", str(pendulum_run)])


def test_distill_end_to_end_on_pendulum(tmp_path):
    result = run_command(
        ["distill", *PENDULUM_CLI, "--log_root", str(tmp_path), "--teacher_iterations", "2", "--max_iterations", "2"]
        + ["teacher.num_steps_per_env=16", "agent.num_steps_per_env=16"]
    )
    teacher, student = Path(result["teacher_run"]), Path(result["student_run"])
    assert teacher.name.endswith("_teacher") and student.name.endswith("_student")
    assert Path(result["teacher_checkpoint"]) == teacher / "model_1.pt"
    checkpoint = torch.load(student / "model_1.pt", weights_only=True)
    teacher_actor = torch.load(teacher / "model_1.pt", weights_only=True)["actor_state_dict"]
    # The frozen teacher is the PPO actor; the student learned from it
    for name, value in checkpoint["teacher_state_dict"].items():
        torch.testing.assert_close(value, teacher_actor[name])
    assert set(checkpoint) >= {"student_state_dict", "teacher_state_dict", "optimizer_state_dict"}

    # The student run exports like any policy; a given teacher run is reused without training a new one
    assert run_command(["export", str(student), "--out", str(tmp_path / "exported")])["max_abs_diff"] < 1e-4
    again = run_command(
        ["distill", *PENDULUM_CLI, "--log_root", str(tmp_path), "--teacher_run", teacher.name, "--max_iterations", "1"]
        + ["agent.num_steps_per_env=16"]
    )
    assert again["teacher_run"] == str(teacher) and len(list(teacher.parent.glob("*_teacher"))) == 1


def test_go2_train_with_env_overrides_and_video_then_evaluate(tmp_path):
    run = Path(
        run_command(
            ["train", "--task", "RslSim/Go2-Flat-v0", "--num_envs", "4", "--max_iterations", "1"]
            + ["--log_root", str(tmp_path), "agent.num_steps_per_env=8", "env.rewards.feet_air_time.weight=0.3"]
            + ["--video", "--video_length", "3", "--video_interval", "5"]
        )
    )
    env = yaml.safe_load((run / "params" / "env.yaml").read_text())
    assert env["rewards"]["feet_air_time"]["weight"] == 0.3

    # Clips of 3 steps start at steps 0 and 5 of the 8 steps
    imageio = pytest.importorskip("imageio.v2")
    clips = sorted(path.name for path in (run / "videos" / "train").iterdir())
    assert clips == ["rl-video-step-0.mp4", "rl-video-step-5.mp4"]
    assert imageio.get_reader(str(run / "videos" / "train" / clips[1])).count_frames() == 3

    # Play: a video of the first env; a pinned-command video would drop the run's env override, so it is refused
    stats = run_command(["play", str(run), "--num_envs", "2", "--num_steps", "4", "--video", "--video_length", "3"])
    assert stats["video"].endswith("model_0.mp4") and imageio.get_reader(stats["video"]).count_frames() == 3
    with pytest.raises(CliError, match="env overrides"):
        run_command(["play", str(run), "--num_steps", "4", "--video_command", "1", "0", "0"])

    # Evaluation: fixed commands, one seed, short episodes; the run's env overrides are applied again
    results = run_command(["evaluate", str(run), "--num_envs", "8", "--seeds", "0", "--episode_length_s", "1.5"])
    saved = json.loads((run / "evaluation.json").read_text())
    assert saved["num_envs"] == 8 and len(saved["commands"]) == 8 and saved["overall"] == results["overall"]
    assert 0.0 <= results["overall"]["no_fall_rate"] <= 1.0 and results["overall"]["lin_vel_error"] >= 0.0
    with pytest.raises(CliError, match="multiple of the number of commands"):
        run_command(["evaluate", str(run), "--num_envs", "6", "--seeds", "0", "--episode_length_s", "1.5"])


def test_go2_depth_distill_end_to_end(tmp_path):
    result = run_command(
        ["distill", "--task", "RslSim/Go2-Rough-Depth-v0", "--teacher_task", "RslSim/Go2-Rough-v0", "--num_envs", "2"]
        + ["--log_root", str(tmp_path), "--teacher_iterations", "1", "--max_iterations", "1"]
        + ["teacher.num_steps_per_env=4", "agent.num_steps_per_env=4", "agent.algorithm.gradient_length=4"]
    )
    student = Path(result["student_run"])
    assert student.parent.name == "unitree_go2_rough" and (student / "model_0.pt").is_file()
    state = torch.load(student / "model_0.pt", weights_only=True)["student_state_dict"]
    assert any(name.startswith("cnns.depth") for name in state)  # the CNN depth student
