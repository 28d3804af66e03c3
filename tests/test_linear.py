"""rsl_sim.modules.linear.Linear: nn.Linear with oneDNN products, equal to nn.Linear up to float32 rounding."""

from __future__ import annotations

import os

import pytest
import torch
from torch import nn

from rsl_sim.modules import MLP
from rsl_sim.modules import linear as linear_module
from rsl_sim.modules.linear import Linear, onednn_linear_available, set_onednn_linear, use_onednn_linear

needs_onednn = pytest.mark.skipif(not onednn_linear_available(), reason="this torch build has no oneDNN linear op")


@pytest.fixture
def kernel_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """Record the input shape of every oneDNN kernel call."""
    calls: list[tuple[int, ...]] = []
    kernel = linear_module._KERNEL

    def counting(x, *args):
        calls.append(tuple(x.shape))
        return kernel(x, *args)

    monkeypatch.setattr(linear_module, "_KERNEL", counting if kernel is not None else None)
    monkeypatch.setattr(linear_module, "ONEDNN_MIN_MACS", 0)  # small test products on oneDNN too
    # weight gradients on the BLAS unless a test chooses (the process' own choice depends on the CPU)
    monkeypatch.setattr(linear_module, "_WEIGHT_GRADIENT_ON_ONEDNN", False)
    return calls


def _reference(layer: Linear) -> nn.Linear:
    reference = nn.Linear(layer.in_features, layer.out_features, dtype=layer.weight.dtype)
    reference.load_state_dict(layer.state_dict())
    return reference


def _forward_backward(layer: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    x = x.detach().clone().requires_grad_(True)
    layer.zero_grad()
    y = layer(x)
    # a loss whose gradient differs per element
    (y * torch.linspace(-1.0, 2.0, y.numel()).reshape(y.shape)).sum().backward()
    return y.detach(), x.grad, layer.weight.grad, layer.bias.grad


@needs_onednn
@pytest.mark.parametrize("shape", [(64, 48), (5, 7, 48), (48,), (1, 48)], ids=["2-D", "3-D", "1-D", "one row"])
@pytest.mark.parametrize("onednn_weight_gradient", [False, True], ids=["BLAS dW", "oneDNN dW"])
def test_values_and_gradients_equal_nn_linear(shape, onednn_weight_gradient, kernel_calls, monkeypatch):
    monkeypatch.setattr(linear_module, "_WEIGHT_GRADIENT_ON_ONEDNN", onednn_weight_gradient)
    torch.manual_seed(0)
    layer = Linear(48, 32)
    x = torch.randn(*shape)
    ours = _forward_backward(layer, x)
    theirs = _forward_backward(_reference(layer), x)
    for name, a, b in zip(("output", "grad input", "grad weight", "grad bias"), ours, theirs):
        assert a.shape == b.shape, name
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5, msg=name)
    # forward and grad input ran on oneDNN, the grad weight (a sum over the batch) where chosen: [32, rows] x [rows, 48]
    rows = x.numel() // 48
    assert kernel_calls[:2] == [(rows, 48), (rows, 32)]
    assert kernel_calls[2:] == ([(32, rows)] if onednn_weight_gradient else [])


@needs_onednn
def test_weight_gradient_back_ends_agree_and_the_choice_is_checked(monkeypatch):
    torch.manual_seed(0)
    grad_output, x = torch.randn(3072, 256), torch.randn(3072, 512)
    exact = (grad_output.double().t() @ x.double()).float()
    for onednn in (False, True):
        monkeypatch.setattr(linear_module, "_WEIGHT_GRADIENT_ON_ONEDNN", onednn)
        assert linear_module.onednn_weight_gradient_enabled() is onednn
        # a sum of 3,072 products of unit normals in float32: absolute error well under 1e-3 against float64
        torch.testing.assert_close(linear_module.weight_gradient(grad_output, x), exact, rtol=0, atol=1e-3)
    # undecided: measured once (a bool, kept), without advancing torch's random number generator
    monkeypatch.setattr(linear_module, "_WEIGHT_GRADIENT_ON_ONEDNN", None)
    state = torch.get_rng_state()
    decided = linear_module.onednn_weight_gradient_enabled()
    assert isinstance(decided, bool) and linear_module._WEIGHT_GRADIENT_ON_ONEDNN is decided
    assert torch.equal(torch.get_rng_state(), state)
    assert linear_module.set_onednn_weight_gradient(None) is decided
    assert linear_module._measure_onednn_weight_gradient_speedup(repeats=1) > 0.0
    with pytest.raises(TypeError, match="expects True, False or None, got 'yes'"):
        linear_module.set_onednn_weight_gradient("yes")


