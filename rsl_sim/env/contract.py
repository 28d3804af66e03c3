"""Checks that an environment keeps the :class:`~rsl_sim.env.VecEnv` contract, with messages that name the culprit.

Without these checks a contract violation surfaces far from its cause: a float64 observation group fails inside a
linear layer, a numpy reward as an ``AttributeError`` in the storage, an image that changed size after a reset as a
shape error in a convolution. :class:`VecEnvContract` checks everything once when training starts and the cheap parts
(types, shapes, dtypes: attribute comparisons, no device synchronisation) on every step.
"""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDict

__all__ = ["IMAGE_DTYPES", "OBS_DTYPE", "VecEnvContract", "VecEnvContractError"]

OBS_DTYPE = torch.float32
"""Dtype of every observation group the models read (their layers are float32)."""

IMAGE_DTYPES = (torch.float32, torch.uint8)
"""Dtypes accepted for image groups ``[N, C, H, W]``: the CNN models scale ``uint8`` frames to ``[0, 1]`` themselves
(and the rollout storage keeps them as ``uint8``, a quarter of the memory)."""


class VecEnvContractError(ValueError):
    """The environment broke the :class:`~rsl_sim.env.VecEnv` contract (a wrong type, dtype, shape or batch size).

    Subclass of ``ValueError``. The message names what is wrong (observation group, ``rewards``, ``dones``, ...), the
    expected and the actual value, and what to change.
    """


