"""The gymnasium wrapper turns H x W x C images into [N, C, H, W] groups and integer Boxes into float32 groups."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rsl_sim.runners import OnPolicyRunner
from rsl_sim.wrappers.gymnasium import GymnasiumVecEnvWrapper
from rsl_sim.wrappers.gymnasium_utils import group_format

NUM_ENVS = 3
EPISODE = 4


class PictureEnv(gym.Env):
    """Observations of every kind the wrapper converts; values are a function of the env's seed and step."""

    metadata = {"render_fps": 10}

    def __init__(self, spaces: dict[str, gym.spaces.Box]) -> None:
        self.observation_space = gym.spaces.Dict(spaces)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.steps = 0
        self.offset = 0

    def _obs(self) -> dict[str, np.ndarray]:
        obs = {}
        for name, space in self.observation_space.spaces.items():
            values = np.arange(np.prod(space.shape)).reshape(space.shape) + 7 * self.steps + 100 * self.offset
            obs[name] = (values % 251).astype(space.dtype)
        return obs

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.offset = int(seed or 0)
        self.steps = 0
        return self._obs(), {}

    def step(self, action):
        self.steps += 1
        return self._obs(), 1.0, False, self.steps >= EPISODE, {}


SPACES = {
    "policy": gym.spaces.Box(-np.inf, np.inf, (3,), np.float64),
    "counter": gym.spaces.Box(0, 1000, (2,), np.int64),
    "flags": gym.spaces.Box(0, 1, (2,), np.bool_),
    "rgb": gym.spaces.Box(0, 255, (6, 5, 3), np.uint8),
    "depth": gym.spaces.Box(0.0, 10.0, (4, 4, 1), np.float32),
    "chw": gym.spaces.Box(0, 255, (1, 6, 6), np.uint8),
}


def make_wrapper(spaces=SPACES) -> GymnasiumVecEnvWrapper:
    env = SyncVectorEnv(
        [lambda: gym.wrappers.TimeLimit(PictureEnv(spaces), EPISODE) for _ in range(NUM_ENVS)],
        autoreset_mode=AutoresetMode.SAME_STEP,
    )
    return GymnasiumVecEnvWrapper(env, seed=0)


def expected(name: str, steps: int, offsets: list[int]) -> np.ndarray:
    space = SPACES[name]
    rows = [(np.arange(np.prod(space.shape)).reshape(space.shape) + 7 * steps + 100 * o) % 251 for o in offsets]
    return np.stack(rows).astype(space.dtype)


def test_groups_have_model_dtypes_and_images_are_channels_first():
    env = make_wrapper()
    obs = env.get_observations()
    layout = {name: (tuple(obs[name].shape), obs[name].dtype) for name in SPACES}
    assert layout == {
        "policy": ((NUM_ENVS, 3), torch.float32),
        "counter": ((NUM_ENVS, 2), torch.float32),
        "flags": ((NUM_ENVS, 2), torch.float32),
        "rgb": ((NUM_ENVS, 3, 6, 5), torch.uint8),  # H x W x C = 6 x 5 x 3 -> C x H x W
        "depth": ((NUM_ENVS, 1, 4, 4), torch.float32),
        "chw": ((NUM_ENVS, 1, 6, 6), torch.uint8),  # already channels-first: kept
    }
    offsets = list(range(NUM_ENVS))  # sub-env i is reset with seed 0 + i
    rgb = expected("rgb", 0, offsets)
    assert torch.equal(obs["rgb"], torch.from_numpy(rgb).permute(0, 3, 1, 2))
    assert obs["rgb"].is_contiguous()
    assert obs["rgb"][1, 2, 4, 3].item() == rgb[1, 4, 3, 2]  # pixel (h=4, w=3), channel 2 of env 1
    assert torch.equal(obs["counter"], torch.from_numpy(expected("counter", 0, offsets)).float())
    assert torch.equal(obs["chw"], torch.from_numpy(expected("chw", 0, offsets)))


def test_final_observations_are_converted_the_same_way():
    env = make_wrapper()
    actions = torch.zeros(NUM_ENVS, 2)
    for _ in range(EPISODE):
        obs, _, dones, extras = env.step(actions)
    assert bool((dones == 1).all())
    final = extras["final_observation"]
    offsets = list(range(NUM_ENVS))
    last_rgb = torch.from_numpy(expected("rgb", EPISODE, offsets)).permute(0, 3, 1, 2)
    assert final["rgb"].shape == obs["rgb"].shape == (NUM_ENVS, 3, 6, 5)
    assert torch.equal(final["rgb"], last_rgb)
    assert final["depth"].shape == (NUM_ENVS, 1, 4, 4) and final["counter"].dtype == torch.float32


def test_group_format_rules():
    assert group_format(gym.spaces.Box(0, 255, (64, 64, 3), np.uint8)).channels_last
    assert group_format(gym.spaces.Box(0, 255, (16, 16, 3), np.uint8)).channels_last
    assert not group_format(gym.spaces.Box(0, 255, (3, 16, 16), np.uint8)).channels_last
    assert group_format(gym.spaces.Box(0, 1, (32, 32, 1), np.float32)).dtype == torch.float32
    assert group_format(gym.spaces.Box(0, 9, (5,), np.int32)).dtype == torch.float32
    assert group_format(gym.spaces.Box(0, 9, (8, 8, 1), np.uint16)).dtype == torch.float32


def test_a_cnn_policy_trains_on_the_wrapped_images():
    env = make_wrapper()
    cfg = {
        "num_steps_per_env": EPISODE + 1,  # one auto-reset inside the rollout
        "obs_groups": {"actor": ["policy", "counter", "rgb", "depth"], "critic": ["policy", "rgb"]},
        "actor": {
            "class_name": "CNNModel",
            "hidden_dims": [16],
            "cnn_cfg": {"output_channels": [4], "kernel_size": 3, "global_pool": "avg"},
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0},
        },
        "critic": {
            "class_name": "CNNModel",
            "hidden_dims": [16],
            "cnn_cfg": {"output_channels": [4], "kernel_size": 3, "global_pool": "avg"},
        },
        "algorithm": {"class_name": "PPO", "num_mini_batches": 1, "num_learning_epochs": 1},
    }
    runner = OnPolicyRunner(env, cfg)
    before = {name: p.clone() for name, p in runner.alg.actor.named_parameters()}
    runner.learn(1)
    changed = [name for name, p in runner.alg.actor.named_parameters() if not torch.equal(p, before[name])]
    assert any(name.startswith("cnns.rgb") for name in changed)
    assert runner.alg.actor.obs_channels_2d == [3, 1]
