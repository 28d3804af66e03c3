from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import AffineTransform, Beta, Normal, TransformedDistribution

from rsl_sim.modules import (
    MLP,
    BetaDistribution,
    Distribution,
    GaussianDistribution,
    HeteroscedasticGaussianDistribution,
)
from rsl_sim.utils import resolve_class

# ---------------------------------------------------------------------------------------------------------------------
# Gaussian
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("std_type", ["scalar", "log"])
def test_gaussian_log_prob_entropy_match_torch(std_type):
    torch.manual_seed(0)
    dist = GaussianDistribution(3, init_std=0.7, std_type=std_type)
    mean = torch.randn(5, 3)
    dist.update(mean)
    actions = torch.randn(5, 3)
    reference = Normal(mean, torch.full((5, 3), 0.7))
    torch.testing.assert_close(dist.log_prob(actions), reference.log_prob(actions).sum(-1))
    # Closed form: 0.5 * log(2 pi e sigma^2) per dimension
    torch.testing.assert_close(dist.entropy, torch.full((5,), 3 * 0.5 * math.log(2 * math.pi * math.e * 0.49)))
    torch.testing.assert_close(dist.mean, mean)
    torch.testing.assert_close(dist.std, torch.full((5, 3), 0.7))
    assert [p.shape for p in dist.params] == [(5, 3), (5, 3)]


def test_gaussian_kl_matches_closed_form():
    torch.manual_seed(1)
    dist = GaussianDistribution(4)
    m1, m2 = torch.randn(6, 4), torch.randn(6, 4)
    s1, s2 = torch.rand(6, 4) + 0.1, torch.rand(6, 4) + 0.1
    expected = (torch.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5).sum(-1)
    torch.testing.assert_close(dist.kl_divergence((m1, s1), (m2, s2)), expected)
    torch.testing.assert_close(dist.kl_divergence((m1, s1), (m1, s1)), torch.zeros(6))


@pytest.mark.parametrize(
    ("reduction", "reduce"),
    [
        ("sum", lambda x: x.sum(-1)),
        ("mean", lambda x: x.mean(-1)),
        ("prod", lambda x: x.prod(-1)),
        ("none", lambda x: x),
    ],
)
def test_gaussian_reductions(reduction, reduce):
    torch.manual_seed(2)
    dist = GaussianDistribution(3, init_std=1.3, reduction=reduction)
    mean, actions = torch.randn(4, 3), torch.randn(4, 3)
    dist.update(mean)
    per_dim = Normal(mean, 1.3).log_prob(actions)
    torch.testing.assert_close(dist.log_prob(actions), reduce(per_dim))
    # Entropy stays summed whatever the reduction
    assert dist.entropy.shape == (4,)


def test_gaussian_samples_have_right_moments():
    torch.manual_seed(3)
    dist = GaussianDistribution(2, init_std=0.3)
    dist.update(torch.tensor([[1.0, -1.0]]).expand(20000, 2))
    samples = dist.sample()
    torch.testing.assert_close(samples.mean(0), torch.tensor([1.0, -1.0]), atol=0.01, rtol=0)
    torch.testing.assert_close(samples.std(0), torch.tensor([0.3, 0.3]), atol=0.01, rtol=0)


@pytest.mark.parametrize("std_type", ["scalar", "log"])
def test_gaussian_std_range_clamps(std_type):
    dist = GaussianDistribution(2, init_std=1.0, std_range=(0.1, 0.5), std_type=std_type)
    dist.update(torch.zeros(1, 2))
    torch.testing.assert_close(dist.std, torch.full((1, 2), 0.5))
    dist = GaussianDistribution(2, init_std=0.01, std_range=(0.1, 0.5), std_type=std_type)
    dist.update(torch.zeros(1, 2))
    torch.testing.assert_close(dist.std, torch.full((1, 2), 0.1))


