from __future__ import annotations

import collections
import math

import pytest
import torch
from torch import nn

from rsl_sim.modules import MLP, BetaDistribution, EmpiricalNormalization, GaussianDistribution
from rsl_sim.utils import get_param, resolve_callable, resolve_class, resolve_nn_activation, resolve_optimizer

# ---------------------------------------------------------------------------------------------------------------------
# resolve_callable / resolve_class
# ---------------------------------------------------------------------------------------------------------------------


def _local_function(x):
    return 2 * x


def test_callables_pass_through():
    assert resolve_callable(MLP) is MLP
    assert resolve_callable(_local_function) is _local_function
    lam = lambda: 1  # noqa: E731
    assert resolve_callable(lam) is lam


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GaussianDistribution", GaussianDistribution),
        ("MLP", MLP),
        ("EmpiricalNormalization", EmpiricalNormalization),
        ("rsl_sim.modules:BetaDistribution", BetaDistribution),
        ("rsl_sim.modules.distribution.BetaDistribution", BetaDistribution),
        ("rsl_sim.modules.distribution:GaussianDistribution", GaussianDistribution),
        ("torch.nn:Linear", nn.Linear),
        ("torch.nn.Linear", nn.Linear),
        ("collections:OrderedDict.fromkeys", collections.OrderedDict.fromkeys),
        ("collections.OrderedDict.fromkeys", collections.OrderedDict.fromkeys),
        ("math.sqrt", math.sqrt),
    ],
)
def test_name_forms(name, expected):
    assert resolve_callable(name) == expected


def test_unknown_plain_name_raises_value_error():
    with pytest.raises(ValueError, match="'NoSuchAlgorithm'"):
        resolve_callable("NoSuchAlgorithm")


def test_missing_module_raises_import_error():
    with pytest.raises(ImportError, match="'no_such_package_xyz.mod'"):
        resolve_callable("no_such_package_xyz.mod:Thing")
    with pytest.raises(ImportError, match="no_such_package_xyz.Thing"):
        resolve_callable("no_such_package_xyz.Thing")


def test_missing_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="'NoSuchLayer'"):
        resolve_callable("torch.nn:NoSuchLayer")
    with pytest.raises(AttributeError, match="'NoSuchLayer'"):
        resolve_callable("torch.nn.NoSuchLayer")
    with pytest.raises(AttributeError, match="'missing'"):
        resolve_callable("collections:OrderedDict.missing")


@pytest.mark.parametrize("name", ["", "torch.nn:", ":Linear", "torch..nn.Linear", "a:b:c", "torch.nn:Linear."])
def test_malformed_names_raise_value_error(name):
    with pytest.raises(ValueError):
        resolve_callable(name)


def test_non_string_non_callable_raises_type_error():
    with pytest.raises(TypeError, match="42"):
        resolve_callable(42)


def test_non_callable_target_raises_type_error():
    with pytest.raises(TypeError, match="math:pi"):
        resolve_callable("math:pi")


def test_broken_module_errors_are_not_hidden(tmp_path, monkeypatch):
    # A module that exists but fails on its own import must surface its error, not "cannot resolve"
    (tmp_path / "broken_pkg_for_test.py").write_text("import no_such_dependency_xyz\nclass Foo: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        resolve_callable("broken_pkg_for_test.Foo")


def test_resolve_class_does_not_mutate_input():
    cfg = {"class_name": "GaussianDistribution", "init_std": 0.3, "std_range": [0.1, 1.0]}
    snapshot = {"class_name": "GaussianDistribution", "init_std": 0.3, "std_range": [0.1, 1.0]}
    cls, kwargs = resolve_class(cfg)
    assert cls is GaussianDistribution
    assert kwargs == {"init_std": 0.3, "std_range": [0.1, 1.0]}
    assert cfg == snapshot
    kwargs["std_range"].append(5.0)
    assert cfg["std_range"] == [0.1, 1.0]
    # A class object works as class_name too
    assert resolve_class({"class_name": MLP})[0] is MLP


def test_resolve_class_errors():
    with pytest.raises(ValueError, match="class_name"):
        resolve_class({"init_std": 1.0})
    with pytest.raises(TypeError, match="class_name"):
        resolve_class("GaussianDistribution")


# ---------------------------------------------------------------------------------------------------------------------
# resolve_nn_activation / resolve_optimizer / get_param
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("elu", nn.ELU),
        ("selu", nn.SELU),
        ("relu", nn.ReLU),
        ("crelu", nn.CELU),
        ("lrelu", nn.LeakyReLU),
        ("tanh", nn.Tanh),
        ("sigmoid", nn.Sigmoid),
        ("softplus", nn.Softplus),
        ("gelu", nn.GELU),
        ("swish", nn.SiLU),
        ("silu", nn.SiLU),
        ("mish", nn.Mish),
        ("identity", nn.Identity),
        ("ELU", nn.ELU),
    ],
)
def test_activations(name, cls):
    act = resolve_nn_activation(name)
    assert type(act) is cls
    assert resolve_nn_activation(name) is not act


def test_activation_values():
    x = torch.linspace(-3, 3, 13)
    torch.testing.assert_close(resolve_nn_activation("swish")(x), x * torch.sigmoid(x))
    torch.testing.assert_close(resolve_nn_activation("lrelu")(x), torch.where(x > 0, x, 0.01 * x))


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="'sine'.*elu.*identity"):
        resolve_nn_activation("sine")
    with pytest.raises(TypeError):
        resolve_nn_activation(None)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("adam", torch.optim.Adam),
        ("AdamW", torch.optim.AdamW),
        ("sgd", torch.optim.SGD),
        ("rmsprop", torch.optim.RMSprop),
    ],
)
def test_optimizers(name, cls):
    assert resolve_optimizer(name) is cls


def test_unknown_optimizer_lists_valid_names():
    with pytest.raises(ValueError, match="'lion'.*adam.*rmsprop"):
        resolve_optimizer("lion")


def test_get_param():
    assert get_param(3, 5) == 3
    assert get_param("batch", 1) == "batch"
    assert get_param([1, 2, 3], 1) == 2
    assert get_param((True, False), 1) is False
    with pytest.raises(IndexError, match="2 entries"):
        get_param([1, 2], 2)
