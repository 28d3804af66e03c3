"""Detection of non-finite values (NaN, +-Inf) in what the environment hands to the learner."""

from __future__ import annotations

from collections.abc import Mapping

import torch

# How many offending environment indices an error message lists before it abbreviates
_MAX_LISTED_ENVS = 8


class NonFiniteEnvOutputError(ValueError):
    """The environment returned NaN or Inf values.

    Subclass of ``ValueError`` so that code written against RSL-RL 5.x (which raises ``ValueError``) still catches it.

    Attributes:
        source: What held the bad values: ``"observation group '<name>'"``, ``"rewards"`` or ``"dones"``.
        iteration: The learning iteration in which the values appeared, or ``None`` if unknown.
        env_ids: Indices of the environments with at least one bad value (all of them, not only the listed ones).
    """

    def __init__(self, message: str, source: str, iteration: int | None, env_ids: list[int]) -> None:
        super().__init__(message)
        self.source = source
        self.iteration = iteration
        self.env_ids = env_ids


def check_nan(
    obs: Mapping[str, torch.Tensor], rewards: torch.Tensor, dones: torch.Tensor, iteration: int | None = None
) -> None:
    """Raise if any observation group, the rewards or the dones hold NaN or Inf.

    Same call as RSL-RL 5.x ``check_nan(obs, rewards, dones)``, with an optional ``iteration`` that goes into the
    message. Non-floating tensors (e.g. boolean dones) cannot hold NaN and are skipped.

    Args:
        obs: Observation groups (a ``TensorDict`` or mapping), each ``[num_envs, ...]``.
        rewards: Rewards, ``[num_envs]``.
        dones: Done flags, ``[num_envs]``.
        iteration: Learning iteration during which the step happened (only used in the message).

    Raises:
        NonFiniteEnvOutputError: (a ``ValueError``) naming the observation group (or ``rewards`` / ``dones``), the
            iteration, the number of values and the indices of the environments affected.
    """
    # Observation groups first: they are the most common source (a diverging simulation)
    for name, tensor in obs.items():
        _check_tensor(tensor, f"observation group '{name}'", iteration)
    _check_tensor(rewards, "rewards", iteration)
    _check_tensor(dones, "dones", iteration)


def _check_tensor(tensor: torch.Tensor, source: str, iteration: int | None) -> None:
    """Raise :class:`NonFiniteEnvOutputError` if the floating tensor ``tensor`` holds NaN or Inf."""
    if not isinstance(tensor, torch.Tensor) or not tensor.is_floating_point():
        return
    finite = torch.isfinite(tensor)
    if bool(finite.all()):
        return

    # Describe what is wrong and where, so the user can find the term that produced it
    bad = ~finite
    num_nan = int(torch.isnan(tensor).sum())
    num_inf = int(bad.sum()) - num_nan
    per_env = bad.reshape(bad.shape[0], -1).any(dim=1) if bad.dim() > 0 else bad.reshape(1)
    env_ids = per_env.nonzero().flatten().tolist()
    listed = ", ".join(str(i) for i in env_ids[:_MAX_LISTED_ENVS]) + (
        ", ..." if len(env_ids) > _MAX_LISTED_ENVS else ""
    )
    when = f" at learning iteration {iteration}" if iteration is not None else ""
    message = (
        f"The {source} returned by the environment{when} holds {num_nan} NaN and {num_inf} Inf value(s), in"
        f" {len(env_ids)} environment(s) (indices: {listed}). This usually points to a bug or a diverging simulation"
        " in the environment's step/reset or reward/termination terms. Set check_for_nan=False in the train config"
        " to skip this check."
    )
    raise NonFiniteEnvOutputError(message, source=source, iteration=iteration, env_ids=env_ids)
