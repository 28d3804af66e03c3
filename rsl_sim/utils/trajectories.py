"""Cut rollouts into per-episode trajectories and put them back together.

Recurrent models are trained on whole trajectories: a rollout of ``T`` steps from ``N`` environments is cut at every
episode end, each piece becomes one column of a zero-padded ``[T, num_trajectories, ...]`` tensor, and a boolean mask
marks the valid steps. :func:`unpad_trajectories` reverses the cut. Same inputs, outputs and ordering as the
``split_and_pad_trajectories`` / ``unpad_trajectories`` helpers of RSL-RL 5.x; implemented here with one scatter per
tensor (no Python loop over trajectories) and keeping each tensor's dtype (``uint8`` images stay ``uint8``).
"""

from __future__ import annotations

import torch
from tensordict import TensorDict

__all__ = ["split_and_pad_trajectories", "unpad_trajectories"]


def split_and_pad_trajectories(
    tensor: torch.Tensor | TensorDict, dones: torch.Tensor
) -> tuple[torch.Tensor | TensorDict, torch.Tensor]:
    """Split a rollout at episode ends and pad the pieces to the rollout length.

    Trajectories are numbered environment by environment (all trajectories of env 0 in time order, then env 1, ...).
    The end of the rollout also ends a trajectory. Example (time runs left to right, ``|`` marks ``dones``)::

        input  env 0: a1 a2 a3 a4 | a5 a6          output columns: [a1 a2 a3 a4]  mask [1 1 1 1]
               env 1: b1 b2 | b3 b4 b5 | b6                         [a5 a6 0  0 ]       [1 1 0 0]
                                                                    [b1 b2 0  0 ]       [1 1 0 0]
                                                                    [b3 b4 b5 0 ]       [1 1 1 0]
                                                                    [b6 0  0  0 ]       [1 0 0 0]

    Args:
        tensor: Rollout data, time first: a tensor of shape ``[T, N, ...]`` or a TensorDict with batch size ``[T, N]``
            (nested TensorDicts are handled; every leaf keeps its dtype and device).
        dones: Episode-end flags of shape ``[T, N]`` or ``[T, N, 1]`` (bool or any integer/float type, nonzero = done).
            ``dones[t, n]`` marks that the episode of env ``n`` ended with step ``t``.

    Returns:
        A tuple ``(padded, masks)``: ``padded`` has shape ``[T, num_trajectories, ...]`` (a TensorDict with batch size
        ``[T, num_trajectories]`` for TensorDict input), zeros after each trajectory's end; ``masks`` is a bool tensor
        of shape ``[T, num_trajectories]``, True on valid steps.

    Raises:
        ValueError: If ``dones`` does not match the first two dimensions of ``tensor``.
    """
    # Check that the flags line up with the data
    num_steps, num_envs = tensor.shape[0], tensor.shape[1]
    if dones.shape[:2] != (num_steps, num_envs) or dones.numel() != num_steps * num_envs:
        raise ValueError(
            f"dones must have shape [T, N] or [T, N, 1] with [T, N] = {[num_steps, num_envs]} taken from the data, "
            f"got {list(dones.shape)}."
        )

    # A trajectory starts at step 0 and right after every done; work env-major to number trajectories env by env
    ended = dones.reshape(num_steps, num_envs).t().bool()  # [N, T]
    starts = torch.zeros_like(ended)
    starts[:, 0] = True
    starts[:, 1:] = ended[:, :-1]
    starts = starts.reshape(-1)  # [N * T]

    # Trajectory id and position inside it of every (env, step) sample
    traj_id = torch.cumsum(starts, dim=0) - 1
    sample_idx = torch.arange(num_envs * num_steps, device=dones.device)
    start_idx = sample_idx[starts]  # [num_trajectories]
    num_trajectories = start_idx.shape[0]
    step_in_traj = sample_idx - start_idx[traj_id]

    # Valid-step masks from the trajectory lengths
    lengths = torch.bincount(traj_id, minlength=num_trajectories)
    masks = torch.arange(num_steps, device=dones.device).unsqueeze(1) < lengths.unsqueeze(0)

    # Scatter every sample into its (step, trajectory) slot of a zero tensor
    def scatter(x: torch.Tensor) -> torch.Tensor:
        flat = x.transpose(0, 1).reshape(num_envs * num_steps, *x.shape[2:])
        padded = x.new_zeros((num_steps, num_trajectories, *x.shape[2:]))
        padded[step_in_traj.to(x.device), traj_id.to(x.device)] = flat
        return padded

    if isinstance(tensor, TensorDict):
        padded = tensor.apply(scatter, batch_size=[num_steps, num_trajectories])
    else:
        padded = scatter(tensor)
    return padded, masks.to(tensor.device if tensor.device is not None else dones.device)


def unpad_trajectories(trajectories: torch.Tensor | TensorDict, masks: torch.Tensor) -> torch.Tensor | TensorDict:
    """Invert :func:`split_and_pad_trajectories`: drop the padding and restore the time-first rollout layout.

    The trajectories must cover whole environment slices (as the recurrent mini-batches of the rollout storage do):
    the valid steps, read trajectory by trajectory, are regrouped into rows of ``T`` steps, one row per environment.

    Args:
        trajectories: Padded data of shape ``[T, num_trajectories, ...]`` (or a TensorDict with that batch size).
        masks: Bool tensor of shape ``[T, num_trajectories]`` as returned by :func:`split_and_pad_trajectories`.

    Returns:
        The valid steps, shape ``[T, num_envs, ...]`` (TensorDict batch size ``[T, num_envs]``).

    Raises:
        ValueError: If ``masks`` does not match the data, or the number of valid steps is not a multiple of ``T``.
    """
    # Check the mask against the data
    num_steps = trajectories.shape[0]
    if tuple(masks.shape) != tuple(trajectories.shape[:2]):
        raise ValueError(
            f"masks must have shape [T, num_trajectories] = {list(trajectories.shape[:2])}, got {list(masks.shape)}."
        )

    # Valid steps in trajectory order are the rollout in env-major order
    valid = trajectories.transpose(0, 1)[masks.t().bool()]
    if valid.shape[0] % num_steps != 0:
        raise ValueError(
            f"The {valid.shape[0]} valid steps do not fill whole environments of {num_steps} steps: the trajectories "
            "must come from complete environment slices of one rollout."
        )
    if isinstance(valid, TensorDict):
        return valid.reshape(-1, num_steps).transpose(0, 1)
    return valid.reshape(-1, num_steps, *trajectories.shape[2:]).transpose(0, 1)
