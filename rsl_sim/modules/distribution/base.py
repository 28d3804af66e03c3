"""Base class of the output distributions of stochastic models."""

from __future__ import annotations

import torch
from torch import nn

# Valid reductions of the per-dimension log-probabilities (skrl's ``reduction`` argument)
REDUCTIONS = ("sum", "mean", "prod", "none")


class Distribution(nn.Module):
    """Interface between a model's MLP output and a probability distribution over its outputs (e.g. actions).

    A distribution module declares the MLP output it needs (:attr:`input_dim`), turns a raw MLP output into a
    distribution (:meth:`update`), and then answers questions about the current distribution: samples, mean, std,
    entropy, log-probabilities and the parameters to store for a later KL divergence. Learnable parameters that do not
    depend on the input (e.g. a state-independent std) live in the module itself. Interface of RSL-RL 5.x
    ``rsl_rl.modules.distribution.Distribution``; subclasses implement every method that raises
    ``NotImplementedError`` here.

    Log-probabilities are computed per output dimension and then reduced over the last dimension with
    ``reduction``: ``"sum"`` (the default, the log-probability of the joint diagonal distribution), ``"mean"``,
    ``"prod"`` or ``"none"`` (no reduction, shape ``[..., output_dim]``), following skrl's Gaussian model. Entropy and
    KL divergence are always summed.
    """

    def __init__(self, output_dim: int, reduction: str = "sum") -> None:
        """Store the output dimension.

        Args:
            output_dim: Number of outputs (e.g. actions).
            reduction: Reduction of the log-probability over the output dimensions: ``"sum"``, ``"mean"``,
                ``"prod"`` or ``"none"``.

        Raises:
            ValueError: If ``reduction`` is not a valid choice.
        """
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"Unknown reduction '{reduction}'. Valid reductions are: {list(REDUCTIONS)}.")
        self.output_dim = output_dim
        self.reduction = reduction

    def update(self, mlp_output: torch.Tensor) -> None:
        """Set the current distribution from a raw MLP output.

        Args:
            mlp_output: MLP output ``[..., *input_dim]``.
        """
        raise NotImplementedError

    def sample(self) -> torch.Tensor:
        """Draw one sample per batch entry from the current distribution.

        Returns:
            Samples ``[..., output_dim]`` (no gradient).
        """
        raise NotImplementedError

    def deterministic_output(self, mlp_output: torch.Tensor) -> torch.Tensor:
        """Compute the deterministic output (the mean) directly from a raw MLP output, without :meth:`update`.

        Args:
            mlp_output: MLP output ``[..., *input_dim]``.

        Returns:
            Deterministic output ``[..., output_dim]``.
        """
        raise NotImplementedError

    def as_deterministic_output_module(self) -> nn.Module:
        """Return a stateless module computing :meth:`deterministic_output`, for TorchScript / ONNX export."""
        raise NotImplementedError

    @property
    def input_dim(self) -> int | list[int]:
        """Shape of the MLP output the distribution needs: an int, or a list for a multi-dimensional output."""
        raise NotImplementedError

    @property
    def mean(self) -> torch.Tensor:
        """Mean of the current distribution, ``[..., output_dim]``."""
        raise NotImplementedError

    @property
    def std(self) -> torch.Tensor:
        """Standard deviation of the current distribution, ``[..., output_dim]``."""
        raise NotImplementedError

    @property
    def entropy(self) -> torch.Tensor:
        """Entropy of the current distribution summed over the output dimensions, ``[...]``."""
        raise NotImplementedError

    @property
    def params(self) -> tuple[torch.Tensor, ...]:
        """Tensors that define the current distribution (stored in rollouts, passed to :meth:`kl_divergence`)."""
        raise NotImplementedError

    def log_prob(self, outputs: torch.Tensor) -> torch.Tensor:
        """Log-probability (density) of ``outputs`` under the current distribution.

        Args:
            outputs: Values ``[..., output_dim]``.

        Returns:
            ``[...]`` for the reductions ``"sum"``, ``"mean"`` and ``"prod"``; ``[..., output_dim]`` for ``"none"``.
        """
        raise NotImplementedError

    def kl_divergence(self, old_params: tuple[torch.Tensor, ...], new_params: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """KL divergence ``KL(old || new)`` between two distributions of this type, summed over the output dimensions.

        Args:
            old_params: Parameters of the old distribution, as returned by :attr:`params`.
            new_params: Parameters of the new distribution, as returned by :attr:`params`.

        Returns:
            KL divergence ``[...]``.
        """
        raise NotImplementedError

    def init_mlp_weights(self, mlp: nn.Module) -> None:
        """Initialize the parts of the MLP that the distribution owns (e.g. a std head). Does nothing by default.

        Args:
            mlp: The model's MLP, whose output shape is :attr:`input_dim`.
        """

    def _reduce(self, log_prob: torch.Tensor) -> torch.Tensor:
        """Reduce per-dimension log-probabilities ``[..., output_dim]`` over the last dimension with ``reduction``."""
        if self.reduction == "sum":
            return log_prob.sum(dim=-1)
        if self.reduction == "mean":
            return log_prob.mean(dim=-1)
        if self.reduction == "prod":
            return log_prob.prod(dim=-1)
        return log_prob


def last_linear_layer(mlp: nn.Module) -> nn.Linear:
    """Return the last ``nn.Linear`` of ``mlp`` (its output layer).

    Raises:
        TypeError: If ``mlp`` contains no linear layer.
    """
    linear_layers = [module for module in mlp.modules() if isinstance(module, nn.Linear)]
    if not linear_layers:
        raise TypeError(f"Expected an MLP with a linear output layer, got {type(mlp).__name__} without nn.Linear.")
    return linear_layers[-1]
