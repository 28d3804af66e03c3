"""Tests for rsl_sim.wrappers.gymnasium.GymnasiumVecEnvWrapper with real gymnasium vector envs."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from tensordict import TensorDict

from rsl_sim.env import VecEnv
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper


class CounterDictEnv(VectorEnv):
    """A tiny same-step auto-reset vector env with a Dict observation space whose episode ends we control.

    Each env counts its steps; ``obs = {"state": [count, running action sum] (float64), "camera": uint8 image filled
    with the count}``; ``reward = action[0] + count``; terminated when ``action[1] > 0.5``; truncated when
    ``count >= limit``. The reset start value of the running sum is drawn from the reset seed.
    """

    def __init__(
        self,
        num_envs: int = 3,
        limit: int = 4,
        batched_final_obs: bool = False,
        expose_episode_length_buf: bool = False,
        expose_max_episode_length: bool = True,
        autoreset_mode: AutoresetMode = AutoresetMode.SAME_STEP,
    ) -> None:
        self.num_envs = num_envs
        self.limit = limit
        self.batched_final_obs = batched_final_obs
        self.metadata = {"autoreset_mode": autoreset_mode, "render_fps": 50}
        self.single_observation_space = gym.spaces.Dict(
            {
                "state": gym.spaces.Box(-np.inf, np.inf, (2,), np.float64),
                "camera": gym.spaces.Box(0, 255, (1, 2, 2), np.uint8),
            }
        )
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.single_action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.action_space = batch_space(self.single_action_space, num_envs)
        if expose_max_episode_length:
            self.max_episode_length = limit
        if expose_episode_length_buf:
            self.episode_length_buf = np.zeros(num_envs, dtype=np.int32)
        self._count = np.zeros(num_envs, dtype=np.int64)
        self._sum = np.zeros(num_envs)
        self._rng = np.random.default_rng()
        self.received_actions: list[np.ndarray] = []
        self.render_calls = 0
        self.close_calls = 0

    # The env's step counter, optionally exposed as episode_length_buf
    def _steps(self) -> np.ndarray:
        return self.episode_length_buf if hasattr(self, "episode_length_buf") else self._count

    def _observe(self) -> dict:
        steps = self._steps()
        camera = np.broadcast_to(steps.astype(np.uint8)[:, None, None, None], (self.num_envs, 1, 2, 2)).copy()
        return {"state": np.stack([steps.astype(np.float64), self._sum], axis=1), "camera": camera}

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        mask = np.ones(self.num_envs, dtype=bool) if not options else options["reset_mask"]
        self._steps()[mask] = 0
        self._sum[mask] = self._rng.uniform(-1, 1, int(mask.sum()))
        return self._observe(), {}

    def step(self, actions: np.ndarray) -> tuple:
        self.received_actions.append(actions.copy())
        steps = self._steps()
        steps += 1
        self._sum += actions[:, 0]
        rewards = actions[:, 0].astype(np.float64) + steps
        terminated = actions[:, 1] > 0.5
        truncated = steps >= self.limit
        obs = self._observe()
        infos: dict = {"log": {"action_sum": self._sum.copy()}}
        done = terminated | truncated
        if done.any() and self.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP:
            if self.batched_final_obs:
                infos["final_obs"] = {key: value.copy() for key, value in obs.items()}
            else:
                final = np.full(self.num_envs, None, dtype=object)
                for i in np.flatnonzero(done):
                    final[i] = {key: value[i].copy() for key, value in obs.items()}
                infos["final_obs"] = final
            infos["_final_obs"] = done.copy()
            self.reset(options={"reset_mask": done})
            obs = self._observe()
        return obs, rewards, terminated, truncated, infos

    def render(self) -> str:
        self.render_calls += 1
        return "frame"

    def close_extras(self, **kwargs) -> None:
        self.close_calls += 1


def _pendulum(num_envs: int = 3, seed: int = 0, **kwargs) -> GymnasiumVecEnvWrapper:
    return GymnasiumVecEnvWrapper.from_id("Pendulum-v1", num_envs, seed=seed, max_episode_steps=5, **kwargs)


def _raw_pendulum(num_envs: int = 3, seed: int = 0, mode: AutoresetMode = AutoresetMode.SAME_STEP):
    env = gym.make_vec("Pendulum-v1", num_envs, max_episode_steps=5, vector_kwargs={"autoreset_mode": mode})
    obs, _ = env.reset(seed=seed)
    return env, obs


def test_pendulum_shapes_dtypes_and_attributes():
    env = _pendulum()
    assert isinstance(env, VecEnv)
    assert env.num_envs == 3 and env.num_actions == 1 and env.max_episode_length == 5
    assert env.step_dt == pytest.approx(0.05)  # Pendulum's dt, read from the sub-environment
    assert env.unwrapped.step_dt == env.step_dt
    assert env.cfg["id"] == "Pendulum-v1"
    obs = env.get_observations()
    assert isinstance(obs, TensorDict) and list(obs.keys()) == ["policy"]
    assert obs.batch_size == torch.Size([3]) and obs["policy"].shape == (3, 3) and obs["policy"].dtype == torch.float32
    obs, rewards, dones, extras = env.step(torch.zeros(3, 1))
    assert obs["policy"].device == torch.device("cpu") and obs["policy"].dtype == torch.float32
    assert rewards.shape == (3,) and rewards.dtype == torch.float32
    assert dones.shape == (3,) and dones.dtype == torch.long
    assert extras["time_outs"].dtype == torch.bool and not extras["time_outs"].any()
    assert extras["log"] == {}
    assert extras["final_observation"] is obs
    assert torch.equal(env.episode_length_buf, torch.ones(3, dtype=torch.long))
    env.close()


def test_pendulum_matches_raw_env_final_obs_and_episode_stats():
    env = _pendulum()
    raw, raw_obs = _raw_pendulum()
    assert np.allclose(env.get_observations()["policy"].numpy(), raw_obs)
    generator = torch.Generator().manual_seed(0)
    returns = np.zeros(3)
    for t in range(12):
        actions = torch.rand(3, 1, generator=generator) * 4 - 2
        obs, rewards, dones, extras = env.step(actions)
        raw_obs, raw_rewards, terminated, truncated, infos = raw.step(actions.numpy())
        returns += raw_rewards
        assert np.allclose(obs["policy"].numpy(), raw_obs)
        assert np.allclose(rewards.numpy(), raw_rewards)
        # Pendulum never terminates: every done is a time-out after 5 steps
        assert torch.equal(dones.bool(), torch.as_tensor(terminated | truncated))
        assert torch.equal(extras["time_outs"], torch.as_tensor(truncated))
        final = extras["final_observation"]["policy"].numpy()
        if truncated.any():
            assert (t + 1) % 5 == 0 and truncated.all()
            assert np.allclose(final, np.stack(infos["final_obs"]))
            assert not np.allclose(final, raw_obs)
            assert np.allclose(extras["log"]["Episode/return"].numpy(), returns, atol=1e-4)
            assert torch.equal(extras["log"]["Episode/length"], torch.full((3,), 5.0))
            returns[:] = 0.0
        else:
            assert np.allclose(final, raw_obs) and "Episode/return" not in extras["log"]
    env.close()
    raw.close()


def test_dict_env_groups_dtypes_termination_and_truncation():
    for batched in (False, True):
        raw = CounterDictEnv(batched_final_obs=batched)
        env = GymnasiumVecEnvWrapper(raw, seed=1)
        obs = env.get_observations()
        assert sorted(obs.keys()) == ["camera", "state"]
        assert obs["state"].dtype == torch.float32 and obs["camera"].dtype == torch.uint8
        assert obs["camera"].shape == (3, 1, 2, 2)
        assert env.num_actions == 2 and env.max_episode_length == 4 and env.step_dt == pytest.approx(1 / 50)
        start_sum = obs["state"][:, 1].clone()
        # Step 1: env 1 terminates (action[1] > 0.5)
        actions = torch.tensor([[0.1, 0.0], [0.2, 0.9], [0.3, 0.0]])
        obs, rewards, dones, extras = env.step(actions)
        assert torch.equal(dones, torch.tensor([0, 1, 0]))
        assert not extras["time_outs"].any()
        final = extras["final_observation"]
        assert final["camera"].dtype == torch.uint8
        assert torch.equal(final["state"][1], torch.tensor([1.0, float(start_sum[1]) + 0.2]))
        assert final["camera"][1].eq(1).all() and obs["camera"][1].eq(0).all()
        assert torch.equal(final[[0, 2]]["state"], obs[[0, 2]]["state"])
        assert torch.allclose(extras["log"]["Episode/return"], torch.tensor([1.2]))
        assert torch.equal(extras["log"]["Episode/length"], torch.tensor([1.0]))
        assert torch.equal(env.episode_length_buf, torch.tensor([1, 0, 1]))
        # Steps 2-4 with zero actions: envs 0 and 2 truncate at count 4, env 1 keeps running
        for _ in range(3):
            obs, rewards, dones, extras = env.step(torch.zeros(3, 2))
        assert torch.equal(dones, torch.tensor([1, 0, 1]))
        assert torch.equal(extras["time_outs"], torch.tensor([True, False, True]))
        assert torch.equal(extras["final_observation"]["state"][[0, 2], 0], torch.tensor([4.0, 4.0]))
        assert torch.equal(extras["final_observation"]["state"][1], obs["state"][1])
        # Returns: 0.1 + 1, then 2 + 3 + 4 for env 0; 0.3 + 1 + 2 + 3 + 4 for env 2
        assert torch.allclose(extras["log"]["Episode/return"], torch.tensor([10.1, 10.3]))
        assert torch.equal(extras["log"]["Episode/length"], torch.tensor([4.0, 4.0]))
        # The env's own log entries are forwarded
        assert torch.allclose(extras["log"]["action_sum"], extras["final_observation"]["state"][:, 1])


def test_terminated_on_last_step_is_not_a_time_out():
    env = GymnasiumVecEnvWrapper(CounterDictEnv(num_envs=2, limit=1))
    _, _, dones, extras = env.step(torch.tensor([[0.0, 0.9], [0.0, 0.0]]))
    assert torch.equal(dones, torch.tensor([1, 1]))
    assert torch.equal(extras["time_outs"], torch.tensor([False, True]))


def test_clip_actions_clamps_and_updates_action_space():
    raw = CounterDictEnv()
    env = GymnasiumVecEnvWrapper(raw, clip_actions=0.25)
    env.step(torch.tensor([[10.0, -10.0], [0.1, 0.2], [-0.3, 0.3]]))
    assert raw.received_actions[-1].dtype == np.float32
    assert np.allclose(raw.received_actions[-1], [[0.25, -0.25], [0.1, 0.2], [-0.25, 0.25]])
    assert np.all(env.single_action_space.high == 0.25) and np.all(env.single_action_space.low == -0.25)
    assert env.action_space.shape == (3, 2)
    assert raw.single_action_space.high[0] == 1.0  # the wrapped env is left as it was
    unclipped_raw = CounterDictEnv()
    GymnasiumVecEnvWrapper(unclipped_raw).step(torch.full((3, 2), 3.0))
    assert np.all(unclipped_raw.received_actions[-1] == 3.0)
    with pytest.raises(ValueError, match="clip_actions"):
        GymnasiumVecEnvWrapper(CounterDictEnv(), clip_actions=-1.0)


def _rollout(env: GymnasiumVecEnvWrapper, steps: int = 7) -> torch.Tensor:
    generator = torch.Generator().manual_seed(5)
    frames = [env.get_observations()["policy"].clone()]
    for _ in range(steps):
        frames.append(env.step(torch.rand(env.num_envs, 1, generator=generator) * 4 - 2)[0]["policy"].clone())
    return torch.stack(frames)


def test_seeding_reproducibility():
    first = _rollout(_pendulum(seed=3))
    assert torch.equal(first, _rollout(_pendulum(seed=3)))
    assert not torch.allclose(first, _rollout(_pendulum(seed=4)))
    env = _pendulum(seed=4)
    assert env.seed(3) == 3
    assert torch.equal(_rollout(env), first)


def test_disabled_autoreset_matches_same_step():
    same_step = _pendulum(seed=2)
    disabled_raw, _ = _raw_pendulum(seed=2, mode=AutoresetMode.DISABLED)
    disabled = GymnasiumVecEnvWrapper(disabled_raw, seed=2)
    assert disabled.autoreset_mode == AutoresetMode.DISABLED
    generator = torch.Generator().manual_seed(0)
    for _ in range(11):
        actions = torch.rand(3, 1, generator=generator) * 4 - 2
        a, b = same_step.step(actions), disabled.step(actions)
        assert (a[0] == b[0]).all() and torch.equal(a[1], b[1]) and torch.equal(a[2], b[2])
        assert (a[3]["final_observation"] == b[3]["final_observation"]).all()
        assert torch.equal(a[3]["time_outs"], b[3]["time_outs"])


def test_get_observations_does_not_step():
    raw = CounterDictEnv()
    env = GymnasiumVecEnvWrapper(raw)
    obs, *_ = env.step(torch.zeros(3, 2))
    again = env.get_observations()
    assert (again == obs).all() and len(raw.received_actions) == 1
    assert (env.get_observations() == obs).all() and len(raw.received_actions) == 1


def test_episode_length_buf_forwarded_to_time_limit():
    env = _pendulum()
    env.episode_length_buf = torch.tensor([4, 0, 2])
    assert torch.equal(env.episode_length_buf, torch.tensor([4, 0, 2]))
    expected_done_step = {0: 1, 1: 5, 2: 3}
    logged_lengths = []
    for step in range(1, 6):
        _, _, dones, extras = env.step(torch.zeros(3, 1))
        for i, done_step in expected_done_step.items():
            assert bool(dones[i]) == (step == done_step), (step, i)
        assert torch.equal(extras["time_outs"], dones.bool())
        if dones.any():
            logged_lengths.append(extras["log"]["Episode/length"].tolist())
    # Logged lengths count the steps really taken, not the randomized start
    assert logged_lengths == [[1.0], [3.0], [5.0]]
    assert torch.equal(env.episode_length_buf, torch.tensor([4, 0, 2]))
    with pytest.raises(ValueError, match="shape"):
        env.episode_length_buf = torch.zeros(2)


def test_episode_length_buf_set_in_inference_mode_stays_usable():
    env = _pendulum()
    with torch.inference_mode():
        env.episode_length_buf = torch.randint_like(env.episode_length_buf, high=int(env.max_episode_length))
    env.step(torch.zeros(3, 1))
    env.reset()
    assert torch.equal(env.episode_length_buf, torch.zeros(3, dtype=torch.long))


def test_episode_length_buf_forwarded_to_env_buffer():
    raw = CounterDictEnv(expose_episode_length_buf=True)
    env = GymnasiumVecEnvWrapper(raw)
    env.episode_length_buf = torch.tensor([3, 0, 1])
    assert raw.episode_length_buf.dtype == np.int32 and raw.episode_length_buf.tolist() == [3, 0, 1]
    _, _, dones, _ = env.step(torch.zeros(3, 2))
    assert torch.equal(dones, torch.tensor([1, 0, 0]))
    assert torch.equal(env.episode_length_buf, torch.tensor([0, 1, 2]))


def test_episode_length_buf_warns_when_unreachable():
    env = GymnasiumVecEnvWrapper(CounterDictEnv())
    with pytest.warns(UserWarning, match="episode_length_buf"):
        env.episode_length_buf = torch.tensor([1, 2, 3])
    assert torch.equal(env.episode_length_buf, torch.tensor([1, 2, 3]))


def test_time_limit_sources():
    with pytest.raises(ValueError, match="max_episode_length"):
        GymnasiumVecEnvWrapper(CounterDictEnv(expose_max_episode_length=False))
    env = GymnasiumVecEnvWrapper(CounterDictEnv(expose_max_episode_length=False), max_episode_length=9)
    assert env.max_episode_length == 9
    # Default Pendulum limit from its registration, through the sub-environments' TimeLimit
    assert GymnasiumVecEnvWrapper.from_id("Pendulum-v1", 2).max_episode_length == 200


def test_refusals():
    with pytest.raises(ValueError, match="Discrete"):
        GymnasiumVecEnvWrapper.from_id("CartPole-v1", 2, vectorization_mode="sync")
    # CartPole's own vector env auto-resets on the next step: refused when asked for, replaced when chosen by default
    with pytest.raises(ValueError, match="autoreset_mode"):
        GymnasiumVecEnvWrapper.from_id("CartPole-v1", 2, vectorization_mode="vector_entry_point")
    with pytest.warns(UserWarning, match="SyncVectorEnv"), pytest.raises(ValueError, match="Discrete"):
        GymnasiumVecEnvWrapper.from_id("CartPole-v1", 2)
    next_step = gym.make_vec("Pendulum-v1", 2, vector_kwargs={"autoreset_mode": AutoresetMode.NEXT_STEP})
    with pytest.raises(ValueError, match="autoreset_mode"):
        GymnasiumVecEnvWrapper(next_step)
    with pytest.raises(ValueError, match="autoreset_mode"):
        GymnasiumVecEnvWrapper.from_id("Pendulum-v1", 2, vector_kwargs={"autoreset_mode": "NextStep"})
    with pytest.raises(TypeError, match="VectorEnv"):
        GymnasiumVecEnvWrapper(gym.make("Pendulum-v1"))
    env = _pendulum()
    with pytest.raises(ValueError, match="shape"):
        env.step(torch.zeros(3, 2))


def test_missing_final_obs_is_an_error():
    class NoFinalObs(CounterDictEnv):
        def step(self, actions):
            obs, rewards, terminated, truncated, infos = super().step(actions)
            infos.pop("final_obs", None)
            return obs, rewards, terminated, truncated, infos

    env = GymnasiumVecEnvWrapper(NoFinalObs())
    with pytest.raises(ValueError, match="final_obs"):
        env.step(torch.tensor([[0.0, 0.9], [0.0, 0.0], [0.0, 0.0]]))


def test_render_and_close_forward():
    raw = CounterDictEnv()
    env = GymnasiumVecEnvWrapper(raw)
    assert env.render() == "frame" and raw.render_calls == 1
    env.close()
    assert raw.close_calls == 1


def test_vec_env_is_abstract():
    with pytest.raises(TypeError):
        VecEnv()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_device():
    raw = CounterDictEnv()
    env = GymnasiumVecEnvWrapper(raw, device="cuda")
    obs, rewards, dones, extras = env.step(torch.tensor([[0.1, 0.9], [0.0, 0.0], [0.0, 0.0]], device="cuda"))
    for tensor in (obs["state"], obs["camera"], rewards, dones, extras["time_outs"], env.episode_length_buf):
        assert tensor.is_cuda
    assert extras["final_observation"]["state"].is_cuda and extras["log"]["Episode/return"].is_cuda
    assert extras["final_observation"]["state"][0, 0].item() == 1.0 and obs["state"][0, 0].item() == 0.0
