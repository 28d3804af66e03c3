"""Linear layer whose float32 CPU matrix products run on oneDNN.

PyTorch computes ``torch.nn.Linear`` on the CPU with the BLAS it was built with (MKL in the official wheels). MKL picks
its fast AVX-512 kernels on Intel CPUs only; on AMD CPUs it runs a generic path. oneDNN, which PyTorch ships as well
(its ``mkldnn`` ops, used by Inductor), generates its kernels for the CPU it runs on. Measured on a 2-core AMD EPYC
(Zen 4, AVX-512), one thread, float32, CPU time: ``[3072, 512] x [512, 256]`` 81-91 GFLOP/s on MKL, 101-105 on oneDNN
(a 2048^3 product: 83 and 106). Zen 4 executes AVX-512 on 256-bit units, so MKL's AVX2 path has the same peak and the
gap is only 10-20 %. Zen 5 executes them at full width: 109 GFLOP/s on MKL against 250 on oneDNN (2026-12-05, a 2-core
Zen 5 AMD EPYC). On Intel CPUs MKL has its own AVX-512 kernels and the two are about equal; see ``docs/performance.md``.

:class:`Linear` is a ``torch.nn.Linear`` (same parameters, state-dict keys, initialization and ``isinstance``) whose
forward product and input-gradient product use oneDNN's ``mkldnn::_linear_pointwise`` when that computes the same
thing: a float32 input and weight on the CPU, a product of at least :data:`ONEDNN_MIN_MACS` multiply-adds, no autocast,
no scripting, tracing, compiling or ONNX export. The weight gradient ``grad_out^T @ x`` sums over the batch, which
oneDNN's op reads from transposed operands; it is faster there than on the BLAS on some CPUs only, so it runs on the
back end measured faster once per process (:func:`onednn_weight_gradient_enabled`, ``RSL_SIM_ONEDNN_WEIGHT_GRADIENT``).
Everything else takes ``torch.nn.functional.linear``. The products are the same float32 sums
in another order, so results differ from ``nn.Linear``'s by float32 rounding only (about 1e-6 relative).
:func:`set_onednn_linear` (or the environment variable ``RSL_SIM_ONEDNN_LINEAR=0``) switches back to ``nn.Linear``'s
arithmetic bit for bit (and :class:`~rsl_sim.modules.MLP` back to out-of-place activations, see
:func:`onednn_arithmetic_applies`), e.g. to compare with RSL-RL, and is needed for second derivatives
(``create_graph=True`` through the layer raises an error on the oneDNN path) and ``torch.func`` transforms.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ONEDNN_MIN_MACS",
    "Linear",
    "adopt_onednn_weight_gradient",
    "decided_onednn_weight_gradient",
    "onednn_arithmetic_applies",
    "onednn_linear_available",
    "onednn_linear_enabled",
    "onednn_weight_gradient_enabled",
    "set_onednn_linear",
    "set_onednn_weight_gradient",
    "use_onednn_linear",
    "weight_gradient",
]


def _find_kernel() -> object | None:
    """The dense-tensor linear op of oneDNN, or None where this torch build has none."""
    if not torch.backends.mkldnn.is_available():
        return None
    try:
        return torch.ops.mkldnn._linear_pointwise.default
    except (AttributeError, RuntimeError):
        return None


ONEDNN_MIN_MACS = 1 << 20
"""Smallest product (rows x in_features x out_features multiply-adds) computed on oneDNN. Below it oneDNN's fixed cost
per call (about 15 us, measured) exceeds the gain: a policy step of one robot stays on PyTorch's BLAS."""

_KERNEL = _find_kernel()
_ENABLED = os.environ.get("RSL_SIM_ONEDNN_LINEAR", "1") != "0"


def onednn_linear_available() -> bool:
    """Whether this torch build has oneDNN's linear op (then :class:`Linear` can use it)."""
    return _KERNEL is not None


def onednn_linear_enabled() -> bool:
    """Whether :class:`Linear` uses oneDNN where it applies (available and switched on)."""
    return _KERNEL is not None and _ENABLED


