"""Shuffled mini-batches of single samples for feed-forward PPO updates, drawn from a full rollout storage."""

from __future__ import annotations

from collections.abc import Generator

import torch

from rsl_sim.storage import RolloutStorage

__all__ = ["shuffled_mini_batches"]


def shuffled_mini_batches(
    storage: RolloutStorage, num_mini_batches: int, num_epochs: int
) -> Generator[RolloutStorage.Batch, None, None]:
    """Yield ``num_epochs * num_mini_batches`` shuffled mini-batches of the ``T * N`` samples of a full storage.

    The sampling scheme is RSL-RL 5.x's ``mini_batch_generator``: one random permutation (a single ``torch.randperm``
    call, so the same random numbers are drawn) of the first ``num_mini_batches * (T * N // num_mini_batches)``
    samples is cut into ``num_mini_batches`` equal pieces, and the same pieces are used in every epoch; the remainder
    ``T * N % num_mini_batches`` samples are left out. The data are gathered into permuted order once per call, so
    each mini-batch is a contiguous slice (a view): no gathering or allocation per mini-batch and per epoch.

    Args:
        storage: A full ``"rl"`` storage (``T`` transitions of ``N`` envs) with returns and advantages written.
        num_mini_batches: Mini-batches per epoch (between 1 and ``T * N``).
        num_epochs: Passes over the data (at least 1).

    Yields:
        :class:`~rsl_sim.storage.RolloutStorage.Batch` with ``observations`` (TensorDict ``[B]``), ``actions``
        ``[B, num_actions]``, ``values``, ``advantages``, ``returns``, ``old_actions_log_prob`` ``[B, 1]`` and
        ``old_distribution_params`` (tuple of ``[B, ...]``), ``B = T * N // num_mini_batches``. The tensors are views
        of buffers shared by all mini-batches of the call: replace fields of a batch instead of writing into them.

    Raises:
        ValueError: If the storage is not a full ``"rl"`` storage, or for counts that cannot be served.
    """
    # Only a full RL rollout can be cut into mini-batches
    if storage.training_type != "rl":
        raise ValueError(f"Mini-batches for PPO need an 'rl' storage, got training_type {storage.training_type!r}.")
    if storage.step != storage.num_transitions_per_env or storage.distribution_params is None:
        raise ValueError(
            f"The storage holds {storage.step} of {storage.num_transitions_per_env} transitions per env; fill it"
            " before drawing mini-batches."
        )
    num_samples = storage.num_transitions_per_env * storage.num_envs
    if not 1 <= num_mini_batches <= num_samples:
        raise ValueError(f"num_mini_batches ({num_mini_batches}) must be between 1 and the {num_samples} samples.")
    if num_epochs < 1:
        raise ValueError(f"num_epochs ({num_epochs}) must be at least 1.")
    mini_batch_size = num_samples // num_mini_batches

    # One permutation for all epochs (the reference's draw), then every buffer gathered into that order once
    indices = torch.randperm(num_mini_batches * mini_batch_size, requires_grad=False, device=storage.device)
    observations = storage.observations.flatten(0, 1)
    observations = observations.apply(lambda x: x.index_select(0, indices), batch_size=[indices.numel()])
    actions, values, advantages, returns, old_log_prob = (
        tensor.flatten(0, 1).index_select(0, indices)
        for tensor in (storage.actions, storage.values, storage.advantages, storage.returns, storage.actions_log_prob)
    )
    old_params = tuple(p.flatten(0, 1).index_select(0, indices) for p in storage.distribution_params)

    # Mini-batches are contiguous slices of the permuted buffers
    bounds = [(i * mini_batch_size, (i + 1) * mini_batch_size) for i in range(num_mini_batches)]
    for _ in range(num_epochs):
        for start, stop in bounds:
            yield RolloutStorage.Batch(
                observations=observations[start:stop],
                actions=actions[start:stop],
                values=values[start:stop],
                advantages=advantages[start:stop],
                returns=returns[start:stop],
                old_actions_log_prob=old_log_prob[start:stop],
                old_distribution_params=tuple(p[start:stop] for p in old_params),
            )
