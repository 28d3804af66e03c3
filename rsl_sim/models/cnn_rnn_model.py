"""Recurrent camera model: CNN encoders + 1D groups -> LSTM/GRU -> MLP -> (distribution)."""

from __future__ import annotations

from typing import Any

from tensordict import TensorDict
from torch import nn

from rsl_sim.models.cnn_model import CNNModel
from rsl_sim.models.recurrent_core import RecurrentCoreMixin
from rsl_sim.modules import RNN


class CNNRNNModel(RecurrentCoreMixin, CNNModel):
    """Camera model with memory, e.g. a depth-camera student that must remember terrain it no longer sees.

    Each image group ``[num_envs, C, H, W]`` passes through its CNN encoder; the encodings are concatenated after the
    (optionally normalized) 1D groups and fed to an LSTM or GRU whose output feeds the MLP head:

    ``[1D groups -> normalizer, CNN(image groups)] -> RNN -> MLP -> distribution``

    It takes :class:`CNNModel`'s arguments plus :class:`RNNModel`'s recurrent ones and works in the same two modes as
    :class:`RNNModel`: rollout mode (one step, hidden state kept inside) and batch mode (padded trajectories, images
    ``[time, num_trajectories, C, H, W]`` folded to ``[time * num_trajectories, C, H, W]`` for the encoders).

    Not part of RSL-RL 5.x. State-dict keys: ``obs_normalizer.*``, ``distribution.*``, ``mlp.*``, ``cnns.<group>.*``
    and ``rnn.rnn.*``.
    """

    def __init__(
        self,
        obs: TensorDict,
        obs_groups: dict[str, list[str]],
        obs_set: str,
        output_dim: int,
        hidden_dims: tuple[int, ...] | list[int] = (256, 256, 256),
        activation: str = "elu",
        obs_normalization: bool = False,
        distribution_cfg: dict | None = None,
        cnn_cfg: dict[str, dict] | dict[str, Any] | None = None,
        cnns: nn.ModuleDict | dict[str, nn.Module] | None = None,
        rnn_type: str = "lstm",
        rnn_hidden_dim: int = 256,
        rnn_num_layers: int = 1,
    ) -> None:
        """Build the model from an example observation.

        Args:
            obs: Example observations, a ``TensorDict`` with batch size ``[num_envs]``; only the shapes are used.
            obs_groups: Mapping from observation sets to lists of observation groups.
            obs_set: The observation set this model reads; it must hold at least one image group.
            output_dim: Size of the output.
            hidden_dims: Hidden layer sizes of the MLP head.
            activation: Activation of the MLP head (the encoders take theirs from ``cnn_cfg``).
            obs_normalization: Whether to normalize the concatenated 1D input with running mean and std.
            distribution_cfg: ``{"class_name": ..., **kwargs}`` for a stochastic output, or None.
            cnn_cfg: CNN arguments, one dict for all image groups or a dict keyed by image group.
            cnns: Existing encoders keyed by image group, to share them with another model.
            rnn_type: ``"lstm"`` or ``"gru"``.
            rnn_hidden_dim: Size of the recurrent hidden state (and of the latent fed to the MLP head).
            rnn_num_layers: Number of stacked recurrent layers.

        Raises:
            ValueError: As :class:`CNNModel`, or for an unknown ``rnn_type``.
        """
        # The MLP head reads the recurrent output; its size is needed before the parent builds the head
        self.latent_dim = rnn_hidden_dim
        super().__init__(
            obs,
            obs_groups,
            obs_set,
            output_dim,
            hidden_dims,
            activation,
            obs_normalization,
            distribution_cfg,
            cnn_cfg,
            cnns,
        )

        # Recurrent core over [1D observations, CNN latents]
        self.rnn = RNN(self.obs_dim + self.cnn_latent_dim, rnn_hidden_dim, rnn_num_layers, rnn_type)