def set_onednn_linear(enabled: bool) -> bool:
    """Switch oneDNN for :class:`Linear` on or off for the whole process; returns the previous setting.

    Raises:
        TypeError: If ``enabled`` is not a bool.
    """
    global _ENABLED
    if not isinstance(enabled, bool):
        raise TypeError(f"set_onednn_linear expects True or False, got {enabled!r}.")
    previous, _ENABLED = _ENABLED, enabled
    return previous


@contextlib.contextmanager
def use_onednn_linear(enabled: bool) -> Iterator[None]:
    """Context manager: :func:`set_onednn_linear` for the block, the previous setting restored afterwards."""
    previous = set_onednn_linear(enabled)
    try:
        yield
    finally:
        set_onednn_linear(previous)


ONEDNN_WEIGHT_GRADIENT_MIN_SPEEDUP = 1.25
"""How much faster than the BLAS oneDNN must compute a weight gradient, measured once per process, to be used for it
(``RSL_SIM_ONEDNN_WEIGHT_GRADIENT=auto``). Measured one-thread CPU time of ``[256, 3072] x [3072, 512]``: 7.8 ms on MKL
against 4.1 ms on oneDNN on a Zen 5 AMD EPYC (1.9x); about equal on a Zen 4 AMD EPYC and an Intel Xeon, where oneDNN
has no faster kernel than MKL (docs/performance.md)."""

_WEIGHT_GRADIENT_CHOICES = {"auto": None, "1": True, "0": False}
_weight_gradient_setting = os.environ.get("RSL_SIM_ONEDNN_WEIGHT_GRADIENT", "auto")
if _weight_gradient_setting not in _WEIGHT_GRADIENT_CHOICES:
    raise ValueError(
        f"RSL_SIM_ONEDNN_WEIGHT_GRADIENT={_weight_gradient_setting!r} is not one of "
        f"{sorted(_WEIGHT_GRADIENT_CHOICES)}: 'auto' measures once per process which back end computes weight "
        "gradients faster, '1' uses oneDNN, '0' the BLAS."
    )
_WEIGHT_GRADIENT_ON_ONEDNN: bool | None = _WEIGHT_GRADIENT_CHOICES[_weight_gradient_setting]
# Whether the user fixed the choice (environment variable or set_onednn_weight_gradient); a resumed run keeps it then
_WEIGHT_GRADIENT_PINNED = _WEIGHT_GRADIENT_ON_ONEDNN is not None


def _check_choice(function: str, enabled: bool | None) -> None:
    """Raise a TypeError naming ``function`` unless ``enabled`` is True, False or None."""
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(f"{function} expects True, False or None, got {enabled!r}.")


