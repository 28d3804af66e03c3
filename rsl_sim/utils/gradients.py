"""Averaging gradients over the processes of a multi-process run (torch.distributed), in bounded buckets."""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["reduce_gradients_in_buckets"]


def reduce_gradients_in_buckets(params: Iterable[torch.Tensor], world_size: int, bucket_mb: float = 25.0) -> None:
    """Replace each gradient by its mean over all processes (RSL-RL 5.5's helper of the same name and signature).

    The gradients are packed, in order, into flat buckets of at most ``bucket_mb`` megabytes (a gradient larger than a
    bucket gets its own), each bucket is summed with one ``all_reduce`` call and divided by ``world_size``, and the
    results are copied back. Parameters without a gradient are skipped (they must be the same on every process).

    Args:
        params: Parameters whose ``.grad`` are averaged (duplicates are reduced once).
        world_size: Number of processes.
        bucket_mb: Largest bucket size in megabytes (2**20 bytes).

    Raises:
        ValueError: If the default process group is not initialized.
    """
    # Collect each gradient once, in a deterministic order that is the same on every process
    grads: list[torch.Tensor] = []
    seen: set[int] = set()
    for param in params:
        if param.grad is not None and id(param) not in seen:
            seen.add(id(param))
            grads.append(param.grad)
    bucket_bytes = max(1, int(bucket_mb * 2**20))

    # Group consecutive gradients of one dtype and device into buckets
    buckets: list[list[torch.Tensor]] = []
    size = 0
    for grad in grads:
        nbytes = grad.numel() * grad.element_size()
        last = buckets[-1] if buckets else None
        fits = last is not None and size + nbytes <= bucket_bytes
        if fits and last[0].dtype == grad.dtype and last[0].device == grad.device:
            last.append(grad)
            size += nbytes
        else:
            buckets.append([grad])
            size = nbytes

    # Sum each bucket over the processes and write the means back
    for bucket in buckets:
        flat = torch.cat([grad.reshape(-1) for grad in bucket])
        torch.distributed.all_reduce(flat, op=torch.distributed.ReduceOp.SUM)
        flat /= world_size
        offset = 0
        for grad in bucket:
            grad.copy_(flat[offset : offset + grad.numel()].view_as(grad))
            offset += grad.numel()
