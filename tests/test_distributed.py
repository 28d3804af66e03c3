"""Multi-process training (torch.distributed, gloo on CPU): ranks stay identical and match one big process.

One ``torchrun`` job of 2 CPU processes (tests/distributed_worker.py) trains PPO, PPO with RND, RND alone and
Distillation, each rank on its own ``N`` environments of a deterministic env whose dynamics depend only on the global
env index; the same scenarios run in this process on ``2N`` environments as the reference.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import distributed_worker as worker
import pytest
import torch

from rsl_sim.algorithms.gae import normalize_advantages
from rsl_sim.cli.errors import CliError
from rsl_sim.runners import OnPolicyRunner
from rsl_sim.utils.distributed import (
    DistributedSettings,
    destroy_process_group,
    init_process_group,
    is_main_process,
    process_group_backend,
    rank_device,
    rank_seed,
    read_launcher_env,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import train  # noqa: E402

NUM_ENVS = 4  # per rank
WORLD_SIZE = 2
LAUNCHER_VARS = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def torchrun(script: Path, *args: str, cwd: Path | None = None, timeout: float = 240) -> str:
    """Run ``script`` on 2 CPU processes with ``torchrun --standalone``; return the output, fail with its tail."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={WORLD_SIZE}"]
    env = {key: value for key, value in os.environ.items() if key not in LAUNCHER_VARS}
    result = subprocess.run(
        [*command, str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"torchrun exited with {result.returncode}:\n{output[-6000:]}")
    return output


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2-rank job's output folder (results per scenario and rank, and the log folders)."""
    out = tmp_path_factory.mktemp("distributed")
    torchrun(Path(worker.__file__), str(out), str(NUM_ENVS))
    return out


@pytest.fixture(scope="module")
def single(job: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The same scenarios in this process with 2N environments (no process group)."""
    saved = {key: os.environ.pop(key) for key in LAUNCHER_VARS if key in os.environ}
    try:
        total = WORLD_SIZE * NUM_ENVS
        teacher = str(job / "ppo_logs_rank0" / f"model_{worker.ITERATIONS - 1}.pt")
        return {
            "ppo": worker.run_ppo(total, 0, 1, None),
            "ppo_rnd": worker.run_ppo(total, 0, 1, None, rnd=True),
            "rnd": worker.run_rnd(total, 0, 1),
            "distillation": worker.run_distillation(total, 0, teacher, None),
        }
    finally:
        os.environ.update(saved)


def ranks(job: Path, scenario: str) -> list[dict]:
    return [torch.load(job / f"{scenario}_rank{rank}.pt", weights_only=False) for rank in range(WORLD_SIZE)]


def assert_same(a, b, path: str = "", exact: bool = True) -> None:
    """Nested dicts/lists of tensors and numbers are equal: bitwise (``exact``) or within float tolerance."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f"{path}/{key}", exact)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}/{i}", exact)
    elif isinstance(a, torch.Tensor):
        if exact or not a.is_floating_point():
            assert torch.equal(a, b), f"{path} differs"
        else:
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=lambda m: f"{path}: {m}")
    elif isinstance(a, float) and not exact:
        assert a == pytest.approx(b, rel=1e-6), path
    else:
        assert a == b, path


def assert_trained(initial: dict, final: dict) -> None:
    """Every floating-point parameter tensor moved."""
    for key, value in initial.items():
        if value.is_floating_point() and "normalizer" not in key:
            assert not torch.equal(value, final[key]), f"{key} did not change"


# --- collectives ---


def test_gradients_are_averaged_in_buckets_and_advantages_normalized_over_processes(job: Path):
    rank0, rank1 = ranks(job, "collectives")

    # Mean of (r + 1) * sin(1 + index) + i over r = 0, 1 is 1.5 * sin(1 + index) + i; the gradient-less entry stays None
    for i, (grad0, grad1) in enumerate(zip(rank0["grads"], rank1["grads"], strict=True)):
        if i == 3:
            assert grad0 is None and grad1 is None
            continue
        expected = 1.5 * worker.rank_values(0, tuple(grad0.shape), grad0.dtype) + i
        assert grad0.dtype == expected.dtype
        torch.testing.assert_close(grad0, expected)
        assert torch.equal(grad0, grad1)

    # Normalized with the statistics of both ranks' advantages, as one process normalizing their union
    union = torch.cat([rank0["advantages"], rank1["advantages"]])
    expected = normalize_advantages(union)
    torch.testing.assert_close(torch.cat([rank0["normalized"], rank1["normalized"]]), expected)
    assert abs(float(rank0["normalized"].mean())) > 0.1  # per rank the mean is not zero: the statistics are global