@pytest.mark.parametrize("std_type", ["scalar", "log"])
@pytest.mark.parametrize("bad", [-0.5, 0.0, float("nan")])
def test_gaussian_negative_zero_nan_std_never_crash(std_type, bad):
    # A negative or NaN init_std is a config error (tests/test_config_validation.py), zero starts at the lower bound
    if bad != 0.0:
        with pytest.raises(ValueError, match="'init_std'"):
            GaussianDistribution(2, init_std=bad, std_type=std_type)
    # A parameter that turns negative, zero or NaN during training is bounded
    dist = GaussianDistribution(2, init_std=1.0, std_type=std_type)
    with torch.no_grad():
        if std_type == "scalar":
            dist.std_param.fill_(bad)
        else:
            dist.log_std_param.fill_(float("-inf") if bad <= 0 else bad)
    dist.update(torch.zeros(3, 2))
    std = dist.std
    assert torch.all(std >= 0.999e-6) and torch.all(torch.isfinite(std))
    assert torch.isfinite(dist.log_prob(torch.zeros(3, 2))).all()
    assert torch.isfinite(dist.sample()).all()
    # A parameter that turns NaN during training is handled too
    with torch.no_grad():
        (dist.std_param if std_type == "scalar" else dist.log_std_param).fill_(float("nan"))
    dist.update(torch.zeros(3, 2))
    torch.testing.assert_close(dist.std, torch.full((3, 2), 1e-6))


def test_gaussian_skrl_log_std_clipping():
    dist = GaussianDistribution(2, init_std=100.0, std_type="log", clip_log_std=True, max_log_std=2.0)
    dist.update(torch.zeros(1, 2))
    torch.testing.assert_close(dist.std, torch.full((1, 2), math.exp(2.0)))
    dist = GaussianDistribution(2, init_std=1e-12, clip_log_std=True, min_log_std=-5.0)
    dist.update(torch.zeros(1, 2))
    torch.testing.assert_close(dist.std, torch.full((1, 2), math.exp(-5.0)))
    # Off by default: the 5.x range (1e-6, 1e6) applies
    dist = GaussianDistribution(2, init_std=100.0, std_type="log")
    dist.update(torch.zeros(1, 2))
    torch.testing.assert_close(dist.std, torch.full((1, 2), 100.0))


def test_gaussian_learn_std_flag():
    learned = GaussianDistribution(2, init_std=0.5)
    learned.update(torch.zeros(4, 2, requires_grad=True))
    learned.log_prob(torch.ones(4, 2)).sum().backward()
    assert learned.std_param.requires_grad and learned.std_param.grad is not None
    # d/dsigma log N(1 | 0, sigma) summed = 4 * (-1/sigma + 1/sigma^3) per dimension
    torch.testing.assert_close(learned.std_param.grad, torch.full((2,), 4 * (-2.0 + 8.0)))

    fixed = GaussianDistribution(2, init_std=0.5, std_type="log", learn_std=False)
    mean = torch.zeros(4, 2, requires_grad=True)
    fixed.update(mean)
    fixed.log_prob(torch.ones(4, 2)).sum().backward()
    assert not fixed.log_std_param.requires_grad and fixed.log_std_param.grad is None
    assert mean.grad is not None
    torch.testing.assert_close(fixed.std, torch.full((4, 2), 0.5))


def test_gaussian_state_dict_names():
    assert set(GaussianDistribution(3).state_dict()) == {"std_param"}
    assert set(GaussianDistribution(3, std_type="log").state_dict()) == {"log_std_param"}
    assert set(GaussianDistribution(3, learn_std=False).state_dict()) == {"std_param"}


def test_gaussian_deterministic_output_and_export_module():
    dist = GaussianDistribution(3)
    x = torch.randn(2, 3)
    torch.testing.assert_close(dist.deterministic_output(x), x)
    torch.testing.assert_close(dist.as_deterministic_output_module()(x), x)
    assert dist.input_dim == 3


def test_gaussian_bad_arguments_raise():
    with pytest.raises(ValueError, match="'exp'.*scalar.*log"):
        GaussianDistribution(2, std_type="exp")
    with pytest.raises(ValueError, match="'max'.*sum.*mean.*prod.*none"):
        GaussianDistribution(2, reduction="max")
    with pytest.raises(ValueError, match="Empty std range"):
        GaussianDistribution(2, std_range=(1.0, 0.5))
    with pytest.raises(ValueError, match="Empty std range"):
        GaussianDistribution(2, std_range=(1.0, 2.0), clip_log_std=True, max_log_std=-1.0)
    with pytest.raises(RuntimeError, match="update"):
        _ = GaussianDistribution(2).mean


