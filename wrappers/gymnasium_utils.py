"""Helpers of :mod:`rsl_sim.wrappers.gymnasium`: reading gymnasium vector envs' spaces, metadata and infos."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.wrappers import TimeLimit

__all__ = [
    "SUPPORTED_AUTORESET_MODES",
    "check_autoreset_mode",
    "env_attr",
    "env_log_arrays",
    "final_obs_rows",
    "find_time_limit_wrapper",
    "observation_groups",
    "supported_autoreset_mode",
]

SUPPORTED_AUTORESET_MODES = (AutoresetMode.SAME_STEP, AutoresetMode.DISABLED)
"""Auto-reset modes the wrapper can turn into correct rollouts."""


def supported_autoreset_mode(env: VectorEnv) -> AutoresetMode | None:
    """Return the env's ``metadata["autoreset_mode"]`` if it is in :data:`SUPPORTED_AUTORESET_MODES`, else None."""
    try:
        mode = AutoresetMode(env.metadata.get("autoreset_mode"))
    except ValueError:
        return None
    return mode if mode in SUPPORTED_AUTORESET_MODES else None


def check_autoreset_mode(env: VectorEnv) -> AutoresetMode:
    """Return the env's auto-reset mode.

    Raises:
        ValueError: If the env declares no mode or an unsupported one (``NEXT_STEP``), naming the declared value.
    """
    mode = supported_autoreset_mode(env)
    if mode is None:
        raise ValueError(
            f"{env} declares metadata['autoreset_mode'] = {env.metadata.get('autoreset_mode')!r}; "
            f"GymnasiumVecEnvWrapper needs one of {[m.value for m in SUPPORTED_AUTORESET_MODES]} (NEXT_STEP would "
            "feed a reset step with no reward into the rollout). Build the env with gymnasium.make_vec(..., "
            "vector_kwargs={'autoreset_mode': gymnasium.vector.AutoresetMode.SAME_STEP}) or "
            "GymnasiumVecEnvWrapper.from_id(...)."
        )
    return mode


def observation_groups(space: gym.Space) -> list[str] | None:
    """Return None for a ``Box`` space (a single group) and the keys of a ``Dict`` space of ``Box`` entries.

    Raises:
        ValueError: For any other space, naming it.
    """
    if isinstance(space, gym.spaces.Box):
        return None
    if isinstance(space, gym.spaces.Dict):
        bad = {key: type(sub).__name__ for key, sub in space.spaces.items() if not isinstance(sub, gym.spaces.Box)}
        if not bad:
            return list(space.spaces.keys())
        raise ValueError(f"Dict observation entries must be Box spaces, got {bad} in {space}.")
    raise ValueError(f"Observation space must be Box or Dict of Box, got {space} ({type(space).__name__}).")


def env_attr(env: VectorEnv, name: str) -> Any:
    """Return attribute ``name`` of the vector env or of its unwrapped base, None when neither has it."""
    value = getattr(env, name, None)
    return value if value is not None else getattr(env.unwrapped, name, None)


def find_time_limit_wrapper(env: gym.Env) -> TimeLimit | None:
    """Return the outermost ``TimeLimit`` wrapper around a single env, or None."""
    while isinstance(env, gym.Wrapper):
        if isinstance(env, TimeLimit):
            return env
        env = env.env
    return None


def final_obs_rows(infos: dict, done_ids: np.ndarray, groups: list[str] | None) -> np.ndarray | dict:
    """Read the last observations of the finished envs ``done_ids`` from ``infos["final_obs"]``.

    Accepts gymnasium's layout (an object array with one observation per env, None elsewhere) and a batched one (an
    array ``[N, ...]`` or a dict of such arrays).

    Args:
        infos: Step infos of a same-step auto-reset vector env.
        done_ids: Indices of the envs whose episode ended, ``[k]``.
        groups: Keys of a Dict observation space, or None for a Box space.

    Returns:
        The stacked rows, ``[k, ...]``: an array (Box space) or a dict key -> array (Dict space).

    Raises:
        ValueError: If an env in ``done_ids`` has no final observation in ``infos``.
    """
    # Every finished env must come with its final observation
    final = infos.get("final_obs")
    mask = infos.get("_final_obs")
    if final is None or (mask is not None and not np.asarray(mask)[done_ids].all()):
        raise ValueError(
            f"Envs {done_ids.tolist()} finished but infos['final_obs'] does not hold their last observation; a "
            "SAME_STEP auto-reset vector env must report it (as gymnasium's SyncVectorEnv does)."
        )

    # Per-env objects (gymnasium) or batched arrays (custom vector envs)
    if isinstance(final, np.ndarray) and final.dtype == object:
        items = [final[i] for i in done_ids]
        if groups is None:
            return np.stack(items)
        return {key: np.stack([item[key] for item in items]) for key in groups}
    if isinstance(final, dict):
        return {key: np.asarray(final[key])[done_ids] for key in groups}
    return np.asarray(final)[done_ids]


def env_log_arrays(infos: dict) -> dict[str, np.ndarray]:
    """Return the non-empty entries of the env's ``infos["log"]`` (name -> scalar or ``[N]`` array) as arrays.

    A ``"_name"`` boolean mask next to ``name`` (gymnasium's info layout) keeps only the envs that reported it.
    """
    env_log = infos.get("log")
    if not isinstance(env_log, dict):
        return {}
    arrays = {}
    for name, value in env_log.items():
        if name.startswith("_"):
            continue
        value = np.asarray(value)
        mask = env_log.get(f"_{name}")
        if mask is not None:
            value = value[np.asarray(mask, dtype=bool)]
        if value.size > 0:
            arrays[name] = value
    return arrays
