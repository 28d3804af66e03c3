"""Running-statistics normalizers for observations and rewards."""

from __future__ import annotations

import torch
from torch import nn


class EmpiricalNormalization(nn.Module):
    """Normalize values to zero mean and unit variance with running statistics.

    The statistics are shared by all environments (computed over the whole batch). Each call to :meth:`update` merges
    the batch mean and (population) variance into the running ones with the parallel formula of Chan et al. (1979),
    so the result equals the statistics of all samples seen so far, whatever the batch sizes. Under
    ``torch.distributed`` the batch statistics are first reduced over all processes.

    :meth:`forward` only normalizes; the statistics change only through :meth:`update` (RSL-RL 5.x models call it
    from ``update_normalization``), and only in training mode and while fewer than ``until`` samples were seen.

    The statistics are buffers ``_mean``, ``_var``, ``_std`` (shape ``[1, *shape]``) and ``count`` (a long scalar),
    named as in RSL-RL 5.x so its checkpoints load.
    """

    def __init__(self, shape: int | tuple[int, ...] | list[int], eps: float = 1e-2, until: int | None = None) -> None:
        """Create the statistics of an empty stream (mean 0, variance 1, count 0).

        Args:
            shape: Shape of one sample (without the batch dimension); ``[]`` for scalars.
            eps: Added to the standard deviation in the denominator, for stability.
            until: Stop updating once this many samples were seen (the batch that crosses it is still merged).
                None updates forever.
        """
        super().__init__()
        self.eps = eps
        self.until = until
        self.register_buffer("_mean", torch.zeros(shape).unsqueeze(0))
        self.register_buffer("_var", torch.ones(shape).unsqueeze(0))
        self.register_buffer("_std", torch.ones(shape).unsqueeze(0))
        self.register_buffer("count", torch.tensor(0, dtype=torch.long))

    @property
    def mean(self) -> torch.Tensor:
        """Running mean, shape ``shape`` (a copy)."""
        return self._mean.squeeze(0).clone()

    @property
    def std(self) -> torch.Tensor:
        """Running standard deviation, shape ``shape`` (a copy)."""
        return self._std.squeeze(0).clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalize ``x``: ``(x - mean) / (std + eps)``.

        Args:
            x: Values ``[..., *shape]``.

        Returns:
            Normalized values of the same shape.
        """
        # One new tensor: the division runs in place on the difference (same values as (x - mean) / (std + eps))
        return torch.sub(x, self._mean).div_(self._std + self.eps)

    @torch.jit.unused
    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Undo :meth:`forward`: ``y * (std + eps) + mean``.

        Args:
            y: Normalized values ``[..., *shape]``.

        Returns:
            Values in the original scale, same shape.
        """
        return y * (self._std + self.eps) + self._mean

    @torch.jit.unused
    def update(self, x: torch.Tensor) -> None:
        """Merge a batch of samples into the running statistics (no-op in eval mode or after ``until`` samples).

        Args:
            x: Samples ``[batch, *shape]``; extra leading dimensions (e.g. ``[time, num_envs, *shape]``) are
                flattened into the batch.
        """
        if not self.training or (self.until is not None and self.count >= self.until):
            return
        samples = x.detach().reshape(-1, *self._mean.shape[1:]).to(self._mean.dtype)

        # Batch statistics, reduced over all processes in distributed training
        batch_count, batch_mean, batch_var = _batch_moments(samples)
        if int(batch_count) == 0:
            return

        # Parallel merge of (count, mean, var) with the batch (Chan et al.)
        total = self.count + batch_count
        weight = batch_count.to(self._mean.dtype) / total.to(self._mean.dtype)
        delta = batch_mean - self._mean
        self._mean += weight * delta
        self._var.copy_((1.0 - weight) * self._var + weight * batch_var + weight * (1.0 - weight) * delta.square())
        self._std.copy_(self._var.clamp_min(0.0).sqrt())
        self.count.copy_(total)


class EmpiricalDiscountedVariationNormalization(nn.Module):
    """Reward normalization by the running standard deviation of the discounted return.

    Burda et al., "Exploration by Random Network Distillation" (2018) and "Large-Scale Study of Curiosity-Driven
    Learning" (2018): rewards are divided by a running estimate of the standard deviation of the discounted sum of
    rewards ``R_t = gamma * R_{t-1} + r_t`` (not reset at episode ends), which keeps the reward scale stable while
    the reward itself changes. Used by RND for the intrinsic reward, as in RSL-RL 5.x.

    The statistics live in the submodule ``emp_norm`` (state-dict keys ``emp_norm._mean`` etc., as in the reference);
    the running return is not saved.
    """

    def __init__(
        self,
        shape: int | tuple[int, ...] | list[int],
        eps: float = 1e-2,
        gamma: float = 0.99,
        until: int | None = None,
    ) -> None:
        """Create the normalizer.

        Args:
            shape: Shape of one reward sample without the batch dimension (``[]`` for one reward per environment).
            eps: ``eps`` of the inner :class:`EmpiricalNormalization` (not used in the division, as in the
                reference).
            gamma: Discount factor of the running return.
            until: Stop updating the statistics after this many samples (None: never stop).
        """
        super().__init__()
        self.gamma = gamma
        self.emp_norm = EmpiricalNormalization(shape, eps, until)
        self.register_buffer("_discounted_return", None, persistent=False)

    def forward(self, rew: torch.Tensor) -> torch.Tensor:
        """Normalize rewards; in training mode first advance the running return and update its statistics.

        Args:
            rew: Rewards ``[num_envs, *shape]``.

        Returns:
            ``rew / std`` of the discounted return (``rew`` unchanged where that std is zero), same shape as ``rew``.
        """
        if self.training:
            # Advance the discounted return and merge it into the statistics
            returns = rew.detach()
            if self._discounted_return is not None and self._discounted_return.shape == rew.shape:
                returns = self.gamma * self._discounted_return + returns
            self._discounted_return = returns
            self.emp_norm.update(returns)

        # Divide by the std of the return where it is positive
        std = self.emp_norm._std
        return torch.where(std > 0, rew / std.clamp_min(torch.finfo(std.dtype).tiny), rew)


# Elements per chunk of rows in _batch_moments (4 MB of float32: the temporary stays in the cache and the heap)
_MOMENTS_CHUNK_ELEMENTS = 2**20


def _batch_moments(samples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Count, mean and population variance of ``samples`` ``[batch, ...]`` over the batch (and all processes).

    Returns:
        Count (long scalar), mean ``[1, ...]`` and variance ``[1, ...]``.
    """
    count = torch.tensor(samples.shape[0], dtype=torch.long, device=samples.device)
    total = samples.sum(dim=0, keepdim=True)
    distributed = torch.distributed.is_available() and torch.distributed.is_initialized()

    # Global count and mean
    if distributed:
        torch.distributed.all_reduce(count)
        torch.distributed.all_reduce(total)
    if int(count) == 0:
        return count, total, torch.zeros_like(total)
    mean = total / count

    # Global variance around the global mean; on the CPU in chunks of rows, since a [batch, ...] temporary of a large
    # rollout (100 MB at 4096 envs x 24 steps x 283 values) costs more in page faults than the arithmetic
    rows = max(1, samples.shape[0])
    if samples.device.type == "cpu":
        rows = max(1, _MOMENTS_CHUNK_ELEMENTS // max(1, mean.numel()))
    squared = torch.zeros_like(mean)
    for chunk in samples.split(rows):
        squared += torch.sub(chunk, mean).square_().sum(dim=0, keepdim=True)
    if distributed:
        torch.distributed.all_reduce(squared)
    return count, mean, squared / count
