"""The recurrent core shared by the recurrent models: a latent passed through an LSTM/GRU with a kept hidden state."""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDict

from rsl_sim.modules import HiddenState


class RecurrentCoreMixin:
    """Turns a feed-forward model into a recurrent one: its latent goes through ``self.rnn`` before the MLP head.

    Put it before the feed-forward model in the bases (``class RNNModel(RecurrentCoreMixin, MLPModel)``); the subclass
    sets ``self.latent_dim`` (the recurrent hidden size) before building the parent and registers ``self.rnn`` (an
    :class:`~rsl_sim.modules.RNN` over the parent's latent) after it. Two modes, as RSL-RL 5.x's ``RNNModel``:

    - rollout mode (``masks is None``): one step ``[num_envs, ...]``; the hidden state is kept inside the model and
      carried over to the next call (call :meth:`reset` with the done flags after each environment step);
    - batch mode (``masks`` given): padded trajectories ``[time, num_trajectories, ...]`` with the hidden state at
      their start; the stored state is not touched.
    """

    is_recurrent: bool = True
    """Whether the model keeps a recurrent hidden state."""

    def get_latent(
        self, obs: TensorDict, masks: torch.Tensor | None = None, hidden_state: HiddenState = None
    ) -> torch.Tensor:
        """The feed-forward model's latent through the recurrent layer.

        Args:
            obs: One step (``[num_envs, ...]`` per group) or padded trajectories (``[time, num_trajectories, ...]``).
            masks: Validity masks ``[time, num_trajectories]`` (batch mode) or None (rollout mode).
            hidden_state: Batch mode: hidden state at the start of each trajectory.

        Returns:
            ``[num_envs, rnn_hidden_dim]`` in rollout mode, ``[time, num_envs, rnn_hidden_dim]`` in batch mode.
        """
        latent = self.rnn(super().get_latent(obs), masks, hidden_state)
        # Rollout mode returns a time axis of length one
        return latent.squeeze(0) if masks is None else latent

    def reset(self, dones: torch.Tensor | None = None, hidden_state: HiddenState = None) -> None:
        """Reset the stored hidden state of all environments (``dones=None``) or of the done ones.

        Args:
            dones: Done flags ``[num_envs]``, or None for all environments.
            hidden_state: State to reset to; None means zeros.
        """
        self.rnn.reset(dones, hidden_state)

    def get_hidden_state(self) -> HiddenState:
        """Return the stored hidden state (a tensor for a GRU, a tuple ``(h, c)`` for an LSTM, None before use).

        Each tensor is ``[rnn_num_layers, num_envs, rnn_hidden_dim]``.
        """
        return self.rnn.hidden_state

    def detach_hidden_state(self, dones: torch.Tensor | None = None) -> None:
        """Cut the stored hidden state of all (or the done) environments from the autograd graph."""
        self.rnn.detach_hidden_state(dones)

    def _export_parts(self) -> dict[str, Any]:
        """Export parts of the feed-forward model plus the torch recurrent layer."""
        return {**super()._export_parts(), "rnn": self.rnn.rnn}

    def _get_latent_dim(self) -> int:
        """Size of the latent that enters the MLP head: the recurrent hidden size."""
        return self.latent_dim
