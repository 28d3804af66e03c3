"""IsaacLabVecEnvWrapper on the real Isaac Lab 3.0 Go2 flat velocity task (ManagerBasedRLEnv), device cpu."""

from __future__ import annotations

import gymnasium as gym
import pytest
import torch
from tensordict import TensorDict

from rsl_sim.env import VecEnv
from rsl_sim.wrappers.isaaclab import IsaacLabVecEnvWrapper

NUM_ENVS = 8
GO2_OBS_DIM = 48  # base lin/ang vel 3+3, projected gravity 3, command 3, joint pos/vel 12+12, last action 12
GO2_NUM_ACTIONS = 12


class StepCounter(gym.Wrapper):
    """A plain gymnasium wrapper that counts the steps and resets that pass through it."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.steps = 0
        self.resets = 0

    def step(self, action):
        self.steps += 1
        return self.env.step(action)

    def reset(self, **kwargs):
        self.resets += 1
        return self.env.reset(**kwargs)


class ExtrasCopier(gym.Wrapper):
    """A gymnasium wrapper that hands over a copy of the env's extras dict (as some wrappers do)."""

    def step(self, action):
        obs, rewards, terminated, truncated, extras = self.env.step(action)
        return obs, rewards, terminated, truncated, dict(extras)


@pytest.fixture
def wrapper(go2_env):
    """A fresh wrapper around the module's Go2 env; restores what the tests change on the env."""
    base = go2_env.unwrapped
    spaces = (base.single_action_space, base.action_space)
    finite, final_obs = base.cfg.is_finite_horizon, base.cfg.compute_final_obs
    yield IsaacLabVecEnvWrapper(go2_env)
    base.single_action_space, base.action_space = spaces
    base.cfg.is_finite_horizon, base.cfg.compute_final_obs = finite, final_obs


def test_attributes(wrapper, go2_env):
    base = go2_env.unwrapped
    assert isinstance(wrapper, VecEnv)
    assert wrapper.unwrapped is base
    assert wrapper.num_envs == NUM_ENVS
    assert wrapper.num_actions == GO2_NUM_ACTIONS == base.action_manager.total_action_dim
    assert str(wrapper.device) == "cpu"
    assert wrapper.step_dt == pytest.approx(0.02)  # 4 physics steps of 5 ms
    assert wrapper.max_episode_length == 1000  # 20 s / 0.02 s
    assert wrapper.cfg is base.cfg
    assert wrapper.seed(7) == 7


def test_observations_and_step_shapes(wrapper):
    obs = wrapper.get_observations()
    assert isinstance(obs, TensorDict)
    assert obs.batch_size == torch.Size([NUM_ENVS])
    assert list(obs.keys()) == ["policy"]  # groups keep Isaac Lab's names
    assert obs["policy"].shape == (NUM_ENVS, GO2_OBS_DIM) and obs["policy"].dtype == torch.float32

    actions = torch.zeros(NUM_ENVS, GO2_NUM_ACTIONS)
    obs, rewards, dones, extras = wrapper.step(actions)
    assert obs.batch_size == torch.Size([NUM_ENVS]) and obs["policy"].shape == (NUM_ENVS, GO2_OBS_DIM)
    assert rewards.shape == (NUM_ENVS,) and rewards.dtype == torch.float32
    assert dones.shape == (NUM_ENVS,) and dones.dtype == torch.long
    assert extras["time_outs"].shape == (NUM_ENVS,) and extras["time_outs"].dtype == torch.bool
    assert torch.isfinite(obs["policy"]).all() and torch.isfinite(rewards).all()

    # get_observations returns the latest observations and does not advance the env
    lengths = wrapper.episode_length_buf.clone()
    again = wrapper.get_observations()
    torch.testing.assert_close(again["policy"], obs["policy"])
    torch.testing.assert_close(wrapper.episode_length_buf, lengths)


def test_episode_length_buf_drives_time_outs(wrapper, go2_env):
    base = go2_env.unwrapped
    steps_left = torch.tensor([1, 2, 3, 4, 1, 2, 3, 4])
    # Assigning the buffer (as the runner does for random start lengths) writes into the env itself
    wrapper.episode_length_buf = wrapper.max_episode_length - steps_left
    assert base.episode_length_buf is wrapper.episode_length_buf

    actions = torch.zeros(NUM_ENVS, GO2_NUM_ACTIONS)
    for step in range(1, 5):
        _, _, dones, extras = wrapper.step(actions)
        expected = steps_left == step
        # The env's own time-out term fires exactly when the assigned length runs out
        assert torch.equal(extras["time_outs"], expected), f"step {step}: {extras['time_outs']} != {expected}"
        assert torch.equal(dones.bool() & expected, expected)
        assert torch.all(base.episode_length_buf[expected] == 0)  # auto-reset of the timed-out envs
        # Episode statistics come through unchanged, with the time-out counted
        assert extras["log"] is base.extras["log"]
        assert extras["log"]["Episode_Termination/time_out"] > 0


