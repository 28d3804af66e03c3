"""Multi-layer perceptron."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from rsl_sim.modules.linear import Linear, onednn_arithmetic_applies
from rsl_sim.modules.linear_elu_chain import linear_elu_chain
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
        the update keeps one tensor per layer instead of two. The leading ``Linear -> ELU -> ... -> Linear`` layers
        (all of RSL-RL's ELU MLP) run as one autograd node (:func:`~rsl_sim.modules.linear_elu_chain.
        linear_elu_chain`) unless a hook is registered on one of them. The results differ from :meth:`forward`'s
        plain path by float32 rounding only (used where rsl_sim's own float32 arithmetic applies, see
        :func:`~rsl_sim.modules.linear.onednn_arithmetic_applies`).
        """
        layers = list(self)
        linears, alphas = _leading_linear_elu_chain(layers)
        previous: nn.Module | None = None
        if linears:
            x = linear_elu_chain(x, linears, alphas)
            layers = layers[2 * len(linears) - 1 :]
            previous = linears[-1]
        for layer in layers:
            if type(layer) is nn.ELU and isinstance(previous, nn.Linear):
                x = F.elu(x, layer.alpha, inplace=True)
            else:
                x = layer(x)
            previous = layer
        return x


def _leading_linear_elu_chain(layers: list[nn.Module]) -> tuple[list[nn.Linear], list[float]]:
    """The longest leading ``Linear (-> ELU -> Linear)*`` run of rsl_sim ``Linear`` layers without hooks, and alphas.

    Returns empty lists when the first layer is not such a linear layer, or when any hook (module or global) would be
    skipped by running the layers as one node.
    """
    if _global_hooks_registered():
        return [], []
    linears: list[nn.Linear] = []
    alphas: list[float] = []
    i = 0
    while i < len(layers) and type(layers[i]) is Linear and not _has_hooks(layers[i]):
        linears.append(layers[i])
        activation = layers[i + 1] if i + 1 < len(layers) else None
        following = layers[i + 2] if i + 2 < len(layers) else None
        if not (
            type(activation) is nn.ELU
            and activation.alpha > 0.0
            and not _has_hooks(activation)
            and type(following) is Linear
            and not _has_hooks(following)
        ):
            break
        alphas.append(float(activation.alpha))
        i += 2
    return linears, alphas


def _has_hooks(module: nn.Module) -> bool:
    """Whether a forward or backward hook is registered on ``module``."""
    return bool(
        module._forward_hooks or module._forward_pre_hooks or module._backward_hooks or module._backward_pre_hooks
    )


def _global_hooks_registered() -> bool:
    """Whether a global module hook (``torch.nn.modules.module.register_module_*_hook``) is registered."""
    from torch.nn.modules import module as module_module

    return bool(
        module_module._global_forward_hooks
        or module_module._global_forward_pre_hooks
        or module_module._global_backward_hooks
        or module_module._global_backward_pre_hooks
    )
