"""Turn term configs into callables, shared by the env's five managers (Isaac Lab's ``ManagerBase``).

:class:`ManagerBase` loads a manager's terms once (Isaac Lab's ``ManagerBase._prepare_terms``): for each configured term
it resolves ``func``, checks ``params`` against the function's signature and resolves entity selections; the managers
(observations, rewards, terminations, events, curriculum) only say what they keep of each term. A term's ``func`` may
be a callable, ``"package.module:attr"`` (resolved by :func:`rsl_sim.utils.callables.resolve_callable`, which refuses
anything but a function taking ``env``), or a plain name looked up in the task's MDP module for that kind of term
(``<cfg.mdp_module>.<term_module>``, e.g. ``rsl_sim.tasks.locomotion.velocity.mdp.rewards``). :class:`SceneEntityCfg`
values in ``params`` are replaced by :class:`EntitySelection` objects holding the resolved joint/body indices.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rsl_sim.tasks.assets.robot_cfg import resolve_names
from rsl_sim.tasks.mujoco.managers.term_cfg import SceneEntityCfg
from rsl_sim.utils.callables import function_with_parameters, resolve_callable

if TYPE_CHECKING:
    from rsl_sim.tasks.mujoco.envs.velocity_env import VelocityEnv


@dataclass
class EntitySelection:
    """A resolved :class:`SceneEntityCfg`: the entity and the selected joint/body indices.

    Attributes:
        name: Entity name (``"robot"``, ``"contact_forces"``).
        joint_ids: Indices into the robot's joints (public order), or ``slice(None)`` for all.
        body_ids: Indices into the entity's bodies, or ``slice(None)`` for all.
    """

    name: str
    joint_ids: np.ndarray | slice
    body_ids: np.ndarray | slice


def resolve_term_func(func: Callable[..., Any] | str, module_name: str | None, *, key: str) -> Callable[..., Any]:
    """Resolve a term function from a callable, ``"package.module:attr"`` or a plain name in ``module_name``.

    Args:
        func: The configured function.
        module_name: Module searched for plain names (the task's MDP module of this kind of term); None: plain names
            are refused.
        key: Config path of the term, for error messages.

    Returns:
        The callable.

    Raises:
        ValueError: If the name cannot be resolved to a term function (a qualified name must name a function with an
            ``env`` parameter; it is refused before anything calls it).
    """
    if callable(func):
        return func
    if not isinstance(func, str) or not func:
        raise ValueError(f"{key}.func must be a callable or a function name, got {func!r}.")
    if ":" in func or "." in func:
        try:
            return resolve_callable(func, function_with_parameters(("env",), "a term function"), key=f"{key}.func")
        except (ImportError, AttributeError, TypeError, ValueError) as error:
            raise ValueError(f"{key}.func={func!r} cannot be used: {error}") from error
    if module_name is None:
        raise ValueError(
            f"{key}.func={func!r}: plain term names need the env config's mdp_module; give 'package.module:{func}'."
        )
    module = importlib.import_module(module_name)
    terms = {
        name: value
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")
    }
    target = terms.get(func)
    if target is None:
        raise ValueError(f"{key}.func={func!r} is not a term of {module.__name__}; available: {sorted(terms)}.")
    return target


def check_params(func: Callable[..., Any], params: dict[str, Any], *, key: str, skip: int) -> None:
    """Check that ``params`` are keyword arguments of ``func`` and that none without default is missing.

    Args:
        func: The term function.
        params: The configured keyword arguments.
        key: Config path of the term, for error messages.
        skip: Number of leading positional parameters supplied by the manager (``env``, ``env_ids``).

    Raises:
        ValueError: For an unknown or a missing parameter.
    """
    parameters = list(inspect.signature(func).parameters.values())[skip:]
    names = {p.name for p in parameters}
    unknown = sorted(set(params) - names)
    if unknown:
        raise ValueError(f"{key}.params: unknown keys {unknown}; {func.__name__} takes {sorted(names)}.")
    missing = [p.name for p in parameters if p.default is inspect.Parameter.empty and p.name not in params]
    if missing:
        raise ValueError(f"{key}.params: missing {missing} (required by {func.__name__}).")


def resolve_params(env: VelocityEnv, params: dict[str, Any], *, key: str) -> dict[str, Any]:
    """Copy ``params`` with every :class:`SceneEntityCfg` replaced by its :class:`EntitySelection`.

    Args:
        env: The environment (provides the robot and the contact sensor).
        params: The configured keyword arguments.
        key: Config path of the term, for error messages.

    Returns:
        The resolved keyword arguments.

    Raises:
        ValueError: If an entity is unknown or a joint/body pattern matches nothing.
    """
    resolved = {}
    for name, value in params.items():
        if isinstance(value, SceneEntityCfg):
            value = _select(env, value, key=f"{key}.params.{name}")
        resolved[name] = value
    return resolved


def _select(env: VelocityEnv, cfg: SceneEntityCfg, *, key: str) -> EntitySelection:
    """Resolve one entity selection against the env's robot or contact sensor."""
    if cfg.name == "robot":
        body_names = env.robot.body_names
    elif cfg.name == "contact_forces":
        body_names = env.contact_sensor.body_names
    elif cfg.name in env.sensors:
        # ray sensors (height scanner, depth camera) have no joints or bodies to select
        if cfg.joint_names is not None or cfg.body_names is not None:
            raise ValueError(
                f"{key}: the sensor {cfg.name!r} has no joints or bodies; leave joint_names and body_names None."
            )
        return EntitySelection(name=cfg.name, joint_ids=slice(None), body_ids=slice(None))
    else:
        valid = sorted(["contact_forces", "robot", *env.sensors])
        raise ValueError(f"{key}: unknown entity {cfg.name!r}; valid: {valid} (sensors exist only when configured).")
    joint_ids: np.ndarray | slice = slice(None)
    if cfg.joint_names is not None:
        joint_ids = np.asarray(resolve_names(cfg.joint_names, env.robot.joint_names, key=f"{key}.joint_names"))
    body_ids: np.ndarray | slice = slice(None)
    if cfg.body_names is not None:
        body_ids = np.asarray(resolve_names(cfg.body_names, body_names, key=f"{key}.body_names"))
    return EntitySelection(name=cfg.name, joint_ids=joint_ids, body_ids=body_ids)


class ManagerBase:
    """Term loading shared by the managers (Isaac Lab's ``ManagerBase``): resolve, check and keep each term.

    A subclass names its config section (:attr:`cfg_key`, e.g. ``"rewards"``), the module of its plain term names
    inside the task's MDP package (:attr:`term_module`) and how many leading arguments the manager passes to a term
    (:attr:`num_leading_args`: ``env``, or ``env, env_ids``), and keeps what it needs of each term in
    :meth:`_add_term`.

    Args:
        cfg: Terms by name (None entries are left out).
        env: The environment (``env.cfg.mdp_module`` names the task's MDP package).

    Raises:
        ValueError: If a term cannot be resolved or its params do not match its function.
    """

    cfg_key: str = ""
    """Config section of the terms (``"rewards"``), the prefix of error messages."""

    term_module: str = ""
    """Module of the plain term names inside the task's MDP package (``"rewards"``)."""

    num_leading_args: int = 1
    """Positional arguments the manager passes before ``params`` (1: ``env``; 2: ``env, env_ids``)."""

    def __init__(self, cfg: dict[str, Any], env: VelocityEnv) -> None:
        self.cfg = cfg
        self.env = env
        self._prepare_terms(cfg)

    @property
    def term_names(self) -> list[str]:
        """Names of the active terms, in order."""
        return list(self._term_names)

    def _prepare_terms(self, cfg: dict[str, Any]) -> None:
        """Resolve every configured term and hand it to :meth:`_add_term` (None entries are left out)."""
        self._term_names: list[str] = []
        for name, term in cfg.items():
            if term is None:
                continue
            key = f"{self.cfg_key}.{name}"
            func, params = self._resolve_term(term, key)
            self._add_term(name, term, func, params, key)
            self._term_names.append(name)

    def _resolve_term(self, term: Any, key: str) -> tuple[Callable[..., Any], dict[str, Any]]:
        """The term's function and its resolved params, after checking them against the function's signature."""
        mdp_module = getattr(self.env.cfg, "mdp_module", None)
        module_name = f"{mdp_module}.{self.term_module}" if mdp_module else None
        func = resolve_term_func(term.func, module_name, key=key)
        check_params(func, term.params, key=key, skip=self.num_leading_args)
        return func, resolve_params(self.env, term.params, key=key)

    def _add_term(self, name: str, term: Any, func: Callable[..., Any], params: dict[str, Any], key: str) -> None:
        """Keep one resolved term (subclasses store what they evaluate)."""
        raise NotImplementedError
