"""MLP's float32 CPU fast path (oneDNN products, ELU in place after a linear layer) against the plain path."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rsl_sim.modules import MLP
from rsl_sim.modules import linear as linear_module
from rsl_sim.modules.linear import onednn_arithmetic_applies, onednn_linear_available, use_onednn_linear

needs_onednn = pytest.mark.skipif(not onednn_linear_available(), reason="this torch build has no oneDNN linear op")


def _forward_backward(mlp: MLP, x: torch.Tensor, fast: bool) -> tuple[torch.Tensor, ...]:
    """Output, input gradient and parameter gradients of a loss whose gradient differs per element."""
    mlp.zero_grad()
    x = x.detach().clone().requires_grad_(True)
    with use_onednn_linear(fast):
        y = mlp(x)
        (y * torch.linspace(-1.0, 2.0, y.numel()).reshape(y.shape)).sum().backward()
    return (y.detach(), x.grad, *(p.grad.clone() for p in mlp.parameters()))


@needs_onednn
@pytest.mark.parametrize("shape", [(64, 7), (4, 16, 7), (7,)], ids=["2-D", "3-D (recurrent update)", "1-D"])
@pytest.mark.parametrize("activation", ["elu", "tanh"])
def test_fast_path_equals_plain_path_to_float32_rounding(shape, activation, monkeypatch):
    monkeypatch.setattr(linear_module, "ONEDNN_MIN_MACS", 0)  # the test's small products on oneDNN too
    torch.manual_seed(0)
    mlp = MLP(7, 3, [32, 16], activation=activation, last_activation=activation)
    x = 2.0 * torch.randn(*shape)  # ELU inputs on both sides of 0
    fast = _forward_backward(mlp, x, fast=True)
    plain = _forward_backward(mlp, x, fast=False)
    for i, (a, b) in enumerate(zip(fast, plain, strict=True)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=f"tensor {i}")
    # the plain path is the reference's arithmetic bit for bit (nn.Linear, out-of-place ELU)
    layers = [nn.Linear(m.in_features, m.out_features) if isinstance(m, nn.Linear) else m for m in mlp]
    reference = nn.Sequential(*layers)
    reference.load_state_dict(mlp.state_dict())
    x = x.detach().clone().requires_grad_(True)
    y = reference(x)
    (y * torch.linspace(-1.0, 2.0, y.numel()).reshape(y.shape)).sum().backward()
    expected = (y.detach(), x.grad, *(p.grad for p in reference.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(plain, expected, strict=True))


@needs_onednn
def test_elu_runs_in_place_on_the_linear_output_only_on_the_fast_path(monkeypatch):
    calls: list[bool] = []
    elu = torch.nn.functional.elu

    def recording(x, alpha=1.0, inplace=False):
        calls.append(inplace)
        return elu(x, alpha, inplace)

    monkeypatch.setattr(torch.nn.functional, "elu", recording)
    mlp = MLP(5, 2, [8, 8], activation="elu")
    x = torch.randn(3, 5)
    with use_onednn_linear(True):
        mlp(x)
        assert calls == [True, True]
        calls.clear()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            mlp(x)
        mlp.double()(x.double())
    assert calls == [False, False, False, False]
    calls.clear()
    with use_onednn_linear(False):
        mlp.float()(x)
    assert calls == [False, False]


def test_fast_path_condition():
    x = torch.randn(2, 3)
    with use_onednn_linear(True):
        assert onednn_arithmetic_applies(x) == onednn_linear_available()
        assert not onednn_arithmetic_applies(x.double())
        assert not onednn_arithmetic_applies(torch.zeros(0, 3))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert not onednn_arithmetic_applies(x)
    with use_onednn_linear(False):
        assert not onednn_arithmetic_applies(x)


def test_scripted_and_traced_mlps_take_the_plain_path():
    mlp = MLP(5, 2, [8], activation="elu")
    x = torch.randn(4, 5)
    scripted = torch.jit.script(mlp)
    traced = torch.jit.trace(mlp, x, check_trace=False)
    with use_onednn_linear(False):
        expected = mlp(x)
    assert torch.equal(scripted(x), expected)
    assert "elu_" not in str(traced.graph) and "mkldnn" not in str(traced.graph)


def _chain_reference(x: torch.Tensor, linears: list[nn.Linear], alphas: list[float]) -> torch.Tensor:
    """The chain module by module with PyTorch's arithmetic (nn.Linear, out-of-place ELU)."""
    for i, layer in enumerate(linears):
        x = torch.nn.functional.linear(x, layer.weight, layer.bias)
        if i < len(alphas):
            x = torch.nn.functional.elu(x, alphas[i])
    return x


