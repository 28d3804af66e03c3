"""rsl-sim on a real Isaac Lab task: train (with an env override), then export from the run folder alone.

Needs Isaac Lab (scripts/install_isaaclab.sh; run in its venv, e.g. ``.venv-isaaclab/bin/python -m pytest
tests/test_cli_isaaclab.py``); skipped with the reason elsewhere. The commands run as subprocesses: Isaac Lab's
simulation launch stays out of the test process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rsl_sim.cli.tasks import isaaclab_available

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSET_ROOT = Path(os.environ.get("ISAACSIM_ASSET_ROOT", REPO_ROOT / ".isaaclab-assets"))
TASK = "Isaac-Velocity-Flat-UnitreeGo2"

pytestmark = [
    pytest.mark.isaaclab,
    pytest.mark.skipif(not isaaclab_available(), reason="isaaclab is not installed: scripts/install_isaaclab.sh"),
    pytest.mark.skipif(not ASSET_ROOT.is_dir(), reason=f"no Isaac Lab asset root at {ASSET_ROOT}"),
]


def _rsl_sim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ISAACSIM_ASSET_ROOT": str(ASSET_ROOT)}
    env.setdefault("WARP_CACHE_PATH", str(REPO_ROOT / ".cache" / "warp"))
    command = [sys.executable, "-m", "rsl_sim.cli", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_train_play_and_export_an_isaaclab_task(tmp_path):
    train = _rsl_sim(
        "train", "--task", TASK, "--num_envs", "4", "--max_iterations", "2", "--device", "cpu", "--headless",
        "--video", "--video_length", "6", "--video_interval", "100",
        "agent.num_steps_per_env=8", "env.rewards.feet_air_time.weight=0.5", cwd=tmp_path,
    )  # fmt: skip
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    runs = list((tmp_path / "logs").glob("*/*"))
    assert len(runs) == 1 and (runs[0] / "model_1.pt").is_file()
    env_cfg = yaml.safe_load((runs[0] / "params" / "env.yaml").read_text())
    assert env_cfg["rewards"]["feet_air_time"]["weight"] == 0.5
    # --video: the env recorded one clip (16 steps, a clip every 100) through Newton's OpenGL viewer
    assert sorted(path.name for path in (runs[0] / "videos" / "train").iterdir()) == ["clip_0000.mp4"]
    _check_clip(runs[0] / "videos" / "train" / "clip_0000.mp4", num_frames=6)

    export = _rsl_sim("export", str(runs[0]), cwd=tmp_path)
    assert export.returncode == 0, export.stdout[-3000:] + export.stderr[-3000:]
    assert (runs[0] / "exported" / "policy.onnx").is_file() and "checked with onnxruntime" in export.stdout

    play = _rsl_sim(
        "play", str(runs[0]), "--num_envs", "2", "--num_steps", "10", "--video", "--video_length", "5", "--no_export",
        "--headless", cwd=tmp_path,
    )  # fmt: skip
    assert play.returncode == 0, play.stdout[-3000:] + play.stderr[-3000:]
    clip = runs[0] / "videos" / "play" / "model_1_0000.mp4"
    assert f"video: {clip}" in play.stdout
    _check_clip(clip, num_frames=5)


def _check_clip(path: Path, num_frames: int) -> None:
    """An mp4 of ``num_frames`` frames that shows a moving robot in the middle, not only the ground plane.

    The camera is fixed (aimed at env 0's robot when the env is built), so pixels change between the first and the
    last frame only where something moves: a clip of empty ground has no changed pixels. Changed: the color moved by
    more than 30 (sum over RGB, above video compression noise). The middle of the frame (rows 25-85 %, columns
    30-70 %), where the aimed robot is, must change most.
    """
    import imageio.v3 as iio
    import numpy as np

    frames = iio.imread(path)
    assert frames.shape[0] == num_frames and frames.shape[-1] == 3
    assert frames.std() > 5.0
    changed = np.abs(frames[-1].astype(np.int16) - frames[0].astype(np.int16)).sum(axis=-1) > 30
    height, width = changed.shape
    middle = changed[int(0.25 * height) : int(0.85 * height), int(0.3 * width) : int(0.7 * width)]
    assert changed.mean() > 0.001, f"{path.name}: nothing moves between the first and the last frame"
    assert middle.mean() > 0.005 and middle.mean() > changed.mean(), (path.name, middle.mean(), changed.mean())


def test_video_settings_go_to_the_env_configs_recorders(tmp_path):
    from isaaclab.envs.utils.video_recorder_cfg import VideoRecorderCfg
    from isaaclab_tasks.utils.parse_cfg import parse_env_cfg

    from rsl_sim.cli.errors import CliError
    from rsl_sim.cli.isaaclab_video import IsaacLabVideo, configure_isaaclab_video

    # No recorder declared: one records from an added headless Newton OpenGL viewer (no Isaac Sim here)
    env_cfg = parse_env_cfg(TASK, device="cpu", num_envs=2)
    video = IsaacLabVideo(str(tmp_path / "videos"), video_length=7, video_interval=50, prefix="train")
    (recorder,) = configure_isaaclab_video(env_cfg, video)
    assert recorder.source == "visualizer:newton_gl"
    assert (recorder.output_dir, recorder.video_length, recorder.video_interval) == (video.output_dir, 7, 50)
    assert recorder.output_filename_prefix == "train"
    (visualizer,) = env_cfg.sim.visualizer_cfgs
    assert visualizer.visualizer_type == "newton_gl" and visualizer.headless

    # Declared recorders are kept, with their own output folder and source
    env_cfg = parse_env_cfg(TASK, device="cpu", num_envs=2)
    env_cfg.video_recorders = [VideoRecorderCfg(source="sensor:camera", output_dir="/elsewhere")]
    (recorder,) = configure_isaaclab_video(env_cfg, video)
    assert (recorder.source, recorder.output_dir, recorder.video_length) == ("sensor:camera", "/elsewhere", 7)
    assert not env_cfg.sim.visualizer_cfgs

    with pytest.raises(CliError, match="--video_length must be >= 1"):
        configure_isaaclab_video(env_cfg, IsaacLabVideo(str(tmp_path), video_length=0))


@pytest.mark.parametrize(("local_rank", "num_gpus"), [(0, 1), (3, 1), (0, 4), (1, 4), (3, 4)])
def test_learner_and_isaaclab_simulation_pick_the_same_gpu(monkeypatch, local_rank, num_gpus):
    import isaaclab.app.sim_launcher as sim_launcher
    import torch
    from isaaclab_tasks.utils.parse_cfg import parse_env_cfg

    from rsl_sim.cli.envs import EnvRequest
    from rsl_sim.cli.isaaclab_env import isaaclab_launcher_args
    from rsl_sim.utils.distributed import rank_device

    # Isaac Lab's own rule, run on what the CLI hands its launcher (no GPU here: the device count is given)
    monkeypatch.setenv("LOCAL_RANK", str(local_rank))
    monkeypatch.setattr(torch.cuda, "device_count", lambda: num_gpus)
    monkeypatch.setattr(sim_launcher, "set_cuda_device", lambda device: None)
    learner_device = rank_device(local_rank, num_gpus)
    env_cfg = parse_env_cfg(TASK, device=learner_device, num_envs=2)
    args = isaaclab_launcher_args(EnvRequest(task=TASK, device=learner_device, distributed=True))
    sim_launcher._resolve_distributed_device(env_cfg, args)
    assert env_cfg.sim.device == args["device"] == learner_device


def test_torchrun_trains_an_isaaclab_task_on_two_cpu_processes(tmp_path):
    # gloo between two CPU processes, each with its own Isaac Lab simulation; only rank 0 writes the run
    torchrun = Path(sys.executable).parent / "torchrun"
    env = {**os.environ, "ISAACSIM_ASSET_ROOT": str(ASSET_ROOT)}
    env.setdefault("WARP_CACHE_PATH", str(REPO_ROOT / ".cache" / "warp"))
    command = [
        str(torchrun), "--nproc_per_node", "2", "-m", "rsl_sim.cli", "train", "--task", TASK, "--device", "cpu",
        "--distributed", "--num_envs", "2", "--max_iterations", "2", "--headless", "agent.num_steps_per_env=4",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Process 0 of 2 (local rank 0): device cpu, seed 42" in output
    assert "Process 1 of 2 (local rank 1): device cpu, seed 43" in output
    runs = list((tmp_path / "logs").glob("*/*"))
    assert len(runs) == 1 and (runs[0] / "model_1.pt").is_file()
