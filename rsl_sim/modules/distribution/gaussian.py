"""Diagonal Gaussian with a state-independent standard deviation."""

from __future__ import annotations

import math
import numbers

import torch
from torch import nn
from torch.distributions import Normal, kl_divergence

from .base import Distribution

# Valid parameterizations of the standard deviation
STD_TYPES = ("scalar", "log")

# Smallest standard deviation ever used, whatever the configured range
MIN_STD = 1e-6


def check_init_std(init_std: float, where: str) -> None:
    """Refuse an initial std that is not a finite number >= 0.

    Zero is accepted as in RSL-RL 5.x: the std then starts at the lower bound of ``std_range`` (a deterministic
    output, e.g. the teacher of a converted pre-4.0 distillation config).

    Args:
        init_std: The configured ``init_std``.
        where: The distribution class, for the message.

    Raises:
        ValueError: If ``init_std`` is not a finite number >= 0 (a bool, a string, negative, NaN or Inf).
    """
    if isinstance(init_std, bool) or not isinstance(init_std, numbers.Real) or not (0 <= init_std < math.inf):
        raise ValueError(
            f"{where}: 'init_std' (the initial standard deviation of the outputs, in scalar space for both std types)"
            f" must be a finite number >= 0, got {init_std!r}; RSL-RL's configs use e.g. 1.0 (0 starts the std at the"
            " lower bound of std_range)."
        )