# ---------------------------------------------------------------------------------------------------------------------
# Heteroscedastic Gaussian
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("std_type", ["scalar", "log"])
def test_heteroscedastic_matches_torch(std_type):
    torch.manual_seed(4)
    dist = HeteroscedasticGaussianDistribution(3, std_type=std_type)
    mean, std = torch.randn(5, 3), torch.rand(5, 3) + 0.2
    raw = torch.stack([mean, std if std_type == "scalar" else std.log()], dim=-2)
    dist.update(raw)
    actions = torch.randn(5, 3)
    reference = Normal(mean, std)
    torch.testing.assert_close(dist.log_prob(actions), reference.log_prob(actions).sum(-1))
    torch.testing.assert_close(dist.entropy, reference.entropy().sum(-1))
    torch.testing.assert_close(dist.std, std)
    torch.testing.assert_close(dist.deterministic_output(raw), mean)
    torch.testing.assert_close(dist.as_deterministic_output_module()(raw), mean)
    assert dist.input_dim == [2, 3]
    assert len(list(dist.parameters())) == 0


def test_heteroscedastic_clamps_negative_and_nan_std():
    dist = HeteroscedasticGaussianDistribution(2, std_range=(0.01, 2.0))
    raw = torch.tensor([[[0.0, 0.0], [-3.0, float("nan")]], [[0.0, 0.0], [5.0, 1.0]]])
    dist.update(raw)
    torch.testing.assert_close(dist.std, torch.tensor([[0.01, 0.01], [2.0, 1.0]]))
    assert torch.isfinite(dist.log_prob(torch.zeros(2, 2))).all()


@pytest.mark.parametrize("std_type", ["scalar", "log"])
def test_heteroscedastic_init_mlp_weights(std_type):
    torch.manual_seed(5)
    dist = HeteroscedasticGaussianDistribution(3, init_std=0.4, std_type=std_type)
    mlp = MLP(6, dist.input_dim, [16])
    dist.init_mlp_weights(mlp)
    dist.update(mlp(torch.randn(10, 6) * 5))
    torch.testing.assert_close(dist.std, torch.full((10, 3), 0.4))


# ---------------------------------------------------------------------------------------------------------------------
# Beta
# ---------------------------------------------------------------------------------------------------------------------


