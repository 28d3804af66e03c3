"""The event manager: runs the event terms by mode (Isaac Lab's ``EventManager``).

Terms are called as ``term(env, env_ids, **params)``. Modes: ``"startup"`` runs once when the env is built (and when
``reset`` is given a new seed), ``"reset"`` on every episode reset, ``"interval"`` every ``interval_range_s`` seconds of
episode time per env (the timer restarts with each episode). Terms that change the model's mass properties are marked
with :func:`changes_model_constants`; after they run on reset the manager recomputes those envs' derived constants
(``mj_setConst``), after the startup terms it does so for every env.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from rsl_sim.tasks.mujoco.managers.manager_base import ManagerBase
from rsl_sim.tasks.mujoco.managers.term_cfg import EventTermCfg

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv

MODES = ("startup", "reset", "interval")
"""Event modes, in the order the env runs them."""

_Func = TypeVar("_Func", bound=Callable[..., Any])


def changes_model_constants(func: _Func) -> _Func:
    """Mark an event term that writes model fields with derived constants (body masses, inertias, centres of mass).

    The event manager calls ``sim.set_const`` for the reset envs after such a term ran on reset.
    """
    func.changes_model_constants = True  # type: ignore[attr-defined]
    return func


class EventManager(ManagerBase):
    """Schedules the event terms by mode.

    Args:
        cfg: Event terms by name (None entries are left out).
        env: The environment.

    Raises:
        ValueError: For an unknown mode, an interval term without ``interval_range_s``, or a term that cannot be
            resolved.
    """

    cfg_key = "events"
    term_module = "events"
    num_leading_args = 2

    def __init__(self, cfg: dict[str, EventTermCfg | None], env: VelocityEnv) -> None:
        self._terms: dict[str, list[tuple[str, Callable[..., Any], dict[str, Any], EventTermCfg]]] = {
            mode: [] for mode in MODES
        }
        super().__init__(cfg, env)
        self._time_left = [self._sample_interval(term, env.num_envs) for *_, term in self._terms["interval"]]

    def _resolve_term(self, term: Any, key: str) -> tuple[Callable[..., Any], dict[str, Any]]:
        # the mode first: it decides when the term runs
        if term.mode not in MODES:
            raise ValueError(f"{key}.mode={term.mode!r}; valid: {list(MODES)}.")
        if term.mode == "interval" and term.interval_range_s is None:
            raise ValueError(f"{key}: mode 'interval' needs interval_range_s=(min, max) in seconds.")
        return super()._resolve_term(term, key)

    def _add_term(self, name: str, term: Any, func: Callable[..., Any], params: dict[str, Any], key: str) -> None:
        self._terms[term.mode].append((name, func, params, term))

    def apply_startup(self) -> None:
        """Run the startup terms on every env, then recompute the model constants."""
        env_ids = np.arange(self.env.num_envs)
        for _, func, params, _ in self._terms["startup"]:
            func(self.env, env_ids, **params)
        self.env.sim.set_const()

    def apply_reset(self, env_ids: np.ndarray) -> None:
        """Run the reset terms on some envs.

        Args:
            env_ids: Environment indices ``[k]``.
        """
        changed_model = False
        for _, func, params, _ in self._terms["reset"]:
            func(self.env, env_ids, **params)
            changed_model |= getattr(func, "changes_model_constants", False)
        if changed_model:
            self.env.sim.set_const(env_ids)

    def apply_interval(self, dt: float) -> bool:
        """Advance the interval timers by ``dt`` and run the terms of the envs whose timer expired.

        Args:
            dt: Env step [s].

        Returns:
            Whether any term ran.
        """
        ran = False
        for index, (_, func, params, term) in enumerate(self._terms["interval"]):
            time_left = self._time_left[index]
            time_left -= dt
            env_ids = np.flatnonzero(time_left < 1e-6)
            if env_ids.size == 0:
                continue
            time_left[env_ids] = self._sample_interval(term, env_ids.size)
            func(self.env, env_ids, **params)
            ran = True
        return ran

    def reset(self, env_ids: np.ndarray) -> None:
        """Restart the interval timers of some envs (a new episode).

        Args:
            env_ids: Environment indices ``[k]``.
        """
        for index, (*_, term) in enumerate(self._terms["interval"]):
            self._time_left[index][env_ids] = self._sample_interval(term, len(env_ids))

    def _sample_interval(self, term: EventTermCfg, count: int) -> np.ndarray:
        """Draw ``count`` times until the next interval event [s]."""
        low, high = term.interval_range_s
        return low + (high - low) * self.env.rng.random(count)
