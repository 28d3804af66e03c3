"""Synchronization of model parameters and gradients across processes for multi-GPU training (torch.distributed)."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from rsl_sim.algorithms.gae import normalize_advantages
from rsl_sim.utils.gradients import reduce_gradients_in_buckets

__all__ = [
    "all_reduce_gradients",
    "broadcast_float",
    "broadcast_module_states",
    "mean_over_processes",
    "normalize_over_processes",
]

all_reduce_gradients = reduce_gradients_in_buckets
"""Average gradients over all processes in buckets (:func:`rsl_sim.utils.reduce_gradients_in_buckets`)."""


def broadcast_module_states(modules: Iterable[nn.Module], src: int = 0) -> None:
    """Overwrite every parameter and buffer of ``modules`` with the values of process ``src``.

    Args:
        modules: Modules whose ``state_dict`` tensors (parameters and buffers, e.g. normalizer statistics) are sent.
        src: Global rank of the process whose values are kept.

    Raises:
        ValueError: If the default process group is not initialized (``torch.distributed.init_process_group``).
    """
    for module in modules:
        for tensor in module.state_dict().values():
            torch.distributed.broadcast(tensor, src=src)


def mean_over_processes(tensor: torch.Tensor, world_size: int) -> torch.Tensor:
    """Return the mean of ``tensor`` over all processes (summed in place with ``all_reduce``, then divided).

    Args:
        tensor: The local value; it is overwritten with the sum.
        world_size: Number of processes.

    Returns:
        The mean, a new tensor.
    """
    torch.distributed.all_reduce(tensor, op=torch.distributed.ReduceOp.SUM)
    return tensor / world_size


def broadcast_float(value: float, device: torch.device | str, src: int = 0) -> float:
    """Return the value of process ``src`` on every process (sent in double precision, so it arrives unchanged).

    Args:
        value: The local value.
        device: Device of the communication tensor (the process group's device, e.g. ``"cuda:0"`` for NCCL).
        src: Global rank of the sending process.

    Returns:
        The value of process ``src``.
    """
    tensor = torch.tensor(value, dtype=torch.float64, device=device)
    torch.distributed.broadcast(tensor, src=src)
    return tensor.item()


def normalize_over_processes(values: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Shift and scale ``values`` to zero mean and unit standard deviation over the entries of all processes.

    ``(x - mean) / (std + eps)`` with the mean and the unbiased standard deviation of the union of every process'
    entries, i.e. what :func:`~rsl_sim.algorithms.gae.normalize_advantages` computes on the whole job's data in one
    process. The statistics are reduced in double precision (one ``all_reduce`` of count and sum, one of the squared
    deviations), so every process gets the same mean and std; it must be called by all processes together. In a
    group of one process the result is exactly ``normalize_advantages(values, eps)``.

    Args:
        values: This process' values of any shape, e.g. advantages ``[T, N, 1]`` or a mini-batch ``[B, 1]``.
        eps: Added to the standard deviation to avoid a division by zero.

    Returns:
        The normalized values, a new tensor of the shape and dtype of ``values``.

    Raises:
        ValueError: If the default process group is not initialized.
    """
    # A single process: exactly the one-process normalization
    if torch.distributed.get_world_size() == 1:
        return normalize_advantages(values, eps)
    local = values.detach().to(torch.float64)

    # Global count and mean
    count_and_sum = torch.stack(
        (torch.tensor(float(local.numel()), dtype=torch.float64, device=local.device), local.sum())
    )
    torch.distributed.all_reduce(count_and_sum, op=torch.distributed.ReduceOp.SUM)
    count, total = count_and_sum[0], count_and_sum[1]
    mean = total / count

    # Global unbiased variance around the global mean
    squared = (local - mean).square().sum()
    torch.distributed.all_reduce(squared, op=torch.distributed.ReduceOp.SUM)
    std = (squared / (count - 1)).sqrt()
    return (values - mean.to(values.dtype)) / (std.to(values.dtype) + eps)