def test_dones_are_terminated_or_truncated(wrapper):
    actions = torch.zeros(NUM_ENVS, GO2_NUM_ACTIONS)
    wrapper.episode_length_buf = torch.full((NUM_ENVS,), wrapper.max_episode_length - 1, dtype=torch.long)
    _, _, dones, extras = wrapper.step(actions)
    assert torch.all(dones == 1) and torch.all(extras["time_outs"])
    _, _, dones, extras = wrapper.step(actions)
    assert torch.all(dones == 0) and not torch.any(extras["time_outs"])


def test_finite_horizon_task_reports_no_time_outs(wrapper, go2_env):
    go2_env.unwrapped.cfg.is_finite_horizon = True
    wrapper.episode_length_buf = torch.full((NUM_ENVS,), wrapper.max_episode_length - 1, dtype=torch.long)
    _, _, dones, extras = wrapper.step(torch.zeros(NUM_ENVS, GO2_NUM_ACTIONS))
    assert torch.all(dones == 1)
    assert "time_outs" not in extras


def test_clip_actions(go2_env):
    base = go2_env.unwrapped
    spaces = (base.single_action_space, base.action_space)
    try:
        wrapper = IsaacLabVecEnvWrapper(go2_env, clip_actions=0.5)
        assert wrapper.action_space.shape == (NUM_ENVS, GO2_NUM_ACTIONS)
        assert (wrapper.action_space.low == -0.5).all() and (wrapper.action_space.high == 0.5).all()
        assert (base.single_action_space.high == 0.5).all()

        actions = torch.linspace(-3.0, 3.0, NUM_ENVS * GO2_NUM_ACTIONS).reshape(NUM_ENVS, GO2_NUM_ACTIONS)
        wrapper.step(actions)
        # The action manager received the clamped actions
        torch.testing.assert_close(base.action_manager.action, actions.clamp(-0.5, 0.5))
    finally:
        base.single_action_space, base.action_space = spaces

    with pytest.raises(ValueError, match="clip_actions"):
        IsaacLabVecEnvWrapper(go2_env, clip_actions=0.0)


def test_final_observation(go2_env):
    base = go2_env.unwrapped
    try:
        wrapper = IsaacLabVecEnvWrapper(go2_env, compute_final_obs=True)
        ended = torch.tensor([True, False, True, False, False, False, False, True])
        lengths = torch.where(ended, wrapper.max_episode_length - 1, 0).to(torch.long)
        wrapper.episode_length_buf = lengths
        actions = torch.full((NUM_ENVS, GO2_NUM_ACTIONS), 0.25)
        obs, _, dones, extras = wrapper.step(actions)
        assert torch.equal(dones.bool(), ended)
        final = extras["final_observation"]
        assert "final_obs" not in extras and "final_obs" not in base.extras
        # The last 12 entries are the last action: the action of the finished episode in the final observation,
        # zero after the reset in the returned one
        torch.testing.assert_close(final["policy"][ended, -GO2_NUM_ACTIONS:], actions[ended])
        assert torch.all(obs["policy"][ended, -GO2_NUM_ACTIONS:] == 0.0)
        # Envs that go on: the final observation is the returned one
        torch.testing.assert_close(final["policy"][~ended], obs["policy"][~ended])

        # A step where no episode ends carries no final observation
        _, _, dones, extras = wrapper.step(actions)
        assert not dones.any() and "final_observation" not in extras
    finally:
        base.cfg.compute_final_obs = False


def test_final_observation_never_stale_behind_a_copying_wrapper(go2_env):
    base = go2_env.unwrapped
    try:
        wrapper = IsaacLabVecEnvWrapper(ExtrasCopier(go2_env), compute_final_obs=True)
        actions = torch.zeros(NUM_ENVS, GO2_NUM_ACTIONS)
        wrapper.episode_length_buf = torch.full((NUM_ENVS,), wrapper.max_episode_length - 1, dtype=torch.long)
        _, _, dones, extras = wrapper.step(actions)
        assert dones.all() and "final_observation" in extras
        _, _, dones, extras = wrapper.step(actions)
        assert not dones.any() and "final_observation" not in extras
    finally:
        base.cfg.compute_final_obs = False


def test_steps_go_through_gymnasium_wrappers(go2_env):
    counter = StepCounter(go2_env)
    wrapper = IsaacLabVecEnvWrapper(counter)
    assert counter.resets == 1  # reset once when built
    assert wrapper.unwrapped is go2_env.unwrapped
    for _ in range(3):
        wrapper.step(torch.zeros(NUM_ENVS, GO2_NUM_ACTIONS))
    assert counter.steps == 3


def test_refuses_non_isaaclab_env():
    env = gym.make("CartPole-v1")
    with pytest.raises(TypeError, match="ManagerBasedRLEnv.*DirectRLEnv.*CartPoleEnv"):
        IsaacLabVecEnvWrapper(env)


def test_go2_stands_on_the_local_ground_plane(wrapper, go2_env):
    # The assets come from the local asset root: the Go2 (spawned at 0.4 m) settles on the ground plane
    wrapper.reset()
    for _ in range(50):  # 1 s
        wrapper.step(torch.zeros(NUM_ENVS, GO2_NUM_ACTIONS))
    height = go2_env.unwrapped.scene["robot"].data.root_pos_w.torch[:, 2]
    assert torch.all((height > 0.2) & (height < 0.4)), height
