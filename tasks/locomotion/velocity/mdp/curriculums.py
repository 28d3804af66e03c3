"""Curriculum terms of the velocity task and the manager that runs them when envs reset.

Terms keep Isaac Lab's names (``isaaclab_tasks/core/velocity/mdp/curriculums.py``) and are called as
``term(env, env_ids, **params)`` at the start of a reset, before the robots are placed, so that the reset events read
the updated ``env.env_origins``. A term returns the value logged as ``Curriculum/<term name>``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import EntitySelection, check_params, resolve_func, resolve_params
from rsl_sim.tasks.mujoco.managers.term_cfg import CurriculumTermCfg

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


class CurriculumManager:
    """Runs the curriculum terms on the envs being reset and reports their values.

    Args:
        cfg: Curriculum terms by name (None entries are left out).
        env: The environment.

    Raises:
        ValueError: If a term cannot be resolved or its params do not match its function.
    """

    def __init__(self, cfg: dict[str, CurriculumTermCfg | None], env: VelocityEnv) -> None:
        self.env = env
        module = sys.modules[__name__]
        self._terms: list[tuple[str, Any, dict[str, Any]]] = []
        for name, term in cfg.items():
            if term is None:
                continue
            key = f"curriculum.{name}"
            func = resolve_func(term.func, module, key=key)
            check_params(func, term.params, key=key, skip=2)
            self._terms.append((name, func, resolve_params(env, term.params, key=key)))

    @property
    def term_names(self) -> list[str]:
        """Names of the active terms."""
        return [name for name, *_ in self._terms]

    def compute(self, env_ids: np.ndarray) -> dict[str, float]:
        """Run every term on some envs.

        Args:
            env_ids: Environment indices ``[k]`` being reset.

        Returns:
            ``Curriculum/<term>`` -> the term's value (terms returning None are not logged).
        """
        log: dict[str, float] = {}
        for name, func, params in self._terms:
            value = func(self.env, env_ids, **params)
            if value is not None:
                log[f"Curriculum/{name}"] = float(value)
        return log
