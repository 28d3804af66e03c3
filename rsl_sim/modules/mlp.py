"""Multi-layer perceptron."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from rsl_sim.modules.linear import Linear, onednn_arithmetic_applies
from rsl_sim.utils.activations import resolve_nn_activation
from rsl_sim.utils.params import get_param


class MLP(nn.Sequential):
    """Multi-layer perceptron: linear layers with an activation after each hidden layer.

    The layers are registered as ``"0"``, ``"1"``, ... in the order Linear, activation, Linear, activation, ...,
    Linear[, Unflatten][, last activation], so state-dict keys (``0.weight``, ``0.bias``, ``2.weight``, ...) match
    RSL-RL 5.x ``rsl_rl.modules.MLP``.

    The linear layers are :class:`rsl_sim.modules.linear.Linear` (``nn.Linear`` with its float32 CPU products on
    oneDNN; identical parameters and keys).

    Conveniences:

    - a hidden dimension of ``-1`` is replaced by ``input_dim``;
    - a tuple/list ``output_dim`` makes the last linear layer output ``prod(output_dim)`` features, reshaped to
      ``[..., *output_dim]`` (used by distributions that need ``[..., 2, num_actions]``).
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int | tuple[int, ...] | list[int],
        hidden_dims: tuple[int, ...] | list[int],
        activation: str = "elu",
        last_activation: str | None = None,
    ) -> None:
        """Build the layers.

        Args:
            input_dim: Number of input features.
            output_dim: Number of output features, or the output shape (after the batch dimensions) as a tuple/list.
            hidden_dims: Widths of the hidden layers; ``-1`` means ``input_dim``. May be empty (a single linear layer).
            activation: Name of the activation after every hidden layer (see
                :func:`~rsl_sim.utils.resolve_nn_activation`).
            last_activation: Name of an activation applied to the output, or None for a linear output.

        Raises:
            ValueError: If a dimension is not positive (other than ``-1`` in ``hidden_dims``) or an activation name is
                unknown.
        """
        super().__init__()

        # Resolve the layer widths
        widths = [input_dim if dim == -1 else dim for dim in hidden_dims]
        output_shape = [output_dim] if isinstance(output_dim, numbers.Integral) else list(output_dim)
        for name, dims in (("input_dim", [input_dim]), ("hidden_dims", widths), ("output_dim", output_shape)):
            if any(not isinstance(dim, numbers.Integral) or dim <= 0 for dim in dims):
                raise ValueError(f"MLP {name} must hold positive integers (or -1 in hidden_dims), got {dims}.")
        input_dim = int(input_dim)
        widths = [int(dim) for dim in widths]
        output_shape = [int(dim) for dim in output_shape]

        # Hidden layers: Linear followed by the activation
        layers: list[nn.Module] = []
        in_features = input_dim
        for width in widths:
            layers += [Linear(in_features, width), resolve_nn_activation(activation)]
            in_features = width

        # Output layer, reshaped when the output is multi-dimensional
        layers.append(Linear(in_features, math.prod(output_shape)))
        if not isinstance(output_dim, numbers.Integral):
            layers.append(nn.Unflatten(dim=-1, unflattened_size=tuple(output_shape)))
        if last_activation is not None:
            layers.append(resolve_nn_activation(last_activation))

        # Register under the indices "0", "1", ...
        for idx, layer in enumerate(layers):
            self.add_module(str(idx), layer)

    def init_weights(self, scales: float | Sequence[float]) -> None:
        """Re-initialize the linear layers orthogonally with zero biases.

        Args:
            scales: Gain of the orthogonal initialization, one value for all linear layers or one per linear layer
                (in order, the output layer last).

        Raises:
            IndexError: If ``scales`` is a sequence with fewer entries than there are linear layers.
        """
        linear_layers = [module for module in self if isinstance(module, nn.Linear)]
        for idx, layer in enumerate(linear_layers):
            nn.init.orthogonal_(layer.weight, gain=get_param(scales, idx))
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layers.

        Args:
            x: Input of shape ``[..., input_dim]``.

        Returns:
            Output of shape ``[..., output_dim]`` or ``[..., *output_dim]`` for a tuple/list ``output_dim``.
        """
        if not torch.jit.is_scripting():
            if onednn_arithmetic_applies(x):
                return self._forward_elu_in_place(x)
        for layer in self:
            x = layer(x)
        return x

    @torch.jit.unused
    def _forward_elu_in_place(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layers, an ELU right after a linear layer in place on that layer's output.

        A linear layer's backward does not read its output, so overwriting it is safe; the ELU's backward then reads
        the ELU's output (``grad * (out + alpha)`` where ``out <= 0``) instead of recomputing ``exp`` of its input, and
        the update keeps one tensor per layer instead of two. The results differ from :meth:`forward`'s plain path by
        float32 rounding in the gradients only (used where rsl_sim's own float32 arithmetic applies, see
        :func:`~rsl_sim.modules.linear.onednn_arithmetic_applies`).
        """
        previous: nn.Module | None = None
        for layer in self:
            if type(layer) is nn.ELU and isinstance(previous, nn.Linear):
                x = F.elu(x, layer.alpha, inplace=True)
            else:
                x = layer(x)
            previous = layer
        return x
