"""Resume is the same run: learn(N), save, new process, load, learn(N) equals learn(2N) bit for bit on the CPU.

Pendulum-v1 (gymnasium's classic-control env through the gymnasium wrapper, its state saved from the sub-envs'
attributes) with an MLP and a GRU policy; a foreign env that cannot save its state (the learner is restored, a
warning says what differs); random number generator states round trip through a weights-only load. The Go2 task's
resume test is in ``test_go2_resume.py``.
"""

from __future__ import annotations

import os

import pytest
import torch
from helpers import assert_bit_identical, learner_state, pendulum_cfg, run_in_subprocess

from rsl_sim.cli.agent_config import set_seed
from rsl_sim.runners import OnPolicyRunner
from rsl_sim.utils.rng_state import get_rng_states, set_rng_states
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

NUM_ENVS = 8
HALF = 3  # iterations before and after the checkpoint

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def pendulum_runner(recurrent: bool, seed: int, log_dir: str | None, rnd: bool = False) -> OnPolicyRunner:
    """Seed the process, build 8 Pendulum envs (seeded reset) and a runner."""
    set_seed(seed)
    env = GymnasiumVecEnvWrapper.from_id("Pendulum-v1", num_envs=NUM_ENVS, seed=seed, device="cpu")
    return OnPolicyRunner(env, pendulum_cfg(recurrent, rnd), log_dir=log_dir, device="cpu")


def train_first_half(recurrent: bool, log_dir: str, rnd: bool = False) -> None:
    """Run in a subprocess: seed 0, ``learn(HALF)`` with random episode starts; the last iteration is saved."""
    torch.set_num_threads(1)
    runner = pendulum_runner(recurrent, seed=0, log_dir=log_dir, rnd=rnd)
    runner.learn(HALF, init_at_random_ep_len=True)


@pytest.mark.parametrize(
    ("recurrent", "rnd"), [(False, False), (True, False), (False, True)], ids=["mlp", "gru", "rnd"]
)
def test_pendulum_resume_in_new_process_equals_uninterrupted_run(tmp_path, recurrent, rnd):
    # The uninterrupted run: learn(2 * HALF) in one call
    reference = pendulum_runner(recurrent, seed=0, log_dir=None, rnd=rnd)
    reference.learn(2 * HALF, init_at_random_ep_len=True)

    # learn(HALF) and save in another process; here, differently seeded objects load it and continue
    run_in_subprocess("test_resume", "train_first_half", recurrent, str(tmp_path / "first"), rnd)
    resumed = pendulum_runner(recurrent, seed=123, log_dir=str(tmp_path / "second"), rnd=rnd)
    resumed.load(str(tmp_path / "first" / f"model_{HALF - 1}.pt"))
    resumed.learn(HALF, init_at_random_ep_len=True)

    assert_bit_identical(reference, resumed)
    if rnd:
        for name, value in reference.alg.rnd.state_dict().items():
            assert torch.equal(value, resumed.alg.rnd.state_dict()[name]), name
        assert resumed.alg.rnd.weight == reference.alg.rnd.weight
    # The episode statistics carried over too (same finished episodes in the window)
    assert list(resumed.logger.episodes.returns) == list(reference.logger.episodes.returns)
    assert os.path.isfile(tmp_path / "second" / f"model_{2 * HALF - 1}.pt")


def test_checkpoint_holds_plain_data_only(tmp_path):
    runner = pendulum_runner(False, seed=0, log_dir=str(tmp_path))
    runner.learn(1)
    data = torch.load(tmp_path / "model_0.pt", weights_only=True)
    resume = data["resume_state"]
    assert set(resume) >= {"rng", "hidden_states", "statistics", "env"}
    assert resume["env"]["env"]["kind"] == "classic_control" and len(resume["env"]["env"]["sub_envs"]) == NUM_ENVS


def test_resumed_run_keeps_the_weight_gradient_back_end_of_its_checkpoint(tmp_path, monkeypatch):
    # A new process measures the back end again; near the threshold it could choose the other one and sum differently
    import rsl_sim.modules.linear as linear_module

    monkeypatch.setattr(linear_module, "_WEIGHT_GRADIENT_PINNED", False)
    monkeypatch.setattr(linear_module, "_WEIGHT_GRADIENT_ON_ONEDNN", True)  # the first run measured oneDNN faster
    pendulum_runner(False, seed=0, log_dir=str(tmp_path)).learn(1)
    data = torch.load(tmp_path / "model_0.pt", weights_only=True)
    assert data["resume_state"]["arithmetic"] == {"onednn_weight_gradient": True}

    # The next process: undecided, and its measurement would choose the BLAS; resuming takes the checkpoint's choice
    monkeypatch.setattr(linear_module, "_WEIGHT_GRADIENT_ON_ONEDNN", None)
    monkeypatch.setattr(linear_module, "_measure_onednn_weight_gradient_speedup", lambda repeats=5: 1.0)
    resumed = pendulum_runner(False, seed=1, log_dir=None)
    resumed.load(str(tmp_path / "model_0.pt"))
    assert linear_module.decided_onednn_weight_gradient() is None  # applied by learn, not by load
    resumed.learn(1)
    assert linear_module.decided_onednn_weight_gradient() is True

    # A back end the user fixed stays
    linear_module.set_onednn_weight_gradient(False)
    pinned = pendulum_runner(False, seed=1, log_dir=None)
    pinned.load(str(tmp_path / "model_0.pt"))
    pinned.learn(1)
    assert linear_module.decided_onednn_weight_gradient() is False


