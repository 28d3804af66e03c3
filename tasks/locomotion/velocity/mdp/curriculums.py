"""Curriculum terms of the velocity task, run by the env's curriculum manager when envs reset.

Terms keep Isaac Lab's names (``isaaclab_tasks/core/velocity/mdp/curriculums.py``) and are called as
``term(env, env_ids, **params)`` at the start of a reset, before the robots are placed, so that the reset events read
the updated ``env.env_origins``. A term returns the value logged as ``Curriculum/<term name>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import EntitySelection

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


def terrain_levels_vel(env: VelocityEnv, env_ids: np.ndarray, asset_cfg: EntitySelection | None = None) -> float:
    """Move robots up or down the terrain levels by how far they walked (Isaac Lab's ``terrain_levels_vel``).

    A robot that ends its episode farther than half a sub-terrain from its env origin moves one level up; one that
    walked less than half of the distance its ``base_velocity`` command asked for (``|v*_xy| * episode_length_s / 2``)
    moves one level down. Needs the height-field terrain (``scene.terrain.terrain_type = "generator"``). The robot is
    the only asset (``asset_cfg`` is accepted for Isaac Lab compatibility).

    Returns:
        The mean terrain level over all envs.

    Raises:
        ValueError: If the env has no terrain curriculum (plane terrain).
    """
    curriculum = env.terrain_curriculum
    if curriculum is None:
        raise ValueError("terrain_levels_vel needs scene.terrain.terrain_type='generator'; set curriculum to None.")
    distance = np.linalg.norm(env.robot.root_pos_w[env_ids, :2] - env.env_origins[env_ids, :2], axis=1)
    command = env.command_manager["base_velocity"].command[env_ids, :2]
    commanded = np.linalg.norm(command, axis=1) * env.max_episode_length_s
    curriculum.update(env_ids, distance, commanded)
    return curriculum.mean_level
