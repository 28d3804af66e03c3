from __future__ import annotations

import pytest
import torch
from torch import nn

from rsl_sim.modules import MLP
from rsl_sim.modules.linear import Linear


def test_state_dict_layout_matches_reference():
    mlp = MLP(5, 3, [16, 8], activation="elu")
    # Linear, ELU, Linear, ELU, Linear -> parameters at indices 0, 2, 4
    assert list(mlp.state_dict().keys()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    # rsl_sim's Linear is an nn.Linear (oneDNN products, same parameters)
    assert [type(m) for m in mlp] == [Linear, nn.ELU, Linear, nn.ELU, Linear] and issubclass(Linear, nn.Linear)
    assert mlp[0].weight.shape == (16, 5) and mlp[2].weight.shape == (8, 16) and mlp[4].weight.shape == (3, 8)


def test_forward_equals_manual_composition():
    torch.manual_seed(0)
    mlp = MLP(4, 2, [6], activation="tanh")
    x = torch.randn(7, 4)
    expected = torch.tanh(x @ mlp[0].weight.T + mlp[0].bias) @ mlp[2].weight.T + mlp[2].bias
    torch.testing.assert_close(mlp(x), expected)


def test_minus_one_hidden_dim_takes_input_dim():
    mlp = MLP(9, 2, [-1, 4, -1])
    linear = [m for m in mlp if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(9, 9), (9, 4), (4, 9), (9, 2)]


@pytest.mark.parametrize("output_dim", [(2, 3), [2, 3], (4,)])
def test_tuple_output_dim_reshapes(output_dim):
    mlp = MLP(5, output_dim, [8])
    out = mlp(torch.randn(10, 5))
    assert out.shape == (10, *output_dim)
    # The reshape is a plain view of the last linear layer's features
    flat = torch.ones(1, 5)
    for layer in list(mlp)[:-1]:
        flat = layer(flat)
    torch.testing.assert_close(mlp(torch.ones(1, 5)).reshape(1, -1), flat)
    assert isinstance(mlp[-1], nn.Unflatten)


def test_last_activation_is_applied():
    mlp = MLP(3, 4, [8], last_activation="sigmoid")
    assert isinstance(mlp[-1], nn.Sigmoid)
    out = mlp(100 * torch.randn(50, 3))
    assert torch.all((out >= 0) & (out <= 1))


def test_extra_batch_dimensions():
    mlp = MLP(3, 2, [4])
    assert mlp(torch.randn(5, 6, 3)).shape == (5, 6, 2)


def test_init_weights_orthogonal_with_gain_and_zero_bias():
    mlp = MLP(8, 4, [16, 16])
    mlp.init_weights([1.0, 2.0, 0.5])
    linear = [m for m in mlp if isinstance(m, nn.Linear)]
    for layer, gain in zip(linear, [1.0, 2.0, 0.5]):
        w = layer.weight.detach()
        rows, cols = w.shape
        # Orthogonal: W W^T = gain^2 I for wide matrices, W^T W = gain^2 I for tall ones
        gram = w @ w.T if rows <= cols else w.T @ w
        torch.testing.assert_close(gram, gain**2 * torch.eye(min(rows, cols)), atol=1e-5, rtol=1e-5)
        assert torch.all(layer.bias == 0)


def test_init_weights_single_scale():
    mlp = MLP(4, 4, [4])
    mlp.init_weights(3.0)
    w = mlp[2].weight.detach()
    torch.testing.assert_close(w @ w.T, 9.0 * torch.eye(4), atol=1e-5, rtol=1e-5)


def test_init_weights_too_few_scales_raises():
    mlp = MLP(4, 4, [4, 4])
    # Three linear layers but only two scales
    with pytest.raises(IndexError, match="2 entries"):
        mlp.init_weights((1.0, 1.0))


def test_unknown_activation_raises():
    with pytest.raises(ValueError, match="'bogus'"):
        MLP(3, 2, [4], activation="bogus")
    with pytest.raises(ValueError, match="'nope'"):
        MLP(3, 2, [4], last_activation="nope")


@pytest.mark.parametrize(("input_dim", "hidden", "output"), [(0, [4], 2), (3, [0], 2), (3, [4], -2), (3, [-3], 2)])
def test_bad_dimensions_raise(input_dim, hidden, output):
    with pytest.raises(ValueError, match="positive"):
        MLP(input_dim, output, hidden)


def test_activation_modules_are_distinct_instances():
    mlp = MLP(3, 2, [4, 4])
    assert mlp[1] is not mlp[3]
