"""The termination manager: done masks from the termination terms (Isaac Lab's ``TerminationManager``).

A term returns a bool mask ``[num_envs]``; terms configured with ``time_out=True`` truncate the episode (gymnasium's
``truncated``), the others terminate it (``terminated``). The manager remembers which terms ended each env's last
episode and logs ``Episode_Termination/<term>`` = share of all envs whose last episode ended by that term.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import ManagerBase
from rsl_sim.tasks.mujoco.managers.term_cfg import TerminationTermCfg

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


class TerminationManager(ManagerBase):
    """Evaluates the termination terms ``term(env, **params) -> bool [num_envs]``.

    Args:
        cfg: Termination terms by name (None entries are left out).
        env: The environment.

    Raises:
        ValueError: If a term cannot be resolved or its params do not match its function.
    """

    cfg_key = "terminations"
    term_module = "terminations"

    def __init__(self, cfg: dict[str, TerminationTermCfg | None], env: VelocityEnv) -> None:
        self._terms: list[tuple[str, Callable[..., np.ndarray], dict[str, Any], bool]] = []
        super().__init__(cfg, env)
        self.term_dones = np.zeros((env.num_envs, len(self._terms)), dtype=bool)
        self.last_episode_dones = np.zeros((env.num_envs, len(self._terms)), dtype=bool)
        self.terminated = np.zeros(env.num_envs, dtype=bool)
        self.time_outs = np.zeros(env.num_envs, dtype=bool)

    def _add_term(self, name: str, term: Any, func: Callable[..., Any], params: dict[str, Any], key: str) -> None:
        self._terms.append((name, func, params, bool(term.time_out)))

    def compute(self) -> tuple[np.ndarray, np.ndarray]:
        """Evaluate every term.

        Returns:
            ``(terminated, time_outs)``: bool masks ``[num_envs]``.
        """
        self.terminated = np.zeros(self.env.num_envs, dtype=bool)
        self.time_outs = np.zeros(self.env.num_envs, dtype=bool)
        for index, (_, func, params, is_time_out) in enumerate(self._terms):
            value = np.asarray(func(self.env, **params), dtype=bool)
            self.term_dones[:, index] = value
            if is_time_out:
                self.time_outs |= value
            else:
                self.terminated |= value
        # remember which terms ended each env's episode
        fired = self.term_dones.any(axis=1, keepdims=True)
        self.last_episode_dones = np.where(fired, self.term_dones, self.last_episode_dones)
        return self.terminated, self.time_outs

    def reset(self, env_ids: np.ndarray) -> dict[str, float]:
        """Report the share of envs whose last episode ended by each term.

        Args:
            env_ids: Environment indices ``[k]`` (the statistics cover all envs, as in Isaac Lab).

        Returns:
            ``Episode_Termination/<term>`` -> share in ``[0, 1]``.
        """
        shares = self.last_episode_dones.mean(axis=0)
        return {f"Episode_Termination/{name}": float(value) for name, value in zip(self.term_names, shares)}
