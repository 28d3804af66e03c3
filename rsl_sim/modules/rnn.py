"""Recurrent layer (LSTM or GRU) that keeps its own hidden state between rollout steps."""

from __future__ import annotations

import torch
from torch import nn

from rsl_sim.utils.trajectories import unpad_trajectories

HiddenState = torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None
"""Hidden state of an :class:`RNN`: one tensor ``[num_layers, num_envs, hidden_dim]`` for a GRU, a tuple
``(h, c)`` of two such tensors for an LSTM, or None for the all-zero initial state."""

# Valid values of the ``type`` argument -> torch recurrent layer
_RNN_TYPES: dict[str, type[nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU}


class RNN(nn.Module):
    """LSTM or GRU with an internally stored hidden state, used by recurrent models.

    Two modes of operation, as in RSL-RL 5.x ``rsl_rl.modules.RNN``:

    - Rollout mode (``masks is None``): the input ``[num_envs, input_size]`` is one time step; the layer starts from
      the stored hidden state (zeros when it is None), stores the new one, and returns ``[1, num_envs, hidden_dim]``.
    - Batch mode (``masks`` given): the input ``[time, num_trajectories, input_size]`` holds padded trajectories
      (from :func:`~rsl_sim.utils.split_and_pad_trajectories`), ``hidden_state`` the state at the start of each
      trajectory; the output is unpadded back to ``[time, num_envs, hidden_dim]``. The stored state is not touched.

    The torch layer is the attribute ``rnn``, so state-dict keys are ``rnn.weight_ih_l0`` etc. as in the reference.
    """

    def __init__(self, input_size: int, hidden_dim: int = 256, num_layers: int = 1, type: str = "lstm") -> None:
        """Build the recurrent layer.

        Args:
            input_size: Number of input features.
            hidden_dim: Number of features of the hidden state (and of the output).
            num_layers: Number of stacked recurrent layers.
            type: ``"lstm"`` or ``"gru"`` (case-insensitive).

        Raises:
            ValueError: If ``type`` is not one of the valid choices.
        """
        super().__init__()
        rnn_type = type.lower() if isinstance(type, str) else type
        if rnn_type not in _RNN_TYPES:
            raise ValueError(f"Unknown RNN type '{type}'. Valid types are: {list(_RNN_TYPES)}.")
        self.rnn = _RNN_TYPES[rnn_type](input_size=input_size, hidden_size=hidden_dim, num_layers=num_layers)
        self.hidden_state: HiddenState = None

    def forward(
        self, input: torch.Tensor, masks: torch.Tensor | None = None, hidden_state: HiddenState = None
    ) -> torch.Tensor:
        """Run one rollout step, or a batch of padded trajectories.

        Args:
            input: ``[num_envs, input_size]`` in rollout mode; ``[time, num_trajectories, input_size]`` in batch mode.
            masks: Validity masks ``[time, num_trajectories]`` of the padded trajectories; None selects rollout mode.
            hidden_state: Batch mode only: the hidden state at the start of each trajectory, shaped
                ``[num_layers, num_trajectories, hidden_dim]`` (a tuple ``(h, c)`` for an LSTM).

        Returns:
            ``[1, num_envs, hidden_dim]`` in rollout mode; ``[time, num_envs, hidden_dim]`` in batch mode.

        Raises:
            ValueError: If batch mode is requested without a hidden state.
        """
        # Rollout mode: one step from the stored state, which is replaced by the new one
        if masks is None:
            output, self.hidden_state = self.rnn(input.unsqueeze(0), self.hidden_state)
            return output

        # Batch mode: whole padded trajectories from their saved initial states
        if hidden_state is None:
            raise ValueError(
                "RNN batch mode (masks given) needs the hidden states at the start of the trajectories; got None."
            )
        output, _ = self.rnn(input, hidden_state)
        return unpad_trajectories(output, masks)

    def reset(self, dones: torch.Tensor | None = None, hidden_state: HiddenState = None) -> None:
        """Reset the stored hidden state for all environments or only for the done ones.

        Args:
            dones: Done flags ``[num_envs]`` (bool or 0/1 numbers). None resets all environments.
            hidden_state: State to reset to. None means zeros. With ``dones`` given, only the done environments take
                their entries from it.

        Raises:
            ValueError: If ``dones`` does not have one entry per environment of the stored state.
        """
        # Reset of all environments: replace the stored state
        if dones is None:
            self.hidden_state = hidden_state
            return

        # Nothing stored and nothing given: the state is already all zeros
        if self.hidden_state is None and hidden_state is None:
            return
        if self.hidden_state is None:
            self.hidden_state = _map(torch.zeros_like, hidden_state)
        mask = self._env_mask(dones)

        # Done environments get zeros or their entries of the given state
        if hidden_state is None:
            self.hidden_state = _map(lambda h: h.masked_fill(mask, 0.0), self.hidden_state)
        elif isinstance(self.hidden_state, tuple):
            self.hidden_state = tuple(torch.where(mask, new, old) for old, new in zip(self.hidden_state, hidden_state))
        else:
            self.hidden_state = torch.where(mask, hidden_state, self.hidden_state)

    def detach_hidden_state(self, dones: torch.Tensor | None = None) -> None:
        """Cut the stored hidden state from the autograd graph (truncated backpropagation through time).

        Args:
            dones: Done flags ``[num_envs]``; only the done environments are detached. None detaches all.
        """
        if self.hidden_state is None:
            return
        if dones is None:
            self.hidden_state = _map(torch.Tensor.detach, self.hidden_state)
        else:
            mask = self._env_mask(dones)
            self.hidden_state = _map(lambda h: torch.where(mask, h.detach(), h), self.hidden_state)

    def _env_mask(self, dones: torch.Tensor) -> torch.Tensor:
        """Turn done flags ``[num_envs]`` into a mask ``[1, num_envs, 1]`` that broadcasts over the hidden state."""
        num_envs = (self.hidden_state[0] if isinstance(self.hidden_state, tuple) else self.hidden_state).shape[1]
        flags = dones.reshape(-1)
        if flags.numel() != num_envs:
            raise ValueError(
                f"RNN reset/detach got {flags.numel()} done flags for a hidden state of {num_envs} environments."
            )
        return (flags != 0).view(1, -1, 1)


def _map(fn, hidden_state: torch.Tensor | tuple[torch.Tensor, ...]) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """Apply ``fn`` to the hidden-state tensor, or to each tensor of an LSTM state tuple."""
    if isinstance(hidden_state, tuple):
        return tuple(fn(h) for h in hidden_state)
    return fn(hidden_state)
