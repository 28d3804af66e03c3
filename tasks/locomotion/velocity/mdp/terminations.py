"""Termination terms of the velocity task and the manager that combines them.

A term returns a bool mask ``[num_envs]``; terms configured with ``time_out=True`` truncate the episode (gymnasium's
``truncated``), the others terminate it (``terminated``). As Isaac Lab's ``TerminationManager``, the manager remembers
which terms ended each env's last episode and logs ``Episode_Termination/<term>`` = share of all envs whose last
episode ended by that term.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import EntitySelection, check_params, resolve_func, resolve_params
from rsl_sim.tasks.mujoco.managers.term_cfg import TerminationTermCfg

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


def time_out(env: VelocityEnv) -> np.ndarray:
    """Episode length reached the limit (``episode_length_buf >= max_episode_length``)."""
    return env.episode_length_buf >= env.max_episode_length


def illegal_contact(env: VelocityEnv, threshold: float, sensor_cfg: EntitySelection) -> np.ndarray:
    """A selected body's contact force exceeded ``threshold`` [N] during the force history."""
    forces = env.contact_sensor.net_forces_w_history[:, :, sensor_cfg.body_ids]
    return np.any(np.max(np.linalg.norm(forces, axis=-1), axis=1) > threshold, axis=1)


def bad_orientation(env: VelocityEnv, limit_angle: float) -> np.ndarray:
    """The base tilted more than ``limit_angle`` [rad] from upright."""
    return np.arccos(np.clip(-env.robot.projected_gravity_b[:, 2], -1.0, 1.0)) > limit_angle


def root_height_below_minimum(env: VelocityEnv, minimum_height: float) -> np.ndarray:
    """The base fell below ``minimum_height`` [m] (world frame)."""
    return env.robot.root_pos_w[:, 2] < minimum_height


class TerminationManager:
    """Evaluates the termination terms.

    Args:
        cfg: Termination terms by name (None entries are left out).
        env: The environment.

    Raises:
        ValueError: If a term cannot be resolved or its params do not match its function.
    """

    def __init__(self, cfg: dict[str, TerminationTermCfg | None], env: VelocityEnv) -> None:
        self.env = env
        module = sys.modules[__name__]
        self._terms: list[tuple[str, Any, dict[str, Any], bool]] = []
        for name, term in cfg.items():
            if term is None:
                continue
            key = f"terminations.{name}"
            func = resolve_func(term.func, module, key=key)
            check_params(func, term.params, key=key, skip=1)
            self._terms.append((name, func, resolve_params(env, term.params, key=key), bool(term.time_out)))
        self.term_names = [name for name, *_ in self._terms]
        self.term_dones = np.zeros((env.num_envs, len(self._terms)), dtype=bool)
        self.last_episode_dones = np.zeros((env.num_envs, len(self._terms)), dtype=bool)
        self.terminated = np.zeros(env.num_envs, dtype=bool)
        self.time_outs = np.zeros(env.num_envs, dtype=bool)

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