# --- ranks hold the same state ---


@pytest.mark.parametrize("scenario", ["ppo", "ppo_rnd"])
def test_ppo_ranks_hold_bitwise_identical_state(job: Path, scenario: str):
    rank0, rank1 = ranks(job, scenario)

    # The ranks started from different parameters (seed + rank) and the broadcast made them equal
    assert not torch.equal(rank0["initial_actor"]["mlp.0.weight"], rank1["initial_actor"]["mlp.0.weight"])
    assert_trained(rank0["initial_actor"], rank0["actor_state_dict"])

    # Models, normalizers, optimizer moments and learning rate are bitwise equal after the updates
    for key in ("actor_state_dict", "critic_state_dict", "optimizer_state_dict", "learning_rate"):
        assert_same(rank0[key], rank1[key], key)
    assert rank0["learning_rate"] != 3e-3  # the adaptive schedule acted

    # The normalizers count the samples of both ranks
    samples = worker.ITERATIONS * worker.NUM_STEPS * WORLD_SIZE * NUM_ENVS
    assert int(rank0["actor_state_dict"]["obs_normalizer.count"]) == samples
    if scenario == "ppo_rnd":
        assert_same(rank0["rnd_state_dict"], rank1["rnd_state_dict"], "rnd")
        assert_same(rank0["rnd_optimizer_state_dict"], rank1["rnd_optimizer_state_dict"], "rnd optimizer")
        assert int(rank0["rnd_state_dict"]["state_normalizer.count"]) == samples


def test_distillation_ranks_hold_identical_students_equal_to_one_process(job: Path, single: dict):
    rank0, rank1 = ranks(job, "distillation")
    assert not torch.equal(rank0["initial_student"]["mlp.0.weight"], rank1["initial_student"]["mlp.0.weight"])
    assert_trained(rank0["initial_student"], rank0["student_state_dict"])
    for key in ("student_state_dict", "teacher_state_dict", "optimizer_state_dict"):
        assert_same(rank0[key], rank1[key], key)

    # 2 ranks x N envs learn what 1 process x 2N envs learns (averaged gradients, global normalizer statistics)
    assert_same(rank0["student_state_dict"], single["distillation"]["student_state_dict"], exact=False)
    assert_same(rank0["optimizer_state_dict"], single["distillation"]["optimizer_state_dict"], exact=False)


