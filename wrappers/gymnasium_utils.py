"""Helpers of :mod:`rsl_sim.wrappers.gymnasium`: reading gymnasium vector envs' spaces, metadata and infos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.wrappers import TimeLimit

__all__ = [
    "SUPPORTED_AUTORESET_MODES",
    "GroupFormat",
    "check_autoreset_mode",
    "env_attr",
    "env_log_arrays",
    "final_obs_rows",
    "find_time_limit_wrapper",
    "group_format",
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


@dataclass(frozen=True)
class GroupFormat:
    """How the batched observations of one ``Box`` become the tensor of an observation group.

    Attributes:
        dtype: Torch dtype of the group: ``float32``, or ``uint8`` for ``uint8`` images.
        channels_last: Whether the space is an ``H x W x C`` image whose batch ``[N, H, W, C]`` is permuted to
            ``[N, C, H, W]`` (the layout of the CNN models).
    """

    dtype: torch.dtype
    channels_last: bool

    def to_tensor(self, array: Any, device: torch.device) -> torch.Tensor:
        """Copy a batched observation array ``[N, *shape]`` to a contiguous tensor of this format on ``device``."""
        tensor = torch.as_tensor(np.ascontiguousarray(array))
        if self.channels_last:
            tensor = tensor.permute(0, 3, 1, 2)
        return tensor.to(device=device, dtype=self.dtype, copy=True, memory_format=torch.contiguous_format)


def group_format(space: gym.spaces.Box) -> GroupFormat:
    """Decide the dtype and layout of the observation group made from the ``Box`` space ``name``.

    - A 3-D Box is an image. gymnasium images are channels-last (``H x W x C``, e.g. ``16 x 16 x 3``); the group
      becomes channels-first ``[N, C, H, W]``, as the CNN models (and RSL-RL's) expect. A space whose first dimension
      is smaller than its last (``3 x 16 x 16``) is taken as already channels-first and kept. ``uint8`` images stay
      ``uint8`` (the CNN models scale them to ``[0, 1]``); other images become ``float32`` with their values unchanged.
    - Any other floating-point, integer or bool Box becomes ``float32`` (the models' dtype), values unchanged: integer
      features such as counters or one-hot vectors are read as numbers (exact up to 2^24).

    Args:
        space: The Box space of one environment.

    Returns:
        The group's format (gymnasium Boxes are floating-point, integer or bool; it refuses other dtypes itself).
    """
    dtype = np.dtype(space.dtype)
    if len(space.shape) == 3:
        channels_last = space.shape[0] >= space.shape[-1]
        return GroupFormat(torch.uint8 if dtype == np.uint8 else torch.float32, channels_last)
    return GroupFormat(torch.float32, False)


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
