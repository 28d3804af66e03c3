"""The random toy task shared by the PPO tests: a ``VecEnv`` with random observations and fixed-length episodes, a
small PPO train config, and one rollout as the runner collects it (import with ``from random_env import ...``)."""

from __future__ import annotations

import copy

import torch
from tensordict import TensorDict

from rsl_sim.algorithms import PPO
from rsl_sim.env import VecEnv
from rsl_sim.modules.linear import use_onednn_linear

NUM_ENVS = 6
NUM_STEPS = 5
NUM_ACTIONS = 2
GAMMA = 0.99


class RandomEnv(VecEnv):
    """Random observations (non-zero mean, so normalizers matter), reward favouring small actions, fixed-length
    episodes ending in time-outs; optionally hands over the pre-reset observations as ``final_observation``."""

    def __init__(self, num_envs: int = NUM_ENVS, seed: int = 0, final_observation: bool = False) -> None:
        self.num_envs = num_envs
        self.num_actions = NUM_ACTIONS
        self.max_episode_length = 3
        self.device = "cpu"
        self.cfg = {}
        self.final_observation = final_observation
        self.episode_length_buf = torch.arange(num_envs) % self.max_episode_length
        self.generator = torch.Generator().manual_seed(seed)
        self.obs = self._sample()

    def _sample(self) -> TensorDict:
        policy = 3.0 + 2.0 * torch.randn(self.num_envs, 3, generator=self.generator)
        critic = torch.randn(self.num_envs, 2, generator=self.generator)
        return TensorDict({"policy": policy, "critic": critic}, batch_size=[self.num_envs])

    def get_observations(self) -> TensorDict:
        return self.obs

    def step(self, actions: torch.Tensor):
        rewards = -(actions**2).sum(dim=-1) + self.obs["policy"][:, 0]
        self.episode_length_buf += 1
        dones = self.episode_length_buf >= self.max_episode_length
        self.episode_length_buf[dones] = 0
        final = self._sample()
        self.obs = final.clone()
        self.obs[dones] = self._sample()[dones]
        extras = {"time_outs": dones.clone()}
        if self.final_observation:
            extras["final_observation"] = final
        return self.obs, rewards, dones.long(), extras


def make_cfg(recurrent: bool = False, **algorithm) -> dict:
    """Train config with small models; ``algorithm`` entries override the PPO defaults."""
    model = {"class_name": "MLPModel", "hidden_dims": [16, 16], "activation": "elu", "obs_normalization": True}
    if recurrent:
        model = {**model, "class_name": "RNNModel", "hidden_dims": [16], "rnn_type": "lstm", "rnn_hidden_dim": 8}
    critic = copy.deepcopy(model)
    if recurrent:
        critic["rnn_type"] = "gru"
    return {
        "num_steps_per_env": NUM_STEPS,
        "obs_groups": {"actor": ["policy"], "critic": ["policy", "critic"]},
        "actor": {**model, "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0}},
        "critic": critic,
        "algorithm": {"class_name": "PPO", "num_learning_epochs": 2, "num_mini_batches": 2, **algorithm},
    }


def make_alg(cfg: dict | None = None, env: RandomEnv | None = None, seed: int = 0) -> tuple[PPO, RandomEnv]:
    torch.manual_seed(seed)
    env = env if env is not None else RandomEnv()
    alg = PPO.construct_algorithm(env.get_observations(), env, cfg if cfg is not None else make_cfg(), "cpu")
    alg.train_mode()
    return alg, env


def collect(alg: PPO, env: RandomEnv) -> None:
    """One rollout and the return computation, as the runner does it."""
    obs = env.get_observations()
    with torch.inference_mode():
        for _ in range(NUM_STEPS):
            actions = alg.act(obs)
            obs, rewards, dones, extras = env.step(actions)
            alg.process_env_step(obs, rewards, dones, extras)
        alg.compute_returns(obs)


def first_updates(reference_ppo: type, cfg: dict, num_envs: int = NUM_ENVS, onednn: bool = False) -> list[tuple]:
    """One rollout and update from the same seed with rsl-rl-lib's PPO class and with rsl_sim's.

    Returns:
        ``[(losses, learning_rate, actor_parameters)]`` for the reference, then for rsl_sim.
    """
    results = []
    for ppo_class in (reference_ppo, PPO):
        torch.manual_seed(0)
        env = RandomEnv(num_envs=num_envs)
        with use_onednn_linear(onednn):
            alg = ppo_class.construct_algorithm(env.get_observations(), env, copy.deepcopy(cfg), "cpu")
            alg.train_mode()
            collect(alg, env)
            losses = alg.update()
        params = torch.cat([p.detach().flatten() for p in alg.actor.parameters()])
        results.append((losses, alg.learning_rate, params))
    return results