def test_rnd_ranks_match_one_process(job: Path, single: dict):
    rank0, rank1 = ranks(job, "rnd")
    assert not torch.equal(rank0["initial"]["predictor.0.weight"], rank1["initial"]["predictor.0.weight"])
    assert_same(rank0["state"], rank1["state"], "rnd")
    assert_same(rank0["state"], single["rnd"]["state"], exact=False)

    # Each rank's intrinsic rewards are the single process' rewards of its envs (global reward normalization)
    rewards = torch.cat([rank0["rewards"], rank1["rewards"]], dim=1)
    torch.testing.assert_close(rewards, single["rnd"]["rewards"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("scenario", ["ppo", "ppo_rnd"])
def test_ppo_two_ranks_match_one_process_with_twice_the_envs(job: Path, single: dict, scenario: str):
    rank0 = ranks(job, scenario)[0]
    reference = single[scenario]
    assert_same(rank0["initial_actor"], reference["initial_actor"])  # rank 0 and the reference share the seed
    for key in ("actor_state_dict", "critic_state_dict", "optimizer_state_dict", "learning_rate"):
        assert_same(rank0[key], reference[key], key, exact=False)
    if scenario == "ppo_rnd":
        assert_same(rank0["rnd_state_dict"], reference["rnd_state_dict"], "rnd", exact=False)


def test_only_rank_zero_writes_files(job: Path):
    for name in ("ppo", "rnd", "distill"):
        rank0 = job / f"{name}_logs_rank0"
        assert (rank0 / "params" / "agent.yaml").is_file()
        assert sorted(p.name for p in rank0.glob("model_*.pt")) == ["model_0.pt", "model_1.pt"]
        assert list(rank0.glob("events.out.tfevents.*"))
        assert not (job / f"{name}_logs_rank1").exists()


# --- set-up and errors (no processes spawned) ---


def test_launcher_env_is_read_and_checked():
    assert read_launcher_env({}) == DistributedSettings(1, 0, 0)
    assert read_launcher_env({"WORLD_SIZE": "1"}).multi_gpu_cfg() is None
    settings = read_launcher_env({"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"})
    assert settings == DistributedSettings(world_size=4, global_rank=3, local_rank=1)
    assert settings.multi_gpu_cfg() == {"global_rank": 3, "local_rank": 1, "world_size": 4}
    assert not settings.is_main_process and settings.is_distributed
    with pytest.raises(ValueError, match="RANK not set"):
        read_launcher_env({"WORLD_SIZE": "2", "LOCAL_RANK": "0"})
    with pytest.raises(ValueError, match=r"RANK=2 must be in \[0, WORLD_SIZE=2\)"):
        read_launcher_env({"WORLD_SIZE": "2", "RANK": "2", "LOCAL_RANK": "0"})
    with pytest.raises(ValueError, match="LOCAL_RANK=2"):
        read_launcher_env({"WORLD_SIZE": "4", "RANK": "2", "LOCAL_RANK": "2", "LOCAL_WORLD_SIZE": "2"})
    with pytest.raises(ValueError, match="WORLD_SIZE must be an integer"):
        read_launcher_env({"WORLD_SIZE": "two"})


def test_backend_follows_the_device(monkeypatch: pytest.MonkeyPatch):
    assert process_group_backend("cpu") == "gloo"
    assert process_group_backend("cpu", local_rank=3) == "gloo"
    with pytest.raises(ValueError, match="'cuda:<LOCAL_RANK>' \\(NCCL\\) or 'cpu' \\(gloo\\)"):
        process_group_backend("meta")
    assert [rank_seed(42, rank) for rank in range(3)] == [42, 43, 44]

    # A node with 2 GPUs that every process sees: each process drives the GPU of its local rank
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert process_group_backend("cuda:1", local_rank=1) == "nccl"
    with pytest.raises(ValueError, match="LOCAL_RANK=1 must use device 'cuda:1', got 'cuda:0'"):
        process_group_backend("cuda:0", local_rank=1)
    with pytest.raises(ValueError, match="only 2 GPUs are visible"):
        process_group_backend("cuda:2", local_rank=2)
    # One visible GPU per process (CUDA_VISIBLE_DEVICES set per process): it is cuda:0 on every rank
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert process_group_backend("cuda:0", local_rank=3) == "nccl"
    with pytest.raises(ValueError, match="must use device 'cuda:0', got 'cuda:3'"):
        process_group_backend("cuda:3", local_rank=3)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    with pytest.raises(ValueError, match="sees none"):
        process_group_backend("cuda:0", local_rank=0)


def test_rank_device_follows_isaac_labs_rule():
    assert [rank_device(rank, 4) for rank in range(4)] == ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]
    assert [rank_device(rank, 1) for rank in range(4)] == ["cuda:0"] * 4
    with pytest.raises(ValueError, match="only 4 GPUs are visible"):
        rank_device(4, 4)
    with pytest.raises(ValueError, match="LOCAL_RANK must be >= 0"):
        rank_device(-1, 4)


def test_runner_refuses_inconsistent_launch_settings(monkeypatch: pytest.MonkeyPatch):
    env = worker.IndexedVecEnv(2)
    cfg = worker.ppo_cfg(2, 0, 2)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(ValueError, match="RANK not set"):
        OnPolicyRunner(env, cfg, None, "cpu")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)  # the check comes before any CUDA work
    with pytest.raises(ValueError, match="LOCAL_RANK=1 must use device 'cuda:1', got 'cuda:0'"):
        OnPolicyRunner(env, cfg, None, "cuda:0")
    assert not torch.distributed.is_initialized()