class GaussianDistribution(Distribution):
    """Diagonal Gaussian whose mean is the MLP output and whose std is a parameter (independent of the input).

    Interface and defaults of RSL-RL 5.x ``rsl_rl.modules.distribution.GaussianDistribution``: the std is stored as
    the parameter ``std_param`` (``std_type="scalar"``) or ``log_std_param`` (``std_type="log"``, log-space) and
    clamped to ``std_range`` when used.

    Additions (defaults keep the 5.x behaviour):

    - ``clip_log_std``, ``min_log_std``, ``max_log_std`` (skrl's Gaussian model): when ``clip_log_std`` is True the
      std is also kept in ``[exp(min_log_std), exp(max_log_std)]``; both bounds act as one clamp, the intersection
      with ``std_range``. The std is never below ``1e-6``.
    - ``reduction`` of the log-probability (see :class:`~rsl_sim.modules.distribution.Distribution`).
    - A NaN std (e.g. after a diverged update) is replaced by the lower bound instead of crashing; a negative std is
      clamped to the lower bound.
    """

    def __init__(
        self,
        output_dim: int,
        init_std: float = 1.0,
        std_range: tuple[float, float] = (1e-6, 1e6),
        std_type: str = "scalar",
        learn_std: bool = True,
        clip_log_std: bool = False,
        min_log_std: float = -20.0,
        max_log_std: float = 2.0,
        reduction: str = "sum",
    ) -> None:
        """Create the std parameter.

        Args:
            output_dim: Number of outputs (e.g. actions).
            init_std: Initial std, in scalar space for both parameterizations.
            std_range: ``(min, max)`` of the std; the minimum is raised to ``1e-6`` if lower.
            std_type: ``"scalar"`` (learn the std) or ``"log"`` (learn the log-std).
            learn_std: If False, the std stays at ``init_std`` (the parameter gets no gradient).
            clip_log_std: Whether to also bound the log-std by ``[min_log_std, max_log_std]`` (skrl).
            min_log_std: Lower log-std bound used when ``clip_log_std`` is True.
            max_log_std: Upper log-std bound used when ``clip_log_std`` is True.
            reduction: Reduction of the log-probability: ``"sum"``, ``"mean"``, ``"prod"`` or ``"none"``.

        Raises:
            ValueError: If ``std_type`` or ``reduction`` is not a valid choice, the std bounds are empty, or
                ``init_std`` is not a finite number >= 0.
        """
        super().__init__(output_dim, reduction=reduction)
        check_init_std(init_std, type(self).__name__)
        self._init_std_bounds(std_type, std_range, clip_log_std, min_log_std, max_log_std)

        # The std parameter, in the space of std_type
        initial = torch.full((output_dim,), float(init_std))
        if std_type == "scalar":
            self.std_param = nn.Parameter(initial, requires_grad=learn_std)
        else:
            self.log_std_param = nn.Parameter(torch.log(initial), requires_grad=learn_std)
        self._distribution: Normal | None = None

    def update(self, mlp_output: torch.Tensor) -> None:
        """Set the Gaussian ``N(mlp_output, std)``.

        Args:
            mlp_output: Mean ``[..., output_dim]``.
        """
        raw = self.std_param if self.std_type == "scalar" else self.log_std_param
        self._distribution = Normal(mlp_output, self._bounded_std(raw), validate_args=False)

    def sample(self) -> torch.Tensor:
        """Sample ``[..., output_dim]`` from the current Gaussian (no gradient)."""
        return self._current().sample()

    def deterministic_output(self, mlp_output: torch.Tensor) -> torch.Tensor:
        """Return the mean, which is the MLP output itself."""
        return mlp_output

    def as_deterministic_output_module(self) -> nn.Module:
        """Return an identity module (the MLP output is the mean)."""
        return nn.Identity()

    @property
    def input_dim(self) -> int:
        """The MLP outputs the mean: ``output_dim`` features."""
        return self.output_dim

    @property
    def mean(self) -> torch.Tensor:
        """Mean ``[..., output_dim]``."""
        return self._current().mean

    @property
    def std(self) -> torch.Tensor:
        """Std ``[..., output_dim]`` (broadcast to the batch shape of the mean)."""
        return self._current().stddev

    @property
    def entropy(self) -> torch.Tensor:
        """Entropy ``sum_i 0.5 * log(2 pi e std_i^2)``, shape ``[...]``."""
        return self._current().entropy().sum(dim=-1)

    @property
    def params(self) -> tuple[torch.Tensor, ...]:
        """``(mean, std)``, each ``[..., output_dim]``."""
        return (self.mean, self.std)

    def log_prob(self, outputs: torch.Tensor) -> torch.Tensor:
        """Gaussian log-density of ``outputs`` ``[..., output_dim]``, reduced with ``reduction``."""
        return self._reduce(self._current().log_prob(outputs))

    def kl_divergence(self, old_params: tuple[torch.Tensor, ...], new_params: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Closed-form ``KL(N(old) || N(new))`` summed over the output dimensions, shape ``[...]``."""
        old_mean, old_std = old_params
        new_mean, new_std = new_params
        old = Normal(old_mean, old_std, validate_args=False)
        new = Normal(new_mean, new_std, validate_args=False)
        return kl_divergence(old, new).sum(dim=-1)

    def _init_std_bounds(
        self,
        std_type: str,
        std_range: tuple[float, float],
        clip_log_std: bool,
        min_log_std: float,
        max_log_std: float,
    ) -> None:
        """Check the std options and store the effective std bounds (``std_range``, ``log_std_range``)."""
        if std_type not in STD_TYPES:
            raise ValueError(f"Unknown std_type '{std_type}'. Valid std types are: {list(STD_TYPES)}.")
        self.std_type = std_type

        # Intersect the configured ranges; never allow a std below MIN_STD
        low, high = max(float(std_range[0]), MIN_STD), float(std_range[1])
        if clip_log_std:
            low, high = max(low, math.exp(min_log_std)), min(high, math.exp(max_log_std))
        if not low <= high:
            raise ValueError(
                f"Empty std range [{low}, {high}] from std_range={tuple(std_range)}"
                + (f", min_log_std={min_log_std}, max_log_std={max_log_std}" if clip_log_std else "")
                + "; the lower bound must not exceed the upper one."
            )
        self.std_range = [low, high]
        self.log_std_range = [math.log(low), math.log(high)]

    def _bounded_std(self, raw: torch.Tensor) -> torch.Tensor:
        """Turn a raw std (or log-std for ``std_type="log"``) into a std inside the bounds; NaN becomes the minimum."""
        if self.std_type == "scalar":
            low, high = self.std_range
            return torch.nan_to_num(raw, nan=low).clamp(low, high)
        low, high = self.log_std_range
        return torch.exp(torch.nan_to_num(raw, nan=low).clamp(low, high))

    def _current(self) -> Normal:
        """Return the Gaussian set by the last :meth:`update`."""
        if self._distribution is None:
            name = type(self).__name__
            raise RuntimeError(f"{name}.update(mlp_output) must be called before using the distribution.")
        return self._distribution
