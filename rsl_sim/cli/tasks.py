"""The task registry as the command line sees it: gymnasium ids, their agent and env config entry points.

A task is a gymnasium id. rsl_sim's tasks (``RslSim/*``) register on ``import rsl_sim.tasks``; Isaac Lab's register on
``import isaaclab_tasks`` (only tried when ``isaaclab`` is installed). Registration kwargs ending in
``cfg_entry_point`` name configs as ``"package.module:NAME"``:

- ``cfg_entry_point`` (rsl_sim) / ``env_cfg_entry_point`` (Isaac Lab): the env config;
- every other ``*_cfg_entry_point``: an agent config, chosen with ``--agent <kwarg>``. Without ``--agent`` the first
  registered of :data:`AGENT_CFG_ENTRY_POINTS` is used, and plain gymnasium ids get the built-in PPO config.

An entry point may give a dict, a function returning one, a config class (instantiated) or a config object (a
dataclass or an Isaac Lab configclass, turned into a dict with Isaac Lab's field migrations).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import importlib
import importlib.util
from typing import Any

from rsl_sim.utils.callables import resolve_object

from .default_agent import default_ppo_cfg
from .errors import CliError, from_import_error, missing_dependency

AGENT_CFG_ENTRY_POINTS = ("rsl_sim_agent_cfg_entry_point", "rsl_rl_cfg_entry_point")
"""Registration kwargs naming a task's default agent config, in order of preference."""

ENV_CFG_ENTRY_POINTS = ("cfg_entry_point", "env_cfg_entry_point")
"""Registration kwargs naming a task's env config (rsl_sim, Isaac Lab)."""

AGENT_CFG_PREFIXES = ("rsl_sim_", "rsl_rl_")
"""Registration kwargs naming agent configs this CLI can run start with one of these."""

TEACHER_CFG_ENTRY_POINT = "rsl_sim_teacher_cfg_entry_point"
"""Registration kwarg naming the PPO config of a distillation task's teacher (used by ``rsl-sim distill``)."""

DISTILLATION_CFG_ENTRY_POINTS = ("rsl_sim_distillation_cfg_entry_point", "rsl_rl_distillation_cfg_entry_point")
"""Registration kwargs naming a task's distillation config, in order of preference."""

EVALUATION_ENTRY_POINT = "rsl_sim_evaluation_entry_point"
"""Registration kwarg naming a task's evaluation function (used by ``rsl-sim evaluate`` and ``play --evaluate``)."""

VIDEO_ENTRY_POINT = "rsl_sim_video_entry_point"
"""Registration kwarg naming a task's command-pinned video function (used by ``rsl-sim play --video_command``)."""

PRETRAINED_CHECKPOINT = "rsl_sim_pretrained_checkpoint"
"""Registration kwarg naming the run folder of a task's shipped policy as ``"package.module:relative/folder"``
(used by ``--use_pretrained_checkpoint``, see :mod:`rsl_sim.cli.pretrained`)."""


def register_tasks(include_isaaclab: bool = False) -> None:
    """Import the packages that register tasks: ``rsl_sim.tasks`` always, ``isaaclab_tasks`` on request if installed."""
    importlib.import_module("rsl_sim.tasks")
    if include_isaaclab and isaaclab_available():
        importlib.import_module("isaaclab_tasks")


def isaaclab_available() -> bool:
    """Whether Isaac Lab (a real ``isaaclab`` package, not a namespace folder) can be imported."""
    spec = importlib.util.find_spec("isaaclab")
    return spec is not None and spec.origin not in (None, "namespace")


def get_spec(task: str) -> Any:
    """The gymnasium ``EnvSpec`` of ``task`` (registering rsl_sim's, and Isaac Lab's when needed, first).

    Raises:
        CliError: If the id is not registered (with the closest registered ids), or names an Isaac Lab task while
            Isaac Lab is not installed.
    """
    import gymnasium as gym

    register_tasks()
    if task not in gym.registry and task.startswith("Isaac"):
        if not isaaclab_available():
            raise missing_dependency("isaaclab", f"the Isaac Lab task '{task}'")
        register_tasks(include_isaaclab=True)
    if task not in gym.registry:
        close = difflib.get_close_matches(task, list(gym.registry), n=3, cutoff=0.75)
        hint = f" Did you mean {close}?" if close else ""
        raise CliError(f"unknown task '{task}'.{hint} Run 'rsl-sim list' (or 'rsl-sim list --all') to see the tasks.")
    return gym.spec(task)


def is_isaaclab_task(spec: Any) -> bool:
    """Whether the spec is an Isaac Lab task (registered with an ``env_cfg_entry_point``)."""
    return "env_cfg_entry_point" in spec.kwargs