def test_running_group_must_agree_with_the_launcher(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    # A one-process gloo group stands in for a group started by someone else
    store = torch.distributed.FileStore(str(tmp_path / "store"), 1)
    torch.distributed.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        assert is_main_process()
        with pytest.raises(ValueError, match="already running with world size 1 and rank 0, but WORLD_SIZE=2"):
            init_process_group("cpu", DistributedSettings(world_size=2, global_rank=1, local_rank=1))
        with pytest.raises(ValueError, match="needs a multi-process job"):
            init_process_group("cpu", DistributedSettings())
    finally:
        destroy_process_group()
    assert not torch.distributed.is_initialized()


# --- scripts/train.py (rsl-sim train --distributed) ---


def test_train_script_under_torchrun_seeds_per_rank_and_writes_one_run(tmp_path: Path):
    args = ["--task", "Pendulum-v1", "--num_envs", "2", "--max_iterations", "1", "--device", "cpu", "--seed", "3"]
    output = torchrun(ROOT / "scripts" / "train.py", *args, "--distributed", cwd=tmp_path)
    assert "Process 0 of 2 (local rank 0): device cpu, seed 3" in output
    assert "Process 1 of 2 (local rank 1): device cpu, seed 4" in output
    assert output.count("[rsl_sim] run: ") == 1 and output.count("[rsl_sim] done: ") == 1

    # One run folder (rank 0's) with the checkpoint and the configs, holding rank 0's seed
    runs = [path for path in (tmp_path / "logs").glob("*/*") if path.is_dir()]
    assert len(runs) == 1
    assert (runs[0] / "model_0.pt").is_file()
    assert "seed: 3" in (runs[0] / "params" / "agent.yaml").read_text()


def test_train_script_refuses_mismatched_launch_flags(monkeypatch: pytest.MonkeyPatch, capsys):
    args = ["--task", "Pendulum-v1", "--max_iterations", "1", "--device", "cpu"]
    for key in LAUNCHER_VARS:
        monkeypatch.delenv(key, raising=False)
    assert train.main([*args, "--distributed"]) == 2
    assert capsys.readouterr().err.startswith("rsl-sim train: error: --distributed needs torchrun")

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert train.main(args) == 2
    assert "started by torchrun: add --distributed" in capsys.readouterr().err

    # Launcher variables that do not fit together are a usage error as well
    monkeypatch.setenv("RANK", "2")
    assert train.main([*args, "--distributed"]) == 2
    assert "RANK=2 must be in [0, WORLD_SIZE=2)" in capsys.readouterr().err


def test_distributed_settings_give_each_rank_its_device_and_seed(monkeypatch: pytest.MonkeyPatch):
    from rsl_sim.cli.distributed import apply_distributed_settings

    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    cfg = {"device": "cuda:0", "seed": 10}
    settings = apply_distributed_settings(cfg, distributed=True)
    assert cfg == {"device": "cuda:1", "seed": 13}
    # each process sees only its own GPU
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    one_gpu_cfg = {"device": "cuda:0", "seed": 10}
    apply_distributed_settings(one_gpu_cfg, distributed=True)
    assert one_gpu_cfg == {"device": "cuda:0", "seed": 13}
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    with pytest.raises(CliError, match="sees none"):
        apply_distributed_settings({"device": "cuda:0", "seed": 10}, distributed=True)
    assert settings.is_distributed and not settings.is_main_process
    cpu_cfg = {"device": "cpu", "seed": 10}
    apply_distributed_settings(cpu_cfg, distributed=True)
    assert cpu_cfg == {"device": "cpu", "seed": 13}  # a CPU learner stays on the CPU (gloo)

    # A single process keeps its config
    for key in LAUNCHER_VARS:
        monkeypatch.delenv(key, raising=False)
    single_cfg = {"device": "cuda:0", "seed": 10}
    assert not apply_distributed_settings(single_cfg, distributed=False).is_distributed
    assert single_cfg == {"device": "cuda:0", "seed": 10}


def test_isaaclab_launcher_gets_the_distributed_flag_for_gpu_simulation():
    from rsl_sim.cli.envs import EnvRequest
    from rsl_sim.cli.isaaclab_env import isaaclab_launcher_args

    gpu = EnvRequest(task="Isaac-Velocity-Flat-UnitreeGo2", device="cuda:1", distributed=True, headless=False)
    assert isaaclab_launcher_args(gpu) == {"headless": False, "distributed": True, "device": "cuda:1"}
    # a CPU simulation and a single process keep the config's device
    cpu = EnvRequest(task="Isaac-Velocity-Flat-UnitreeGo2", device="cpu", distributed=True)
    single = EnvRequest(task="Isaac-Velocity-Flat-UnitreeGo2", device="cuda:0")
    assert isaaclab_launcher_args(cpu) == isaaclab_launcher_args(single) == {"headless": True}