def test_an_earlier_runs_weight_gradient_choice_is_adopted_unless_pinned(monkeypatch):
    monkeypatch.setattr(linear_module, "_WEIGHT_GRADIENT_PINNED", False)
    monkeypatch.setattr(linear_module, "_WEIGHT_GRADIENT_ON_ONEDNN", None)
    assert linear_module.decided_onednn_weight_gradient() is None  # asking does not measure
    # None (the earlier run had not chosen) changes nothing; a choice replaces an undecided or measured one
    assert linear_module.adopt_onednn_weight_gradient(None) is None
    assert linear_module.adopt_onednn_weight_gradient(True) is True
    assert linear_module.adopt_onednn_weight_gradient(False) is False
    # fixed by the user (set_onednn_weight_gradient or the environment variable): kept
    linear_module.set_onednn_weight_gradient(True)
    assert linear_module.adopt_onednn_weight_gradient(False) is True
    assert linear_module.decided_onednn_weight_gradient() is True
    with pytest.raises(TypeError, match="expects True, False or None, got 1"):
        linear_module.adopt_onednn_weight_gradient(1)


def test_weight_gradient_environment_variable_is_checked():
    import subprocess
    import sys

    env = {**os.environ, "RSL_SIM_ONEDNN_WEIGHT_GRADIENT": "fast"}
    result = subprocess.run(
        [sys.executable, "-c", "import rsl_sim.modules.linear"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "RSL_SIM_ONEDNN_WEIGHT_GRADIENT='fast' is not one of ['0', '1', 'auto']" in result.stderr
    code = (
        "import rsl_sim.modules.linear as m; m.adopt_onednn_weight_gradient(not m.decided_onednn_weight_gradient());"
        " print(m.onednn_weight_gradient_enabled())"
    )
    # the value set in the environment holds, also against an earlier run's choice
    for value, expected in (("0", "False"), ("1", str(onednn_linear_available()))):
        env["RSL_SIM_ONEDNN_WEIGHT_GRADIENT"] = value
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert result.stdout.strip() == expected


@needs_onednn
def test_strided_inputs_and_empty_batches(kernel_calls):
    torch.manual_seed(0)
    layer = Linear(6, 4)
    x = torch.randn(6, 10).t()  # [10, 6], not contiguous
    torch.testing.assert_close(layer(x), nn.functional.linear(x, layer.weight, layer.bias), rtol=1e-6, atol=1e-6)
    assert kernel_calls == [(10, 6)]
    assert layer(torch.zeros(0, 6)).shape == (0, 4)
    with torch.inference_mode():
        assert layer(x).shape == (10, 4)


def test_switched_off_it_is_nn_linear_bit_for_bit(kernel_calls):
    torch.manual_seed(0)
    layer = Linear(48, 32)
    x = torch.randn(16, 48)
    with use_onednn_linear(False):
        ours = _forward_backward(layer, x)
    theirs = _forward_backward(_reference(layer), x)
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs))
    assert kernel_calls == []


def test_other_dtypes_autocast_scripting_and_compiling_take_the_plain_path(kernel_calls):
    torch.manual_seed(0)
    layer = Linear(5, 3).double()
    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,))
    layer = Linear(5, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert layer(torch.randn(4, 5)).dtype == torch.bfloat16
    scripted = torch.jit.script(nn.Sequential(Linear(5, 3), nn.ELU()))
    assert scripted(torch.randn(2, 5)).shape == (2, 3)
    traced = torch.jit.trace(layer, torch.randn(2, 5), check_trace=False)
    assert traced(torch.randn(3, 5)).shape == (3, 3) and "mkldnn" not in str(traced.graph)
    compiled = torch.compile(layer, backend="eager")
    assert compiled(torch.randn(2, 5)).shape == (2, 3)
    assert kernel_calls == []


def test_it_is_an_nn_linear_with_the_same_state_dict():
    layer = Linear(3, 2)
    assert isinstance(layer, nn.Linear)
    assert list(layer.state_dict()) == list(nn.Linear(3, 2).state_dict()) == ["weight", "bias"]
    mlp = MLP(4, 2, [8, 8])
    assert [type(module) for module in mlp if isinstance(module, nn.Linear)] == [Linear] * 3
    assert list(mlp.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]


def test_the_switch_is_process_wide_and_checked():
    previous = set_onednn_linear(False)
    try:
        assert not linear_module.onednn_linear_enabled()
        with use_onednn_linear(True):
            assert linear_module.onednn_linear_enabled() == onednn_linear_available()
        assert not linear_module.onednn_linear_enabled()
    finally:
        set_onednn_linear(previous)
    with pytest.raises(TypeError, match="expects True or False, got 'no'"):
        set_onednn_linear("no")


@needs_onednn
def test_small_products_stay_on_blas(kernel_calls, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(linear_module, "ONEDNN_MIN_MACS", 1 << 20)
    layer = Linear(48, 128)
    layer(torch.randn(16, 48))  # 98k multiply-adds: a few robots' policy step
    assert kernel_calls == []
    layer(torch.randn(256, 48))  # 1.6M
    assert kernel_calls == [(256, 48)]


@needs_onednn
def test_second_derivatives_are_refused_clearly(kernel_calls):
    layer = Linear(4, 3)
    x = torch.randn(5, 4, requires_grad=True)
    (grad,) = torch.autograd.grad(layer(x).square().sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        grad.sum().backward()
    with use_onednn_linear(False):  # nn.Linear's path supports them
        (grad,) = torch.autograd.grad(layer(x).square().sum(), x, create_graph=True)
        grad.sum().backward()
    assert x.grad is not None
