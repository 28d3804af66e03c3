"""Diagonal Gaussian whose standard deviation is predicted by the MLP."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.distributions import Normal

from .base import Distribution, last_linear_layer
from .gaussian import GaussianDistribution, check_init_std


class HeteroscedasticGaussianDistribution(GaussianDistribution):
    """Diagonal Gaussian with a state-dependent std: the MLP outputs both the mean and the std.

    The MLP output has shape ``[..., 2, output_dim]``: index 0 of the second-to-last dimension is the mean, index 1
    the std (``std_type="scalar"``) or the log-std (``std_type="log"``). The std is clamped as in
    :class:`~rsl_sim.modules.distribution.GaussianDistribution` (``std_range``, optional skrl log-std bounds, NaN
    replaced by the lower bound). Interface and defaults of RSL-RL 5.x
    ``rsl_rl.modules.distribution.HeteroscedasticGaussianDistribution``; it has no std parameter of its own.
    """

    def __init__(
        self,
        output_dim: int,
        init_std: float = 1.0,
        std_range: tuple[float, float] = (1e-6, 1e6),
        std_type: str = "scalar",
        clip_log_std: bool = False,
        min_log_std: float = -20.0,
        max_log_std: float = 2.0,
        reduction: str = "sum",
    ) -> None:
        """Store the std options.

        Args:
            output_dim: Number of outputs (e.g. actions).
            init_std: Std the MLP's std head starts at (see :meth:`init_mlp_weights`), in scalar space.
            std_range: ``(min, max)`` of the std; the minimum is raised to ``1e-6`` if lower.
            std_type: ``"scalar"`` (the MLP outputs the std) or ``"log"`` (it outputs the log-std).
            clip_log_std: Whether to also bound the log-std by ``[min_log_std, max_log_std]`` (skrl).
            min_log_std: Lower log-std bound used when ``clip_log_std`` is True.
            max_log_std: Upper log-std bound used when ``clip_log_std`` is True.
            reduction: Reduction of the log-probability: ``"sum"``, ``"mean"``, ``"prod"`` or ``"none"``.

        Raises:
            ValueError: If ``std_type`` or ``reduction`` is not a valid choice, the std bounds are empty, or
                ``init_std`` is not a finite number >= 0.
        """
        # No std parameter: skip GaussianDistribution.__init__ and set up only the bounds
        Distribution.__init__(self, output_dim, reduction=reduction)
        check_init_std(init_std, type(self).__name__)
        self._init_std_bounds(std_type, std_range, clip_log_std, min_log_std, max_log_std)
        self.init_std = init_std
        self._distribution: Normal | None = None

    def update(self, mlp_output: torch.Tensor) -> None:
        """Set the Gaussian from the mean and (log-)std slices of ``mlp_output`` ``[..., 2, output_dim]``."""
        mean, raw_std = torch.unbind(mlp_output, dim=-2)
        self._distribution = Normal(mean, self._bounded_std(raw_std), validate_args=False)

    def deterministic_output(self, mlp_output: torch.Tensor) -> torch.Tensor:
        """Return the mean slice ``mlp_output[..., 0, :]``."""
        return mlp_output[..., 0, :]

    def as_deterministic_output_module(self) -> nn.Module:
        """Return a module selecting the mean slice, for export."""
        return _MeanSlice()

    @property
    def input_dim(self) -> list[int]:
        """The MLP outputs ``[..., 2, output_dim]``: mean and (log-)std."""
        return [2, self.output_dim]

    def init_mlp_weights(self, mlp: nn.Module) -> None:
        """Make the std head of the MLP's output layer start at ``init_std`` for every input.

        The weights of the std rows are zeroed and their biases set to ``init_std`` (or its log for
        ``std_type="log"``; an ``init_std`` below the std range gives the lower bound).

        Args:
            mlp: MLP whose last linear layer has ``2 * output_dim`` outputs (mean rows first).
        """
        layer = last_linear_layer(mlp)
        std_rows = slice(self.output_dim, 2 * self.output_dim)
        init_std = max(float(self.init_std), self.std_range[0]) if self.std_type == "log" else float(self.init_std)
        with torch.no_grad():
            layer.weight[std_rows].zero_()
            layer.bias[std_rows].fill_(math.log(init_std) if self.std_type == "log" else init_std)


class _MeanSlice(nn.Module):
    """Export module: the mean slice ``[..., 0, :]`` of a ``[..., 2, output_dim]`` MLP output."""

    def forward(self, mlp_output: torch.Tensor) -> torch.Tensor:
        """Select the mean slice."""
        return mlp_output[..., 0, :]
