"""The complete state of a batched MuJoCo env, saved with a checkpoint so that a resumed run is the same run.

:func:`get_env_state` collects, as checkpoint data (tensors, numbers, strings, lists, dicts):

- ``"physics"``: every simulation's MuJoCo integration state row (``mjSTATE_INTEGRATION``: time, ``qpos``, ``qvel``,
  actuator activations, solver warm start, controls, applied forces, ...) and every model field given
  per-simulation values (friction, masses, inertias, centres of mass set by the randomization events, and the
  constants MuJoCo derived from them);
- ``"components"``: the Python side of the MDP, found by walking the env's attributes through its component objects
  (robot data, sensors, action term, command, event, reward, termination and curriculum managers; configs, the
  MuJoCo model and the terrain are not walked): every numpy array whose first dimension is ``num_envs`` (per-env
  state: command timers and targets, last actions, contact histories, air times, episode sums, episode lengths,
  event timers, terrain levels, observation buffers, ...), every numpy random generator (its bit generator state),
  and every number held directly by a component (step counters);
- ``"num_envs"``, ``"config_digest"`` (SHA-256 of the config's ``repr``) and ``"terrain_digest"`` (SHA-256 of the
  height field), to refuse a state of another number of envs, of another config (the state holds values derived from
  the config, such as time steps and limits) or of another terrain (built from the seed: resume with the run's seed).

:func:`set_env_state` writes it back in place (arrays are copied into the existing ones, so that views of the
simulation's rows and arrays shared between components stay shared). The env must be built from the same config.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from mujoco import batch as mj_batch

__all__ = ["get_env_state", "set_env_state"]

# Attributes that are configuration, simulator handles or constants rebuilt from the config and seed
_SKIPPED_ATTRIBUTES = frozenset({"cfg", "env", "model", "sim", "spec", "terrain_generator", "_viewer", "entry_points"})
_PACKAGE = "rsl_sim.tasks."


def get_env_state(env: Any) -> dict[str, Any]:
    """Capture the env's state (see the module docstring).

    Args:
        env: A batched MuJoCo env with ``num_envs`` and ``sim`` (a ``BatchedMujocoSim``), e.g. ``VelocityEnv``.

    Returns:
        Checkpoint data, loadable with ``torch.load(weights_only=True)``.
    """
    batch = env.sim.batch
    fields = {name: torch.from_numpy(np.array(batch.expanded(name))) for name in _expanded_fields(batch)}
    components: dict[str, Any] = {}
    for path, value, _ in _leaves(env, env.num_envs):
        if isinstance(value, np.random.Generator):
            components[path] = {"bit_generator_state": value.bit_generator.state}
        elif isinstance(value, np.ndarray):
            components[path] = torch.from_numpy(np.array(value))
        else:
            components[path] = value.item() if isinstance(value, np.generic) else value
    return {
        "num_envs": int(env.num_envs),
        "config_digest": _config_digest(env),
        "terrain_digest": _terrain_digest(env),
        "physics": {"state": torch.from_numpy(np.array(batch.state)), "model_fields": fields},
        "components": components,
    }


def set_env_state(env: Any, state: dict[str, Any]) -> None:
    """Restore :func:`get_env_state` into an env built from the same config.

    Args:
        env: The env.
        state: The captured state.

    Raises:
        ValueError: If the state belongs to another number of envs or another make-up of the env (different
            components, array shapes or simulation state size); nothing is changed then.
    """
    if state.get("num_envs") != env.num_envs:
        raise ValueError(f"the saved env state has {state.get('num_envs')} envs, this env has {env.num_envs}.")
    if state.get("config_digest") != _config_digest(env):
        raise ValueError(
            "the saved env state belongs to another env config (the config differs from the saved run's); an env"
            " built from a changed config starts from its own reset."
        )
    if state.get("terrain_digest") != _terrain_digest(env):
        raise ValueError(
            "the saved env state belongs to another terrain: this env's height field differs (the terrain is"
            " generated from the seed; build the env with the seed of the saved run)."
        )
    batch = env.sim.batch
    physics, saved = state["physics"], state["components"]
    current = {path: (value, setter) for path, value, setter in _leaves(env, env.num_envs)}

    # Check everything before writing anything
    if tuple(physics["state"].shape) != tuple(batch.state.shape):
        raise ValueError(
            f"the saved simulation state rows have shape {tuple(physics['state'].shape)}, this env's"
            f" {tuple(batch.state.shape)}: the env was built from another model."
        )
    missing, unexpected = sorted(set(current) - set(saved)), sorted(set(saved) - set(current))
    mismatched = [
        path
        for path, (value, _) in current.items()
        if path in saved and isinstance(value, np.ndarray) and tuple(saved[path].shape) != value.shape
    ]
    if missing or unexpected or mismatched:
        raise ValueError(
            "the saved env state does not fit this env (built from another config?): "
            f"missing {missing[:5]}, unexpected {unexpected[:5]}, other shapes {mismatched[:5]}."
        )

    # Physics: state rows and per-simulation model fields
    batch.state[...] = physics["state"].numpy()
    for name, values in physics["model_fields"].items():
        batch.expand(name)[...] = values.numpy()

    # Python side: arrays in place, generators' states, numbers through their owner
    for path, (value, setter) in current.items():
        stored = saved[path]
        if isinstance(value, np.random.Generator):
            value.bit_generator.state = stored["bit_generator_state"]
        elif isinstance(value, np.ndarray):
            np.copyto(value, stored.numpy(), casting="unsafe")
        else:
            setter(type(value)(stored))  # keep the number's type (a numpy float32 stays one)

    # Divergence bookkeeping counts warnings from now on (the counters of this process start afresh)
    env.sim._warning_seen = env.sim._warning_counts()


def _config_digest(env: Any) -> str:
    """SHA-256 of the config's ``repr`` (object addresses removed, so that it is the same in every process)."""
    return hashlib.sha256(re.sub(r" at 0x[0-9a-fA-F]+", "", repr(env.cfg)).encode()).hexdigest()


