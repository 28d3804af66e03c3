"""The reward manager: weighted sum of the reward terms, with per-term episode sums (Isaac Lab's ``RewardManager``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import ManagerBase
from rsl_sim.tasks.mujoco.managers.term_cfg import RewardTermCfg

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


class RewardManager(ManagerBase):
    """Weighted sum of the reward terms ``term(env, **params) -> [num_envs]``, with per-term episode sums for logging.

    Args:
        cfg: Reward terms by name (None entries are left out).
        env: The environment.

    Raises:
        ValueError: If a term cannot be resolved or its params do not match its function.
    """

    cfg_key = "rewards"
    term_module = "rewards"

    def __init__(self, cfg: dict[str, RewardTermCfg | None], env: VelocityEnv) -> None:
        self._terms: list[tuple[str, Callable[..., np.ndarray], dict[str, Any], float]] = []
        super().__init__(cfg, env)
        self.episode_sums = np.zeros((env.num_envs, len(self._terms)))
        self.step_reward = np.zeros((env.num_envs, len(self._terms)))

    def _add_term(self, name: str, term: Any, func: Callable[..., Any], params: dict[str, Any], key: str) -> None:
        self._terms.append((name, func, params, float(term.weight)))

    def compute(self, dt: float) -> np.ndarray:
        """Evaluate the terms and return the step reward.

        Args:
            dt: Env step [s] (the terms are rates per second).

        Returns:
            Rewards ``[num_envs]``.
        """
        for index, (_, func, params, weight) in enumerate(self._terms):
            if weight == 0.0:
                self.step_reward[:, index] = 0.0
                continue
            self.step_reward[:, index] = weight * func(self.env, **params)
        self.episode_sums += self.step_reward * dt
        return self.step_reward.sum(axis=1) * dt

    def reset(self, env_ids: np.ndarray) -> dict[str, float]:
        """Report and clear the episode sums of some envs.

        Args:
            env_ids: Environment indices ``[k]``.

        Returns:
            ``Episode_Reward/<term>`` -> mean over ``env_ids`` of episode sum / ``max_episode_length_s``.
        """
        means = self.episode_sums[env_ids].mean(axis=0) / self.env.max_episode_length_s
        self.episode_sums[env_ids] = 0.0
        return {f"Episode_Reward/{name}": float(value) for name, value in zip(self.term_names, means)}
