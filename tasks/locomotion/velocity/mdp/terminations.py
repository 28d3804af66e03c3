"""Termination terms of the velocity task (combined by the env's termination manager).

A term returns a bool mask ``[num_envs]``; terms configured with ``time_out=True`` truncate the episode (gymnasium's
``truncated``), the others terminate it (``terminated``). As Isaac Lab's ``TerminationManager``, the manager remembers
which terms ended each env's last episode and logs ``Episode_Termination/<term>`` = share of all envs whose last
episode ended by that term.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import EntitySelection

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


def time_out(env: VelocityEnv) -> np.ndarray:
    """Episode length reached the limit (``episode_length_buf >= max_episode_length``)."""
    return env.episode_length_buf >= env.max_episode_length


def illegal_contact(env: VelocityEnv, threshold: float, sensor_cfg: EntitySelection) -> np.ndarray:
    """A selected body's contact force exceeded ``threshold`` [N] during the force history."""
    forces = env.contact_sensor.net_forces_w_history[:, :, sensor_cfg.body_ids]
    return np.any(np.max(np.linalg.norm(forces, axis=-1), axis=1) > threshold, axis=1)
