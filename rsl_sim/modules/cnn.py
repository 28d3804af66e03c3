"""Convolutional encoder for image-like observations."""

from __future__ import annotations

import math

import torch
from torch import nn

from rsl_sim.utils.activations import resolve_nn_activation
from rsl_sim.utils.params import get_param

# Valid choices of the string options
_PADDING_MODES = ("none", "zeros", "reflect", "replicate", "circular")
_NORMS = ("none", "batch", "layer")
_GLOBAL_POOLS = ("none", "max", "avg")


class CNN(nn.Sequential):
    """Stack of 2D convolutions, each followed by optional normalization, the activation and optional max pooling.

    The layer order (and so the state-dict layout) follows RSL-RL 5.x ``rsl_rl.modules.CNN``: for each convolution
    ``Conv2d``, [``BatchNorm2d`` | ``LayerNorm``], activation, [``MaxPool2d(3, stride=2, padding=1)``]; then an
    optional global pooling layer and an optional ``Flatten``. Layers are registered as ``"0"``, ``"1"``, ...

    With a padding mode other than ``"none"`` each convolution gets the padding of the reference, which keeps the
    spatial size for stride 1 and odd ``dilation * (kernel_size - 1)`` and gives ``ceil(size / stride)`` in the usual
    cases; the padded values follow the mode (``Conv2d``'s ``padding_mode``). :attr:`output_dim` and
    :attr:`output_channels` are computed from the convolution arithmetic without running the network.

    Input: ``[batch, input_channels, height, width]``. Output: ``[batch, output_dim]`` when flattened, otherwise
    ``[batch, output_channels, *output_dim]``.
    """

    def __init__(
        self,
        input_dim: tuple[int, int],
        input_channels: int,
        output_channels: tuple[int, ...] | list[int],
        kernel_size: int | tuple[int, ...] | list[int],
        stride: int | tuple[int, ...] | list[int] = 1,
        dilation: int | tuple[int, ...] | list[int] = 1,
        padding: str = "none",
        norm: str | tuple[str] | list[str] = "none",
        activation: str = "elu",
        max_pool: bool | tuple[bool] | list[bool] = False,
        global_pool: str = "none",
        flatten: bool = True,
    ) -> None:
        """Build the layers.

        Args:
            input_dim: Height and width of the input image, in pixels.
            input_channels: Number of channels of the input image.
            output_channels: Number of output channels of each convolution (one entry per convolution).
            kernel_size: Square kernel size, one for all convolutions or one per convolution.
            stride: Stride, one for all convolutions or one per convolution.
            dilation: Dilation, one for all convolutions or one per convolution.
            padding: ``"none"`` (no padding), or the padding mode ``"zeros"``, ``"reflect"``, ``"replicate"`` or
                ``"circular"``.
            norm: Normalization after each convolution, ``"none"``, ``"batch"`` or ``"layer"``; one for all or one
                per convolution.
            activation: Name of the activation after each convolution (see
                :func:`~rsl_sim.utils.resolve_nn_activation`).
            max_pool: Whether to halve the spatial size with max pooling after a convolution; one for all or one
                per convolution.
            global_pool: Pooling of each channel to one value at the end, ``"none"``, ``"max"`` or ``"avg"``.
            flatten: Whether to flatten the output to ``[batch, output_dim]``.

        Raises:
            ValueError: If a string option is not one of its valid choices, if ``output_channels`` is empty, or if a
                layer would produce an empty image.
        """
        super().__init__()

        # Check the options that are shared by all layers
        if padding not in _PADDING_MODES:
            raise ValueError(f"Unknown CNN padding '{padding}'. Valid paddings are: {list(_PADDING_MODES)}.")
        if global_pool not in _GLOBAL_POOLS:
            raise ValueError(f"Unknown CNN global_pool '{global_pool}'. Valid choices are: {list(_GLOBAL_POOLS)}.")
        if isinstance(output_channels, int) or len(output_channels) == 0:
            raise ValueError(f"CNN output_channels must be a non-empty list (one per layer), got {output_channels}.")

        layers: list[nn.Module] = []
        channels = input_channels
        size = (int(input_dim[0]), int(input_dim[1]))
        for idx, out_channels in enumerate(output_channels):
            kernel = get_param(kernel_size, idx)
            step = get_param(stride, idx)
            dil = get_param(dilation, idx)
            layer_norm = get_param(norm, idx)
            pool = get_param(max_pool, idx)
            if layer_norm not in _NORMS:
                raise ValueError(f"Unknown CNN norm '{layer_norm}' for layer {idx}. Valid norms are: {list(_NORMS)}.")

            # Convolution with the reference's padding (none -> no padding)
            pad = (0, 0) if padding == "none" else _compute_padding(size, kernel, step, dil)
            layers.append(
                nn.Conv2d(
                    channels,
                    out_channels,
                    kernel_size=kernel,
                    stride=step,
                    padding=pad,
                    dilation=dil,
                    padding_mode="zeros" if padding == "none" else padding,
                )
            )
            size = _compute_output_dim(size, kernel, step, dil, pad)
            if min(size) <= 0:
                raise ValueError(
                    f"CNN layer {idx} (kernel {kernel}, stride {step}, dilation {dil}, padding '{padding}') leaves an"
                    f" empty image of size {size}; use a larger input_dim, padding or fewer layers."
                )

            # Normalization, activation, pooling
            if layer_norm == "batch":
                layers.append(nn.BatchNorm2d(out_channels))
            elif layer_norm == "layer":
                layers.append(nn.LayerNorm([out_channels, *size]))
            layers.append(resolve_nn_activation(activation))
            if pool:
                layers.append(nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
                size = tuple(math.ceil(n / 2) for n in size)  # = _compute_output_dim(..., is_max_pool=True)
            channels = out_channels

        # Global pooling to one value per channel
        if global_pool == "max":
            layers.append(nn.AdaptiveMaxPool2d((1, 1)))
            size = (1, 1)
        elif global_pool == "avg":
            layers.append(nn.AdaptiveAvgPool2d((1, 1)))
            size = (1, 1)
        if flatten:
            layers.append(nn.Flatten(start_dim=1))

        # Output shape known without a forward pass
        self._output_channels: int | None = None if flatten else channels
        self._output_dim: int | tuple[int, int] = channels * size[0] * size[1] if flatten else (size[0], size[1])

        for idx, layer in enumerate(layers):
            self.add_module(str(idx), layer)

    @property
    def output_channels(self) -> int | None:
        """Number of output channels, or None when the output is flattened."""
        return self._output_channels

    @property
    def output_dim(self) -> tuple[int, int] | int:
        """Output ``(height, width)``, or the number of output features when the output is flattened."""
        return self._output_dim

    def init_weights(self) -> None:
        """Re-initialize the convolutions with Kaiming-normal weights (He et al., 2015) and zero biases."""
        for module in self:
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Encode a batch of images.

        Args:
            x: Images ``[batch, input_channels, height, width]``.

        Returns:
            ``[batch, output_dim]`` when flattened, otherwise ``[batch, output_channels, height', width']``.
        """
        for layer in self:
            x = layer(x)
        return x


def _compute_padding(input_hw: tuple[int, int], kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """Padding ``(height, width)`` on each side of a padded convolution layer (RSL-RL 5.x's helper, same name).

    Per dimension: half of the extra extent ``dilation * (kernel - 1) + 1 - stride`` minus the remainder
    ``size mod stride``, rounded up. Equal to the reference's value wherever that is valid; where the reference's
    formula goes negative (``Conv2d`` refuses negative padding) it is 0.

    Args:
        input_hw: Input ``(height, width)`` of the layer.
        kernel: Kernel size.
        stride: Stride.
        dilation: Dilation.

    Returns:
        The padding ``(height, width)``.
    """
    return _padding(input_hw[0], kernel, stride, dilation), _padding(input_hw[1], kernel, stride, dilation)


def _compute_output_dim(
    input_hw: tuple[int, int],
    kernel: int,
    stride: int,
    dilation: int,
    padding: tuple[int, int],
    is_max_pool: bool = False,
) -> tuple[int, int]:
    """Output ``(height, width)`` of a convolution layer (RSL-RL 5.x's helper, same name and signature).

    The size formula of ``torch.nn.Conv2d``; with ``is_max_pool`` also the ``MaxPool2d(3, stride=2, padding=1)`` that
    follows (halved, rounded up).

    Args:
        input_hw: Input ``(height, width)``.
        kernel: Kernel size.
        stride: Stride.
        dilation: Dilation.
        padding: Padding ``(height, width)`` on each side.
        is_max_pool: Whether the layer's max pooling follows.

    Returns:
        The output ``(height, width)``.
    """
    height, width = (_conv_output_size(n, kernel, stride, dilation, p) for n, p in zip(input_hw, padding))
    if is_max_pool:
        height, width = math.ceil(height / 2), math.ceil(width / 2)
    return height, width


def _padding(size: int, kernel: int, stride: int, dilation: int) -> int:
    """Padding on each side of one spatial dimension for the padded modes (the reference's rule).

    Half of the extra extent ``dilation * (kernel - 1) + 1 - stride`` minus the remainder ``size mod stride``,
    rounded up and never negative.
    """
    extra = dilation * (kernel - 1) + 1 - stride - (size % stride)
    return max(0, math.ceil(extra / 2))


def _conv_output_size(size: int, kernel: int, stride: int, dilation: int, padding: int) -> int:
    """Output length of a convolution along one dimension (see ``torch.nn.Conv2d``)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
