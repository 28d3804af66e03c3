"""Detection of non-finite values (NaN, +-Inf) in what enters the learner, in its losses and in what is saved.

Four checks, in the order in which a divergence shows up, so that the first error names the true source:

- :func:`check_nan`: the env's step results (observation groups, rewards, dones and ``extras["final_observation"]``,
  which feeds the time-out bootstrap), per step when ``check_for_nan`` is on;
- :func:`check_rollout`: the rollout as it enters the update (critic values, actions and their log-probabilities,
  stored rewards after bootstrap and curiosity, returns, advantages), per iteration when ``check_for_nan`` is on;
- :func:`check_losses`: the mean losses of an update, after every update;
- :func:`check_checkpoint`: every tensor of a checkpoint (parameters, normalizer statistics, optimizer moments)
  before it is written, so that a checkpoint never holds NaN or Inf.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

# How many offending environment indices an error message lists before it abbreviates
_MAX_LISTED_ENVS = 8

# Rollout buffers in the order in which a divergence propagates: model outputs first, derived targets last
_ROLLOUT_BUFFERS = {
    "values": "the critic's values recorded during the rollout",
    "actions": "the actions sampled from the policy",
    "actions_log_prob": "the log-probabilities of the sampled actions",
    "privileged_actions": "the teacher's actions",
    "rewards": "the stored rewards (env rewards plus time-out bootstrap and curiosity rewards)",
    "returns": "the GAE returns",
    "advantages": "the GAE advantages (after normalization)",
}


class NonFiniteError(ValueError):
    """NaN or Inf values were found where training cannot go on with them.

    Subclass of ``ValueError`` so that code written against RSL-RL 5.x (which raises ``ValueError``) still catches it.

    Attributes:
        source: What held the bad values, e.g. ``"observation group 'policy'"``,
            ``"extras['final_observation']['policy']"``, ``"loss 'value'"`` or ``"parameter actor.mlp.0.weight"``.
        iteration: The learning iteration in which the values appeared, or ``None`` if unknown.
        env_ids: Indices of the environments with at least one bad value (all of them, not only the listed ones);
            empty where the values are not per environment (losses, parameters).
    """

    def __init__(self, message: str, source: str, iteration: int | None, env_ids: list[int]) -> None:
        super().__init__(message)
        self.source = source
        self.iteration = iteration
        self.env_ids = env_ids


class NonFiniteEnvOutputError(NonFiniteError):
    """The environment returned NaN or Inf values (observations, final observations, rewards or dones)."""


class NonFiniteTrainingError(NonFiniteError):
    """The learner produced NaN or Inf values: in the rollout buffers, in a loss, or in its parameters or state."""


def check_nan(
    obs: Mapping[str, torch.Tensor],
    rewards: torch.Tensor,
    dones: torch.Tensor,
    iteration: int | None = None,
    extras: Mapping[str, Any] | None = None,
) -> None:
    """Raise if any observation group, the rewards, the dones or the final observations hold NaN or Inf.

    Same call as RSL-RL 5.x ``check_nan(obs, rewards, dones)``, with an optional ``iteration`` that goes into the
    message and the step's ``extras``, whose ``"final_observation"`` groups are checked too (the learner bootstraps
    time-outs with their values). Non-floating tensors (e.g. boolean dones) cannot hold NaN and are skipped.

    Args:
        obs: Observation groups (a ``TensorDict`` or mapping), each ``[num_envs, ...]``.
        rewards: Rewards, ``[num_envs]``.
        dones: Done flags, ``[num_envs]``.
        iteration: Learning iteration during which the step happened (only used in the message).
        extras: The step's extras; ``extras["final_observation"]`` (groups ``[num_envs, ...]``) is checked if present.

    Raises:
        NonFiniteEnvOutputError: (a ``ValueError``) naming the observation group (or
            ``extras['final_observation'][<group>]``, ``rewards``, ``dones``), the iteration, the number of values and
            the indices of the environments affected.
    """
    # Observation groups first: they are the most common source (a diverging simulation)
    for name, tensor in obs.items():
        _check_env_tensor(tensor, f"observation group '{name}'", iteration)
    final_obs = extras.get("final_observation") if extras is not None else None
    if final_obs is not None and final_obs is not obs:  # the same object when no episode ended
        for name, tensor in final_obs.items():
            _check_env_tensor(tensor, f"extras['final_observation']['{name}']", iteration)
    _check_env_tensor(rewards, "rewards", iteration)
    _check_env_tensor(dones, "dones", iteration)


def check_rollout(storage: Any, iteration: int | None = None) -> None:
    """Raise if the rollout buffers that enter the update hold NaN or Inf (call after ``compute_returns``).

    Checks the storage's ``values``, ``actions``, ``actions_log_prob``, ``privileged_actions``, ``rewards``,
    ``returns`` and ``advantages`` (those it has), each ``[num_steps, num_envs, ...]``, in that order: a critic or a
    policy that diverged is named before the targets computed from it.

    Args:
        storage: A :class:`~rsl_sim.storage.RolloutStorage` holding a complete rollout.
        iteration: The learning iteration of the rollout (only used in the message).

    Raises:
        NonFiniteTrainingError: (a ``ValueError``) naming the buffer, the iteration and the environments affected.
    """
    for name, meaning in _ROLLOUT_BUFFERS.items():
        tensor = getattr(storage, name, None)
        if not _is_float_tensor(tensor) or bool(torch.isfinite(tensor).all()):
            continue
        env_ids = _bad_rows(tensor.transpose(0, 1)) if tensor.dim() > 1 else []
        raise NonFiniteTrainingError(
            f"The rollout's '{name}' ({meaning}){_when(iteration)} {_count(tensor)}, in {len(env_ids)} environment(s)"
            f" (indices: {_list(env_ids)}). The observations the env returned were finite (check_for_nan checked"
            " them): the models or their observation normalizers hold non-finite values, or produce them for these"
            " inputs.",
            source=f"rollout '{name}'",
            iteration=iteration,
            env_ids=env_ids,
        )


def check_losses(losses: Mapping[str, float], iteration: int | None = None) -> None:
    """Raise if a mean loss of an update is NaN or Inf (the parameters took a non-finite gradient step).

    Args:
        losses: Loss name -> mean value over the update (``PPO.update()``'s result).
        iteration: The learning iteration of the update (only used in the message).

    Raises:
        NonFiniteTrainingError: (a ``ValueError``) naming the loss and the iteration.
    """
    for name, value in losses.items():
        if isinstance(value, (int, float)) and not math.isfinite(value):
            raise NonFiniteTrainingError(
                f"The loss '{name}' is {value}{_when(iteration)}: the update took a non-finite gradient step, so the"
                " parameters are no longer usable; no checkpoint of this iteration is written. Resume from the last"
                " checkpoint with a lower learning rate, or look for extreme observations or rewards.",
                source=f"loss '{name}'",
                iteration=iteration,
                env_ids=[],
            )


def check_checkpoint(data: Mapping[str, Any], iteration: int | None = None) -> None:
    """Raise if any floating tensor of a checkpoint holds NaN or Inf (call before writing it).

    Walks the checkpoint's dicts, lists and tuples: model parameters and buffers (normalizer statistics), optimizer
    state (moment estimates), the resume state. Entries ``<name>_state_dict`` are named ``<name>`` in the message,
    e.g. ``parameter actor.mlp.0.weight``.

    Args:
        data: The checkpoint dict.
        iteration: The iteration the checkpoint belongs to (only used in the message).

    Raises:
        NonFiniteTrainingError: (a ``ValueError``) naming the first bad entry.
    """
    for path, tensor in _walk_tensors(data, ()):
        if not _is_float_tensor(tensor) or bool(torch.isfinite(tensor).all()):
            continue
        source = _checkpoint_entry_name(path)
        raise NonFiniteTrainingError(
            f"The {source}{_when(iteration)} {_count(tensor)}: the checkpoint is not written, so the newest"
            " checkpoint on disk stays the last one with finite values.",
            source=source,
            iteration=iteration,
            env_ids=[],
        )


def _check_env_tensor(tensor: torch.Tensor, source: str, iteration: int | None) -> None:
    """Raise :class:`NonFiniteEnvOutputError` if the floating tensor ``tensor`` holds NaN or Inf."""
    if not _is_float_tensor(tensor) or bool(torch.isfinite(tensor).all()):
        return

    # Describe what is wrong and where, so the user can find the term that produced it
    env_ids = _bad_rows(tensor)
    message = (
        f"The {source} returned by the environment{_when(iteration)} {_count(tensor)}, in"
        f" {len(env_ids)} environment(s) (indices: {_list(env_ids)}). This usually points to a bug or a diverging"
        " simulation in the environment's step/reset or reward/termination terms. Set check_for_nan=False in the"
        " train config to skip this check."
    )
    raise NonFiniteEnvOutputError(message, source=source, iteration=iteration, env_ids=env_ids)


def _is_float_tensor(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and (value.is_floating_point() or value.is_complex())


def _bad_rows(tensor: torch.Tensor) -> list[int]:
    """Indices along the first dimension of the rows holding a non-finite value."""
    bad = ~torch.isfinite(tensor)
    per_row = bad.reshape(bad.shape[0], -1).any(dim=1) if bad.dim() > 0 else bad.reshape(1)
    return per_row.nonzero().flatten().tolist()


def _count(tensor: torch.Tensor) -> str:
    """``"holds <n> NaN and <m> Inf value(s)"``."""
    num_bad = int((~torch.isfinite(tensor)).sum())
    num_nan = int(torch.isnan(tensor).sum())
    return f"holds {num_nan} NaN and {num_bad - num_nan} Inf value(s)"


def _when(iteration: int | None) -> str:
    return f" at learning iteration {iteration}" if iteration is not None else ""


def _list(env_ids: list[int]) -> str:
    listed = ", ".join(str(i) for i in env_ids[:_MAX_LISTED_ENVS])
    return listed + (", ..." if len(env_ids) > _MAX_LISTED_ENVS else "")


def _walk_tensors(value: Any, path: tuple[str, ...]):
    """Yield ``(path, tensor)`` for every tensor in nested dicts, lists and tuples."""
    if isinstance(value, torch.Tensor):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk_tensors(item, (*path, str(key)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk_tensors(item, (*path, str(index)))


def _checkpoint_entry_name(path: tuple[str, ...]) -> str:
    """Readable name of a checkpoint entry: ``parameter actor.mlp.0.weight``, ``optimizer state state.3.exp_avg``."""
    head, rest = path[0], ".".join(path[1:])
    if head.endswith("optimizer_state_dict"):
        return f"{head[: -len('_state_dict')].replace('_', ' ')} state {rest}"
    if head.endswith("_state_dict"):
        return f"parameter {head[: -len('_state_dict')]}.{rest}"
    return f"checkpoint entry {'.'.join(path)}"
