"""Resume on the Go2 task is the same run: the env's MuJoCo state, commands, timers, buffers and random generator
travel with the checkpoint, so learn(N), save, new process, load, learn(N) equals learn(2N) bit for bit.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from helpers import assert_bit_identical, run_in_subprocess

from rsl_sim.cli.agent_config import set_seed
from rsl_sim.cli.tasks import load_agent_cfg
from rsl_sim.runners import OnPolicyRunner
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper

TASK = "RslSim/Go2-Flat-v0"
NUM_ENVS = 4
HALF = 2

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def go2_runner(seed: int, env_seed: int, log_dir: str | None) -> OnPolicyRunner:
    """The task's PPO config, shrunk (16 steps, one epoch of two mini-batches), on 4 robots."""
    cfg = load_agent_cfg(TASK)
    cfg.update(num_steps_per_env=16, save_interval=100, device="cpu")
    cfg["algorithm"].update(num_learning_epochs=1, num_mini_batches=2)
    set_seed(seed)
    env = GymnasiumVecEnvWrapper.from_id(
        TASK, num_envs=NUM_ENVS, seed=env_seed, device="cpu", clip_actions=cfg.get("clip_actions")
    )
    return OnPolicyRunner(env, cfg, log_dir=log_dir, device="cpu")


def train_first_half(log_dir: str) -> None:
    """Run in a subprocess: ``learn(HALF)`` with random episode starts; the last iteration is saved."""
    torch.set_num_threads(1)
    go2_runner(seed=0, env_seed=0, log_dir=log_dir).learn(HALF, init_at_random_ep_len=True)


def test_go2_resume_in_new_process_equals_uninterrupted_run(tmp_path):
    reference = go2_runner(seed=0, env_seed=0, log_dir=None)
    reference.learn(2 * HALF, init_at_random_ep_len=True)

    run_in_subprocess("test_go2_resume", "train_first_half", str(tmp_path))

    # Another process seed and env seed (other startup randomization): the checkpoint brings the run back
    resumed = go2_runner(seed=5, env_seed=9, log_dir=None)
    resumed.load(str(tmp_path / f"model_{HALF - 1}.pt"))
    resumed.learn(HALF, init_at_random_ep_len=True)
    assert_bit_identical(reference, resumed)
    # ... and the envs are in the same state: same observations, robot poses and commands
    assert torch.equal(reference.env.get_observations()["critic"], resumed.env.get_observations()["critic"])
    ref_env, res_env = reference.env.env.unwrapped, resumed.env.env.unwrapped
    assert np.array_equal(ref_env.sim.qpos, res_env.sim.qpos)
    assert np.array_equal(ref_env.episode_length_buf, res_env.episode_length_buf)


def test_env_state_of_another_env_count_is_refused():
    import gymnasium as gym

    small = gym.make_vec(TASK, num_envs=2, seed=0)
    large = gym.make_vec(TASK, num_envs=3, seed=0)
    buffer = io.BytesIO()
    torch.save(small.unwrapped.get_env_state(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    qpos = large.unwrapped.sim.qpos.copy()
    with pytest.raises(ValueError, match="2 envs, this env has 3"):
        large.unwrapped.set_env_state(state)
    assert np.array_equal(large.unwrapped.sim.qpos, qpos)


def test_env_state_of_another_config_is_refused():
    import gymnasium as gym

    from rsl_sim.tasks.locomotion.velocity.config.go2.mujoco_env_cfg import UnitreeGo2FlatEnvCfg

    saved = gym.make_vec(TASK, num_envs=2, seed=0).unwrapped.get_env_state()
    cfg = UnitreeGo2FlatEnvCfg()
    cfg.episode_length_s = 5.0  # another time limit: the saved timers and limits would not fit
    changed = gym.make_vec(TASK, num_envs=2, seed=0, cfg=cfg).unwrapped
    with pytest.raises(ValueError, match="another env config"):
        changed.set_env_state(saved)