@needs_onednn
@pytest.mark.parametrize("min_macs", [0, 1 << 40], ids=["oneDNN products", "BLAS products"])
@pytest.mark.parametrize("onednn_weight_gradient", [False, True], ids=["BLAS dW", "oneDNN dW"])
def test_linear_elu_chain_matches_module_by_module(min_macs, onednn_weight_gradient, monkeypatch):
    monkeypatch.setattr(linear_module, "ONEDNN_MIN_MACS", min_macs)
    monkeypatch.setattr(linear_module, "_WEIGHT_GRADIENT_ON_ONEDNN", onednn_weight_gradient)
    torch.manual_seed(1)
    from rsl_sim.modules.linear import Linear
    from rsl_sim.modules.linear_elu_chain import linear_elu_chain

    # a layer without bias, a frozen layer and an ELU alpha other than 1
    linears = [Linear(6, 16, bias=False), Linear(16, 8), Linear(8, 3)]
    linears[1].weight.requires_grad_(False)
    alphas = [0.5, 1.5]
    x = (2.0 * torch.randn(4, 5, 6)).requires_grad_(True)
    weight = torch.linspace(-1.0, 2.0, 4 * 5 * 3).reshape(4, 5, 3)

    y = linear_elu_chain(x, linears, alphas)
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "_LinearELUChainFunctionBackward"  # after the reshape
    (y * weight).sum().backward()
    got = [y.detach(), x.grad] + [p.grad for layer in linears for p in layer.parameters() if p.requires_grad]
    for layer in linears:
        layer.zero_grad()
    x2 = x.detach().clone().requires_grad_(True)
    y2 = _chain_reference(x2, linears, alphas)
    (y2 * weight).sum().backward()
    expected = [y2.detach(), x2.grad] + [p.grad for layer in linears for p in layer.parameters() if p.requires_grad]
    assert linears[1].weight.grad is None
    for i, (a, b) in enumerate(zip(got, expected, strict=True)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=f"tensor {i}")

    # without a graph to record, the forward alone gives the same output and no autograd node
    with torch.no_grad():
        z = linear_elu_chain(x, linears, alphas)
    assert z.grad_fn is None
    torch.testing.assert_close(z, y.detach(), rtol=0, atol=0)

    with pytest.raises(ValueError, match="one positive ELU alpha per gap"):
        linear_elu_chain(x, linears, [1.0])
    with pytest.raises(ValueError, match="one positive ELU alpha per gap"):
        linear_elu_chain(x, linears, [1.0, -1.0])


@needs_onednn
def test_mlp_runs_its_elu_chain_as_one_node_unless_a_hook_would_be_skipped():
    torch.manual_seed(2)
    mlp = MLP(7, 3, [32, 16], activation="elu")
    x = torch.randn(5, 7)
    with use_onednn_linear(True):
        assert type(mlp(x).grad_fn).__name__ == "_LinearELUChainFunctionBackward"
        # a hook on a layer inside the chain: module by module, the hook sees the layer's output
        seen: list[tuple[int, ...]] = []
        handle = mlp[2].register_forward_hook(lambda module, args, output: seen.append(tuple(output.shape)))
        y = mlp(x)
        handle.remove()
        assert seen == [(5, 16)]
        assert type(y.grad_fn).__name__ != "_LinearELUChainFunctionBackward"
        torch.testing.assert_close(y, mlp(x), rtol=1e-5, atol=1e-6)
        # a global module hook as well
        handle = torch.nn.modules.module.register_module_forward_hook(lambda module, args, output: None)
        try:
            assert type(mlp(x).grad_fn).__name__ != "_LinearELUChainFunctionBackward"
        finally:
            handle.remove()
        # other activations keep the module-by-module path
        tanh_mlp = MLP(7, 3, [32, 16], activation="tanh")
        assert type(tanh_mlp(x).grad_fn).__name__ != "_LinearELUChainFunctionBackward"
