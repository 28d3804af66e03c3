"""Bootstrapping of time-outs: the value of the cut-off future of a truncated episode, added to its last reward."""

from __future__ import annotations

import torch

__all__ = ["bootstrap_time_outs"]


def bootstrap_time_outs(
    rewards: torch.Tensor, time_outs: torch.Tensor, values: torch.Tensor, gamma: float
) -> torch.Tensor:
    """Add ``gamma * V * time_out`` to the rewards of truncated (timed-out) episodes.

    Pardo et al., "Time Limits in Reinforcement Learning", ICML 2018. A time-out ends an episode that would have
    continued, so its return still contains ``gamma * V(s_{t+1})``. The step is marked done (GAE does not look past
    it), and this term is folded into the reward instead. Two choices of ``V``:

    - RSL-RL 5.x: ``V(s_t)``, the value of the current state recorded when acting, because the auto-reset already
      replaced ``s_{t+1}``; an approximation that is good when the state changes little in one step.
    - exact: ``V(s_{t+1})`` of the final observation before the auto-reset, when the env provides it
      (``extras["final_observation"]``).

    Rows without a time-out are left as they are, whatever ``values`` holds there (also NaN).

    Args:
        rewards: Rewards ``[N]``.
        time_outs: Time-out flags ``[N]`` (bool or 0/1).
        values: Values ``[N, 1]`` to bootstrap with.
        gamma: Discount factor.

    Returns:
        The bootstrapped rewards ``[N]``, a new tensor.
    """
    flags = time_outs.reshape(-1, 1).bool()
    kept = torch.where(flags, values, torch.zeros_like(values))
    return rewards + gamma * torch.squeeze(kept, 1)
