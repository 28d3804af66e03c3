"""The curriculum manager: runs the curriculum terms on the envs being reset (Isaac Lab's ``CurriculumManager``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import ManagerBase
from rsl_sim.tasks.mujoco.managers.term_cfg import CurriculumTermCfg

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


class CurriculumManager(ManagerBase):
    """Runs the curriculum terms ``term(env, env_ids, **params) -> float | None`` and reports their values.

    Args:
        cfg: Curriculum terms by name (None entries are left out).
        env: The environment.

    Raises:
        ValueError: If a term cannot be resolved or its params do not match its function.
    """

    cfg_key = "curriculum"
    term_module = "curriculums"
    num_leading_args = 2

    def __init__(self, cfg: dict[str, CurriculumTermCfg | None], env: VelocityEnv) -> None:
        self._terms: list[tuple[str, Callable[..., Any], dict[str, Any]]] = []
        super().__init__(cfg, env)

    def _add_term(self, name: str, term: Any, func: Callable[..., Any], params: dict[str, Any], key: str) -> None:
        self._terms.append((name, func, params))

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
