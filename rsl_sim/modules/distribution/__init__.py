"""Output distributions of stochastic models (``rsl_sim.modules.distribution``, as ``rsl_rl.modules.distribution``)."""

from .base import Distribution
from .beta import BetaDistribution
from .gaussian import GaussianDistribution
from .heteroscedastic_gaussian import HeteroscedasticGaussianDistribution

__all__ = [
    "BetaDistribution",
    "Distribution",
    "GaussianDistribution",
    "HeteroscedasticGaussianDistribution",
]
