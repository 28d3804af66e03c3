"""Turn term configs into callables: resolve ``func``, check ``params`` and resolve entity selections.

Used by every manager of the task (observations, rewards, terminations, events). A term's ``func`` may be a callable,
a plain name looked up in the manager's term module, or ``"package.module:attr"``; its ``params`` must be keyword
arguments of the function (checked here, with the valid names in the error). :class:`SceneEntityCfg` values in
``params`` are replaced by :class:`EntitySelection` objects holding the resolved joint/body indices.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from rsl_sim.tasks.assets.robot_cfg import resolve_names
from rsl_sim.tasks.mujoco.managers.term_cfg import SceneEntityCfg

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


def resolve_func(func: Callable[..., Any] | str, module: ModuleType, *, key: str) -> Callable[..., Any]:
    """Resolve a term function from a callable, a name in ``module`` or ``"package.module:attr"``.

    Args:
        func: The configured function.
        module: Module searched for plain names.
        key: Config path of the term, for error messages.

    Returns:
        The callable.

    Raises:
        ValueError: If the name cannot be resolved to a callable.
    """
    if callable(func):
        return func
    if not isinstance(func, str) or not func:
        raise ValueError(f"{key}.func must be a callable or a function name, got {func!r}.")
    if ":" in func:
        module_name, attr = func.split(":", 1)
        try:
            target = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as error:
            raise ValueError(f"{key}.func={func!r} cannot be imported: {error}.") from error
    else:
        terms = {
            name: value
            for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")
        }
        target = terms.get(func)
        if target is None:
            raise ValueError(f"{key}.func={func!r} is not a term of {module.__name__}; available: {sorted(terms)}.")
    if not callable(target):
        raise ValueError(f"{key}.func={func!r} resolves to {type(target).__name__}, not a callable.")
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