def _terrain_digest(env: Any) -> str:
    """SHA-256 of the model's height field data (the empty string's for a plane)."""
    return hashlib.sha256(np.ascontiguousarray(env.model.hfield_data).tobytes()).hexdigest()


def _expanded_fields(batch: mj_batch.Batch) -> list[str]:
    """Model fields that have per-simulation values in this batch."""
    return [name for name in sorted(mj_batch.MODEL_FIELDS) if batch.expanded(name) is not None]


def _leaves(env: Any, num_envs: int) -> Iterator[tuple[str, Any, Any]]:
    """``(path, value, setter)`` of every state leaf of the env, in a fixed order (see the module docstring).

    ``setter`` replaces a number held as an attribute; arrays and generators are changed in place (setter None).
    """
    seen: set[int] = set()

    def walk(obj: Any, path: str, owner: Any = None, name: str | None = None) -> Iterator[tuple[str, Any, Any]]:
        if isinstance(obj, np.random.Generator):
            if id(obj) not in seen:
                seen.add(id(obj))
                yield path, obj, None
        elif isinstance(obj, np.ndarray):
            if obj.ndim > 0 and obj.shape[0] == num_envs and obj.dtype != object and obj.flags.writeable:
                if id(obj) not in seen:
                    seen.add(id(obj))
                    yield path, obj, None
        elif isinstance(obj, (bool, int, float, np.number)) and owner is not None:
            yield path, obj, lambda value, owner=owner, name=name: setattr(owner, name, value)
        elif isinstance(obj, dict):
            for key, item in obj.items():
                yield from walk(item, f"{path}[{key}]")
        elif isinstance(obj, (list, tuple)):
            for index, item in enumerate(obj):
                yield from walk(item, f"{path}[{index}]")
        elif _is_component(obj) and id(obj) not in seen:
            seen.add(id(obj))
            for attribute, item in vars(obj).items():
                if attribute not in _SKIPPED_ATTRIBUTES:
                    yield from walk(item, f"{path}.{attribute}" if path else attribute, obj, attribute)

    yield from walk(env, "")


def _is_component(obj: Any) -> bool:
    """An object of the task package (a manager, term, sensor, ...) that is not a config dataclass."""
    return (
        hasattr(obj, "__dict__")
        and type(obj).__module__.startswith(_PACKAGE)
        and not dataclasses.is_dataclass(obj)
        and not isinstance(obj, type)
    )
