"""GAE(gamma, lambda) returns and advantages: hand-computed values, limiting cases, float-exactness, buffers, errors."""

from __future__ import annotations

import pytest
import torch

from rsl_sim.algorithms import compute_gae, normalize_advantages


def _column(values: list[list[float]]) -> torch.Tensor:
    """[T][N] nested list -> tensor [T, N, 1]."""
    return torch.tensor(values, dtype=torch.float32).unsqueeze(-1)


def test_hand_computed_example_with_done_mid_trajectory():
    # Env 0 ends its episode at step 1 (mid-rollout), env 1 at the last step; gamma = 0.9, lam = 0.8
    rewards = _column([[1.0, 0.0], [2.0, 0.0], [3.0, 1.0]])
    values = _column([[0.5, 0.0], [1.0, 0.0], [1.5, 0.0]])
    dones = _column([[0, 0], [1, 0], [0, 1]]).to(torch.uint8)
    last_values = torch.tensor([[2.0], [5.0]])

    returns, advantages = compute_gae(rewards, values, dones, last_values, gamma=0.9, lam=0.8)

    # Env 0: A2 = 3 + 0.9 * 2 - 1.5 = 3.3; A1 = 2 - 1 = 1 (done: no bootstrap, trace cut); A0 = 1 + 0.9 * 1 - 0.5
    # + 0.72 * A1 = 2.12. Env 1: A2 = 1 (done, the last value 5 is ignored); A1 = 0.72 * 1; A0 = 0.72 * 0.72
    expected_adv = _column([[2.12, 0.5184], [1.0, 0.72], [3.3, 1.0]])
    torch.testing.assert_close(advantages, expected_adv)
    torch.testing.assert_close(returns, expected_adv + values)


@pytest.mark.parametrize("gamma", [0.0, 0.7, 0.99])
def test_lambda_one_gives_discounted_returns_cut_at_dones(gamma):
    torch.manual_seed(0)
    steps, envs = 7, 5
    rewards, values = torch.randn(steps, envs, 1), torch.randn(steps, envs, 1)
    dones = (torch.rand(steps, envs, 1) < 0.3).to(torch.uint8)
    last_values = torch.randn(envs, 1)

    returns, advantages = compute_gae(rewards, values, dones, last_values, gamma=gamma, lam=1.0)

    # Monte-Carlo return in float64: sum of discounted rewards until the episode ends, else bootstrapped at the end
    expected = torch.zeros(steps, envs, 1, dtype=torch.float64)
    for env in range(envs):
        future = float(last_values[env])
        for step in reversed(range(steps)):
            future = float(rewards[step, env]) + gamma * (1 - int(dones[step, env])) * future
            expected[step, env] = future
    torch.testing.assert_close(returns.double(), expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(advantages, returns - values)


def test_lambda_zero_gives_one_step_td_errors():
    torch.manual_seed(1)
    rewards, values = torch.randn(6, 4, 1), torch.randn(6, 4, 1)
    dones = (torch.rand(6, 4, 1) < 0.3).to(torch.uint8)
    last_values = torch.randn(4, 1)

    _, advantages = compute_gae(rewards, values, dones, last_values, gamma=0.95, lam=0.0)

    next_values = torch.cat([values[1:], last_values[None]])
    td_errors = rewards + 0.95 * (1 - dones.float()) * next_values - values
    torch.testing.assert_close(advantages, td_errors, rtol=1e-6, atol=1e-6)


def test_bitwise_equal_to_step_by_step_recursion():
    # The vectorized TD errors must not change a single bit against the plain per-step loop (the reference's order)
    torch.manual_seed(2)
    steps, envs, gamma, lam = 24, 64, 0.99, 0.95
    rewards, values = torch.randn(steps, envs, 1), torch.randn(steps, envs, 1)
    dones = (torch.rand(steps, envs, 1) < 0.05).to(torch.uint8)
    last_values = torch.randn(envs, 1)

    returns, advantages = compute_gae(rewards, values, dones, last_values, gamma, lam)

    expected_returns = torch.zeros_like(values)
    advantage = 0
    for step in reversed(range(steps)):
        next_values = last_values if step == steps - 1 else values[step + 1]
        not_done = 1.0 - dones[step].float()
        delta = rewards[step] + not_done * gamma * next_values - values[step]
        advantage = delta + not_done * gamma * lam * advantage
        expected_returns[step] = advantage + values[step]
    assert torch.equal(returns, expected_returns)
    assert torch.equal(advantages, expected_returns - values)


def test_writes_into_given_buffers():
    rewards, values = torch.ones(3, 2, 1), torch.zeros(3, 2, 1)
    dones = torch.zeros(3, 2, 1, dtype=torch.bool)
    returns_buffer, advantages_buffer = torch.full((3, 2, 1), -7.0), torch.full((3, 2, 1), -7.0)

    returns, advantages = compute_gae(
        rewards, values, dones, torch.zeros(2, 1), 0.5, 1.0, returns=returns_buffer, advantages=advantages_buffer
    )

    assert returns is returns_buffer and advantages is advantages_buffer
    # 1 + 0.5 + 0.25 from the first step on
    torch.testing.assert_close(returns_buffer[:, 0, 0], torch.tensor([1.75, 1.5, 1.0]))
    torch.testing.assert_close(advantages_buffer, returns_buffer)


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"rewards \[3, 2, 1\], values \[3, 2, 1\], dones \[3, 2\]"):
        compute_gae(torch.zeros(3, 2, 1), torch.zeros(3, 2, 1), torch.zeros(3, 2), torch.zeros(2, 1), 0.9, 0.9)
    with pytest.raises(ValueError, match="last_values of shape"):
        compute_gae(torch.zeros(3, 2, 1), torch.zeros(3, 2, 1), torch.zeros(3, 2, 1), torch.zeros(2), 0.9, 0.9)


def test_normalize_advantages_zero_mean_unit_std():
    advantages = torch.tensor([1.0, 2.0, 3.0, 6.0])
    normalized = normalize_advantages(advantages)
    torch.testing.assert_close(normalized.mean(), torch.tensor(0.0), atol=1e-7, rtol=0)
    torch.testing.assert_close(normalized.std(), torch.tensor(1.0), atol=1e-6, rtol=0)
    # (x - 3) / std([1, 2, 3, 6]) with the unbiased std sqrt(14 / 3)
    torch.testing.assert_close(normalized, (advantages - 3.0) / (14.0 / 3.0) ** 0.5)
