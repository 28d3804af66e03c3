"""Beta distribution rescaled to a bounded output range."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.distributions import Beta, kl_divergence
from torch.nn.functional import softplus

from .base import Distribution, last_linear_layer

# Samples are kept this far from the ends of [0, 1] when evaluating log-probabilities
_EDGE = 1e-6


class BetaDistribution(Distribution):
    """Beta distribution rescaled to ``action_range``, for bounded outputs.

    Chou et al., "Improving Stochastic Policy Gradients in Continuous Control with Deep Reinforcement Learning using
    the Beta Distribution", ICML 2017.

    The MLP outputs ``[..., 2, output_dim]``: raw concentrations ``alpha`` (index 0) and ``beta`` (index 1), mapped
    to ``softplus(raw) + 1 > 1`` so that the density is unimodal. A Beta sample ``x`` in ``[0, 1]`` is rescaled
    linearly to ``y = low + (high - low) * x``. Interface and defaults of RSL-RL 5.x
    ``rsl_rl.modules.distribution.BetaDistribution``.

    Densities are those of ``y``: ``log p(y) = log Beta(x | alpha, beta) - log(high - low)`` (the Jacobian of the
    rescaling), with ``x`` kept ``1e-6`` inside ``[0, 1]``. The entropy is that of ``y`` as well,
    ``H(x) + log(high - low)``, consistent with the log-density (the reference reports ``H(x)``; the difference is a
    constant per dimension and leaves every gradient unchanged). KL divergences do not depend on the rescaling.
    """

    def __init__(
        self, output_dim: int, action_range: tuple[float, float] = (-1.0, 1.0), reduction: str = "sum"
    ) -> None:
        """Store the output range.

        Args:
            output_dim: Number of outputs (e.g. actions).
            action_range: ``(low, high)`` interval the ``[0, 1]`` samples are rescaled to.
            reduction: Reduction of the log-probability: ``"sum"``, ``"mean"``, ``"prod"`` or ``"none"``.

        Raises:
            ValueError: If ``action_range`` is not an interval with ``low < high``, or ``reduction`` is invalid.
        """
        super().__init__(output_dim, reduction=reduction)
        low, high = (float(bound) for bound in action_range)
        if not low < high:
            raise ValueError(f"BetaDistribution action_range must be (low, high) with low < high, got {action_range}.")
        self.action_range = (low, high)
        self._range_scale = high - low
        self._range_offset = low
        self._log_range_scale = math.log(high - low)
        self._distribution: Beta | None = None
        self._alpha: torch.Tensor | None = None
        self._beta: torch.Tensor | None = None

    def update(self, mlp_output: torch.Tensor) -> None:
        """Set the Beta distribution from the raw concentrations in ``mlp_output`` ``[..., 2, output_dim]``."""
        self._alpha, self._beta = _concentrations(mlp_output)
        self._distribution = Beta(self._alpha, self._beta, validate_args=False)

    def sample(self) -> torch.Tensor:
        """Sample ``[..., output_dim]`` in ``action_range`` (no gradient)."""
        return self._rescale(self._current().sample())

    def deterministic_output(self, mlp_output: torch.Tensor) -> torch.Tensor:
        """Return the mean ``low + (high - low) * alpha / (alpha + beta)`` computed from ``mlp_output``."""
        alpha, beta = _concentrations(mlp_output)
        return self._rescale(alpha / (alpha + beta))

    def as_deterministic_output_module(self) -> nn.Module:
        """Return a module computing the rescaled mean from the MLP output, for export."""
        return _BetaMean(self._range_scale, self._range_offset)

    @property
    def input_dim(self) -> list[int]:
        """The MLP outputs ``[..., 2, output_dim]``: raw alpha and raw beta."""
        return [2, self.output_dim]

    @property
    def mean(self) -> torch.Tensor:
        """Mean in ``action_range``, ``[..., output_dim]``."""
        return self._rescale(self._current().mean)

    @property
    def std(self) -> torch.Tensor:
        """Standard deviation in output units (``high - low`` times that of the Beta), ``[..., output_dim]``."""
        return self._current().stddev * self._range_scale

    @property
    def entropy(self) -> torch.Tensor:
        """Entropy of the rescaled output, summed over the output dimensions, ``[...]``."""
        return (self._current().entropy() + self._log_range_scale).sum(dim=-1)

    @property
    def params(self) -> tuple[torch.Tensor, ...]:
        """``(alpha, beta)``, each ``[..., output_dim]``."""
        self._current()
        return (self._alpha, self._beta)  # type: ignore[return-value]

    def log_prob(self, outputs: torch.Tensor) -> torch.Tensor:
        """Log-density of ``outputs`` ``[..., output_dim]`` in ``action_range`` (with the Jacobian of the rescaling)."""
        unit = ((outputs - self._range_offset) / self._range_scale).clamp(_EDGE, 1.0 - _EDGE)
        return self._reduce(self._current().log_prob(unit) - self._log_range_scale)

    def kl_divergence(self, old_params: tuple[torch.Tensor, ...], new_params: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Closed-form ``KL(Beta(old) || Beta(new))`` summed over the output dimensions, shape ``[...]``."""
        old = Beta(*old_params, validate_args=False)
        new = Beta(*new_params, validate_args=False)
        return kl_divergence(old, new).sum(dim=-1)

    def init_mlp_weights(self, mlp: nn.Module) -> None:
        """Zero the weights and biases of the beta rows of the MLP's output layer (as the reference does).

        Args:
            mlp: MLP whose last linear layer has ``2 * output_dim`` outputs (alpha rows first).
        """
        layer = last_linear_layer(mlp)
        beta_rows = slice(self.output_dim, 2 * self.output_dim)
        with torch.no_grad():
            layer.weight[beta_rows].zero_()
            layer.bias[beta_rows].zero_()

    def _rescale(self, unit: torch.Tensor) -> torch.Tensor:
        """Map values in ``[0, 1]`` to ``action_range``."""
        return unit * self._range_scale + self._range_offset

    def _current(self) -> Beta:
        """Return the Beta distribution set by the last :meth:`update`."""
        if self._distribution is None:
            raise RuntimeError("BetaDistribution.update(mlp_output) must be called before using the distribution.")
        return self._distribution


def _concentrations(mlp_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Map the raw MLP output ``[..., 2, output_dim]`` to concentrations ``softplus(raw) + 1`` (both > 1)."""
    alpha_raw, beta_raw = torch.unbind(mlp_output, dim=-2)
    return softplus(alpha_raw) + 1.0, softplus(beta_raw) + 1.0


class _BetaMean(nn.Module):
    """Export module: the rescaled Beta mean from the raw MLP output ``[..., 2, output_dim]``."""

    def __init__(self, range_scale: float, range_offset: float) -> None:
        super().__init__()
        self.range_scale = range_scale
        self.range_offset = range_offset

    def forward(self, mlp_output: torch.Tensor) -> torch.Tensor:
        """Compute the mean in the output range."""
        alpha_raw, beta_raw = torch.unbind(mlp_output, dim=-2)
        alpha = softplus(alpha_raw) + 1.0
        beta = softplus(beta_raw) + 1.0
        return alpha / (alpha + beta) * self.range_scale + self.range_offset
