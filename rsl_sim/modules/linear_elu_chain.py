"""A chain of linear layers with ELUs between them as one autograd node (the float32 CPU fast path of ``MLP``).

``MLP`` of RSL-RL is ``Linear -> ELU -> Linear -> ELU -> ... -> Linear``. Run module by module, every layer is a node of
the autograd graph with its own Python bookkeeping, every ELU keeps its input for its backward, and every gradient is a
new tensor. :func:`linear_elu_chain` computes the same chain as one ``torch.autograd.Function``:

- forward: each product on oneDNN (``rsl_sim.modules.linear``; products under ``ONEDNN_MIN_MACS`` on the BLAS), each
  ELU in place on the product's output, which is the only tensor kept per layer;
- backward (by hand): ``dL/dW = (dL/dy)^T x`` on the BLAS or oneDNN, whichever is faster on the CPU
  (``linear.weight_gradient``), ``dL/db`` the batch sum, ``dL/dx = dL/dy W`` on oneDNN, and the ELU's gradient in
  place on that input gradient from the ELU's output (``grad * (out + alpha)`` where ``out <= 0``), so no ``exp`` is
  recomputed and no tensor is allocated for it.

The arithmetic is that of the module-by-module fast path (``Linear`` on oneDNN, ELU in place): it differs from
``nn.Linear`` / ``nn.ELU`` by float32 rounding only. Second derivatives are not available (``create_graph=True`` raises
an error), as on the oneDNN path of ``Linear``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from rsl_sim.modules import linear as linear_module

__all__ = ["linear_elu_chain"]


def _product(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``x @ weight^T (+ bias)`` for a 2-D ``x``: oneDNN from ``ONEDNN_MIN_MACS`` multiply-adds on, else the BLAS."""
    if x.shape[0] * x.shape[1] * weight.shape[0] >= linear_module.ONEDNN_MIN_MACS:
        return linear_module._dense_linear(x, weight, bias)
    return F.linear(x, weight, bias)


def _chain_forward(
    x: torch.Tensor, alphas: Sequence[float], params: Sequence[torch.Tensor | None]
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The chain's output for a 2-D ``x`` and every layer's input (``x``, then each ELU's output, made in place).

    ``params`` alternate weight and bias (None for a layer without bias).
    """
    inputs = [x]
    h = x
    for i, (weight, bias) in enumerate(zip(params[0::2], params[1::2])):
        h = _product(h, weight, bias)
        if i < len(alphas):
            h = F.elu(h, alphas[i], inplace=True)
            inputs.append(h)
    return h, inputs


class _LinearELUChainFunction(torch.autograd.Function):
    """``y = L_n(elu(... elu(L_1(x))))`` with a hand-written backward (2-D ``x``; see the module docstring)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, alphas: tuple[float, ...], *params: torch.Tensor | None) -> torch.Tensor:  # type: ignore[override]
        weights, biases = params[0::2], params[1::2]
        h, inputs = _chain_forward(x, alphas, params)
        ctx.save_for_backward(*inputs, *weights)
        ctx.alphas = alphas
        ctx.has_bias = tuple(bias is not None for bias in biases)
        return h

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output: torch.Tensor):  # type: ignore[override]
        saved = ctx.saved_tensors
        num_layers = len(ctx.has_bias)
        inputs, weights = saved[:num_layers], saved[num_layers:]
        needs = ctx.needs_input_grad  # (x, alphas, weight_0, bias_0, weight_1, bias_1, ...)
        grads: list[torch.Tensor | None] = [None] * (2 * num_layers)
        grad = grad_output.contiguous()
        for i in reversed(range(num_layers)):
            # Parameter gradients: (dL/dy)^T x on the back end that is faster on this CPU, and the batch sum
            if needs[2 + 2 * i]:
                grads[2 * i] = linear_module.weight_gradient(grad, inputs[i])
            if ctx.has_bias[i] and needs[3 + 2 * i]:
                grads[2 * i + 1] = grad.sum(0)
            if i == 0 and not needs[0]:
                break
            # Input gradient dL/dy W, then through the ELU before this layer, in place, from the ELU's output
            grad = _product(grad, weights[i].t(), None)
            if i > 0:
                alpha = ctx.alphas[i - 1]
                grad = torch.ops.aten.elu_backward.grad_input(grad, alpha, 1, 1, True, inputs[i], grad_input=grad)
        grad_x = grad if needs[0] else None
        return (grad_x, None, *grads)


def linear_elu_chain(x: torch.Tensor, linears: Sequence[nn.Linear], alphas: Sequence[float]) -> torch.Tensor:
    """Apply ``linears[0]``, ELU(``alphas[0]``), ``linears[1]``, ..., ``linears[-1]`` (no ELU after the last).

    Args:
        x: Input ``[..., linears[0].in_features]``, float32 on the CPU.
        linears: The linear layers in order (each ``out_features`` the next one's ``in_features``).
        alphas: The ELUs' ``alpha`` (positive), one per gap: ``len(linears) - 1`` values.

    Returns:
        Output ``[..., linears[-1].out_features]``.

    Raises:
        ValueError: If the number of alphas is not ``len(linears) - 1`` or an alpha is not positive (the gradient is
            computed from the ELU's output, which needs ``alpha > 0``).
    """
    if len(alphas) != len(linears) - 1 or any(alpha <= 0.0 for alpha in alphas):
        raise ValueError(
            f"linear_elu_chain needs one positive ELU alpha per gap between {len(linears)} linear layers, got {alphas}."
        )
    flat = x if x.dim() == 2 else x.reshape(-1, x.shape[-1])
    params: list[torch.Tensor | None] = []
    for layer in linears:
        params += [layer.weight, layer.bias]
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (flat, *params)):
        output = _LinearELUChainFunction.apply(flat, tuple(alphas), *params)
    else:
        # No graph to record: the forward alone, without the autograd node
        output, _ = _chain_forward(flat, alphas, params)
    return output if x.dim() == 2 else output.reshape(*x.shape[:-1], output.shape[-1])
