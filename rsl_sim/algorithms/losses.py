"""PPO's loss terms and its KL-adaptive learning-rate rule."""

from __future__ import annotations

import torch

__all__ = ["adaptive_learning_rate", "clipped_surrogate_loss", "value_function_loss"]

MIN_ADAPTIVE_LR = 1e-5
"""Lower bound of the adaptive learning rate (RSL-RL 5.x)."""

MAX_ADAPTIVE_LR = 1e-2
"""Upper bound of the adaptive learning rate (RSL-RL 5.x)."""


def clipped_surrogate_loss(
    log_prob: torch.Tensor, old_log_prob: torch.Tensor, advantages: torch.Tensor, clip_param: float
) -> torch.Tensor:
    """PPO's clipped surrogate loss (Schulman et al., "Proximal Policy Optimization Algorithms", 2017, eq. 7).

    ``mean(max(-A * ratio, -A * clip(ratio, 1 - eps, 1 + eps)))`` with ``ratio = exp(log_prob - old_log_prob)``: the
    negated clipped objective, to be minimized. Operations in the order of RSL-RL 5.x (same float results).

    Args:
        log_prob: Log-probabilities of the taken actions under the current policy, ``[B]`` (or ``[T, B]``).
        old_log_prob: Log-probabilities recorded in the rollout, same number of entries (a trailing 1 is squeezed).
        advantages: Advantages, same number of entries (a trailing 1 is squeezed).
        clip_param: Clip range ``eps`` of the ratio.

    Returns:
        The scalar loss.
    """
    ratio = torch.exp(log_prob - torch.squeeze(old_log_prob))
    neg_advantages = -torch.squeeze(advantages)
    clipped_ratio = torch.clamp(ratio, 1.0 - clip_param, 1.0 + clip_param)
    return torch.max(neg_advantages * ratio, neg_advantages * clipped_ratio).mean()


def value_function_loss(
    values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor, clip_param: float, clipped: bool
) -> torch.Tensor:
    """Squared error of the value function, optionally with the change of the values clipped (PPO2).

    Clipped: ``mean(max((V - R)^2, (V_old + clip(V - V_old, -eps, eps) - R)^2))``; else ``mean((R - V)^2)``.

    Args:
        values: Current values ``[B, 1]`` (or ``[T, B, 1]``).
        old_values: Values recorded in the rollout, same shape.
        returns: Return targets, same shape.
        clip_param: Clip range ``eps`` of the value change.
        clipped: Whether to clip the value change.

    Returns:
        The scalar loss.
    """
    if not clipped:
        return (returns - values).pow(2).mean()
    clipped_values = old_values + (values - old_values).clamp(-clip_param, clip_param)
    return torch.max((values - returns).pow(2), (clipped_values - returns).pow(2)).mean()


def adaptive_learning_rate(learning_rate: float, kl_mean: torch.Tensor, desired_kl: float) -> float:
    """Next learning rate of the KL-adaptive schedule (RSL-RL; Schulman et al. 2017, section 4, adapted to the rate).

    Above ``2 * desired_kl`` the rate is divided by 1.5 (not below :data:`MIN_ADAPTIVE_LR`); below
    ``desired_kl / 2`` and above 0 it is multiplied by 1.5 (not above :data:`MAX_ADAPTIVE_LR`); else it is kept.
    The comparisons are made in the precision of ``kl_mean``, as in the reference.

    Args:
        learning_rate: The current learning rate.
        kl_mean: Mean ``KL(old || new)`` over the mini-batch, a scalar tensor.
        desired_kl: The KL target.

    Returns:
        The new learning rate.
    """
    if kl_mean > desired_kl * 2.0:
        return max(MIN_ADAPTIVE_LR, learning_rate / 1.5)
    if kl_mean < desired_kl / 2.0 and kl_mean > 0.0:
        return min(MAX_ADAPTIVE_LR, learning_rate * 1.5)
    return learning_rate