def agent_entry_points(spec: Any) -> dict[str, Any]:
    """The RSL-RL / rsl_sim agent config entry points registered with a task (kwarg name -> entry point).

    Entry points of other learning libraries that Isaac Lab registers (``skrl_cfg_entry_point``, ...) are left out.
    """
    return {
        key: value
        for key, value in spec.kwargs.items()
        if key.endswith("cfg_entry_point") and key.startswith(AGENT_CFG_PREFIXES)
    }


def env_cfg_entry_point(spec: Any) -> Any:
    """The env config entry point of a task, or None (plain gymnasium ids)."""
    for key in ENV_CFG_ENTRY_POINTS:
        if spec.kwargs.get(key) is not None:
            return spec.kwargs[key]
    return None


def load_agent_cfg(task: str, agent: str | None = None) -> dict[str, Any]:
    """The agent config of ``task`` as a new plain dict.

    Args:
        task: A gymnasium id.
        agent: A registration kwarg of the task (Isaac Lab's ``--agent``, e.g.
            ``rsl_sim_with_symmetry_cfg_entry_point``) or an entry point ``"package.module:NAME"``; None: the
            task's default (see the module docstring).

    Raises:
        CliError: For an unknown task, an agent entry point the task does not register, or an entry point that
            cannot be imported or gives no config.
    """
    spec = get_spec(task)
    entries = agent_entry_points(spec)
    if agent is not None:
        if agent in entries:
            return load_config(entries[agent], source=f"{agent} of {task}")
        if ":" in agent:
            return load_config(agent, source=agent)
        raise CliError(
            f"task '{task}' registers no agent config '{agent}'. Registered: {sorted(entries) or 'none'}; or pass an"
            " entry point 'package.module:NAME'."
        )
    for key in AGENT_CFG_ENTRY_POINTS:
        if entries.get(key) is not None:
            return load_config(entries[key], source=f"{key} of {task}")
    return default_ppo_cfg(task)


def load_env_cfg(task: str) -> Any:
    """A new env config object of ``task`` (from its ``cfg_entry_point``), or None when the task has none."""
    spec = get_spec(task)
    entry = env_cfg_entry_point(spec)
    if entry is None:
        return None
    obj = load_entry_point(entry, source=f"the env config of {task}")
    return obj() if isinstance(obj, type) or callable(obj) and not dataclasses.is_dataclass(obj) else copy.deepcopy(obj)


def load_entry_point(entry: Any, source: str) -> Any:
    """Import ``"package.module:NAME"`` (other values are returned as they are).

    Raises:
        CliError: If the module or the name cannot be imported.
    """
    if not isinstance(entry, str):
        return entry
    try:
        return resolve_object(entry)
    except ImportError as error:
        raise from_import_error(error, source) or CliError(f"cannot import {entry!r} ({source}): {error}.") from error
    except (AttributeError, ValueError) as error:
        raise CliError(f"cannot import {entry!r} ({source}): {error}.") from error


def task_function(task: str, kwarg: str, purpose: str) -> Any:
    """The function a task registers under ``kwarg`` (e.g. :data:`EVALUATION_ENTRY_POINT`), imported.

    Args:
        task: The task id.
        kwarg: The registration kwarg naming the function as ``"package.module:NAME"``.
        purpose: What the caller does with it, for the error message (e.g. ``"evaluate"``).

    Raises:
        CliError: If the task registers no such function, or it cannot be imported or is not callable.
    """
    entry = get_spec(task).kwargs.get(kwarg)
    if entry is None:
        raise CliError(
            f"{purpose} is not available for task '{task}': its registration names no {kwarg} (rsl_sim's velocity"
            " tasks do; see 'rsl-sim list')."
        )
    func = load_entry_point(entry, source=f"the {kwarg} of {task}")
    if not callable(func):
        raise CliError(f"the {kwarg} of {task} ({entry!r}) is a {type(func).__name__}, not a function.")
    return func


def load_config(entry: Any, source: str) -> dict[str, Any]:
    """An agent config dict from an entry point (dict, function, config class or config object).

    Raises:
        CliError: If the entry point cannot be imported or gives something that is not a config.
    """
    obj = load_entry_point(entry, source)
    if isinstance(obj, type) or (callable(obj) and not dataclasses.is_dataclass(obj) and not isinstance(obj, dict)):
        obj = obj()
    if isinstance(obj, dict):
        return copy.deepcopy(obj)
    if callable(getattr(obj, "to_dict", None)):
        from rsl_sim.wrappers.isaaclab_cfg import agent_cfg_to_dict

        return agent_cfg_to_dict(obj)
    if dataclasses.is_dataclass(obj):
        return dataclasses.asdict(obj)
    raise CliError(f"the agent config from {source} is a {type(obj).__name__}, not a dict or config object.")
