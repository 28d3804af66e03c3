"""Return and advantage targets of on-policy actor-critic methods: GAE(gamma, lambda) and advantage normalization."""

from __future__ import annotations

import torch

__all__ = ["compute_gae", "normalize_advantages"]


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    dones: torch.Tensor,
    last_values: torch.Tensor,
    gamma: float,
    lam: float,
    returns: torch.Tensor | None = None,
    advantages: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Compute generalized advantage estimates and the matching return targets over one rollout.

    Generalized advantage estimation, Schulman et al., "High-Dimensional Continuous Control Using Generalized
    Advantage Estimation", ICLR 2016 (arXiv:1506.02438). With ``d_t`` the done flag of step ``t`` (the episode ended
    with that step, so ``s_{t+1}`` belongs to a new episode):

    - TD residual: ``delta_t = r_t + gamma * (1 - d_t) * V(s_{t+1}) - V(s_t)``, where ``V(s_T)`` is ``last_values``;
    - advantage: ``A_t = delta_t + gamma * lam * (1 - d_t) * A_{t+1}``, with ``A_T = 0``;
    - return target: ``R_t = A_t + V(s_t)``; the returned advantages are ``R_t - V(s_t)``.

    Time-outs are not special here: the caller folds the value of a truncated episode's next state into ``r_t``
    beforehand (see ``PPO.process_env_step``). The arithmetic is carried out in the same order as RSL-RL 5.x (same
    float32 results), with the TD residuals of all steps computed at once and only the backward recursion looped.

    Args:
        rewards: Rewards ``[T, N, 1]``.
        values: Critic values ``V(s_t)`` ``[T, N, 1]`` recorded during the rollout.
        dones: Done flags ``[T, N, 1]`` (bool, or integer 0/1).
        last_values: ``V(s_T)`` ``[N, 1]`` of the observations after the last step.
        gamma: Discount factor in ``[0, 1]``.
        lam: GAE parameter lambda in ``[0, 1]`` (0: one-step TD, 1: Monte-Carlo returns minus the baseline).
        returns: Optional buffer ``[T, N, 1]`` to write the return targets into (e.g. the storage's).
        advantages: Optional buffer ``[T, N, 1]`` to write the advantages into (e.g. the storage's).

    Returns:
        ``(returns, advantages)``, each ``[T, N, 1]`` (the given buffers when passed).

    Raises:
        ValueError: If the shapes of the inputs do not match.
    """
    # Check the shapes: everything is time-major [T, N, 1]; the bootstrap value has no time axis
    if rewards.shape != values.shape or dones.shape != values.shape or values.dim() < 2:
        raise ValueError(
            "compute_gae expects rewards, values and dones of one shape [T, N, 1]; got rewards"
            f" {list(rewards.shape)}, values {list(values.shape)}, dones {list(dones.shape)}."
        )
    if last_values.shape != values.shape[1:]:
        raise ValueError(
            f"compute_gae expects last_values of shape {list(values.shape[1:])} (values without the time axis), got"
            f" {list(last_values.shape)}."
        )
    num_steps = values.shape[0]

    # Per-step weights of the next state's value and of the next advantage: zero after a done
    next_weight = (1.0 - dones.float()) * gamma
    trace_weight = next_weight * lam

    # TD residuals of all steps at once: V(s_{t+1}) is the next stored value, or last_values after the final step
    next_values = torch.cat((values[1:], last_values.unsqueeze(0)), dim=0)
    deltas = rewards + next_weight * next_values - values

    # Backward recursion A_t = delta_t + gamma * lam * (1 - d_t) * A_{t+1}, accumulated in the advantage buffer
    gae = torch.empty_like(values) if advantages is None else advantages
    gae[num_steps - 1] = deltas[num_steps - 1]
    for step in range(num_steps - 2, -1, -1):
        torch.mul(trace_weight[step], gae[step + 1], out=gae[step])
        gae[step] += deltas[step]

    # Return targets, then the advantages as returns minus values (as the reference does)
    returns = torch.add(gae, values) if returns is None else torch.add(gae, values, out=returns)
    advantages = torch.sub(returns, values, out=gae)
    return returns, advantages


def normalize_advantages(advantages: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Shift and scale advantages to zero mean and unit standard deviation (over all entries).

    ``(A - mean(A)) / (std(A) + eps)`` with the unbiased standard deviation, as in RSL-RL 5.x. Common PPO practice (e.g.
    Andrychowicz et al., "What Matters in On-Policy Reinforcement Learning?", 2021).

    Args:
        advantages: Advantages of any shape, e.g. ``[T, N, 1]`` or a mini-batch ``[B, 1]``.
        eps: Added to the standard deviation to avoid a division by zero.

    Returns:
        The normalized advantages, a new tensor of the same shape.
    """
    return (advantages - advantages.mean()) / (advantages.std() + eps)