class VecEnvContract:
    """The observation layout an environment started with, checked again on every step.

    :meth:`check_observations` is the full check (run once, when a runner is built): the observations are a
    ``TensorDict`` of tensors with batch size ``[num_envs]``; 1D groups ``[N, dim]`` (and any other non-image layout)
    are ``float32``; image groups ``[N, C, H, W]`` are ``float32`` or ``uint8``. It records the shape and dtype of every
    group. :meth:`check_step` compares a step's results with that record: the same groups with the same shapes and
    dtypes, rewards a floating tensor ``[N]``, dones a bool or numeric tensor ``[N]``, ``extras["time_outs"]`` (when
    present) a tensor ``[N]``. It reads only tensor attributes (``shape``, ``dtype``), never values, so it costs
    microseconds and no device synchronisation; non-finite values are the business of ``check_for_nan``.

    Args:
        num_envs: Number of environments ``N`` (the env's ``num_envs``).
        obs: The first observations (``env.get_observations()``).

    Raises:
        VecEnvContractError: If ``num_envs`` is not a positive integer or ``obs`` breaks the contract (see
            :meth:`check_observations`).
    """

    def __init__(self, num_envs: int, obs: Any) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise VecEnvContractError(f"env.num_envs must be a positive integer, got {num_envs!r}.")
        self.num_envs = num_envs
        self.layout: dict[str, tuple[tuple[int, ...], torch.dtype]] = {}
        """Group name -> (per-env shape, dtype) of the first observations."""
        self.check_observations(obs)

    def check_observations(self, obs: Any) -> None:
        """Check observations in full and record their layout (what :meth:`check_step` later compares against).

        Args:
            obs: Observations, a ``TensorDict`` of groups with batch size ``[num_envs]``.

        Raises:
            VecEnvContractError: For observations that are not a ``TensorDict``, a batch size other than ``num_envs``,
                a group that is not a tensor, or a group dtype other than float32 (uint8 also for image groups); the
                message names the group, the expected and the actual value.
        """
        _check_tensordict(obs, "the observations")
        batch = tuple(obs.batch_size)
        if batch[:1] != (self.num_envs,):
            raise VecEnvContractError(
                f"The observations have batch size {list(batch)}, but env.num_envs is {self.num_envs}: every"
                f" observation group must be [num_envs, ...] = [{self.num_envs}, ...]."
            )
        layout = {}
        for group in obs.keys():
            tensor = obs.get(group)
            if not isinstance(tensor, torch.Tensor):
                raise VecEnvContractError(
                    f"Observation group '{group}' must be a torch.Tensor [{self.num_envs}, ...], got"
                    f" {type(tensor).__name__} (nested groups are not supported: flatten them into top-level groups)."
                )
            shape = tuple(tensor.shape)
            if len(shape) == 4:
                allowed, what = IMAGE_DTYPES, "image group [N, C, H, W]"
            else:
                allowed, what = (OBS_DTYPE,), "group"
            if tensor.dtype not in allowed:
                names = " or ".join(str(dtype).replace("torch.", "") for dtype in allowed)
                raise VecEnvContractError(
                    f"Observation {what} '{group}' has dtype {str(tensor.dtype).replace('torch.', '')} (shape"
                    f" {list(shape)}), expected {names}: the models compute in float32. Convert it in the env or its"
                    f" wrapper, e.g. obs['{group}'] = obs['{group}'].float()."
                )
            layout[group] = (shape[1:], tensor.dtype)
        if not layout:
            raise VecEnvContractError(
                "The observations hold no group; the env must return at least one, e.g. 'policy'."
            )
        self.layout = layout

    def check_step(self, obs: Any, rewards: Any, dones: Any, extras: Any = None) -> None:
        """Cheaply check one step's results against the recorded layout (shapes and dtypes only, no values).

        Args:
            obs: Observations returned by ``env.step``.
            rewards: Rewards, expected a floating-point tensor ``[num_envs]``.
            dones: Done flags, expected a bool or numeric tensor ``[num_envs]``.
            extras: The step's extras dict (``None``: not checked).

        Raises:
            VecEnvContractError: Naming the group (or ``rewards`` / ``dones`` / ``extras``), the expected and the actual
                type, shape or dtype.
        """
        self.check_layout(obs)

        # Rewards and dones: tensors [num_envs]
        self._check_flat(rewards, "rewards", "a floating-point", _is_float)
        self._check_flat(dones, "dones", "a bool or numeric", _is_bool_or_number)
        if extras is not None:
            if not isinstance(extras, dict):
                raise VecEnvContractError(
                    f"The extras returned by env.step must be a dict, got {type(extras).__name__}."
                )
            time_outs = extras.get("time_outs")
            if time_outs is not None:
                self._check_flat(time_outs, "extras['time_outs']", "a bool or numeric", _is_bool_or_number)

    def check_layout(self, obs: Any) -> None:
        """Cheaply check that observations have the recorded groups, per-env shapes and dtypes, and ``num_envs`` rows.

        Args:
            obs: Observations, a ``TensorDict`` of groups.

        Raises:
            VecEnvContractError: If ``obs`` is not a ``TensorDict``, a group appeared or disappeared, or a group's shape
                or dtype differs from the start; the message names the group, the expected and the actual value.
        """
        if type(obs) is not TensorDict:
            _check_tensordict(obs, "the observations returned by the env")
        if len(obs.keys()) != len(self.layout):
            self._raise_group_change(obs)
        for group, (shape, dtype) in self.layout.items():
            tensor = obs.get(group, None)
            if tensor is None:
                self._raise_group_change(obs)
            if tensor.dtype != dtype or tensor.shape[1:] != shape or tensor.shape[0] != self.num_envs:
                raise VecEnvContractError(
                    f"Observation group '{group}' changed after the start: the env returned shape"
                    f" {list(tensor.shape)} and dtype {str(tensor.dtype).replace('torch.', '')}, expected"
                    f" {[self.num_envs, *shape]} and {str(dtype).replace('torch.', '')} as at the start. Observation"
                    " groups keep their shape and dtype across steps and resets."
                )

    def _check_flat(self, value: Any, name: str, kind: str, dtype_ok: Any) -> None:
        """Raise unless ``value`` is a tensor of shape ``[num_envs]`` whose dtype passes ``dtype_ok``."""
        if not isinstance(value, torch.Tensor):
            raise VecEnvContractError(
                f"The {name} returned by env.step must be {kind} torch.Tensor of shape [{self.num_envs}], got"
                f" {type(value).__name__}. Convert it in the env or its wrapper, e.g. torch.as_tensor(value,"
                " device=env.device)."
            )
        if value.shape != (self.num_envs,) or not dtype_ok(value.dtype):
            raise VecEnvContractError(
                f"The {name} returned by env.step must be {kind} tensor of shape [{self.num_envs}], got shape"
                f" {list(value.shape)} and dtype {str(value.dtype).replace('torch.', '')}."
            )

    def _raise_group_change(self, obs: TensorDict) -> None:
        """Raise the error for observation groups that appeared or disappeared after the start."""
        now = list(obs.keys())
        raise VecEnvContractError(
            f"The observation groups changed after the start: the env returned {now}, it started with"
            f" {list(self.layout)} (missing: {[g for g in self.layout if g not in now]}, new:"
            f" {[g for g in now if g not in self.layout]})."
        )


def _check_tensordict(obs: Any, what: str) -> None:
    """Raise unless ``obs`` is a ``TensorDict``."""
    if not isinstance(obs, TensorDict):
        raise VecEnvContractError(
            f"{what[0].upper()}{what[1:]} must be a tensordict.TensorDict of observation groups with batch size"
            f" [num_envs], got {type(obs).__name__}. Build it as TensorDict({{'policy': obs}}, batch_size=[num_envs])."
        )


def _is_float(dtype: torch.dtype) -> bool:
    """Whether ``dtype`` is a floating-point dtype."""
    return dtype.is_floating_point


def _is_bool_or_number(dtype: torch.dtype) -> bool:
    """Whether ``dtype`` is bool, an integer or a floating-point dtype (not complex)."""
    return not dtype.is_complex
