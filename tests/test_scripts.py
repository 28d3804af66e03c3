"""scripts/train.py and scripts/play.py (thin wrappers of ``rsl-sim train`` / ``rsl-sim play``): a short training run
writes a run folder; play loads, exports and runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.envs.classic_control.pendulum import PendulumEnv

from rsl_sim.cli import run_command, threads
from rsl_sim.cli.agent_config import prepare_agent_cfg
from rsl_sim.cli.default_agent import default_ppo_cfg
from rsl_sim.cli.envs import EnvRequest, open_env
from rsl_sim.cli.errors import CliError
from rsl_sim.cli.tasks import load_agent_cfg
from rsl_sim.cli.threads import configure_cpu_threads

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))

import play  # noqa: E402
import train  # noqa: E402

GRU_TASK = "RslSimTest/PendulumGRU-v0"


class PendulumWithCfgKwargs(PendulumEnv):
    """Pendulum that accepts (and ignores) the agent-config entry point passed along with the registration kwargs."""

    def __init__(self, render_mode=None, g=10.0, **_registration_kwargs):
        super().__init__(render_mode=render_mode, g=g)


def _gru_agent_cfg() -> dict:
    cfg = default_ppo_cfg("Pendulum-v1")
    cfg["experiment_name"] = "pendulum_gru"
    rnn = {"class_name": "RNNModel", "rnn_type": "gru", "rnn_hidden_dim": 16, "rnn_num_layers": 1}
    cfg["actor"].update(rnn)
    cfg["critic"].update(rnn)
    return cfg


if GRU_TASK not in gym.registry:
    gym.register(
        GRU_TASK,
        entry_point=PendulumWithCfgKwargs,
        max_episode_steps=200,
        kwargs={"rsl_sim_agent_cfg_entry_point": f"{__name__}:_gru_agent_cfg"},
    )


def _runs(root: Path, experiment: str) -> list[Path]:
    folder = root / "logs" / experiment
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def test_train_script_cli_writes_run_folder_and_checkpoint(tmp_path):
    command = [sys.executable, str(SCRIPTS / "train.py"), "--task", "Pendulum-v1", "--max_iterations", "2"]
    command += ["--num_envs", "4", "--device", "cpu", "--run_name", "smoke"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    runs = _runs(tmp_path, "Pendulum-v1")
    assert len(runs) == 1
    run = runs[0]
    # logs/<experiment>/<YYYY-MM-DD_HH-MM-SS>_<run_name>
    assert len(run.name) == len("2026-01-01_00-00-00_smoke") and run.name.endswith("_smoke")
    assert {"model_0.pt", "model_1.pt"} <= set(os.listdir(run))
    assert (run / "params" / "agent.yaml").is_file()
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(run))
    checkpoint = torch.load(run / "model_1.pt", weights_only=True)
    assert checkpoint["iter"] == 1


def test_resume_then_play_exports_and_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # The script wrapper runs 'rsl-sim train' in this process and returns its exit code
    assert train.main(["--task", "Pendulum-v1", "--max_iterations", "2", "--num_envs", "4", "--device", "cpu"]) == 0
    (first,) = _runs(tmp_path, "Pendulum-v1")
    assert (first / "model_1.pt").is_file()
    assert f"run: {first}" in capsys.readouterr().out

    # Resume: a new run folder continues with iteration 2
    second = Path(
        run_command(
            ["train", "--task", "Pendulum-v1", "--max_iterations", "1", "--num_envs", "4", "--device", "cpu"]
            + ["--resume"]
        )
    )
    assert second != first and (second / "model_2.pt").is_file()
    assert set(_runs(tmp_path, "Pendulum-v1")) == {first, second}
    assert torch.load(second / "model_2.pt", weights_only=True)["iter"] == 2

    # Play the newest checkpoint: exports next to it and finishes episodes
    stats = run_command(["play", "--task", "Pendulum-v1", "--num_envs", "2", "--num_steps", "210", "--device", "cpu"])
    # Pendulum rewards lie in [-(pi^2 + 0.1 * 8^2 + 0.001 * 2^2), 0] per step, 200 steps per episode
    assert stats["episodes"] == 2 and -3255.0 <= stats["mean_return"] <= 0.0
    assert stats["checkpoint"] == str(second / "model_2.pt")
    exported = second / "exported"
    assert (exported / "policy.pt").is_file() and (exported / "policy.onnx").is_file()

    # The exported TorchScript and ONNX policies compute the checkpoint's deterministic actions
    agent_cfg = prepare_agent_cfg(load_agent_cfg("Pendulum-v1"), _namespace(device="cpu"))
    with open_env(EnvRequest(task="Pendulum-v1", num_envs=3, seed=0, device="cpu")) as env:
        runner_policy = _load_policy(env, agent_cfg, second / "model_2.pt")
        obs = env.get_observations()
        with torch.inference_mode():
            expected = runner_policy(obs)
    scripted = torch.jit.load(str(exported / "policy.pt"))
    torch.testing.assert_close(scripted(obs["policy"]), expected, rtol=1e-5, atol=1e-5)
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(exported / "policy.onnx"))
    feed = {session.get_inputs()[0].name: obs["policy"].numpy()}
    np.testing.assert_allclose(session.run(None, feed)[0], expected.numpy(), rtol=1e-5, atol=1e-5)

    # The play script wrapper: exit code 0, and 2 with a one-line error for a run that does not exist
    assert play.main(["--task", "Pendulum-v1", "--num_envs", "2", "--num_steps", "5", "--device", "cpu"]) == 0
    capsys.readouterr()
    assert play.main(["--task", "Pendulum-v1", "--device", "cpu", "--load_run", "no_such_run"]) == 2
    assert capsys.readouterr().err.startswith("rsl-sim play: error:")


def test_play_named_checkpoint_resets_recurrent_state_on_done(tmp_path, monkeypatch):
    from rsl_sim.models import RNNModel

    monkeypatch.chdir(tmp_path)
    run = Path(
        run_command(["train", "--task", GRU_TASK, "--max_iterations", "2", "--num_envs", "4", "--device", "cpu"])
    )
    assert run.parent.name == "pendulum_gru"

    # Record the dones handed to the recurrent policy's reset
    reset_calls = []
    original_reset = RNNModel.reset

    def spy_reset(self, dones=None, hidden_state=None):
        if dones is not None:
            reset_calls.append(int((dones > 0).sum()))
        return original_reset(self, dones, hidden_state)

    monkeypatch.setattr(RNNModel, "reset", spy_reset)
    stats = run_command(
        ["play", "--task", GRU_TASK, "--num_envs", "2", "--num_steps", "205", "--device", "cpu"]
        + ["--load_run", run.name, "--checkpoint", "model_0.pt", "--no_export"]
    )
    assert stats["episodes"] == 2
    assert len(reset_calls) == 205 and reset_calls.count(2) == 1 and sum(reset_calls) == 2
    assert not (run / "exported").exists()


def test_agent_cfg_lookup_and_cli_overrides():
    cfg = load_agent_cfg(GRU_TASK)
    assert cfg["actor"]["class_name"] == "RNNModel"
    default = load_agent_cfg("Pendulum-v1")
    assert default["algorithm"]["gamma"] == 0.9 and default["obs_groups"]["actor"] == ["policy"]
    updated = prepare_agent_cfg(default, _namespace(seed=7, run_name="x", max_iterations=3, device="cpu"))
    assert (updated["seed"], updated["run_name"], updated["max_iterations"], updated["device"]) == (7, "x", 3, "cpu")
    assert default["seed"] == 42 and default["run_name"] == ""  # the input is not modified
    with pytest.raises(CliError, match="unknown task 'NoSuchTask-v9'"):
        load_agent_cfg("NoSuchTask-v9")


def _namespace(**values):
    import argparse

    defaults = {"seed": None, "device": None, "experiment_name": None, "load_run": None, "checkpoint": None}
    defaults.update(values)
    return argparse.Namespace(**defaults)


def _load_policy(env, agent_cfg, path):
    from rsl_sim.runners import OnPolicyRunner

    runner = OnPolicyRunner(env, agent_cfg, log_dir=None, device="cpu")
    runner.load(str(path))
    return runner.get_inference_policy()


def test_cpu_learner_threads_half_when_openmp_spins_all_when_it_sleeps(monkeypatch):
    previous = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    try:
        torch.set_num_threads(3)
        assert configure_cpu_threads("cuda:0") is None  # a GPU learner leaves the threads alone
        assert torch.get_num_threads() == 3
        # torch was imported before any policy was set (this test process): OpenMP spins, half of the CPUs
        monkeypatch.setattr(threads, "_PASSIVE_FROM_START", False)
        monkeypatch.setattr(threads, "_passive_before_torch", False)
        assert configure_cpu_threads("cpu") == 4 and torch.get_num_threads() == 4
        monkeypatch.setattr(os, "cpu_count", lambda: 1)
        assert configure_cpu_threads("cpu") == 1  # at least one
        # Idle threads sleep (OMP_WAIT_POLICY=PASSIVE before torch loaded): every CPU
        monkeypatch.setattr(os, "cpu_count", lambda: 8)
        monkeypatch.setattr(threads, "_passive_before_torch", True)
        assert configure_cpu_threads("cpu") == 8 and torch.get_num_threads() == 8
        monkeypatch.setenv("OMP_NUM_THREADS", "2")  # chosen explicitly: kept
        torch.set_num_threads(3)
        assert configure_cpu_threads("cpu") is None and torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(previous)


def test_command_line_sets_passive_openmp_wait_before_torch_loads_unless_the_user_chose():
    probe = (
        "import os, sys; from rsl_sim.cli import threads; set_now = threads.prefer_passive_openmp_wait(); "
        "import torch; print(set_now, os.environ.get('OMP_WAIT_POLICY'), threads.openmp_wait_is_passive(), "
        "threads.prefer_passive_openmp_wait())"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["True", "PASSIVE", "True", "False"]
    # The user's policy wins, and so does a torch that is already loaded
    run = subprocess.run(
        [sys.executable, "-c", probe], env={**env, "OMP_WAIT_POLICY": "ACTIVE"}, capture_output=True, text=True
    )
    assert run.stdout.split() == ["False", "ACTIVE", "False", "False"]
    late = "import os, torch; from rsl_sim.cli import threads; "
    late += "print(threads.prefer_passive_openmp_wait(), 'OMP_WAIT_POLICY' in os.environ)"
    run = subprocess.run([sys.executable, "-c", late], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "False"]
    # rsl-sim itself: a command (here `list`, which imports torch and the tasks) runs with the policy set before
    cli = "import os, sys; from rsl_sim.cli import main, threads; code = main(['list']); "
    cli += "print('RESULT', code, 'torch' in sys.modules, os.environ.get('OMP_WAIT_POLICY'), "
    cli += "threads.openmp_wait_is_passive())"
    run = subprocess.run([sys.executable, "-c", cli], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.split("RESULT")[-1].split() == ["0", "True", "PASSIVE", "True"]