def _dense_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``x @ weight^T (+ bias)`` for a 2-D ``x`` on oneDNN (strided inputs, e.g. transposed views, are fine)."""
    return _KERNEL(x, weight, bias, "none", [], "")  # type: ignore[operator]


def _measure_onednn_weight_gradient_speedup(repeats: int = 5) -> float:
    """BLAS time over oneDNN time of one weight gradient ``[256, 3072] x [3072, 512]``.

    That is the update's widest layer at a mini-batch of 3,072; best of ``repeats`` each, wall time at the current
    torch thread count (on two threads oneDNN's product used about one thread's CPU time and MKL's two, measured on
    a Zen 5 AMD EPYC, so CPU time would mislead); the best of several is robust to a busy machine. Uses constant
    tensors, so no random number generator advances.
    """
    grad_output = torch.full((3072, 256), 0.5)
    x = torch.full((3072, 512), 0.25)
    blas = onednn = float("inf")
    for _ in range(repeats + 1):  # the first round warms both up
        start = time.perf_counter()
        torch.mm(grad_output.t(), x)
        middle = time.perf_counter()
        _dense_linear(grad_output.t(), x.t(), None)
        end = time.perf_counter()
        blas, onednn = min(blas, middle - start), min(onednn, end - middle)
    return blas / max(onednn, 1e-9)


def onednn_weight_gradient_enabled() -> bool:
    """Whether :class:`Linear` (and ``MLP``'s ELU chain) compute weight gradients on oneDNN instead of the BLAS.

    Set by ``RSL_SIM_ONEDNN_WEIGHT_GRADIENT`` (``auto``, the default, ``1`` or ``0``; another value raises a
    ``ValueError`` on import) or :func:`set_onednn_weight_gradient`. With ``auto`` the first call measures one weight
    gradient on both back ends (about 0.1 s) and keeps oneDNN where it is at least
    :data:`ONEDNN_WEIGHT_GRADIENT_MIN_SPEEDUP` times faster; the choice then holds for the whole process, so a run
    computes the same sums throughout. Always False where oneDNN's linear op is not available.
    """
    global _WEIGHT_GRADIENT_ON_ONEDNN
    if _KERNEL is None:
        return False
    if _WEIGHT_GRADIENT_ON_ONEDNN is None:
        speedup = _measure_onednn_weight_gradient_speedup()
        _WEIGHT_GRADIENT_ON_ONEDNN = speedup >= ONEDNN_WEIGHT_GRADIENT_MIN_SPEEDUP
    return _WEIGHT_GRADIENT_ON_ONEDNN


def set_onednn_weight_gradient(enabled: bool | None) -> bool | None:
    """Compute weight gradients on oneDNN (True), on the BLAS (False) or as measured (None).

    Returns:
        The previous setting (None where it was not decided yet).

    Raises:
        TypeError: If ``enabled`` is not True, False or None.
    """
    global _WEIGHT_GRADIENT_ON_ONEDNN, _WEIGHT_GRADIENT_PINNED
    _check_choice("set_onednn_weight_gradient", enabled)
    previous, _WEIGHT_GRADIENT_ON_ONEDNN = _WEIGHT_GRADIENT_ON_ONEDNN, enabled
    _WEIGHT_GRADIENT_PINNED = enabled is not None
    return previous


def decided_onednn_weight_gradient() -> bool | None:
    """The weight-gradient back end this process uses, without measuring: True (oneDNN), False (BLAS) or None.

    None until the first weight gradient of a float32 product large enough for oneDNN is computed under ``auto``
    (e.g. always on a GPU). A checkpoint stores it, so that a resumed run computes the same sums
    (:func:`adopt_onednn_weight_gradient`).
    """
    return _WEIGHT_GRADIENT_ON_ONEDNN


def adopt_onednn_weight_gradient(enabled: bool | None) -> bool | None:
    """Continue an earlier run's choice of weight-gradient back end (from its checkpoint) unless the user fixed one.

    Under ``auto`` a new process measures again, and on a CPU where oneDNN's speed-up is close to
    :data:`ONEDNN_WEIGHT_GRADIENT_MIN_SPEEDUP` the measurement can come out the other way; a resumed run would then sum
    in another order and no longer repeat the uninterrupted run bit for bit. A choice fixed by
    ``RSL_SIM_ONEDNN_WEIGHT_GRADIENT=1|0`` or :func:`set_onednn_weight_gradient` is kept.

    Args:
        enabled: The earlier run's choice (None: it had made none, nothing changes).

    Returns:
        The choice in effect afterwards (None where still undecided).

    Raises:
        TypeError: If ``enabled`` is not True, False or None.
    """
    global _WEIGHT_GRADIENT_ON_ONEDNN
    _check_choice("adopt_onednn_weight_gradient", enabled)
    if enabled is not None and not _WEIGHT_GRADIENT_PINNED:
        _WEIGHT_GRADIENT_ON_ONEDNN = enabled
    return _WEIGHT_GRADIENT_ON_ONEDNN


def weight_gradient(grad_output: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``grad_output^T @ x``, the weight gradient of a linear layer, on the back end measured faster.

    :func:`onednn_weight_gradient_enabled` chooses; products under :data:`ONEDNN_MIN_MACS` stay on the BLAS.

    Args:
        grad_output: Gradient of the layer's output ``[batch, out_features]``, float32.
        x: The layer's input ``[batch, in_features]``, float32.

    Returns:
        ``[out_features, in_features]``.

    The product sums over the batch. The BLAS reads both operands transposed in place; oneDNN's linear op reads the
    transposed views too (its own reorders, cheaper than explicit copies); which is faster depends on the CPU.
    """
    macs = grad_output.shape[0] * grad_output.shape[1] * x.shape[1]
    if macs >= ONEDNN_MIN_MACS and onednn_weight_gradient_enabled():
        return _dense_linear(grad_output.t(), x.t(), None)
    return torch.mm(grad_output.t(), x)


class _OneDNNLinearFunction(torch.autograd.Function):
    """``y = x W^T + b`` with the forward and the input-gradient products on oneDNN (2-D ``x``)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _dense_linear(x, weight, bias)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output: torch.Tensor):  # type: ignore[override]
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = grad_bias = None
        # dL/dx = dL/dy W (oneDNN, W^T copied: small), dL/dW = (dL/dy)^T x (BLAS or oneDNN, by CPU), dL/db = batch sum
        if ctx.needs_input_grad[0]:
            grad_x = _dense_linear(grad_output, weight.t(), None)
        if ctx.needs_input_grad[1]:
            # The batch is the sum's axis here: the faster back end on this CPU (measured once, docs/performance.md)
            grad_weight = weight_gradient(grad_output, x)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_x, grad_weight, grad_bias


def onednn_arithmetic_applies(x: torch.Tensor) -> bool:
    """Whether rsl_sim's own float32 CPU arithmetic applies to a forward pass on ``x``.

    True for a non-empty float32 CPU tensor in eager mode (no scripting, tracing, compiling, ONNX export or CPU
    autocast) with oneDNN linear layers switched on. Then :class:`Linear` runs its products on oneDNN (from
    :data:`ONEDNN_MIN_MACS` on) and :class:`~rsl_sim.modules.MLP` applies an ELU after a linear layer in place (its
    backward then reads the ELU's output instead of recomputing ``exp``); both differ from ``nn.Linear`` / ``nn.ELU``
    by float32 rounding only. Off (:func:`set_onednn_linear`), the arithmetic is PyTorch's (and RSL-RL's) bit for bit.
    """
    return (
        _ENABLED
        and _KERNEL is not None
        and x.dtype == torch.float32
        and x.device.type == "cpu"
        and x.dim() >= 1
        and x.numel() > 0
        and not torch.jit.is_scripting()
        and not torch.jit.is_tracing()
        and not torch.compiler.is_compiling()
        and not torch.onnx.is_in_onnx_export()
        and not torch.is_autocast_enabled("cpu")
    )


def _onednn_applies(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """Whether the oneDNN path computes this product (float32 on the CPU, eager mode, switched on, large enough)."""
    return (
        onednn_arithmetic_applies(x)
        and weight.dtype == torch.float32
        and weight.device.type == "cpu"
        and x.numel() * weight.shape[0] >= ONEDNN_MIN_MACS
    )


class Linear(nn.Linear):
    """``torch.nn.Linear`` with its float32 CPU products on oneDNN (see the module docstring).

    Args:
        in_features: Input features.
        out_features: Output features.
        bias: Whether the layer has a bias.
        device: Device of the parameters.
        dtype: Dtype of the parameters.

    Shapes:
        input ``[..., in_features]`` -> output ``[..., out_features]``, as ``torch.nn.Linear``.
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """``input @ weight^T + bias`` (oneDNN for float32 on the CPU in eager mode, else ``F.linear``)."""
        if not torch.jit.is_scripting():
            if _onednn_applies(input, self.weight):
                if input.dim() == 2:
                    return _OneDNNLinearFunction.apply(input, self.weight, self.bias)
                flat = input.reshape(-1, input.shape[-1])
                output = _OneDNNLinearFunction.apply(flat, self.weight, self.bias)
                return output.reshape(*input.shape[:-1], output.shape[-1])
        return F.linear(input, self.weight, self.bias)
