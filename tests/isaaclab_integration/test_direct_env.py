"""IsaacLabVecEnvWrapper on a real Isaac Lab 3.0 direct-workflow task: the Ant (DirectRLEnv), device cpu."""

from __future__ import annotations

import gymnasium as gym
import pytest
import torch

from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper

ANT_DIRECT_TASK = "Isaac-Ant-Direct"
NUM_ENVS = 4
ANT_OBS_DIM = 60
ANT_NUM_ACTIONS = 8


@pytest.fixture(scope="module")
def ant_env(make_isaaclab_env):
    with make_isaaclab_env(ANT_DIRECT_TASK, num_envs=NUM_ENVS) as env:
        yield env


def test_direct_env_contract(ant_env):
    from isaaclab.envs import DirectRLEnv

    base = ant_env.unwrapped
    assert isinstance(base, DirectRLEnv)
    wrapper = IsaacLabVecEnvWrapper(ant_env, clip_actions=0.3)
    # Without an action manager the action size comes from the action space (before it became the clip box)
    assert wrapper.num_actions == ANT_NUM_ACTIONS == gym.spaces.flatdim(base.single_action_space)
    assert wrapper.step_dt == pytest.approx(2 / 120)  # decimation 2 at 120 Hz
    obs = wrapper.get_observations()
    assert obs.batch_size == torch.Size([NUM_ENVS]) and obs["policy"].shape == (NUM_ENVS, ANT_OBS_DIM)

    # Time-out of env 0 after one step, through the env's own episode_length_buf
    wrapper.episode_length_buf = torch.tensor([wrapper.max_episode_length - 1, 0, 0, 0])
    obs, rewards, dones, extras = wrapper.step(torch.full((NUM_ENVS, ANT_NUM_ACTIONS), 5.0))
    assert obs["policy"].shape == (NUM_ENVS, ANT_OBS_DIM) and rewards.shape == (NUM_ENVS,)
    assert dones.dtype == torch.long and extras["time_outs"].dtype == torch.bool
    assert torch.equal(extras["time_outs"], torch.tensor([True, False, False, False]))
    assert bool(dones[0]) and int(base.episode_length_buf[0]) == 0
    # The env stored the clamped actions (its reset zeroes the actions of env 0)
    torch.testing.assert_close(base.actions[1:], torch.full((NUM_ENVS - 1, ANT_NUM_ACTIONS), 0.3))
