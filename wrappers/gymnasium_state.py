"""Saving and restoring the state of a gymnasium vector env, for resumes that continue the same run.

Two kinds of env can give their state:

- a vector env whose class has a ``get_env_state()`` / ``set_env_state(state)`` pair (the rsl_sim MuJoCo tasks'
  :class:`~rsl_sim.tasks.mujoco.envs.velocity_env.VelocityEnv`); under a vector wrapper, the wrapper's class must have
  them (it may hold state of its own);
- a ``SyncVectorEnv`` of gymnasium's classic-control envs (``Pendulum-v1``, ``CartPole-v1``, ...) under the wrappers
  ``gymnasium.make`` adds (``TimeLimit``, ``OrderEnforcing``, ``PassiveEnvChecker``): their whole state is plain
  attributes (``state``, and ``steps_beyond_terminated`` / ``last_u`` where they exist), which are saved together with
  the ``np_random`` generator state and the time limits' step counters.

Any other env (MuJoCo or Box2D envs of gymnasium, whose state lives in the simulator; ``AsyncVectorEnv``, whose
sub-envs live in other processes; wrappers with state of their own such as ``NormalizeObservation``) raises
``NotImplementedError`` naming the reason: the runner then restores the learner only, and says so.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import SyncVectorEnv, VectorEnv
from gymnasium.wrappers import OrderEnforcing, PassiveEnvChecker, TimeLimit

from rsl_sim.utils.rng_state import numpy_to_checkpoint_data

__all__ = ["get_vector_env_state", "set_vector_env_state"]

# Wrappers whose only state is the time limit's step counter (saved) or a flag set by the first reset
_KNOWN_WRAPPERS = (TimeLimit, OrderEnforcing, PassiveEnvChecker)

# Envs whose complete state is their plain attributes, and those attributes
_PLAIN_STATE_MODULE = "gymnasium.envs.classic_control."
_PLAIN_STATE_ATTRIBUTES = ("state", "steps_beyond_terminated", "last_u")


def get_vector_env_state(env: VectorEnv) -> dict[str, Any]:
    """The env's state as checkpoint data (tensors, numbers, strings, lists, dicts).

    Args:
        env: The gymnasium vector env.

    Returns:
        ``{"kind": "own", "state": ...}`` for an env with ``get_env_state``, or ``{"kind": "classic_control",
        "sub_envs": [...]}`` for a ``SyncVectorEnv`` of classic-control envs.

    Raises:
        NotImplementedError: If the env's state cannot be saved; the message says why.
    """
    owner = _state_owner(env)
    if owner is not None:
        return {"kind": "own", "state": owner.get_env_state()}
    sub_envs = _plain_sub_envs(env)
    states = []
    for sub_env in sub_envs:
        base = sub_env.unwrapped
        attributes = {
            name: numpy_to_checkpoint_data(getattr(base, name))
            for name in _PLAIN_STATE_ATTRIBUTES
            if hasattr(base, name)
        }
        states.append(
            {
                "attributes": attributes,
                "np_random": base.np_random.bit_generator.state,
                "elapsed_steps": [
                    _elapsed(wrapper) for wrapper in _wrappers(sub_env) if isinstance(wrapper, TimeLimit)
                ],
            }
        )
    autoreset = getattr(env.unwrapped, "_autoreset_envs", None)
    return {
        "kind": "classic_control",
        "sub_envs": states,
        "autoreset_envs": numpy_to_checkpoint_data(autoreset) if isinstance(autoreset, np.ndarray) else None,
    }


def set_vector_env_state(env: VectorEnv, state: dict[str, Any]) -> None:
    """Restore a state from :func:`get_vector_env_state` into an env built like the one that saved it.

    Raises:
        NotImplementedError: If this env's state cannot be restored (see the module).
        ValueError: If the state was saved by an env of another kind or number of sub-envs.
    """
    owner = _state_owner(env)
    kind = state.get("kind")
    if owner is not None:
        if kind != "own":
            raise ValueError(f"the saved env state is of kind {kind!r}, this env ({type(env).__name__}) saves its own.")
        owner.set_env_state(state["state"])
        return
    sub_envs = _plain_sub_envs(env)
    if kind != "classic_control" or len(state.get("sub_envs", [])) != len(sub_envs):
        raise ValueError(
            f"the saved env state (kind {kind!r}, {len(state.get('sub_envs', []))} sub-envs) does not fit this"
            f" {type(env.unwrapped).__name__} of {len(sub_envs)} classic-control sub-envs."
        )
    for sub_env, saved in zip(sub_envs, state["sub_envs"]):
        base = sub_env.unwrapped
        for name, value in saved["attributes"].items():
            setattr(base, name, value.numpy().copy() if isinstance(value, torch.Tensor) else value)
        generator = np.random.Generator(getattr(np.random, saved["np_random"]["bit_generator"])())
        generator.bit_generator.state = saved["np_random"]
        base.np_random = generator
        limits = [wrapper for wrapper in _wrappers(sub_env) if isinstance(wrapper, TimeLimit)]
        for wrapper, steps in zip(limits, saved["elapsed_steps"]):
            wrapper._elapsed_steps = steps
    autoreset = state.get("autoreset_envs")
    if autoreset is not None and isinstance(getattr(env.unwrapped, "_autoreset_envs", None), np.ndarray):
        env.unwrapped._autoreset_envs[:] = autoreset.numpy()


def _state_owner(env: VectorEnv) -> Any:
    """The env when its class implements ``get_env_state`` and ``set_env_state``, else None.

    The methods are looked up on the class, so that a vector wrapper forwarding attributes to the env it wraps does
    not pass for one that saves its own state too.
    """
    cls = type(env)
    if callable(getattr(cls, "get_env_state", None)) and callable(getattr(cls, "set_env_state", None)):
        return env
    return None


def _plain_sub_envs(env: VectorEnv) -> list[gym.Env]:
    """The sub-envs of a ``SyncVectorEnv`` of classic-control envs under known wrappers.

    Raises:
        NotImplementedError: For any other env, naming what is not supported.
    """
    base = env.unwrapped
    if env is not base:
        raise NotImplementedError(
            f"the vector wrapper {type(env).__name__} around {type(base).__name__} may hold state of its own"
        )
    if not isinstance(base, SyncVectorEnv):
        raise NotImplementedError(
            f"{type(base).__name__} has no get_env_state()/set_env_state(), and only a SyncVectorEnv's sub-envs are"
            " in reach"
        )
    for sub_env in base.envs:
        unknown = [type(w).__name__ for w in _wrappers(sub_env) if not isinstance(w, _KNOWN_WRAPPERS)]
        if unknown:
            raise NotImplementedError(f"the sub-env wrappers {unknown} may hold state that cannot be saved")
        if not type(sub_env.unwrapped).__module__.startswith(_PLAIN_STATE_MODULE):
            raise NotImplementedError(
                f"the state of {type(sub_env.unwrapped).__name__} (not a gymnasium classic-control env) is not known"
                " to live in plain attributes"
            )
    return list(base.envs)


def _wrappers(env: gym.Env) -> list[gym.Wrapper]:
    """The wrappers of a sub-env, outermost first."""
    found = []
    while isinstance(env, gym.Wrapper):
        found.append(env)
        env = env.env
    return found


def _elapsed(wrapper: TimeLimit) -> int:
    return int(wrapper._elapsed_steps) if wrapper._elapsed_steps is not None else 0