def test_rng_states_round_trip_through_weights_only_load(tmp_path):
    import random

    import numpy as np

    states = get_rng_states()
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.save(states, tmp_path / "rng.pt")
    torch.rand(7), np.random.rand(5), random.random()  # move every stream on
    set_rng_states(torch.load(tmp_path / "rng.pt", weights_only=True))
    assert torch.equal(torch.rand(3), expected[0])
    assert np.array_equal(np.random.rand(3), expected[1])
    assert random.random() == expected[2]


class ForeignEnv(GymnasiumVecEnvWrapper):
    """A gymnasium env whose state cannot be saved: Pendulum under a wrapper with state of its own."""

    @classmethod
    def build(cls, seed: int) -> ForeignEnv:
        import gymnasium as gym

        return cls.from_id(
            "Pendulum-v1", num_envs=NUM_ENVS, seed=seed, wrappers=[gym.wrappers.NormalizeReward], device="cpu"
        )


def foreign_runner(seed: int, log_dir: str | None) -> OnPolicyRunner:
    """Process seeded with ``seed``; the env always with seed 0."""
    set_seed(seed)
    return OnPolicyRunner(ForeignEnv.build(0), pendulum_cfg(False), log_dir=log_dir, device="cpu")


def record_rng_at_first_act(runner: OnPolicyRunner) -> list[torch.Tensor]:
    """Wrap ``runner.alg.act`` to record the torch generator state at its first call."""
    recorded: list[torch.Tensor] = []
    act = runner.alg.act

    def recording_act(obs):
        if not recorded:
            recorded.append(torch.get_rng_state())
        return act(obs)

    runner.alg.act = recording_act
    return recorded


def test_foreign_env_restores_the_learner_and_warns(tmp_path):
    # Saving warns once that the env's state is not in the checkpoints, naming the reason
    runner = foreign_runner(seed=0, log_dir=str(tmp_path / "first"))
    with pytest.warns(UserWarning, match="NormalizeReward") as record:
        runner.learn(2)
    assert sum("not saved with the checkpoints" in str(w.message) for w in record) == 1
    checkpoint = str(tmp_path / "first" / "model_1.pt")
    saved = torch.load(checkpoint, weights_only=True)
    assert saved["resume_state"]["env"] is None

    # Two differently seeded processes that resume: a warning says what differs; the learner continues identically
    resumed = []
    for seed in (5, 77):
        other = foreign_runner(seed=seed, log_dir=None)
        other.load(checkpoint)
        assert other.current_learning_iteration == 1
        torch.testing.assert_close(learner_state(other), learner_state(runner), rtol=0, atol=0)
        first_rng = record_rng_at_first_act(other)
        with pytest.warns(UserWarning, match="Resuming without the env's state"):
            other.learn(1)
        # the learner's random stream continues where the checkpoint left it
        assert torch.equal(first_rng[0], saved["resume_state"]["rng"]["torch"])
        resumed.append(other)
    # Same checkpoint, same env seed: identical runs, whatever the resuming process' own seed
    assert_bit_identical(resumed[0], resumed[1])
    assert resumed[0].current_learning_iteration == 2


def test_rsl_sim_train_resume_continues_the_same_run(tmp_path):
    from rsl_sim.cli import main

    common = ["--task", "Pendulum-v1", "--num_envs", "4", "--device", "cpu", "agent.num_steps_per_env=16"]
    common += ["agent.algorithm.num_learning_epochs=2", "+agent.init_at_random_ep_len=true"]
    assert main(["train", *common, "--max_iterations", "4", "--log_root", str(tmp_path / "full")]) == 0
    assert main(["train", *common, "--max_iterations", "2", "--log_root", str(tmp_path / "split")]) == 0
    assert main(["train", *common, "--max_iterations", "2", "--log_root", str(tmp_path / "split"), "--resume"]) == 0

    def final_checkpoint(root):
        (path,) = [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f == "model_3.pt"]
        return torch.load(path, weights_only=True)

    full, resumed = final_checkpoint(tmp_path / "full"), final_checkpoint(tmp_path / "split")
    for key in ("actor_state_dict", "critic_state_dict"):
        assert all(torch.equal(full[key][name], resumed[key][name]) for name in full[key]), key
    for index, state in full["optimizer_state_dict"]["state"].items():
        assert all(
            torch.equal(value, resumed["optimizer_state_dict"]["state"][index][name]) for name, value in state.items()
        )


def test_checkpoint_without_resume_state_warns_when_training_continues(tmp_path):
    import warnings

    runner = pendulum_runner(False, seed=0, log_dir=str(tmp_path))
    runner.learn(1)
    data = torch.load(tmp_path / "model_0.pt", weights_only=True)
    del data["resume_state"]  # as RSL-RL writes it
    torch.save(data, tmp_path / "rsl_rl.pt")

    other = pendulum_runner(False, seed=1, log_dir=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loading for inference says nothing
        other.load(str(tmp_path / "rsl_rl.pt"))
    with pytest.warns(UserWarning, match="has no 'resume_state'"):
        other.learn(1)
    assert other.current_learning_iteration == 1


def test_envs_whose_state_is_out_of_reach_say_why():
    import gymnasium as gym

    from rsl_sim.wrappers.gymnasium_state import get_vector_env_state

    sync = gym.make_vec("Pendulum-v1", num_envs=2, vectorization_mode="sync")
    assert get_vector_env_state(sync)["kind"] == "classic_control"
    with pytest.raises(NotImplementedError, match="vector wrapper VectorWrapper"):
        get_vector_env_state(gym.vector.VectorWrapper(sync))
    with pytest.raises(NotImplementedError, match="not a gymnasium classic-control env"):
        get_vector_env_state(gym.make_vec("InvertedPendulum-v5", num_envs=2, vectorization_mode="sync"))