def _beta_raw(alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """Raw MLP output that maps to the given concentrations (inverse of softplus(raw) + 1)."""

    def inv(c):
        return torch.log(torch.expm1(c - 1.0))

    return torch.stack([inv(alpha), inv(beta)], dim=-2)


@pytest.mark.parametrize("action_range", [(-1.0, 1.0), (0.0, 1.0), (-3.0, 5.0)])
def test_beta_log_prob_includes_rescaling_jacobian(action_range):
    torch.manual_seed(6)
    low, high = action_range
    alpha, beta = torch.rand(4, 3) * 3 + 1.2, torch.rand(4, 3) * 3 + 1.2
    dist = BetaDistribution(3, action_range=action_range)
    dist.update(_beta_raw(alpha, beta))
    torch.testing.assert_close(dist.params[0], alpha, rtol=1e-4, atol=1e-5)
    outputs = low + (high - low) * torch.rand(4, 3).clamp(0.01, 0.99)
    reference = TransformedDistribution(Beta(alpha, beta), [AffineTransform(low, high - low)])
    torch.testing.assert_close(dist.log_prob(outputs), reference.log_prob(outputs).sum(-1), rtol=1e-4, atol=1e-4)


def test_beta_moments_and_deterministic_output():
    alpha, beta = torch.tensor([[2.0, 5.0]]), torch.tensor([[3.0, 1.5]])
    dist = BetaDistribution(2, action_range=(-2.0, 2.0))
    raw = _beta_raw(alpha, beta)
    dist.update(raw)
    mean = -2.0 + 4.0 * alpha / (alpha + beta)
    var01 = alpha * beta / ((alpha + beta) ** 2 * (alpha + beta + 1))
    torch.testing.assert_close(dist.mean, mean, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(dist.std, 4.0 * var01.sqrt(), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(dist.deterministic_output(raw), mean, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(dist.as_deterministic_output_module()(raw), mean, rtol=1e-4, atol=1e-5)
    samples = BetaDistribution(2, action_range=(-2.0, 2.0))
    samples.update(raw.expand(20000, 2, 2))
    draws = samples.sample()
    assert torch.all((draws >= -2.0) & (draws <= 2.0))
    torch.testing.assert_close(draws.mean(0, keepdim=True), mean, atol=0.03, rtol=0)


def test_beta_entropy_is_entropy_of_rescaled_output():
    alpha, beta = torch.tensor([[2.5]]), torch.tensor([[1.7]])
    low, high = -3.0, 1.0
    dist = BetaDistribution(1, action_range=(low, high))
    dist.update(_beta_raw(alpha, beta))
    # Numerical integral of -p(y) log p(y) over the output range, with p from log_prob
    y = torch.linspace(low, high, 200001)[1:-1].unsqueeze(-1).unsqueeze(-1)
    dist_grid = BetaDistribution(1, action_range=(low, high))
    dist_grid.update(_beta_raw(alpha, beta).expand(y.shape[0], 1, 2, 1))
    log_p = dist_grid.log_prob(y).squeeze(-1).double()
    integral = -(log_p.exp() * log_p).sum() * (high - low) / 200000
    assert dist.entropy.item() == pytest.approx(integral.item(), abs=1e-3)
    torch.testing.assert_close(dist.entropy, Beta(alpha, beta).entropy().sum(-1) + math.log(high - low))


def test_beta_kl_and_reduction():
    torch.manual_seed(7)
    a1, b1, a2, b2 = (torch.rand(3, 2) * 3 + 1.1 for _ in range(4))
    dist = BetaDistribution(2, reduction="none")
    expected = torch.distributions.kl_divergence(Beta(a1, b1), Beta(a2, b2)).sum(-1)
    torch.testing.assert_close(dist.kl_divergence((a1, b1), (a2, b2)), expected)
    dist.update(_beta_raw(a1, b1))
    outputs = torch.rand(3, 2) * 1.8 - 0.9
    per_dim = Beta(a1, b1).log_prob((outputs + 1) / 2) - math.log(2.0)
    torch.testing.assert_close(dist.log_prob(outputs), per_dim, rtol=1e-4, atol=1e-4)


def test_beta_log_prob_finite_at_range_ends():
    dist = BetaDistribution(2)
    dist.update(torch.zeros(1, 2, 2))
    assert torch.isfinite(dist.log_prob(torch.tensor([[-1.0, 1.0]]))).all()
    assert torch.isfinite(dist.log_prob(torch.tensor([[-5.0, 5.0]]))).all()


def test_beta_init_mlp_weights():
    torch.manual_seed(8)
    dist = BetaDistribution(3)
    mlp = MLP(4, dist.input_dim, [8])
    dist.init_mlp_weights(mlp)
    dist.update(mlp(torch.randn(5, 4)))
    torch.testing.assert_close(dist.params[1], torch.full((5, 3), math.log(2.0) + 1.0))


def test_beta_bad_arguments_raise():
    with pytest.raises(ValueError, match="low < high"):
        BetaDistribution(2, action_range=(1.0, -1.0))
    with pytest.raises(ValueError, match="'avg'"):
        BetaDistribution(2, reduction="avg")
    with pytest.raises(RuntimeError, match="update"):
        BetaDistribution(2).sample()


# ---------------------------------------------------------------------------------------------------------------------
# Common
# ---------------------------------------------------------------------------------------------------------------------


def test_base_class_is_abstract():
    dist = Distribution(2)
    with pytest.raises(NotImplementedError):
        dist.update(torch.zeros(1, 2))
    with pytest.raises(NotImplementedError):
        _ = dist.input_dim
    dist.init_mlp_weights(MLP(2, 2, [2]))  # no-op by default


def test_resolved_from_config_and_reference_module_path():
    from rsl_sim.modules.distribution import GaussianDistribution as FromSubpackage

    cfg = {"class_name": "GaussianDistribution", "init_std": 0.5, "std_type": "log"}
    cls, kwargs = resolve_class(cfg)
    assert cls is FromSubpackage is GaussianDistribution
    dist = cls(4, **kwargs)
    dist.update(torch.zeros(1, 4))
    torch.testing.assert_close(dist.std, torch.full((1, 4), 0.5))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "dist",
    [GaussianDistribution(3), HeteroscedasticGaussianDistribution(3), BetaDistribution(3, action_range=(0.0, 2.0))],
)
def test_export_modules_script(dist):
    module = dist.as_deterministic_output_module()
    raw = torch.randn(2, *([dist.input_dim] if isinstance(dist.input_dim, int) else dist.input_dim))
    scripted = torch.jit.script(module)
    torch.testing.assert_close(scripted(raw), dist.deterministic_output(raw))
