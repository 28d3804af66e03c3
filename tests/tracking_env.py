"""The tracking toy task shared by the runner tests: a ``VecEnv`` whose reward is minus the squared distance of the
action to a linear function of the observation, and a small PPO train config for it (import with
``from tracking_env import ...``)."""

from __future__ import annotations

import torch
from tensordict import TensorDict

from rsl_sim.env import VecEnv

NUM_ENVS = 8
EPISODE_LENGTH = 10
NUM_STEPS = 8


class TrackingEnv(VecEnv):
    """Toy task: the reward is minus the squared distance of the action to a linear function of the observation.

    Episodes last exactly ``EPISODE_LENGTH`` steps (time-outs), observations come from the env's own generator (so
    the global torch RNG only drives the learner), and ``extras["log"]`` carries two known entries.
    """

    def __init__(
        self, num_envs: int = NUM_ENVS, seed: int = 0, nan_at_step: int | None = None, nan_group: str = "policy"
    ) -> None:
        self.num_envs = num_envs
        self.num_actions = 2
        self.max_episode_length = EPISODE_LENGTH
        self.device = "cpu"
        self.cfg = {"task": "tracking", "episode_length": EPISODE_LENGTH}
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long)
        self.generator = torch.Generator().manual_seed(seed)
        self.nan_at_step = nan_at_step
        self.nan_group = nan_group
        self.num_steps = 0
        self.weights = torch.tensor([[1.0, -0.5], [0.5, 1.0], [0.0, 0.3]])
        self._obs = self._sample_obs()

    def _sample_obs(self) -> TensorDict:
        policy = torch.randn(self.num_envs, 3, generator=self.generator)
        critic = torch.randn(self.num_envs, 2, generator=self.generator)
        debug = torch.zeros(self.num_envs, 1)  # a group no model reads
        return TensorDict({"policy": policy, "critic": critic, "debug": debug}, batch_size=[self.num_envs])

    def get_observations(self) -> TensorDict:
        return self._obs

    def step(self, actions: torch.Tensor):
        target = self._obs["policy"] @ self.weights
        rewards = -((actions - target) ** 2).sum(dim=-1)
        self.episode_length_buf += 1
        dones = self.episode_length_buf >= self.max_episode_length
        self.episode_length_buf[dones] = 0
        self._obs = self._sample_obs()
        self.num_steps += 1
        if self.nan_at_step is not None and self.num_steps == self.nan_at_step:
            self._obs[self.nan_group][3, -1] = float("nan")
        extras = {
            "time_outs": dones.clone(),
            "log": {"tracking_error": -rewards, "Custom/constant": 0.5},
        }
        return self._obs, rewards, dones.long(), extras


def make_cfg(**overrides) -> dict:
    cfg = {
        "num_steps_per_env": NUM_STEPS,
        "save_interval": 1,
        "obs_groups": {"actor": ["policy"], "critic": ["policy", "critic"]},
        "actor": {
            "class_name": "MLPModel",
            "hidden_dims": [16, 16],
            "activation": "elu",
            "obs_normalization": True,
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0, "std_type": "scalar"},
        },
        "critic": {"class_name": "MLPModel", "hidden_dims": [16, 16], "activation": "elu", "obs_normalization": True},
        "algorithm": {
            "class_name": "PPO",
            "num_learning_epochs": 2,
            "num_mini_batches": 2,
            "learning_rate": 1.0e-3,
            "schedule": "adaptive",
            "desired_kl": 0.01,
            "gamma": 0.99,
            "lam": 0.95,
            "entropy_coef": 0.01,
        },
    }
    cfg.update(overrides)
    return cfg
