from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rsl_sim.modules import CNN


def _grid():
    sizes = [(9, 9), (16, 11), (21, 8)]
    kernels = [1, 2, 3, 5]
    strides = [1, 2, 3]
    dilations = [1, 2]
    paddings = ["none", "zeros", "reflect", "replicate", "circular"]
    yield from itertools.product(sizes, kernels, strides, dilations, paddings)


def test_computed_output_size_equals_actual_over_grid():
    torch.manual_seed(0)
    checked = 0
    for (size, k, s, d, padding), (max_pool, global_pool, flatten, norm) in itertools.product(
        _grid(), [(False, "none", True, "none"), (True, "none", False, "layer"), (False, "avg", True, "batch")]
    ):
        kwargs = dict(kernel_size=k, stride=s, dilation=d, padding=padding, norm=norm)
        kwargs.update(max_pool=max_pool, global_pool=global_pool, flatten=flatten)
        try:
            cnn = CNN(size, 2, [3], **kwargs)
        except ValueError as err:
            # Only configurations that leave no pixels may be refused
            assert "empty image" in str(err)
            continue
        x = torch.randn(2, 2, *size)
        try:
            out = cnn(x)
        except RuntimeError:
            # Reflect padding wider than the input is invalid in torch itself
            assert padding == "reflect"
            continue
        if flatten:
            assert cnn.output_channels is None
            assert out.shape == (2, cnn.output_dim), (size, kwargs)
        else:
            assert out.shape == (2, cnn.output_channels, *cnn.output_dim), (size, kwargs)
        checked += 1
    assert checked > 300


@pytest.mark.parametrize("padding", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(("kernel", "dilation"), [(3, 1), (5, 1), (3, 2)])
def test_padding_keeps_size_for_stride_one(padding, kernel, dilation):
    cnn = CNN((12, 10), 1, [2, 2], kernel_size=kernel, dilation=dilation, padding=padding, flatten=False)
    assert cnn.output_dim == (12, 10)
    assert cnn(torch.randn(1, 1, 12, 10)).shape == (1, 2, 12, 10)


@pytest.mark.parametrize("padding", ["zeros", "reflect", "replicate", "circular"])
def test_padding_mode_values(padding):
    torch.manual_seed(1)
    cnn = CNN((7, 6), 2, [3], kernel_size=3, padding=padding, activation="identity", flatten=False)
    x = torch.randn(4, 2, 7, 6)
    conv = cnn[0]
    mode = "constant" if padding == "zeros" else padding
    expected = F.conv2d(F.pad(x, (1, 1, 1, 1), mode=mode), conv.weight, conv.bias)
    torch.testing.assert_close(cnn(x), expected)


def test_multi_layer_sizes_with_per_layer_lists():
    cnn = CNN(
        (64, 48),
        3,
        [8, 16, 32],
        kernel_size=[5, 3, 3],
        stride=[2, 1, 2],
        dilation=[1, 2, 1],
        padding="zeros",
        norm=["batch", "layer", "none"],
        max_pool=[True, False, False],
        flatten=False,
    )
    out = cnn(torch.randn(2, 3, 64, 48))
    assert out.shape == (2, cnn.output_channels, *cnn.output_dim)
    assert cnn.output_channels == 32


def test_layer_order_and_state_dict_layout():
    cnn = CNN((8, 8), 1, [4, 4], kernel_size=3, norm="batch", max_pool=[True, False], global_pool="max")
    types = [type(m) for m in cnn]
    assert types == [
        nn.Conv2d,
        nn.BatchNorm2d,
        nn.ELU,
        nn.MaxPool2d,
        nn.Conv2d,
        nn.BatchNorm2d,
        nn.ELU,
        nn.AdaptiveMaxPool2d,
        nn.Flatten,
    ]
    assert {"0.weight", "0.bias", "1.running_mean", "4.weight", "5.weight"} <= set(cnn.state_dict())
    assert cnn.output_dim == 4


def test_global_pool_values():
    cnn = CNN((5, 5), 1, [2], kernel_size=1, activation="identity", global_pool="avg")
    x = torch.randn(3, 1, 5, 5)
    conv = cnn[0]
    expected = (conv.weight.view(2) * x.mean(dim=(2, 3))) + conv.bias
    torch.testing.assert_close(cnn(x), expected)


def test_init_weights_kaiming():
    torch.manual_seed(2)
    cnn = CNN((8, 8), 64, [256], kernel_size=3)
    cnn.init_weights()
    conv = cnn[0]
    assert torch.all(conv.bias == 0)
    fan_in = 64 * 3 * 3
    # Kaiming normal (fan_in, ReLU gain): std = sqrt(2 / fan_in)
    assert conv.weight.std().item() == pytest.approx((2.0 / fan_in) ** 0.5, rel=0.03)


def test_bad_options_raise():
    with pytest.raises(ValueError, match="'same'"):
        CNN((8, 8), 1, [2], kernel_size=3, padding="same")
    with pytest.raises(ValueError, match="'group'"):
        CNN((8, 8), 1, [2, 2], kernel_size=3, norm=["none", "group"])
    with pytest.raises(ValueError, match="'sum'"):
        CNN((8, 8), 1, [2], kernel_size=3, global_pool="sum")
    with pytest.raises(ValueError, match="activation function 'foo'"):
        CNN((8, 8), 1, [2], kernel_size=3, activation="foo")
    with pytest.raises(ValueError, match="empty image"):
        CNN((4, 4), 1, [2, 2], kernel_size=3)
    with pytest.raises(ValueError, match="non-empty list"):
        CNN((4, 4), 1, [], kernel_size=3)
